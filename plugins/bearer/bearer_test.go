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

func TestVerify(t *testing.T) {
	g := loadGolden(t)
	v := g.Cookies[1] // its signature contains '+' and '/'
	require.True(t, strings.ContainsAny(v.Signature, "+/"))
	signed := v.Token + "." + v.Signature
	url := v.Token + "." + strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(v.Signature), "=")
	escaped := escape(signed) // the cookie's value

	for _, tc := range []struct {
		desc             string
		header           string // the Authorization header
		requireSignature bool
		ok               bool
	}{
		{"raw token", "Bearer " + v.Token, false, true},
		{"raw token, signature required", "Bearer " + v.Token, true, false},
		{"signed, std base64 (set-auth-token)", "Bearer " + signed, false, true},
		{"signed, signature required", "Bearer " + signed, true, true},
		{"signed, std base64 unpadded", "Bearer " + strings.TrimRight(signed, "="), true, true},
		{"signed, base64url unpadded", "Bearer " + url, true, true},
		{"signed, base64url padded", "Bearer " + url + "=", true, true},
		{"signed, percent-encoded (cookie value)", "Bearer " + escaped, true, true},
		{"signed, lowercase escapes", "Bearer " + strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d").Replace(escaped), true, true},
		{"signed, only some chars escaped", "Bearer " + strings.Replace(signed, "+", "%2B", 1), true, true},
		{"lowercase scheme, spaces around", "bearer   " + signed + " ", true, true},
		{"upper-case scheme", "BEARER " + signed, true, true},
		{"another scheme", "Basic  " + signed, false, false},
		{"no scheme", signed, false, false},
		{"the scheme twice", "Bearer bearer " + signed, false, false},
		{"tampered signature", "Bearer " + v.Token + "." + "A" + v.Signature[1:], false, false},
		{"tampered token", "Bearer X" + v.Token[1:] + "." + v.Signature, false, false},
		{"signature of another token", "Bearer " + g.Cookies[0].Token + "." + v.Signature, false, false},
		{"wrong padding", "Bearer " + signed + "=", false, false},
		{"padding inside", "Bearer " + v.Token + "." + v.Signature[:20] + "=" + v.Signature[21:], false, false},
		{"truncated signature", "Bearer " + v.Token + "." + v.Signature[:40], false, false},
		{"dot at index 0", "Bearer ." + v.Signature, false, false},
		{"trailing dot", "Bearer " + v.Token + ".", false, false},
		{"bad percent escape", "Bearer " + signed + "%zz", false, false},
		{"escape to invalid UTF-8", "Bearer " + strings.Replace(escape(betterauth.SignCookieValue(g.Secret, "\xff"+v.Token)), "\xff", "%FF", 1), false, false},
		{"raw token with '%'", "Bearer abc%41", false, false},
		{"only the scheme", "Bearer ", false, false},
		{"empty", "", false, false},
	} {
		p := newPlugin(t, g.Secret, bearer.Options{RequireSignature: tc.requireSignature})
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", tc.header)
		got, ok := p.ReadSessionToken(r)
		assert.Equal(t, tc.ok, ok, tc.desc)
		if tc.ok {
			assert.Equal(t, v.Token, got, tc.desc)
		} else {
			assert.Empty(t, got, tc.desc)
		}
	}
}

// escape percent-encodes what a signed value holds that encodeURIComponent
// escapes.
func escape(signed string) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(signed)
}

func TestVerifyWrongSecret(t *testing.T) {
	g := loadGolden(t)
	v := g.Cookies[0]
	_, ok := newPlugin(t, g.Secret+"x", bearer.Options{}).Verify(v.Token + "." + v.Signature)
	assert.False(t, ok)
	_, ok = bearer.New(bearer.Options{}).Verify(v.Token)
	assert.False(t, ok, "a plugin that is not set up accepts nothing")
}
