package social_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/oidctest"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/oidc"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	testSecret  = "social-plugin-test-secret-0123456789abcd"
	testBaseURL = "http://localhost:3000"
	password    = "correct horse battery"
	stateCookie = "better-auth.state"
	sessionName = "better-auth.session_token"
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

// fastHasher keeps tests independent of scrypt's speed under -race.
type fastHasher struct{}

func (fastHasher) Hash(_ context.Context, pw string) (string, error) {
	sum := sha512.Sum512([]byte(pw))
	return "fast:" + hex.EncodeToString(sum[:]), nil
}

func (h fastHasher) Verify(ctx context.Context, hash, pw string) (bool, error) {
	want, _ := h.Hash(ctx, pw)
	return hash == want, nil
}

// backends are the stores every behaviour runs on.
var backends = []struct {
	name string
	new  func(t *testing.T) betterauth.Store
}{
	{"memstore", func(t *testing.T) betterauth.Store {
		st, err := memstore.New(schema.Schema{})
		require.NoError(t, err)
		return st
	}},
	{"pgstore", func(t *testing.T) betterauth.Store {
		pool := pgtest.NewPool(t)
		require.NoError(t, migrations.Up(context.Background(), pool, schema.Schema{}))
		st, err := pgstore.New(pool, schema.Schema{})
		require.NoError(t, err)
		return st
	}},
}

// setup changes an env before it is built.
type setup struct {
	opts   social.Options
	oidc   func(*oidc.Config)
	config func(*betterauth.Config)
}

type env struct {
	t     *testing.T
	auth  *betterauth.Auth
	store betterauth.Store
	clock *clock
	op    *oidctest.Provider
	h     http.Handler
	logs  *bytes.Buffer
	logMu *sync.Mutex
}

// forEachStore runs fn on memstore and on PostgreSQL.
func forEachStore(t *testing.T, fn func(t *testing.T, mk func(setup) *env)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			fn(t, func(s setup) *env { return build(t, b.new(t), s) })
		})
	}
}

// newEnv is an env on memstore.
func newEnv(t *testing.T, s setup) *env { return build(t, backends[0].new(t), s) }

// lockedWriter serialises log writes.
type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}

func build(t *testing.T, st betterauth.Store, s setup) *env {
	t.Helper()
	e := &env{t: t, store: st, clock: &clock{t: time.Date(2026, 12, 1, 10, 0, 7, 0, time.UTC)}, logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	e.op = oidctest.New(t, oidctest.Config{Now: e.clock.Now, RefreshTTL: 30 * 24 * time.Hour})
	oc := oidc.Config{
		ProviderID: "oidc", DiscoveryURL: e.op.DiscoveryURL(), ClientID: e.op.ClientID(), ClientSecret: e.op.ClientSecret(),
		HTTPClient: e.op.Client(), Now: e.clock.Now,
	}
	if s.oidc != nil {
		s.oidc(&oc)
	}
	prov, err := oidc.New(oc)
	require.NoError(t, err)
	opts := s.opts
	opts.Providers = append([]social.Provider{prov}, opts.Providers...)
	p, err := social.New(opts)
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(lockedWriter{e.logMu, e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := betterauth.Config{
		Store: st, Secret: testSecret, BaseURL: testBaseURL, Now: e.clock.Now, Plugins: []betterauth.Plugin{p},
		PasswordHasher: fastHasher{}, Logger: logger, AuditLogger: logger, RateLimit: betterauth.RateLimitConfig{Enabled: new(false)},
	}
	if s.config != nil {
		s.config(&cfg)
	}
	a, err := betterauth.New(cfg)
	require.NoError(t, err)
	e.auth, e.h = a, a.Handler()
	return e
}

// logText is everything logged so far.
func (e *env) logText() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

// client is a browser: a cookie jar in front of the handler.
type client struct {
	e       *env
	cookies map[string]string
}

func (e *env) client() *client { return &client{e: e, cookies: map[string]string{}} }

// response is an answer with its decoded JSON body.
type response struct {
	*httptest.ResponseRecorder
	body map[string]any
}

func (r response) str(key string) string { s, _ := r.body[key].(string); return s }

// location is the redirect's target.
func (r response) location() string { return r.Header().Get("Location") }

// errorCode is the ?error= of the redirect.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	require.Equal(t, http.StatusFound, r.Code, r.Body.String())
	u, err := url.Parse(r.location())
	require.NoError(t, err)
	return u.Query().Get("error")
}

// do sends a request with the jar's cookies and keeps what it sets.
func (c *client) do(method, target string, body any) response {
	c.e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.e.t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	if strings.HasPrefix(target, "/") {
		target = testBaseURL + "/api/auth" + target
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", testBaseURL)
	var parts []string
	for k, v := range c.cookies {
		parts = append(parts, k+"="+v)
	}
	if len(parts) > 0 {
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	rec := httptest.NewRecorder()
	c.e.h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	out := response{ResponseRecorder: rec}
	_ = json.Unmarshal(rec.Body.Bytes(), &out.body)
	return out
}

func (c *client) post(path string, body any) response {
	c.e.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	return c.do(http.MethodPost, path, body)
}

// startSignIn posts /sign-in/social and returns the authorization URL.
func (c *client) startSignIn(body map[string]any) string {
	c.e.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	if _, ok := body["provider"]; !ok {
		body["provider"] = "oidc"
	}
	r := c.post("/sign-in/social", body)
	require.Equal(c.e.t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(c.e.t, true, r.body["redirect"])
	return r.str("url")
}

// authorize sends the browser to the provider, which approves at once,
// and returns the callback URL it redirects to.
func (c *client) authorize(authURL string) string {
	c.e.t.Helper()
	hc := c.e.op.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := hc.Get(authURL)
	require.NoError(c.e.t, err)
	defer res.Body.Close()
	require.Equal(c.e.t, http.StatusFound, res.StatusCode)
	return res.Header.Get("Location")
}

// signIn runs a whole flow and returns the callback's answer.
func (c *client) signIn(body map[string]any) response {
	c.e.t.Helper()
	return c.do(http.MethodGet, c.authorize(c.startSignIn(body)), nil)
}

// signUpPassword makes a user with a password; the client is signed in.
func (c *client) signUpPassword(email string) {
	c.e.t.Helper()
	r := c.post("/sign-up/email", map[string]any{"email": email, "password": password, "name": "Local"})
	require.Equal(c.e.t, http.StatusOK, r.Code, r.Body.String())
}

// session is the client's session user's email, or "".
func (c *client) sessionEmail() string {
	c.e.t.Helper()
	r := c.do(http.MethodGet, "/get-session", nil)
	require.Equal(c.e.t, http.StatusOK, r.Code, r.Body.String())
	u, _ := r.body["user"].(map[string]any)
	s, _ := u["email"].(string)
	return s
}

// accounts are the user's account rows.
func (e *env) accounts(email string) []betterauth.Account {
	e.t.Helper()
	u, err := e.store.GetUserByEmail(context.Background(), email)
	require.NoError(e.t, err)
	list, err := e.store.ListAccounts(context.Background(), u.ID)
	require.NoError(e.t, err)
	return list
}

// user is the stored user with that email.
func (e *env) user(email string) *betterauth.User {
	e.t.Helper()
	u, err := e.store.GetUserByEmail(context.Background(), email)
	require.NoError(e.t, err)
	return u
}

// noUser asserts that no user has that email.
func (e *env) noUser(email string) {
	e.t.Helper()
	_, err := e.store.GetUserByEmail(context.Background(), email)
	require.ErrorIs(e.t, err, betterauth.ErrNotFound)
}

// setupOpts is a setup with plugin options.
func setupOpts(f func(*social.Options)) setup {
	var s setup
	f(&s.opts)
	return s
}

// serve runs one raw request through the handler.
func serve(e *env, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

func urlUnescape(s string) (string, error) { return url.QueryUnescape(s) }
