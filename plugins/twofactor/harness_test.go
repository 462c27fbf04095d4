package twofactor_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base32"
	"encoding/base64"
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

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/plugins/twofactor"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	testSecret  = "two-factor-plugin-test-secret-0123456789"
	testBaseURL = "http://localhost:3000"
	password    = "correct horse battery"
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
	new  func(t *testing.T, exts []schema.Extension) betterauth.Store
}{
	{"memstore", func(t *testing.T, exts []schema.Extension) betterauth.Store {
		st, err := memstore.New(schema.Schema{}, exts...)
		require.NoError(t, err)
		return st
	}},
	{"pgstore", func(t *testing.T, exts []schema.Extension) betterauth.Store {
		pool := pgtest.NewPool(t)
		require.NoError(t, migrations.Up(context.Background(), pool, schema.Schema{}, exts...))
		st, err := pgstore.New(pool, schema.Schema{}, exts...)
		require.NoError(t, err)
		return st
	}},
}

// forEachStore runs fn on memstore and on PostgreSQL.
func forEachStore(t *testing.T, fn func(t *testing.T, newEnv func(twofactor.Options) *env)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			fn(t, func(o twofactor.Options) *env { return newEnvOn(t, b.new, o) })
		})
	}
}

type env struct {
	t     *testing.T
	auth  *betterauth.Auth
	store betterauth.Store
	clock *clock
	h     http.Handler
	// otps are the codes SendOTP was given, by email.
	mu   sync.Mutex
	otps map[string][]string
}

// newEnv is an Auth on memstore with the plugin.
func newEnv(t *testing.T, o twofactor.Options) *env { return newEnvOn(t, backends[0].new, o) }

// newEnvNoOTP is newEnv without SendOTP.
func newEnvNoOTP(t *testing.T) *env { return build(t, backends[0].new, twofactor.Options{}, false) }

func newEnvOn(t *testing.T, mk func(*testing.T, []schema.Extension) betterauth.Store, o twofactor.Options) *env {
	return build(t, mk, o, true)
}

func build(t *testing.T, mk func(*testing.T, []schema.Extension) betterauth.Store, o twofactor.Options, withOTP bool, mods ...func(*betterauth.Config)) *env {
	t.Helper()
	e := &env{t: t, otps: map[string][]string{}, clock: &clock{t: time.Date(2026, 12, 1, 10, 0, 7, 0, time.UTC)}}
	if o.SendOTP == nil && withOTP {
		o.SendOTP = func(_ context.Context, u *betterauth.User, code string) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.otps[u.Email] = append(e.otps[u.Email], code)
			return nil
		}
	}
	p := twofactor.New(o)
	plugins := []betterauth.Plugin{p}
	e.store = mk(t, betterauth.PluginSchemas(plugins...))
	cfg := betterauth.Config{
		Store: e.store, Secret: testSecret, BaseURL: testBaseURL, Now: e.clock.Now, Plugins: plugins,
		PasswordHasher: fastHasher{}, Logger: slog.New(slog.DiscardHandler), RateLimit: betterauth.RateLimitConfig{Enabled: new(false)},
	}
	for _, m := range mods {
		m(&cfg)
	}
	a, err := betterauth.New(cfg)
	require.NoError(t, err)
	e.auth, e.h = a, a.Handler()
	return e
}

// lastOTP is the newest code sent to email.
func (e *env) lastOTP(email string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.otps[email]
	require.NotEmpty(e.t, list, "no OTP sent to %s", email)
	return list[len(list)-1]
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

func (r response) setCookie(name string) *http.Cookie {
	for _, c := range r.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (r response) str(key string) string { s, _ := r.body[key].(string); return s }

// do sends a request with the jar's cookies and keeps what it sets.
func (c *client) do(method, path string, body any) response {
	c.e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.e.t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, testBaseURL+"/api/auth"+path, rd)
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

// code asserts an error answer.
func requireError(t *testing.T, r response, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.Code, r.Body.String())
	require.Equal(t, code, r.str("code"), r.Body.String())
}

func requireOK(t *testing.T, r response) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
}

const (
	sessionCookie = "better-auth.session_token"
	challengeName = "better-auth.two_factor"
	trustName     = "better-auth.trust_device"
)

// signUp makes a user with a password; the client is signed in.
func (c *client) signUp(email string) response {
	c.e.t.Helper()
	r := c.post("/sign-up/email", map[string]any{"email": email, "password": password, "name": "Ada"})
	requireOK(c.e.t, r)
	return r
}

func (c *client) signIn(email string) response {
	c.e.t.Helper()
	return c.post("/sign-in/email", map[string]any{"email": email, "password": password})
}

// enroll signs up, enables TOTP and verifies the first code: the user has
// two-factor on. It returns the base32 secret and the backup codes.
func (c *client) enroll(email string) (secret string, backup []string) {
	t := c.e.t
	t.Helper()
	c.signUp(email)
	r := c.post("/two-factor/enable", map[string]any{"password": password})
	requireOK(t, r)
	secret = uriSecret(t, r.str("totpURI"))
	for _, b := range r.body["backupCodes"].([]any) {
		backup = append(backup, b.(string))
	}
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": c.e.totp(secret, 0)}))
	return secret, backup
}

func uriSecret(t *testing.T, uri string) string {
	t.Helper()
	u, err := url.Parse(uri)
	require.NoError(t, err)
	s := u.Query().Get("secret")
	require.NotEmpty(t, s, uri)
	return s
}

// totp is the code of the step at now + offset.
func (e *env) totp(secret string, offset time.Duration) string {
	code, err := totp.GenerateCodeCustom(secret, e.clock.Now().Add(offset), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(e.t, err)
	return code
}

// user reads the user by email.
func (e *env) user(email string) *betterauth.User {
	u, err := e.store.GetUserByEmail(context.Background(), email)
	require.NoError(e.t, err)
	return u
}

// row reads the user's twoFactor row.
func (e *env) row(email string) schema.Record {
	r, err := e.store.(betterauth.TableStore).FindOne(context.Background(), twofactor.Model, schema.Where{Field: "userId", Value: e.user(email).ID})
	require.NoError(e.t, err)
	return r
}

// sessions counts the user's sessions.
func (e *env) sessions(email string) int {
	ss, err := e.store.ListSessions(context.Background(), e.user(email).ID, time.Time{})
	require.NoError(e.t, err)
	return len(ss)
}

// challenged signs in and asserts the two-factor answer.
func (c *client) challenged(email string) response {
	t := c.e.t
	t.Helper()
	r := c.signIn(email)
	requireOK(t, r)
	require.Equal(t, true, r.body["twoFactorRedirect"], r.Body.String())
	require.NotEmpty(t, c.cookies[challengeName])
	require.Empty(t, c.cookies[sessionCookie])
	return r
}

// signedIn asserts the client has a session of email.
func (c *client) signedIn(email string) {
	t := c.e.t
	t.Helper()
	r := c.do(http.MethodGet, "/get-session", nil)
	requireOK(t, r)
	u, _ := r.body["user"].(map[string]any)
	require.NotNil(t, u, r.Body.String())
	require.Equal(t, email, u["email"])
}

// b32 is the unpadded base32 of s's bytes.
func b32(s string) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(s))
}

// unescape percent-decodes a cookie value.
func unescape(t *testing.T, v string) string {
	t.Helper()
	s, err := url.PathUnescape(v)
	require.NoError(t, err)
	return s
}

// mustUnsign returns what a signed cookie value carries.
func mustUnsign(t *testing.T, e *env, v string) string {
	t.Helper()
	s, ok := e.auth.VerifySignedValue(unescape(t, v))
	require.True(t, ok, v)
	return s
}

// hashed is Better Auth's stored form of a hashed OTP.
func hashed(code string) string {
	sum := sha256.Sum256([]byte(code))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
