package betterauth

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignCookieValueGolden(t *testing.T) {
	g := loadGolden(t)
	for _, v := range g.Cookies {
		t.Run(v.Token, func(t *testing.T) {
			signed := SignCookieValue(g.Secret, v.Token)
			require.Equal(t, v.Token+"."+v.Signature, signed)

			// The golden line is a session cookie as Better Auth sets it by
			// default: 7 days, Path=/, HttpOnly, SameSite=Lax, not Secure.
			c := cookie{
				Name:      "better-auth.session_token",
				Value:     encodeCookieValue(signed),
				MaxAge:    604800,
				HasMaxAge: true,
				Path:      "/",
				HTTPOnly:  true,
				SameSite:  "Lax",
			}
			assert.Equal(t, v.SetCookie, c.String())

			value, ok := VerifyCookieValue(g.Secret, signed)
			assert.True(t, ok)
			assert.Equal(t, v.Token, value)

			// What a browser sends back reads and verifies to the token.
			h := http.Header{}
			h.Add("Cookie", strings.SplitN(v.SetCookie, ";", 2)[0])
			raw, ok := readCookie(h, "better-auth.session_token")
			require.True(t, ok)
			assert.Equal(t, signed, raw)
			value, ok = VerifyCookieValue(g.Secret, raw)
			assert.True(t, ok)
			assert.Equal(t, v.Token, value)
		})
	}
}

func TestVerifyCookieValueRejects(t *testing.T) {
	g := loadGolden(t)
	v := g.Cookies[0]
	signed := v.Token + "." + v.Signature
	sig := v.Signature

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	// The last base64 digit before '=' carries 2 unused bits; setting them
	// keeps the MAC bytes but is not the canonical encoding.
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", sig[42])
	nonCanonical := sig[:42] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last|1]) + "="
	require.NotEqual(t, sig, nonCanonical)
	lenient, err := base64.StdEncoding.DecodeString(nonCanonical)
	require.NoError(t, err)
	canonical, err := base64.StdEncoding.DecodeString(sig)
	require.NoError(t, err)
	require.Equal(t, canonical, lenient, "same MAC bytes, as JavaScript's atob would decode it")

	for name, tc := range map[string]struct{ secret, signed string }{
		"tampered signature":     {g.Secret, v.Token + "." + flip(sig, 0)},
		"tampered token":         {g.Secret, flip(v.Token, 3) + "." + sig},
		"wrong secret":           {g.Secret + "x", signed},
		"empty secret":           {"", signed},
		"signature of 43 chars":  {g.Secret, v.Token + "." + sig[:43]},
		"signature without '='":  {g.Secret, v.Token + "." + sig[:43] + "A"},
		"signature of 45 chars":  {g.Secret, signed + "="},
		"no dot":                 {g.Secret, v.Token + sig},
		"dot at index 0":         {g.Secret, "." + sig},
		"empty":                  {g.Secret, ""},
		"only a dot":             {g.Secret, "."},
		"token only":             {g.Secret, v.Token},
		"trailing dot":           {g.Secret, signed + "."},
		"base64url signature":    {g.Secret, v.Token + "." + strings.NewReplacer("+", "-", "/", "_").Replace(sig)},
		"non-canonical base64":   {g.Secret, v.Token + "." + nonCanonical},
		"still percent-encoded":  {g.Secret, encodeCookieValue(signed)},
		"token with extra dot":   {g.Secret, "x." + signed},
		"signature not base64":   {g.Secret, v.Token + "." + strings.Repeat("!", 43) + "="},
		"signature with padding": {g.Secret, v.Token + "." + sig[:42] + "=="},
	} {
		value, ok := VerifyCookieValue(tc.secret, tc.signed)
		assert.False(t, ok, name)
		assert.Empty(t, value, name)
	}
}

func TestVerifyCookieValueSplitsAtLastDot(t *testing.T) {
	const secret = "s3cret"
	for _, value := range []string{"a", "a.b", "a.b.c", "true", "..x", "ünïcode.ü"} {
		got, ok := VerifyCookieValue(secret, SignCookieValue(secret, value))
		assert.True(t, ok, value)
		assert.Equal(t, value, got)
	}
	// The dont_remember cookie's value.
	got, ok := VerifyCookieValue(secret, SignCookieValue(secret, "true"))
	assert.True(t, ok)
	assert.Equal(t, "true", got)
}

func TestSignCookieValueShape(t *testing.T) {
	for _, v := range []string{"", "x", strings.Repeat("y", 1000)} {
		s := SignCookieValue("k", v)
		require.True(t, strings.HasPrefix(s, v+"."))
		sig := s[len(v)+1:]
		assert.Len(t, sig, 44)
		assert.True(t, strings.HasSuffix(sig, "="))
	}
}

func TestReadCookie(t *testing.T) {
	const name = "better-auth.session_token"
	for _, tc := range []struct {
		desc    string
		headers []string
		names   []string
		want    string
		ok      bool
	}{
		{"simple", []string{name + "=abc"}, []string{name}, "abc", true},
		{"absent", []string{"other=1"}, []string{name}, "", false},
		{"no header", nil, []string{name}, "", false},
		{"no names", []string{name + "=abc"}, nil, "", false},
		{"among others, spaces trimmed", []string{"a=1;  " + name + " =  abc  ; b=2"}, []string{name}, "abc", true},
		{"duplicates: first wins", []string{name + "=first; " + name + "=second"}, []string{name}, "first", true},
		{"quotes stripped", []string{name + `="abc"`}, []string{name}, "abc", true},
		{"lone quote kept", []string{name + `="abc`}, []string{name}, `"abc`, true},
		{"percent-decoded", []string{name + "=a%2Bb%2Fc%3D"}, []string{name}, "a+b/c=", true},
		{"quoted and percent-decoded", []string{name + `="a%3D"`}, []string{name}, "a=", true},
		{"invalid escape kept", []string{name + "=a%zz"}, []string{name}, "a%zz", true},
		{"invalid UTF-8 escape kept", []string{name + "=a%FF"}, []string{name}, "a%FF", true},
		{"plus is not a space", []string{name + "=a+b"}, []string{name}, "a+b", true},
		{"value with '='", []string{name + "=a=b"}, []string{name}, "a=b", true},
		{"empty value", []string{name + "="}, []string{name}, "", true},
		{"part without '='", []string{"junk; " + name + "=abc"}, []string{name}, "abc", true},
		{"name must match exactly", []string{"x" + name + "=abc"}, []string{name}, "", false},
		{"several headers", []string{"a=1", name + "=abc"}, []string{name}, "abc", true},
		{"several headers: first wins", []string{name + "=first", name + "=second"}, []string{name}, "first", true},
		{
			"preferred name wins over earlier fallback",
			[]string{"better-auth-session_token=legacy; __Secure-" + name + "=secure"},
			[]string{"__Secure-" + name, name, "better-auth-session_token"},
			"secure", true,
		},
		{
			"fallback when preferred absent",
			[]string{"a=1", "better-auth-session_token=legacy; " + name + "=plain"},
			[]string{"__Secure-" + name, name, "better-auth-session_token"},
			"plain", true,
		},
	} {
		h := http.Header{}
		for _, v := range tc.headers {
			h.Add("Cookie", v)
		}
		got, ok := readCookie(h, tc.names...)
		assert.Equal(t, tc.ok, ok, tc.desc)
		assert.Equal(t, tc.want, got, tc.desc)
	}
}

func TestEncodeCookieValueMatchesEncodeURIComponent(t *testing.T) {
	// Expected values are what JavaScript's encodeURIComponent returns.
	for in, want := range map[string]string{
		"":                              "",
		"abcXYZ019":                     "abcXYZ019",
		"-_.!~*'()":                     "-_.!~*'()",
		"+/=":                           "%2B%2F%3D",
		"a b":                           "a%20b",
		`;,"\%&#?:@$`:                   "%3B%2C%22%5C%25%26%23%3F%3A%40%24",
		"[]{}<>|^`":                     "%5B%5D%7B%7D%3C%3E%7C%5E%60",
		"é":                             "%C3%A9",
		"😀":                             "%F0%9F%98%80",
		"tok.nd6ST66bYlNXt+GuWd/A4O==":  "tok.nd6ST66bYlNXt%2BGuWd%2FA4O%3D%3D",
		"\x00\x7f":                      "%00%7F",
		"lijMNkzzBeXh4ltuGkusQ9gCNv4EO": "lijMNkzzBeXh4ltuGkusQ9gCNv4EO",
	} {
		assert.Equal(t, want, encodeCookieValue(in), "%q", in)
		assert.Equal(t, in, decodeCookieValue(want), "%q", want)
	}
}

func TestDecodeCookieValue(t *testing.T) {
	for in, want := range map[string]string{
		"plain":     "plain",
		"a+b":       "a+b",
		"%2b%2f":    "+/", // lowercase hex is fine
		"%":         "%",  // invalid escapes: left as they are
		"%2":        "%2",
		"a%2Xb":     "a%2Xb",
		"%C3":       "%C3", // half a UTF-8 character
		"%C3%A9":    "é",
		"%C3x%A9":   "%C3x%A9",
		"%ED%A0%80": "%ED%A0%80", // a UTF-16 surrogate: URIError in JavaScript
		"%C0%AF":    "%C0%AF",    // overlong
		"é%20":      "é ",
	} {
		assert.Equal(t, want, decodeCookieValue(in), "%q", in)
	}
}

func TestCookieString(t *testing.T) {
	expires := time.Date(2031, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))
	for _, tc := range []struct {
		desc string
		c    cookie
		want string
	}{
		{
			"every attribute, in Better Auth's order",
			cookie{
				Name: "n", Value: "v", MaxAge: 60, HasMaxAge: true, Domain: "example.com", Path: "/",
				Expires: expires, HTTPOnly: true, Secure: true, SameSite: "Lax", Partitioned: true,
			},
			"n=v; Max-Age=60; Domain=example.com; Path=/; Expires=Tue, 04 Mar 2031 04:06:07 GMT; HttpOnly; Secure; SameSite=Lax; Partitioned",
		},
		{"browser-session cookie", cookie{Name: "n", Value: "v", Path: "/", HTTPOnly: true, SameSite: "Lax"}, "n=v; Path=/; HttpOnly; SameSite=Lax"},
		{"deletion", cookie{Name: "n", HasMaxAge: true, Path: "/", HTTPOnly: true, SameSite: "Lax"}, "n=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"},
		{"negative Max-Age deletes", cookie{Name: "n", HasMaxAge: true, MaxAge: -1}, "n=; Max-Age=0"},
		{"Max-Age capped at 400 days", cookie{Name: "n", HasMaxAge: true, MaxAge: 500 * 86400}, "n=; Max-Age=34560000"},
		{"__Secure- forces Secure", cookie{Name: "__Secure-better-auth.session_token", Value: "v", Path: "/"}, "__Secure-better-auth.session_token=v; Path=/; Secure"},
		{"__Host- forces Secure, drops Domain", cookie{Name: "__Host-n", Value: "v", Domain: "example.com", Path: "/"}, "__Host-n=v; Path=/; Secure"},
		{"SameSite=None forces Secure", cookie{Name: "n", Value: "v", SameSite: "None"}, "n=v; Secure; SameSite=None"},
		{"SameSite capitalised", cookie{Name: "n", Value: "v", SameSite: "strict"}, "n=v; SameSite=Strict"},
		{"lowercase none forces Secure", cookie{Name: "n", Value: "v", SameSite: "none"}, "n=v; Secure; SameSite=None"},
		{"Partitioned forces Secure", cookie{Name: "n", Value: "v", Partitioned: true}, "n=v; Secure; Partitioned"},
	} {
		assert.Equal(t, tc.want, tc.c.String(), tc.desc)
	}
}

// FuzzVerifyCookieValue checks that VerifyCookieValue never panics and only
// accepts exactly what SignCookieValue makes: an accepted input re-signs to
// itself, so no other spelling of a signature (or value) gets through.
func FuzzVerifyCookieValue(f *testing.F) {
	g := loadGolden(f)
	for _, v := range g.Cookies {
		signed := v.Token + "." + v.Signature
		f.Add(g.Secret, signed)
		f.Add(g.Secret, signed[:len(signed)-2]+"B=")
		f.Add(g.Secret, encodeCookieValue(signed))
		f.Add("", signed)
	}
	f.Add("k", SignCookieValue("k", "a.b"))
	f.Add("k", SignCookieValue("k", ""))
	f.Add("k", "."+strings.Repeat("A", 43)+"=")
	f.Add("k", "")
	f.Fuzz(func(t *testing.T, secret, signed string) {
		value, ok := VerifyCookieValue(secret, signed)
		if !ok {
			if value != "" {
				t.Fatalf("rejected %q but returned %q", signed, value)
			}
			return
		}
		if resigned := SignCookieValue(secret, value); resigned != signed {
			t.Fatalf("accepted %q as %q, which signs to %q", signed, value, resigned)
		}
	})
}

// FuzzCookieValueEncoding checks that decodeCookieValue undoes
// encodeCookieValue and that the encoding only uses cookie-safe bytes.
func FuzzCookieValueEncoding(f *testing.F) {
	for _, s := range []string{"", "a+b/c=", "é😀", "%", "%41", "-_.!~*'()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := encodeCookieValue(s)
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; c != '%' && !isUnreserved(c) {
				t.Fatalf("encodeCookieValue(%q) = %q has %q", s, enc, c)
			}
		}
		if utf8.ValidString(s) {
			if got := decodeCookieValue(enc); got != s {
				t.Fatalf("decodeCookieValue(encodeCookieValue(%q)) = %q", s, got)
			}
		}
		_ = decodeCookieValue(s) // must not panic
	})
}
