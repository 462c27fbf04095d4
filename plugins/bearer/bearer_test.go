package bearer_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/bearer"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// golden are session cookies Better Auth 1.7.25 signed.
type golden struct {
	Secret  string `json:"secret"`
	Cookies []struct {
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"cookies"`
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	data, err := os.ReadFile("../../testdata/better-auth-vectors.json")
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(data, &g))
	require.GreaterOrEqual(t, len(g.Cookies), 2)
	return g
}

// newPlugin returns the plugin set up on an Auth with secret.
func newPlugin(t *testing.T, secret string, opts bearer.Options) *bearer.Plugin {
	t.Helper()
	p := bearer.New(opts)
	st, err := memstore.New(schema.Schema{})
	require.NoError(t, err)
	_, err = betterauth.New(betterauth.Config{Store: st, Secret: secret, BaseURL: "http://localhost:3000", Plugins: []betterauth.Plugin{p}})
	require.NoError(t, err)
	return p
}

func TestReadSessionToken(t *testing.T) {
	g := loadGolden(t)
	v := g.Cookies[1] // its signature contains '+' and '/'
	require.True(t, strings.ContainsAny(v.Signature, "+/"))
	signed := v.Token + "." + v.Signature
	url := v.Token + "." + strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(v.Signature), "=")
	escaped := escape(signed) // the cookie's value

	const none = "<none>" // found, but no session: the cookie is not read either
	for _, tc := range []struct {
		desc             string
		header           string // the Authorization header
		requireSignature bool
		want             string // the token; none; "" for not found (the cookie decides)
	}{
		{"raw token", "Bearer " + v.Token, false, v.Token},
		{"raw token, signature required", "Bearer " + v.Token, true, ""},
		{"raw token with '%' (Better Auth signs it, then finds no such session)", "Bearer abc%41", false, "abc%41"},
		{"signed, std base64 (set-auth-token)", "Bearer " + signed, false, v.Token},
		{"signed, signature required", "Bearer " + signed, true, v.Token},
		{"signed, percent-encoded (cookie value)", "Bearer " + escaped, true, v.Token},
		{"signed, lowercase escapes", "Bearer " + strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d").Replace(escaped), true, v.Token},
		{"signed, only some chars escaped", "Bearer " + strings.Replace(signed, "+", "%2B", 1), true, v.Token},
		{"lowercase scheme, spaces around", "bearer   " + signed + " ", true, v.Token},
		{"upper-case scheme", "BEARER " + signed, true, v.Token},
		// The HMAC holds (Better Auth's bearer check), but the credential is
		// not a session cookie's value (get-session's check): no session.
		{"std base64 unpadded", "Bearer " + strings.TrimRight(signed, "="), true, none},
		{"base64url unpadded", "Bearer " + url, true, none},
		{"base64url padded", "Bearer " + url + "=", true, none},
		{"extra padding", "Bearer " + signed + "=", false, none},
		{"a third .segment", "Bearer " + signed + ".x", false, none},
		// The HMAC does not hold, or there is no bearer: the cookie decides.
		{"another scheme", "Basic  " + signed, false, ""},
		{"no scheme", signed, false, ""},
		{"the scheme twice", "Bearer bearer " + signed, false, ""},
		{"tampered signature", "Bearer " + v.Token + "." + "A" + v.Signature[1:], false, ""},
		{"tampered token", "Bearer X" + v.Token[1:] + "." + v.Signature, false, ""},
		{"signature of another token", "Bearer " + g.Cookies[0].Token + "." + v.Signature, false, ""},
		{"padding inside", "Bearer " + v.Token + "." + v.Signature[:20] + "=" + v.Signature[21:], false, ""},
		{"truncated signature", "Bearer " + v.Token + "." + v.Signature[:40], false, ""},
		{"dot at index 0", "Bearer ." + v.Signature, false, ""},
		{"trailing dot", "Bearer " + v.Token + ".", false, ""},
		{"bad percent escape", "Bearer " + v.Token + "%ZZ." + v.Signature, false, ""},
		{"escape to invalid UTF-8", "Bearer " + strings.Replace(escape(betterauth.SignCookieValue(g.Secret, "\xff"+v.Token)), "\xff", "%FF", 1), false, ""},
		{"only the scheme", "Bearer ", false, ""},
		{"empty", "", false, ""},
	} {
		p := newPlugin(t, g.Secret, bearer.Options{RequireSignature: tc.requireSignature})
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", tc.header)
		got, found := p.ReadSessionToken(r)
		switch tc.want {
		case "":
			assert.False(t, found, tc.desc)
			assert.Empty(t, got, tc.desc)
		case none:
			assert.True(t, found, tc.desc)
			assert.Empty(t, got, tc.desc)
		default:
			assert.True(t, found, tc.desc)
			assert.Equal(t, tc.want, got, tc.desc)
		}
	}
}

// escape percent-encodes what a signed value holds that encodeURIComponent
// escapes.
func escape(signed string) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(signed)
}

func TestWrongSecret(t *testing.T) {
	g := loadGolden(t)
	v := g.Cookies[0]
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+v.Token+"."+v.Signature)
	_, found := newPlugin(t, g.Secret+"x", bearer.Options{}).ReadSessionToken(r)
	assert.False(t, found)
	_, found = bearer.New(bearer.Options{}).ReadSessionToken(r)
	assert.False(t, found, "a plugin that is not set up reads nothing")
}
