package jwt_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/jwt"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

func TestAlgorithms(t *testing.T) {
	for _, tc := range []struct {
		alg      jwt.Algorithm
		crv      any
		jwkOrder []string
	}{
		{jwt.ES256, "P-256", []string{"alg", "crv", "kty", "x", "y", "kid"}},
		{jwt.ES512, "P-521", []string{"alg", "crv", "kty", "x", "y", "kid"}},
		{jwt.RS256, nil, []string{"alg", "kty", "n", "e", "kid"}},
		{jwt.PS256, nil, []string{"alg", "kty", "n", "e", "kid"}},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			e := newEnv(t, jwt.Options{Algorithm: tc.alg})
			cookie, _ := e.signIn(t, "ada@example.com")
			hdr, _, _ := verifyWith(t, e.jwks(t), e.token(t, cookie))
			assert.Equal(t, string(tc.alg), hdr["alg"])
			var body struct{ Keys []json.RawMessage }
			require.NoError(t, json.Unmarshal(e.get(t, "/jwks", "").Body.Bytes(), &body))
			require.Len(t, body.Keys, 1)
			assert.Equal(t, tc.jwkOrder, keyOrder(t, body.Keys[0]))
			rows, err := e.store.FindMany(context.Background(), jwt.Model, schema.Query{})
			require.NoError(t, err)
			assert.Equal(t, tc.crv, rows[0]["crv"])
			assert.Equal(t, string(tc.alg), rows[0]["alg"])
		})
	}
}

func TestRotationAndGracePeriod(t *testing.T) {
	e := newEnv(t, jwt.Options{RotationInterval: time.Hour, GracePeriod: 2 * time.Hour})
	cookie, _ := e.signIn(t, "ada@example.com")
	old := e.token(t, cookie)
	oldKid := kidOf(t, old)
	rows, err := e.store.FindMany(context.Background(), jwt.Model, schema.Query{})
	require.NoError(t, err)
	assert.Equal(t, e.clock.Now().Add(time.Hour), rows[0]["expiresAt"])

	e.clock.Add(time.Hour - time.Second)
	assert.Equal(t, oldKid, kidOf(t, e.token(t, cookie)), "live until its expiry")
	e.clock.Add(time.Second)
	newer := e.token(t, cookie)
	newKid := kidOf(t, newer)
	assert.NotEqual(t, oldKid, newKid, "a new key once the old one expired")
	assert.Len(t, e.jwks(t).Keys, 2, "the old key is still published")
	verifyWith(t, e.jwks(t), old)

	e.clock.Add(2*time.Hour - time.Second)
	assert.Len(t, e.jwks(t).Keys, 2, "within the grace period")
	e.clock.Add(time.Second)
	ks := e.jwks(t)
	require.Len(t, ks.Keys, 1, "past the grace period")
	assert.Equal(t, newKid, ks.Keys[0].KeyID)
}

func TestClaimOptions(t *testing.T) {
	e := newEnv(t, jwt.Options{
		Issuer: "https://issuer.example", Audience: []string{"api-a", "api-b"}, ExpirationTime: time.Hour,
		DefinePayload: func(_ context.Context, sd *betterauth.SessionData) (map[string]any, error) {
			return map[string]any{"role": "admin", "email": sd.User.Email}, nil
		},
		GetSubject: func(_ context.Context, sd *betterauth.SessionData) (string, error) { return "user:" + sd.User.ID, nil },
	})
	cookie, u := e.signIn(t, "ada@example.com")
	_, order, c := verifyWith(t, e.jwks(t), e.token(t, cookie))
	assert.Equal(t, []string{"iat", "email", "role", "sub", "exp", "iss", "aud"}, order)
	assert.Equal(t, "user:"+u.ID, c["sub"])
	assert.Equal(t, "admin", c["role"])
	assert.Equal(t, "https://issuer.example", c["iss"])
	assert.Equal(t, []any{"api-a", "api-b"}, c["aud"])
	assert.Equal(t, c["iat"].(float64)+3600, c["exp"])

	failing := newEnv(t, jwt.Options{DefinePayload: func(context.Context, *betterauth.SessionData) (map[string]any, error) {
		return nil, &betterauth.APIError{Status: http.StatusForbidden, Code: "NO_TOKEN_FOR_YOU", Message: "No token for you"}
	}})
	cookie, _ = failing.signIn(t, "ada@example.com")
	rec := failing.get(t, "/token", cookie)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Body.String(), "NO_TOKEN_FOR_YOU")
}

func TestSignAndVerify(t *testing.T) {
	e := newEnv(t, jwt.Options{})
	ctx := context.Background()
	cookie, u := e.signIn(t, "ada@example.com")
	c, err := e.p.Verify(ctx, e.token(t, cookie))
	require.NoError(t, err)
	assert.Equal(t, u.ID, c["sub"])

	signed, err := e.p.Sign(ctx, map[string]any{"sub": "svc", "scope": "read"})
	require.NoError(t, err)
	c, err = e.p.Verify(ctx, signed)
	require.NoError(t, err)
	assert.Equal(t, "read", c["scope"])
	assert.Equal(t, float64(e.clock.Now().Unix()+900), c["exp"], "exp from now without iat")

	bad := func(name, tok string) {
		t.Helper()
		_, err := e.p.Verify(ctx, tok)
		assert.ErrorIs(t, err, jwt.ErrInvalidToken, name)
	}
	sign := func(c map[string]any) string {
		t.Helper()
		tok, err := e.p.Sign(ctx, c)
		require.NoError(t, err)
		return tok
	}
	bad("wrong issuer", sign(map[string]any{"sub": "x", "iss": "https://evil.example"}))
	bad("wrong audience", sign(map[string]any{"sub": "x", "aud": "https://evil.example"}))
	bad("no sub", sign(map[string]any{"scope": "x"}))
	bad("not yet valid", sign(map[string]any{"sub": "x", "nbf": e.clock.Now().Unix() + 60}))
	ok, err := e.p.Verify(ctx, sign(map[string]any{"sub": "x", "aud": []string{"other", testBaseURL}}))
	require.NoError(t, err, "an aud array naming the audience")
	assert.Equal(t, "x", ok["sub"])

	parts := strings.Split(signed, ".")
	bad("tampered payload", parts[0]+"."+parts[1]+"x."+parts[2])
	bad("tampered signature", parts[0]+"."+parts[1]+"."+strings.Repeat("A", len(parts[2])))
	bad("garbage", "not.a.token")
	bad("empty", "")

	// A token signed by a key the table does not have, with and without kid.
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	for _, kid := range []string{"", "unknown-kid", kidOf(t, signed)} {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, nil)
		require.NoError(t, err)
		jws, err := s.Sign([]byte(`{"sub":"x","iss":"` + testBaseURL + `","aud":"` + testBaseURL + `"}`))
		require.NoError(t, err)
		forged, err := jws.CompactSerialize()
		require.NoError(t, err)
		bad("foreign key, kid "+kid, forged)
	}

	e.clock.Add(15 * time.Minute)
	bad("expired", signed)
}

// An unknown kid reads the table again, but at most once per 10 seconds.
func TestUnknownKidReloadIsLimited(t *testing.T) {
	e := newEnv(t, jwt.Options{})
	ctx := context.Background()
	tok, err := e.p.Sign(ctx, map[string]any{"sub": "x"})
	require.NoError(t, err)
	parts := strings.Split(tok, ".")
	forgedHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","kid":"made-up"}`))
	forged := forgedHeader + "." + parts[1] + "." + parts[2]
	e.clock.Add(10 * time.Second)
	reads := e.store.jwksReads.Load()
	_, err = e.p.Verify(ctx, forged)
	assert.ErrorIs(t, err, jwt.ErrInvalidToken)
	assert.Equal(t, reads+1, e.store.jwksReads.Load(), "an unknown kid reads the table")
	for range 5 {
		_, err = e.p.Verify(ctx, forged)
		assert.ErrorIs(t, err, jwt.ErrInvalidToken)
	}
	assert.Equal(t, reads+1, e.store.jwksReads.Load(), "not again within 10 s")
}

// A database outage is a 503 (get-session included), never a token-less
// success or "logged out".
func TestStoreDownIs503(t *testing.T) {
	e := newEnv(t, jwt.Options{})
	cookie, _ := e.signIn(t, "ada@example.com")
	e.store.down.Store(true)
	for _, path := range []string{"/token", "/jwks", "/get-session"} {
		rec := e.get(t, path, cookie)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code, path)
		assert.Contains(t, rec.Body.String(), "SERVICE_UNAVAILABLE", path)
		assert.NotContains(t, rec.Body.String(), errDown.Error(), "no store detail in the answer")
	}
	_, err := e.p.Verify(context.Background(), "x.y.z")
	assert.ErrorIs(t, err, jwt.ErrInvalidToken, "a malformed token needs no key")
	e.store.down.Store(false)
	assert.Equal(t, http.StatusOK, e.get(t, "/token", cookie).Code, "serves again")
}

func TestInvalidOptionsFailNew(t *testing.T) {
	for name, opts := range map[string]jwt.Options{
		"algorithm":      {Algorithm: "HS256"},
		"rsa too small":  {Algorithm: jwt.RS256, ModulusLength: 1024},
		"path":           {JWKSPath: "jwks"},
		"path dots":      {JWKSPath: "/keys..json"},
		"negative exp":   {ExpirationTime: -time.Second},
		"negative rotat": {RotationInterval: -time.Second},
	} {
		p := jwt.New(opts)
		ms, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(p)...)
		require.NoError(t, err)
		_, err = betterauth.New(betterauth.Config{Store: ms, Secret: testSecret, BaseURL: testBaseURL, Plugins: []betterauth.Plugin{p}})
		assert.Error(t, err, name)
	}
	// Without the plugin's schema in the store, New says what to do.
	p := jwt.New(jwt.Options{})
	ms, err := memstore.New(schema.Schema{})
	require.NoError(t, err)
	_, err = betterauth.New(betterauth.Config{Store: ms, Secret: testSecret, BaseURL: testBaseURL, Plugins: []betterauth.Plugin{p}})
	assert.ErrorContains(t, err, "PluginSchemas")
	_, err = p.Token(context.Background(), &betterauth.SessionData{})
	assert.True(t, errors.Is(err, jwt.ErrNotInitialized))
}

func TestCustomJWKSPath(t *testing.T) {
	e := newEnv(t, jwt.Options{JWKSPath: "/.well-known/jwks.json"})
	assert.Equal(t, http.StatusOK, e.get(t, "/.well-known/jwks.json", "").Code)
	assert.Equal(t, http.StatusNotFound, e.get(t, "/jwks", "").Code)
}

// A key that no longer decrypts (the secret changed) is a clear error,
// not a token signed with something else.
func TestWrongSecretCannotSign(t *testing.T) {
	e := newEnv(t, jwt.Options{})
	cookie, _ := e.signIn(t, "ada@example.com")
	e.token(t, cookie)
	p := jwt.New(jwt.Options{})
	a, err := betterauth.New(betterauth.Config{Store: e.store, Secret: testSecret + "-rotated", BaseURL: testBaseURL,
		Now: e.clock.Now, Plugins: []betterauth.Plugin{p}})
	require.NoError(t, err)
	_, err = p.Sign(context.Background(), map[string]any{"sub": "x"})
	assert.ErrorContains(t, err, "failed to decrypt")
	assert.NotContains(t, err.Error(), testSecret)
	_ = a
}
