package betterauth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// NewSignedCookie is SetSignedCookie's cookie as a value: the same signed,
// percent-encoded value, readable with SignedCookie, with the auth cookies'
// attributes; SameSite follows Config.Cookies, and None forces Secure.
func TestNewSignedCookie(t *testing.T) {
	for _, tc := range []struct {
		sameSite string
		want     http.SameSite
		secure   bool
	}{{"", http.SameSiteLaxMode, false}, {"Strict", http.SameSiteStrictMode, false}} {
		a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) { c.Cookies.SameSite = tc.sameSite })
		c := a.NewSignedCookie(a.CookieName("two_factor"), "2fa-abc+/=", 600)
		assert.Equal(t, "better-auth.two_factor", c.Name)
		assert.Equal(t, tc.want, c.SameSite)
		assert.Equal(t, tc.secure, c.Secure)
		assert.True(t, c.HttpOnly)
		assert.Equal(t, "/", c.Path)
		assert.Equal(t, 600, c.MaxAge)

		rec := httptest.NewRecorder()
		a.SetSignedCookie(rec, c.Name, "2fa-abc+/=", 600)
		set := rec.Result().Cookies()
		require.Len(t, set, 1)
		assert.Equal(t, set[0].Value, c.Value, "the value SetSignedCookie writes")
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(c)
		v, ok := a.SignedCookie(r, c.Name)
		assert.True(t, ok)
		assert.Equal(t, "2fa-abc+/=", v)
		assert.True(t, a.NewSignedCookie("__Secure-x", "v", 0).Secure, "a __Secure- name is Secure, as SetSignedCookie writes it")
	}
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.BaseURL, c.Cookies.SameSite = "https://app.example.com", "None"
	})
	c := a.NewSignedCookie(a.CookieName("two_factor"), "x", 0)
	assert.Equal(t, http.SameSiteNoneMode, c.SameSite)
	assert.True(t, c.Secure)
	assert.Equal(t, "__Secure-better-auth.two_factor", c.Name)
}
