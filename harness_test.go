package betterauth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The transcript's server: secret, origin and base URL.
const (
	testSecret = "ba-harness-fixed-test-secret-0123456789abcdefABCDEF"
	testOrigin = "http://127.0.0.1:3005"
)

// fakeClock is a settable clock for expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// backend makes a fresh store of one kind.
type backend struct {
	name string
	new  func(t *testing.T, sch schema.Schema) betterauth.Store
}

var backends = []backend{
	{"memstore", func(t *testing.T, sch schema.Schema) betterauth.Store {
		st, err := memstore.New(sch)
		require.NoError(t, err)
		return st
	}},
	{"pgstore", func(t *testing.T, sch schema.Schema) betterauth.Store {
		pool := pgtest.NewPool(t)
		require.NoError(t, migrations.Up(context.Background(), pool, sch))
		st, err := pgstore.New(pool, sch)
		require.NoError(t, err)
		return st
	}},
}

// forEachBackend runs fn against memstore and pgstore.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// fastHasher is what newAuth hashes with: cheap, so that tests do not
// depend on how fast scrypt runs under -race on a busy machine. Its output
// has the shape of Better Auth's ("salthex:keyhex", 32 and 128 lowercase
// hex digits) and, like it, NFKC-normalizes the password, but the key is
// SHA-512(salt || password), not scrypt. Tests about the real format use
// betterauth.ScryptHasher (password_test.go, the golden vectors) or set it
// in Config (scryptAuth).
var fastHasher betterauth.PasswordHasher = shaHasher{}

type shaHasher struct{}

func (shaHasher) key(salt, password string) string {
	sum := sha512.Sum512([]byte(salt + norm.NFKC.String(password)))
	return hex.EncodeToString(sum[:])
}

func (h shaHasher) Hash(ctx context.Context, password string) (string, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	salt := hex.EncodeToString(raw[:])
	return salt + ":" + h.key(salt, password), ctx.Err()
}

func (h shaHasher) Verify(ctx context.Context, hash, password string) (bool, error) {
	salt, key, ok := strings.Cut(hash, ":")
	if !ok || len(salt) != 32 || len(key) != 128 {
		return false, betterauth.ErrInvalidPasswordHash
	}
	return subtle.ConstantTimeCompare([]byte(key), []byte(h.key(salt, password))) == 1, ctx.Err()
}

func newAuth(t *testing.T, st betterauth.Store, mod func(*betterauth.Config)) (*betterauth.Auth, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 27, 11, 9, 19, 882_000_000, time.UTC)}
	cfg := betterauth.Config{
		Store: st, Secret: testSecret, BaseURL: testOrigin, Now: clock.Now, PasswordHasher: fastHasher,
		// Most tests sign in more often than the limits allow; the limit tests turn them on.
		RateLimit: betterauth.RateLimitConfig{Enabled: new(false)},
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := betterauth.New(cfg)
	require.NoError(t, err)
	return a, clock
}

// client drives a handler like a browser: it keeps cookies and sends Origin.
type client struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]string
	origin  string
	header  http.Header
	// last holds the previous response's Set-Cookie lines.
	last []string
}

func newClient(t *testing.T, h http.Handler) *client {
	return &client{t: t, h: h, cookies: map[string]string{}, origin: testOrigin, header: http.Header{}}
}

type response struct {
	status     int
	header     http.Header
	body       []byte
	setCookies []string
}

// json decodes the body.
func (r *response) json(t *testing.T) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

func (r *response) obj(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	require.True(t, ok, "body is not an object: %s", r.body)
	return m
}

func (c *client) cookieHeader() string {
	var parts []string
	for k, v := range c.cookies {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, "; ")
}

// do sends a request; body is JSON-encoded unless it is a string (sent raw).
func (c *client) do(method, path string, body any) *response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:3005/api/auth"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet && c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	if len(c.cookies) > 0 {
		req.Header.Set("Cookie", c.cookieHeader())
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	res := &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes(), setCookies: rec.Header().Values("Set-Cookie")}
	c.last = res.setCookies
	for _, sc := range res.setCookies {
		name, rest, _ := strings.Cut(sc, "=")
		value, attrs, _ := strings.Cut(rest, ";")
		if strings.Contains(attrs, "Max-Age=0") {
			delete(c.cookies, name)
		} else {
			c.cookies[name] = value
		}
	}
	return res
}

// signUp creates a user through the API and returns the response body.
func (c *client) signUp(name, email, password string) map[string]any {
	c.t.Helper()
	res := c.do(http.MethodPost, "/sign-up/email", map[string]any{"name": name, "email": email, "password": password})
	require.Equal(c.t, http.StatusOK, res.status, "sign-up: %s", res.body)
	return res.obj(c.t)
}

func newPoolWithCounter(t *testing.T) (*pgxpool.Pool, *queryCounter) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	qc := &queryCounter{}
	cfg.ConnConfig.Tracer = qc
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool, qc
}

type rawJSON []byte

func jsonDecoder(raw []byte) rawJSON { return rawJSON(raw) }

// keysAt returns the member names, in order, of the object at path.
func (r rawJSON) keysAt(t *testing.T, path []string) []string {
	t.Helper()
	cur := json.RawMessage(r)
	for _, p := range path {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(cur, &m))
		cur = m[p]
	}
	dec := json.NewDecoder(bytes.NewReader(cur))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var out []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		out = append(out, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return out
}

func newRequest(t *testing.T, method, path, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return httptest.NewRequest(method, "http://127.0.0.1:3005/api/auth"+path, rd)
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}
