package jwt_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/jwt"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

const (
	testSecret  = "jwt-plugin-test-secret-0123456789abcdef"
	testBaseURL = "http://localhost:3000"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingStore is memstore that counts reads of the jwks table and can be
// made to fail like a database that is down.
type countingStore struct {
	*memstore.Store
	jwksReads atomic.Int64
	down      atomic.Bool
}

var errDown = errors.New("connection refused")

func (s *countingStore) FindMany(ctx context.Context, model string, q schema.Query) ([]schema.Record, error) {
	if s.down.Load() {
		return nil, errDown
	}
	if model == jwt.Model {
		s.jwksReads.Add(1)
	}
	return s.Store.FindMany(ctx, model, q)
}

func (s *countingStore) Insert(ctx context.Context, model string, r schema.Record) (schema.Record, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.Store.Insert(ctx, model, r)
}

type env struct {
	auth  *betterauth.Auth
	p     *jwt.Plugin
	store *countingStore
	clock *clock
	h     http.Handler
}

// newEnv builds an Auth on memstore with the jwt plugin, a fake clock and
// rate limiting off.
func newEnv(t *testing.T, opts jwt.Options) *env {
	t.Helper()
	return newEnvWith(t, jwt.New(opts))
}

// newEnvTB is newEnv for benchmarks.
func newEnvTB(t testing.TB, opts jwt.Options) *env {
	t.Helper()
	return newEnvWith(t, jwt.New(opts))
}

// newEnvWith is newEnv with the plugin made and more plugins before it.
func newEnvWith(t testing.TB, p *jwt.Plugin, more ...betterauth.Plugin) *env {
	t.Helper()
	plugins := append(more, p)
	ms, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(plugins...)...)
	require.NoError(t, err)
	st := &countingStore{Store: ms}
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	off := false
	a, err := betterauth.New(betterauth.Config{
		Store: st, Secret: testSecret, BaseURL: testBaseURL, Now: c.Now, Plugins: plugins,
		RateLimit: betterauth.RateLimitConfig{Enabled: &off},
	})
	require.NoError(t, err)
	return &env{auth: a, p: p, store: st, clock: c, h: a.Handler()}
}

// signIn makes a user and a session and returns the session cookie.
func (e *env) signIn(t *testing.T, email string) (string, *betterauth.User) {
	t.Helper()
	return e.signInTB(t, email)
}

func (e *env) signInTB(t testing.TB, email string) (string, *betterauth.User) {
	t.Helper()
	ctx := context.Background()
	now := e.clock.Now()
	u := &betterauth.User{Name: "Ada", Email: email, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, e.store.CreateUser(ctx, u))
	s, err := e.auth.CreateSession(ctx, u.ID, betterauth.SessionOptions{})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	e.auth.SetSessionCookie(rec, httptest.NewRequest("GET", "/", nil), s, false)
	c := rec.Result().Cookies()
	require.NotEmpty(t, c)
	return c[0].Name + "=" + c[0].Value, u
}

func (e *env) get(t *testing.T, path, cookie string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", testBaseURL+"/api/auth"+path, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// token asks GET /token.
func (e *env) token(t *testing.T, cookie string) string {
	t.Helper()
	rec := e.get(t, "/token", cookie)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var out struct{ Token string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	require.NotEmpty(t, out.Token)
	return out.Token
}

// jwks asks GET /jwks and parses it with go-jose.
func (e *env) jwks(t *testing.T) jose.JSONWebKeySet {
	t.Helper()
	rec := e.get(t, "/jwks", "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var ks jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ks))
	return ks
}

// verifyWith checks tok's signature against the key set as another
// service would, and returns its header and claims (in order).
func verifyWith(t *testing.T, ks jose.JSONWebKeySet, tok string) (header map[string]any, claims []string, values map[string]any) {
	t.Helper()
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256, jose.ES512, jose.RS256, jose.PS256})
	require.NoError(t, err)
	keys := ks.Key(jws.Signatures[0].Header.KeyID)
	require.Len(t, keys, 1, "the token's kid is published")
	payload, err := jws.Verify(keys[0])
	require.NoError(t, err)
	parts := strings.Split(tok, ".")
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(hb, &header))
	require.NoError(t, json.Unmarshal(payload, &values))
	return header, keyOrder(t, payload), values
}

// keyOrder lists a JSON object's keys in order.
func keyOrder(t *testing.T, obj []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(obj)))
	_, err := dec.Token()
	require.NoError(t, err)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}
