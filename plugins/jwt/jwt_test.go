package jwt_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/jwt"
	"github.com/go-betterauth/betterauth/schema"
)

func TestTokenIsBetterAuths(t *testing.T) {
	e := newEnv(t, jwt.Options{})
	cookie, u := e.signIn(t, "ada@example.com")
	rec := e.get(t, "/token", cookie)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Header().Values("Set-Cookie"), "/token sets no cookie")
	assert.Empty(t, rec.Header().Get("Set-Auth-Jwt"), "/token sets no set-auth-jwt")
	assert.Equal(t, []string{"token"}, keyOrder(t, rec.Body.Bytes()))
	tok := e.token(t, cookie)

	ks := e.jwks(t)
	require.Len(t, ks.Keys, 1)
	kid := ks.Keys[0].KeyID
	hdr, order, c := verifyWith(t, ks, tok)
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	assert.Equal(t, `{"alg":"EdDSA","kid":"`+kid+`"}`, string(raw), "no typ, as Better Auth")
	assert.Equal(t, "EdDSA", hdr["alg"])
	assert.Equal(t, []string{"iat", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "id", "sub", "exp", "iss", "aud"}, order)
	iat := e.clock.Now().Unix()
	assert.Equal(t, float64(iat), c["iat"])
	assert.Equal(t, float64(iat+900), c["exp"], "15 minutes")
	assert.Equal(t, testBaseURL, c["iss"])
	assert.Equal(t, testBaseURL, c["aud"])
	assert.Equal(t, u.ID, c["sub"])
	assert.Equal(t, u.ID, c["id"])
	assert.Equal(t, "ada@example.com", c["email"])
	assert.Equal(t, "2026-12-01T10:00:00.000Z", c["createdAt"], "dates as the API writes them")
}

func TestJWKSIsBetterAuths(t *testing.T) {
	e := newEnv(t, jwt.Options{})
	rec := e.get(t, "/jwks", "")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var body struct{ Keys []json.RawMessage }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	require.Len(t, body.Keys, 1, "the first key is made on first use")
	assert.Equal(t, []string{"alg", "crv", "x", "kty", "kid"}, keyOrder(t, body.Keys[0]))
	var k map[string]string
	require.NoError(t, json.Unmarshal(body.Keys[0], &k))
	assert.Equal(t, "EdDSA", k["alg"])
	assert.Equal(t, "Ed25519", k["crv"])
	assert.Equal(t, "OKP", k["kty"])
	rows, err := e.store.FindMany(context.Background(), jwt.Model, schema.Query{})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, rows[0]["id"], k["kid"])
	// Asked again, the same key.
	assert.Equal(t, rec.Body.String(), e.get(t, "/jwks", "").Body.String())
}

func TestKeyRowIsStoredAsBetterAuthStoresIt(t *testing.T) {
	for _, plain := range []bool{false, true} {
		e := newEnv(t, jwt.Options{DisablePrivateKeyEncryption: plain})
		cookie, _ := e.signIn(t, "ada@example.com")
		e.token(t, cookie)
		rows, err := e.store.FindMany(context.Background(), jwt.Model, schema.Query{})
		require.NoError(t, err)
		require.Len(t, rows, 1)
		r := rows[0]
		assert.Len(t, r["id"], 32)
		assert.Equal(t, "EdDSA", r["alg"])
		assert.Equal(t, "Ed25519", r["crv"])
		assert.Equal(t, e.clock.Now(), r["createdAt"])
		assert.Nil(t, r["expiresAt"], "no rotation by default")
		assert.Equal(t, []string{"crv", "x", "kty"}, keyOrder(t, []byte(r["publicKey"].(string))))
		priv := r["privateKey"].(string)
		if !plain {
			var hex string
			require.NoError(t, json.Unmarshal([]byte(priv), &hex), "a JSON-quoted string")
			assert.Regexp(t, `^[0-9a-f]+$`, hex)
			pt, err := e.auth.Decrypt("", hex)
			require.NoError(t, err, "symmetricEncrypt under the secret")
			priv = pt
		}
		assert.Equal(t, []string{"crv", "d", "x", "kty"}, keyOrder(t, []byte(priv)))
	}
}

func TestGetSessionCarriesTheJWT(t *testing.T) {
	e := newEnv(t, jwt.Options{})
	cookie, u := e.signIn(t, "ada@example.com")
	rec := e.get(t, "/get-session", cookie)
	require.Equal(t, http.StatusOK, rec.Code)
	tok := rec.Header().Get("Set-Auth-Jwt")
	require.NotEmpty(t, tok)
	assert.Equal(t, "set-auth-jwt", rec.Header().Get("Access-Control-Expose-Headers"))
	_, _, c := verifyWith(t, e.jwks(t), tok)
	assert.Equal(t, u.ID, c["sub"])

	rec = e.get(t, "/get-session", "")
	assert.Equal(t, "null", strings.TrimSpace(rec.Body.String()))
	assert.Empty(t, rec.Header().Get("Set-Auth-Jwt"), "none on null")

	off := newEnv(t, jwt.Options{DisableSettingJWTHeader: true})
	cookie, _ = off.signIn(t, "ada@example.com")
	rec = off.get(t, "/get-session", cookie)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Header().Get("Set-Auth-Jwt"))
	assert.Empty(t, rec.Header().Get("Access-Control-Expose-Headers"))
}

// exposer is a plugin whose get-session hook exposes a header of its own
// before the jwt plugin's runs.
type exposer struct{}

func (exposer) ID() string { return "exposer" }
func (exposer) OnSessionReply(_ context.Context, h http.Header, _ *betterauth.SessionData) error {
	h.Set("Access-Control-Expose-Headers", "x-one, set-auth-jwt,x-two")
	return nil
}

func TestExposeHeadersAreMerged(t *testing.T) {
	p := jwt.New(jwt.Options{})
	e := newEnvWith(t, p, exposer{})
	cookie, _ := e.signIn(t, "ada@example.com")
	rec := e.get(t, "/get-session", cookie)
	assert.Equal(t, "x-one, set-auth-jwt, x-two", rec.Header().Get("Access-Control-Expose-Headers"))
}

func TestTokenNeedsASession(t *testing.T) {
	e := newEnv(t, jwt.Options{})
	rec := e.get(t, "/token", "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Body.String(), `"code":"UNAUTHORIZED"`)
	_, err := e.p.Token(context.Background(), nil)
	assert.Error(t, err)
}

// Better Auth reads the jwks table on every get-session; here the key is
// cached, and read again only after KeyRefreshInterval.
func TestCachedKeyCostsNoRead(t *testing.T) {
	e := newEnv(t, jwt.Options{KeyRefreshInterval: time.Minute})
	cookie, _ := e.signIn(t, "ada@example.com")
	e.token(t, cookie)
	reads := e.store.jwksReads.Load()
	for range 5 {
		rec := e.get(t, "/get-session", cookie)
		require.NotEmpty(t, rec.Header().Get("Set-Auth-Jwt"))
		e.token(t, cookie)
	}
	assert.Equal(t, reads, e.store.jwksReads.Load(), "no jwks read once the key is cached")
	e.clock.Add(time.Minute)
	e.token(t, cookie)
	assert.Equal(t, reads+1, e.store.jwksReads.Load(), "read again after KeyRefreshInterval")
	e.token(t, cookie)
	assert.Equal(t, reads+1, e.store.jwksReads.Load())
}

// Keys live in the shared table: when the signing key expires, a key
// another server (a replica, or Better Auth) made meanwhile is used rather
// than a second new one, and /jwks publishes it at once.
func TestKeysOfAnotherServerAreUsed(t *testing.T) {
	e := newEnv(t, jwt.Options{RotationInterval: time.Hour})
	cookie, _ := e.signIn(t, "ada@example.com")
	first := kidOf(t, e.token(t, cookie))

	other := jwt.New(jwt.Options{RotationInterval: time.Hour})
	o, err := betterauth.New(betterauth.Config{Store: e.store, Secret: testSecret, BaseURL: testBaseURL,
		Now: e.clock.Now, Plugins: []betterauth.Plugin{other}, RateLimit: betterauth.RateLimitConfig{Enabled: new(bool)}})
	require.NoError(t, err)
	e.clock.Add(time.Hour) // the first key expires
	second := kidOf(t, (&env{auth: o, p: other, store: e.store, clock: e.clock, h: o.Handler()}).token(t, cookie))
	assert.NotEqual(t, first, second, "the other server rotated")

	var kids []string
	for _, k := range e.jwks(t).Keys {
		kids = append(kids, k.KeyID)
	}
	assert.Equal(t, []string{first, second}, kids, "published at once, the old key within its grace period")
	assert.Equal(t, second, kidOf(t, e.token(t, cookie)), "this server signs with the other's key")
	rows, err := e.store.FindMany(context.Background(), jwt.Model, schema.Query{})
	require.NoError(t, err)
	assert.Len(t, rows, 2, "no third key")
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	require.NoError(t, err)
	var h struct{ Kid string }
	require.NoError(t, json.Unmarshal(raw, &h))
	return h.Kid
}

func TestConcurrentFirstUseMakesOneKey(t *testing.T) {
	e := newEnv(t, jwt.Options{})
	cookie, _ := e.signIn(t, "ada@example.com")
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			<-start
			rec := e.get(t, "/token", cookie)
			assert.Equal(t, http.StatusOK, rec.Code)
		})
	}
	close(start)
	wg.Wait()
	rows, err := e.store.FindMany(context.Background(), jwt.Model, schema.Query{})
	require.NoError(t, err)
	assert.Len(t, rows, 1)
}
