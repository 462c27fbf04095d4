package betterauth

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// jsonMembers agrees with encoding/json: what it accepts is valid JSON, and
// each member's raw value is the one encoding/json finds (the last of a
// duplicated name, as JSON.parse keeps).
func FuzzJSONMembers(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":"x\\"y","b":[1,{"c":null}],"d":true,"e":false}`,
		`{"session":{"token":"t","expiresAt":"2026-12-04T11:09:19.882Z"},"user":{"id":"u","name":"\u00e9\u2028"},"updatedAt":1795777759882,"version":"1"}`,
		`{"a":1,"a":2}`, `{"a":-1.5e+3}`, `{"a":[]}`, `{"a":[1,]}`, `{"a":1,}`, `{"a" 1}`, `{"a":tru}`, `{"a":"\u0001"}`,
		"{\"a\":\"\x01\"}", `{"a":{"b":{"c":{}}}}`, `[1]`, `{"a":1} x`, `{"a":"unterminated}`, `{"a":nul}`, `{,}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		got := map[string][]byte{}
		ok := jsonMembers(obj, func(name, value []byte) { got[string(name)] = value })
		if !ok {
			return
		}
		if !json.Valid(obj) {
			// Our number check is looser than JSON's grammar; nothing else may differ.
			var probe map[string]json.RawMessage
			if json.Unmarshal(obj, &probe) == nil {
				t.Fatalf("accepted invalid JSON %q", obj)
			}
			for _, v := range got {
				if len(v) > 0 && (v[0] == '-' || ('0' <= v[0] && v[0] <= '9')) {
					return
				}
			}
			if !bytes.ContainsAny(obj, "-0123456789") {
				t.Fatalf("accepted invalid JSON %q", obj)
			}
			return
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(obj, &want); err != nil {
			t.Fatalf("valid JSON %q that is not an object was accepted", obj)
		}
		for name, v := range got {
			if bytes.IndexByte([]byte(name), '\\') >= 0 || !utf8.ValidString(name) {
				continue // such names are compared raw here, decoded there
			}
			if !bytes.Equal(want[name], v) {
				t.Fatalf("%q: member %q = %q, encoding/json %q", obj, name, v, want[name])
			}
		}
	})
}

func TestJSONString(t *testing.T) {
	for raw, want := range map[string]string{`"abc"`: "abc", `"a\"b"`: `a"b`, `"\u00e9"`: "é", `"é"`: "é"} {
		got, ok := jsonString([]byte(raw))
		if !ok || got != want {
			t.Errorf("jsonString(%s) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{`1`, `null`, `{}`, `"`} {
		if _, ok := jsonString([]byte(raw)); ok {
			t.Errorf("jsonString(%s) ok", raw)
		}
	}
}

func TestJSONMembersDepth(t *testing.T) {
	deep := `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`
	if !json.Valid([]byte(deep)) {
		t.Fatal("the probe is valid JSON")
	}
	if jsonMembers([]byte(deep), func(_, _ []byte) {}) {
		t.Error("100 levels of nesting accepted")
	}
	ok := `{"a":` + strings.Repeat("[", 10) + strings.Repeat("]", 10) + `}`
	if !jsonMembers([]byte(ok), func(_, _ []byte) {}) {
		t.Error("10 levels refused")
	}
}
