package betterauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// Made by Better Auth 1.7.25's symmetricEncrypt under testSecret (and
// derivePurposeKey(testSecret, "oauth-state-cookie")), in Node.
const (
	baCiphertext        = "c27c1fbce25341993a97126dce07bf333cf895dd404f780c4f9c93a78d292ea3f6e9e26f1514eb7be005bf971f60f7e1100dbea9aa51"
	baPurposeCiphertext = "83a9e9105e6c112aaccd9ee95e10c26a1a6de9ba5ab76b9ac475f992bcdcf9d634fd450999ac471efea70f56c8a028a77e5cfa36106712"
)

func TestEncryptIsBetterAuthsSymmetricEncrypt(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	got, err := a.Decrypt("", baCiphertext)
	require.NoError(t, err)
	assert.Equal(t, "héllo, wörld", got)
	got, err = a.Decrypt("oauth-state-cookie", baPurposeCiphertext)
	require.NoError(t, err)
	assert.Equal(t, `{"state":"abc"}`, got)

	_, err = a.Decrypt("", baPurposeCiphertext)
	assert.ErrorIs(t, err, betterauth.ErrDecrypt, "a purpose key is not the plain key")
	_, err = a.Decrypt("oauth-link-session-token", baPurposeCiphertext)
	assert.ErrorIs(t, err, betterauth.ErrDecrypt, "nor another purpose's")

	ct, err := a.Encrypt("oauth-state-cookie", "round trip")
	require.NoError(t, err)
	assert.Regexp(t, "^[0-9a-f]+$", ct)
	assert.Len(t, ct, 2*(24+len("round trip")+16), "nonce || ciphertext || tag")
	got, err = a.Decrypt("oauth-state-cookie", ct)
	require.NoError(t, err)
	assert.Equal(t, "round trip", got)
	ct2, err := a.Encrypt("oauth-state-cookie", "round trip")
	require.NoError(t, err)
	assert.NotEqual(t, ct, ct2, "a fresh nonce each time")

	tampered := []byte(ct)
	tampered[60] ^= 1 // a hex digit of the ciphertext
	if tampered[60] > 'f' || (tampered[60] > '9' && tampered[60] < 'a') {
		tampered[60] = '0'
	}
	for _, bad := range []string{string(tampered), ct[:40], "zz" + ct[2:], "$ba$1$" + ct} {
		_, err = a.Decrypt("oauth-state-cookie", bad)
		assert.ErrorIs(t, err, betterauth.ErrDecrypt, bad)
	}
}

func TestSignedCookieHelpers(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	assert.Equal(t, "better-auth.two_factor", a.CookieName("two_factor"))
	rec := httptest.NewRecorder()
	a.SetSignedCookie(rec, a.CookieName("two_factor"), "user-1", 600)
	sc := rec.Header().Get("Set-Cookie")
	assert.True(t, strings.HasPrefix(sc, "better-auth.two_factor=user-1."), sc)
	assert.Contains(t, sc, "Max-Age=600")
	assert.Contains(t, sc, "HttpOnly")
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Cookie", strings.SplitN(sc, ";", 2)[0])
	v, ok := a.SignedCookie(req, "better-auth.two_factor")
	assert.True(t, ok)
	assert.Equal(t, "user-1", v)
	req.Header.Set("Cookie", "better-auth.two_factor=user-2."+strings.SplitN(strings.SplitN(sc, ";", 2)[0], ".", 3)[2])
	_, ok = a.SignedCookie(req, "better-auth.two_factor")
	assert.False(t, ok, "another value under the same signature")
}
