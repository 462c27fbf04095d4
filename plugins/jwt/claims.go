package jwt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
)

// member is one claim; val is a Go value or a json.RawMessage.
type member struct {
	key string
	val any
}

// claims is a JSON object that keeps its members in order, as JavaScript
// objects do: Better Auth's payload is {iat, ...user, sub} and jose then
// sets exp, iss and aud, so the token's claims come in that order.
type claims []member

// set replaces the value of k where it stands, or appends it.
func (c *claims) set(k string, v any) {
	for i := range *c {
		if (*c)[i].key == k {
			(*c)[i].val = v
			return
		}
	}
	*c = append(*c, member{k, v})
}

func (c claims) get(k string) (any, bool) {
	for _, m := range c {
		if m.key == k {
			return m.val, true
		}
	}
	return nil, false
}

// merge sets every key of m, in sorted order (a Go map has none).
func (c *claims) merge(m map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		c.set(k, m[k])
	}
}

// mergeJSON sets the members of a JSON object, in its order.
func (c *claims) mergeJSON(obj []byte) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("jwt: payload is not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("jwt: payload: %w", err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("jwt: payload: %w", err)
		}
		c.set(t.(string), raw)
	}
	return nil
}

// MarshalJSON writes the members in order, without HTML escaping (as
// JavaScript's JSON.stringify).
func (c claims) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, m := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(m.key); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		if err := enc.Encode(m.val); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// asInt reads a whole number of seconds from a claim value.
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case json.RawMessage:
		var n json.Number
		if json.Unmarshal(x, &n) == nil {
			return asInt(n)
		}
	}
	return 0, false
}

// quote is s as a JSON string.
func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
