package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/jwtverify"
)

const authURL = "http://auth.test:8080"

// fixture is the service in front of an httptest JWKS endpoint that serves
// an Ed25519 key made here, as Better Auth's /api/auth/jwks would.
type fixture struct {
	handler http.Handler
	priv    ed25519.PrivateKey
	logs    *syncBuffer
	jwks    *httptest.Server
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newFixture(t *testing.T, env map[string]string) *fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "kid-1", Algorithm: "EdDSA"}}})
	require.NoError(t, err)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/auth/jwks" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	t.Cleanup(jwks.Close)

	vars := map[string]string{"BETTER_AUTH_URL": authURL, "JWKS_URL": jwks.URL + "/api/auth/jwks"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := loadConfig(func(k string) string { return vars[k] })
	require.NoError(t, err)
	v, err := jwtverify.New(jwtverify.Config{JWKSURL: cfg.jwksURL, Issuer: cfg.issuer, Audience: cfg.audience})
	require.NoError(t, err)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	return &fixture{handler: newHandler(v, cfg, logger), priv: priv, logs: logs, jwks: jwks}
}

// token signs what Better Auth's /api/auth/token signs for a user.
func (f *fixture) token(t *testing.T, edit ...func(map[string]any)) string {
	t.Helper()
	now := time.Now()
	claims := map[string]any{
		"iat": now.Unix(), "name": "Ada Lovelace", "email": "ada@example.com", "emailVerified": true,
		"image": nil, "createdAt": "2026-01-02T03:04:05.678Z", "updatedAt": "2026-01-02T03:04:05.678Z",
		"id": "user-ada", "sub": "user-ada", "exp": now.Add(15 * time.Minute).Unix(),
		"iss": authURL, "aud": authURL,
	}
	for _, e := range edit {
		e(claims)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: f.priv, KeyID: "kid-1"}}, nil)
	require.NoError(t, err)
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	require.NoError(t, err)
	return tok
}

func (f *fixture) do(t *testing.T, method, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

func TestMe(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t)

	w := f.do(t, http.MethodGet, "/api/me", map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var body struct {
		Sub    string         `json:"sub"`
		Email  string         `json:"email"`
		Claims map[string]any `json:"claims"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
	require.Equal(t, "user-ada", body.Sub)
	require.Equal(t, "ada@example.com", body.Email)
	require.Equal(t, "Ada Lovelace", body.Claims["name"])
	require.Equal(t, authURL, body.Claims["iss"])

	w = f.do(t, http.MethodGet, "/api/me", nil)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Equal(t, "Bearer", w.Header().Get("WWW-Authenticate"))
	require.JSONEq(t, `{"message":"Missing bearer token","code":"UNAUTHORIZED"}`, w.Body.String())

	wrongIssuer := f.token(t, func(c map[string]any) { c["iss"] = "http://elsewhere.test" })
	w = f.do(t, http.MethodGet, "/api/me", map[string]string{"Authorization": "Bearer " + wrongIssuer})
	require.Equal(t, http.StatusUnauthorized, w.Code)

	expired := f.token(t, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
	w = f.do(t, http.MethodGet, "/api/me", map[string]string{"Authorization": "bearer " + expired})
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Contains(t, w.Body.String(), "TOKEN_EXPIRED")

	logs := f.logs.String()
	require.Contains(t, logs, "user=user-ada")
	for _, tk := range []string{tok, wrongIssuer, expired} {
		require.NotContains(t, logs, tk)
	}
}

func TestHello(t *testing.T) {
	f := newFixture(t, nil)
	w := f.do(t, http.MethodGet, "/api/hello", map[string]string{"Authorization": "Bearer " + f.token(t)})
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `{"message":"Hello, Ada Lovelace!"}`, w.Body.String())

	w = f.do(t, http.MethodGet, "/api/hello", nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `{"message":"Hello, guest!"}`, w.Body.String())

	w = f.do(t, http.MethodGet, "/api/hello", map[string]string{"Authorization": "Bearer not.a.token"})
	require.JSONEq(t, `{"message":"Hello, guest!"}`, w.Body.String())
}

// JWT_AUDIENCE and JWT_ISSUER override what BETTER_AUTH_URL implies.
func TestIssuerAudienceOverrides(t *testing.T) {
	f := newFixture(t, map[string]string{"JWT_ISSUER": "https://auth.example", "JWT_AUDIENCE": "https://api.example, https://other.example"})
	ok := f.token(t, func(c map[string]any) { c["iss"] = "https://auth.example"; c["aud"] = "https://other.example" })
	w := f.do(t, http.MethodGet, "/api/me", map[string]string{"Authorization": "Bearer " + ok})
	require.Equal(t, http.StatusOK, w.Code)
	w = f.do(t, http.MethodGet, "/api/me", map[string]string{"Authorization": "Bearer " + f.token(t)})
	require.Equal(t, http.StatusUnauthorized, w.Code)
}

// An auth server that cannot be reached is a 503, not a 401 nor a guest.
func TestJWKSDown(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t)
	f.jwks.Close()
	for _, path := range []string{"/api/me", "/api/hello"} {
		w := f.do(t, http.MethodGet, path, map[string]string{"Authorization": "Bearer " + tok})
		require.Equal(t, http.StatusServiceUnavailable, w.Code, path)
		require.Contains(t, w.Body.String(), "JWKS_UNAVAILABLE")
	}
	w := f.do(t, http.MethodGet, "/api/hello", nil)
	require.Equal(t, http.StatusOK, w.Code)
}

func TestCORS(t *testing.T) {
	f := newFixture(t, map[string]string{"CORS_ORIGINS": "http://localhost:5173, https://app.example"})
	pre := map[string]string{
		"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET",
		"Access-Control-Request-Headers": "authorization",
	}
	w := f.do(t, http.MethodOptions, "/api/me", pre)
	require.Equal(t, http.StatusNoContent, w.Code)
	require.Equal(t, "http://localhost:5173", w.Header().Get("Access-Control-Allow-Origin"))
	require.Contains(t, w.Header().Get("Access-Control-Allow-Headers"), "Authorization")
	require.Contains(t, w.Header().Get("Access-Control-Allow-Methods"), "GET")

	w = f.do(t, http.MethodGet, "/api/me", map[string]string{"Origin": "https://app.example", "Authorization": "Bearer " + f.token(t)})
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "https://app.example", w.Header().Get("Access-Control-Allow-Origin"))
	require.Contains(t, w.Header().Values("Vary"), "Origin")

	// A 401 is readable by an allowed page too.
	w = f.do(t, http.MethodGet, "/api/me", map[string]string{"Origin": "https://app.example"})
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Equal(t, "https://app.example", w.Header().Get("Access-Control-Allow-Origin"))

	pre["Origin"] = "https://evil.example"
	w = f.do(t, http.MethodOptions, "/api/me", pre)
	require.Equal(t, http.StatusNoContent, w.Code)
	require.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
	require.Empty(t, w.Header().Get("Access-Control-Allow-Headers"))
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, config{
		port: "8081", jwksURL: "http://localhost:8080/api/auth/jwks", issuer: "http://localhost:8080",
		audience: []string{"http://localhost:8080"},
	}, cfg)

	env := map[string]string{"BETTER_AUTH_URL": "https://auth.example/", "PORT": "9000"}
	cfg, err = loadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, "https://auth.example/api/auth/jwks", cfg.jwksURL)
	require.Equal(t, "https://auth.example", cfg.issuer)
	require.Equal(t, "9000", cfg.port)

	for _, bad := range []map[string]string{
		{"BETTER_AUTH_URL": "auth.example"},
		{"CORS_ORIGINS": "localhost:5173"},
		{"CORS_ORIGINS": "https://app.example/path"},
	} {
		_, err := loadConfig(func(k string) string { return bad[k] })
		require.Error(t, err, bad)
	}
}
