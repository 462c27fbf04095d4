package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/jwtverify"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// logBuffer collects the example's log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var mailLine = regexp.MustCompile(`msg="dev mailer" kind=(\S+) to=(\S+) url="?([^"\s]+)"? token=(\S+)`)

// mails returns the dev mailer's lines, parsed: kind, to, url, token.
func (l *logBuffer) mails() [][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]string
	for _, m := range mailLine.FindAllStringSubmatch(l.b.String(), -1) {
		out = append(out, m[1:])
	}
	return out
}

// lastMail waits for a mail of that kind to that address.
func (l *logBuffer) lastMail(t *testing.T, kind, to string) (url, token string) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, m := range l.mails() {
			if m[0] == kind && m[1] == to {
				url, token = m[2], m[3]
			}
		}
		return url != ""
	}, 5*time.Second, 10*time.Millisecond, "no %s mail to %s", kind, to)
	return url, token
}

// startExample runs the example as a user would, with the given environment.
func startExample(t *testing.T, env map[string]string) string {
	base, _ := startExampleLogged(t, env)
	return base
}

func startExampleLogged(t *testing.T, env map[string]string) (string, *logBuffer) {
	port := freePort(t)
	t.Setenv("PORT", port)
	t.Setenv("BETTER_AUTH_URL", "http://127.0.0.1:"+port)
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &logBuffer{}
	go func() { done <- run(ctx, slog.New(slog.NewTextHandler(logs, nil))) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	base := "http://127.0.0.1:" + port
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/api/auth/ok")
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == 200
	}, 10*time.Second, 20*time.Millisecond)
	return base, logs
}

func TestExampleFlows(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"memory":        {"DATABASE_URL": "", "BETTER_AUTH_SECRET": ""},
		"postgres":      {"DATABASE_URL": pgtest.NewDatabase(t), "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef"},
		"postgres-uuid": {"DATABASE_URL": pgtest.NewDatabase(t), "BETTER_AUTH_ID_MODE": "uuid", "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef"},
	} {
		t.Run(name, func(t *testing.T) {
			base, logs := startExampleLogged(t, env)
			switch name {
			case "postgres":
				assert.Contains(t, logs.String(), "idMode=text")
			case "postgres-uuid":
				assert.Contains(t, logs.String(), "idMode=uuid")
			}
			jar, err := cookiejar.New(nil)
			require.NoError(t, err)
			c := &http.Client{Jar: jar}
			post := func(path, body string) *http.Response {
				req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", base)
				res, err := c.Do(req)
				require.NoError(t, err)
				t.Cleanup(func() { res.Body.Close() })
				return res
			}
			get := func(path string) (int, string) {
				res, err := c.Get(base + path)
				require.NoError(t, err)
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}

			status, body := get("/")
			assert.Equal(t, 200, status)
			assert.Contains(t, body, "/api/auth/sign-up/email")
			status, _ = get("/api/me")
			assert.Equal(t, 401, status)

			res := post("/api/auth/sign-up/email", `{"name":"Ex","email":"ex@example.com","password":"correct-horse-1"}`)
			require.Equal(t, 200, res.StatusCode)
			status, body = get("/api/me")
			assert.Equal(t, 200, status)
			assert.Contains(t, body, `"email":"ex@example.com"`)
			status, body = get("/api/auth/get-session")
			assert.Equal(t, 200, status)
			assert.Contains(t, body, `"name":"Ex"`)

			res = post("/api/auth/sign-out", `{}`)
			require.Equal(t, 200, res.StatusCode)
			_, body = get("/api/auth/get-session")
			assert.Equal(t, "null", body)
		})
	}
}

// Every mail flow works end to end by following the links the dev mailer logs.
func TestExampleMailFlows(t *testing.T) {
	base, logs := startExampleLogged(t, map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef"})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &http.Client{Jar: jar, CheckRedirect: noFollow}
	post := func(path string, body any) (int, map[string]any) {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		req, err := http.NewRequest("POST", base+path, bytes.NewReader(raw))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
		res, err := c.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	follow := func(link string) *http.Response {
		res, err := c.Get(link)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	session := func() map[string]any {
		res, err := c.Get(base + "/api/auth/get-session")
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		if out == nil {
			return nil
		}
		return out["user"].(map[string]any)
	}

	// Verification: the sign-up mail's link verifies the email.
	status, _ := post("/api/auth/sign-up/email", map[string]any{"name": "Flo", "email": "flo@example.com", "password": "correct-horse-1"})
	require.Equal(t, 200, status)
	link, _ := logs.lastMail(t, "verify-email", "flo@example.com")
	assert.Equal(t, 302, follow(link).StatusCode)
	assert.Equal(t, true, session()["emailVerified"])

	// Password reset: the link redirects with the token, which sets a new password.
	status, _ = post("/api/auth/request-password-reset", map[string]any{"email": "flo@example.com", "redirectTo": "/"})
	require.Equal(t, 200, status)
	link, token := logs.lastMail(t, "reset-password", "flo@example.com")
	res := follow(link)
	assert.Equal(t, 302, res.StatusCode)
	assert.Equal(t, base+"/?token="+token, res.Header.Get("Location"))
	status, _ = post("/api/auth/reset-password", map[string]any{"token": token, "newPassword": "battery-staple-2"})
	require.Equal(t, 200, status)
	status, _ = post("/api/auth/sign-in/email", map[string]any{"email": "flo@example.com", "password": "battery-staple-2"})
	require.Equal(t, 200, status)

	// Change email: confirm on the old address, verify the new one.
	status, _ = post("/api/auth/change-email", map[string]any{"newEmail": "flo2@example.com", "callbackURL": "/"})
	require.Equal(t, 200, status)
	link, _ = logs.lastMail(t, "change-email-confirmation", "flo@example.com")
	assert.Equal(t, 302, follow(link).StatusCode)
	link, _ = logs.lastMail(t, "verify-email", "flo2@example.com")
	assert.Equal(t, 302, follow(link).StatusCode)
	assert.Equal(t, "flo2@example.com", session()["email"])

	// Delete: the link (followed while signed in) deletes the account.
	status, body := post("/api/auth/delete-user", map[string]any{"callbackURL": "/"})
	require.Equal(t, 200, status)
	assert.Equal(t, "Verification email sent", body["message"])
	link, _ = logs.lastMail(t, "delete-account", "flo2@example.com")
	assert.Equal(t, 302, follow(link).StatusCode)
	assert.Nil(t, session())
	status, _ = post("/api/auth/sign-in/email", map[string]any{"email": "flo2@example.com", "password": "battery-staple-2"})
	assert.Equal(t, 401, status)
}

// signUpAndOut signs up through base with the given Origin, sees the
// session and signs out, and returns each step's status.
func signUpAndOut(t *testing.T, base, origin, email string) (signUp, session, signOut int) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	post := func(path, body string) int {
		req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		res, err := c.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	signUp = post("/api/auth/sign-up/email", `{"name":"Loop","email":"`+email+`","password":"correct-horse-1"}`)
	res, err := c.Get(base + "/api/me")
	require.NoError(t, err)
	res.Body.Close()
	session = res.StatusCode
	signOut = post("/api/auth/sign-out", `{}`)
	return signUp, session, signOut
}

// Without BETTER_AUTH_SECRET (development) the example listens on 127.0.0.1
// only, says so, and trusts both loopback names of its own port, so the page
// and curl work at localhost and at 127.0.0.1; other origins stay refused.
func TestExampleDevelopmentLoopback(t *testing.T) {
	base, logs := startExampleLogged(t, map[string]string{"DATABASE_URL": "", "BETTER_AUTH_SECRET": "", "BETTER_AUTH_URL": "", "BETTER_AUTH_RATE_LIMIT": "false"})
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	for i, origin := range []string{"http://localhost:" + port, "http://127.0.0.1:" + port} {
		up, me, out := signUpAndOut(t, base, origin, fmt.Sprintf("loop%d@example.com", i))
		assert.Equal(t, []int{200, 200, 200}, []int{up, me, out}, "sign-up, /api/me, sign-out from %s", origin)
	}
	up, _, _ := signUpAndOut(t, base, "http://evil.example", "evil@example.com")
	assert.Equal(t, 403, up, "a foreign origin is still refused")
	up, _, _ = signUpAndOut(t, base, "http://localhost:1", "other-port@example.com")
	assert.Equal(t, 403, up, "another loopback port is still refused")

	assert.Contains(t, logs.String(), "listening on loopback only (BETTER_AUTH_SECRET is unset")
	assert.Contains(t, logs.String(), "addr=127.0.0.1:"+port+" ")
	if ip := nonLoopbackIP(t); ip != "" {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip, port), 5*time.Second)
		if err == nil {
			conn.Close()
		}
		assert.Error(t, err, "not reachable at this machine's address %s", ip)
	}
}

// With a secret the example trusts only BETTER_AUTH_URL's origin (here
// 127.0.0.1), not localhost, and listens on every interface.
func TestExampleWithSecretTrustsOnlyBaseURL(t *testing.T) {
	base, logs := startExampleLogged(t, map[string]string{"DATABASE_URL": "", "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef"})
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	up, _, _ := signUpAndOut(t, base, "http://localhost:"+port, "local@example.com")
	assert.Equal(t, 403, up)
	up, me, out := signUpAndOut(t, base, base, "base@example.com")
	assert.Equal(t, []int{200, 200, 200}, []int{up, me, out})
	assert.Contains(t, logs.String(), `msg="basic: listening" addr=:`+port+" ")
}

// nonLoopbackIP returns an IPv4 address of this machine other than
// loopback, or "" if it has none.
func nonLoopbackIP(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// BETTER_AUTH_MAX_FAILED_SIGN_INS caps wrong passwords per account.
func TestExampleMaxFailedSignIns(t *testing.T) {
	base := startExample(t, map[string]string{"DATABASE_URL": "", "BETTER_AUTH_SECRET": "", "BETTER_AUTH_MAX_FAILED_SIGN_INS": "2"})
	post := func(path, body string) int {
		req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, 200, post("/api/auth/sign-up/email", `{"name":"Max","email":"max@example.com","password":"correct-horse-1"}`))
	assert.Equal(t, 401, post("/api/auth/sign-in/email", `{"email":"max@example.com","password":"wrong-horse-1"}`))
	assert.Equal(t, 401, post("/api/auth/sign-in/email", `{"email":"max@example.com","password":"wrong-horse-2"}`))
	assert.Equal(t, 401, post("/api/auth/sign-in/email", `{"email":"max@example.com","password":"correct-horse-1"}`), "locked after two")
}

// An invalid BETTER_AUTH_MAX_FAILED_SIGN_INS stops the start with an error
// naming it; empty means no cap.
func TestExampleMaxFailedSignInsInvalid(t *testing.T) {
	for _, v := range []string{"five", "-1", "2.5", ""} {
		t.Run(v, func(t *testing.T) {
			t.Setenv("PORT", freePort(t))
			t.Setenv("DATABASE_URL", "")
			t.Setenv("BETTER_AUTH_MAX_FAILED_SIGN_INS", v)
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a start that gets through stops at once
			err := run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if v == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "BETTER_AUTH_MAX_FAILED_SIGN_INS")
		})
	}
}

// BETTER_AUTH_RATE_LIMIT, BETTER_AUTH_RATE_LIMIT_STORAGE and
// BETTER_AUTH_TRUSTED_PROXIES: limits on unless "false", counted where the
// storage says; the session records the socket's peer unless it is a
// listed proxy, and the limits count the forwarded client then.
func TestExampleRateLimitAndProxies(t *testing.T) {
	signIn := func(base, xff string) int {
		req, err := http.NewRequest("POST", base+"/api/auth/sign-in/email", strings.NewReader(`{}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	// signedUpIP signs a user up (with X-Forwarded-For: 203.0.113.9) and
	// returns the session's ipAddress.
	signedUpIP := func(base string) string {
		req, err := http.NewRequest("POST", base+"/api/auth/sign-up/email",
			strings.NewReader(`{"name":"Ip","email":"ip@example.com","password":"correct-horse-1"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, 200, res.StatusCode)
		get, err := http.NewRequest("GET", base+"/api/auth/get-session", nil)
		require.NoError(t, err)
		for _, c := range res.Cookies() {
			get.AddCookie(c)
		}
		res, err = http.DefaultClient.Do(get)
		require.NoError(t, err)
		defer res.Body.Close()
		var out struct{ Session struct{ IPAddress string } }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return out.Session.IPAddress
	}

	t.Run("default", func(t *testing.T) {
		base := startExample(t, map[string]string{"DATABASE_URL": "", "BETTER_AUTH_SECRET": ""})
		for range 3 {
			require.Equal(t, 400, signIn(base, ""))
		}
		assert.Equal(t, 429, signIn(base, "203.0.113.1"), "on, even with the development secret; X-Forwarded-For ignored")
		assert.Equal(t, "127.0.0.1", signedUpIP(base))
	})
	t.Run("off, behind a proxy", func(t *testing.T) {
		base := startExample(t, map[string]string{"DATABASE_URL": "", "BETTER_AUTH_RATE_LIMIT": "false",
			"BETTER_AUTH_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"})
		for range 4 {
			require.Equal(t, 400, signIn(base, ""))
		}
		assert.Equal(t, "203.0.113.9", signedUpIP(base))
	})
	t.Run("two replicas counting in the database, behind a proxy", func(t *testing.T) {
		env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef",
			"BETTER_AUTH_RATE_LIMIT_STORAGE": "database", "BETTER_AUTH_TRUSTED_PROXIES": "127.0.0.1"}
		a, b := startExample(t, env), startExample(t, env)
		require.Equal(t, 400, signIn(a, "203.0.113.7"))
		require.Equal(t, 400, signIn(b, "203.0.113.7"))
		require.Equal(t, 400, signIn(a, "203.0.113.7"))
		assert.Equal(t, 429, signIn(b, "203.0.113.7"), "one count across the replicas")
		assert.Equal(t, 400, signIn(b, "203.0.113.8"), "per forwarded client")
	})
	t.Run("bad storage", func(t *testing.T) {
		t.Setenv("PORT", freePort(t))
		t.Setenv("DATABASE_URL", "")
		t.Setenv("BETTER_AUTH_RATE_LIMIT_STORAGE", "redis")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := run(ctx, slog.New(slog.DiscardHandler))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "BETTER_AUTH_RATE_LIMIT_STORAGE")
	})
	t.Run("bad proxy list", func(t *testing.T) {
		t.Setenv("PORT", freePort(t))
		t.Setenv("DATABASE_URL", "")
		t.Setenv("BETTER_AUTH_TRUSTED_PROXIES", "127.0.0.1,localhost")
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // were the list accepted, run would stop at once without an error
		err := run(ctx, slog.New(slog.DiscardHandler))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "BETTER_AUTH_TRUSTED_PROXIES")
	})
}

// The server bounds every phase of a connection, and leaves the auth API
// time to answer 503 within its RequestTimeout (10 s by default).
func TestServerTimeouts(t *testing.T) {
	srv := newServer(":0", http.NotFoundHandler())
	assert.Equal(t, 10*time.Second, srv.ReadHeaderTimeout)
	assert.Equal(t, 30*time.Second, srv.ReadTimeout)
	assert.Equal(t, 30*time.Second, srv.WriteTimeout)
	assert.Equal(t, 120*time.Second, srv.IdleTimeout)
}

// BETTER_AUTH_JWT and BETTER_AUTH_BEARER turn the jwt and bearer plugins
// on: a client without cookies signs in, sends the set-auth-token back as a
// bearer, gets a JWT from /api/auth/token that /api/auth/jwks verifies, and
// get-session carries set-auth-jwt. On PostgreSQL the migrations at startup
// made the jwks table.
func TestExampleJWTAndBearer(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"memory":   {"DATABASE_URL": "", "BETTER_AUTH_SECRET": ""},
		"postgres": {"DATABASE_URL": pgtest.NewDatabase(t), "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef"},
	} {
		t.Run(name, func(t *testing.T) {
			env["BETTER_AUTH_JWT"], env["BETTER_AUTH_BEARER"] = "true", "true"
			base := startExample(t, env)
			do := func(method, path, bearer, body string) *http.Response {
				req, err := http.NewRequest(method, base+path, strings.NewReader(body))
				require.NoError(t, err)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				if bearer != "" {
					req.Header.Set("Authorization", "Bearer "+bearer)
				}
				res, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				t.Cleanup(func() { res.Body.Close() })
				return res
			}
			res := do("POST", "/api/auth/sign-up/email", "", `{"name":"Jay","email":"jay@example.com","password":"correct-horse-1"}`)
			require.Equal(t, 200, res.StatusCode)
			bearer := res.Header.Get("Set-Auth-Token")
			require.NotEmpty(t, bearer)

			res = do("GET", "/api/auth/token", bearer, "")
			require.Equal(t, 200, res.StatusCode)
			var out struct{ Token string }
			require.NoError(t, json.NewDecoder(res.Body).Decode(&out))

			// Another service checks it against /api/auth/jwks.
			v, err := jwtverify.New(jwtverify.Config{JWKSURL: base + "/api/auth/jwks", Issuer: base})
			require.NoError(t, err)
			claims, err := v.Verify(context.Background(), out.Token)
			require.NoError(t, err)
			var user jwtverify.User
			require.NoError(t, claims.Decode(&user))
			assert.Equal(t, "jay@example.com", user.Email)

			res = do("GET", "/api/auth/get-session", bearer, "")
			require.Equal(t, 200, res.StatusCode)
			claims, err = v.Verify(context.Background(), res.Header.Get("Set-Auth-Jwt"))
			require.NoError(t, err)
			assert.Equal(t, user.ID, claims.Subject)
		})
	}
}

// otpLine is the whole log line of a two-factor one-time code: the dev
// mailer's line without a url.
var otpLine = regexp.MustCompile(`(?m)^time=\S+ level=INFO msg="dev mailer" kind=two-factor-otp to=(\S+) token=(\S+)$`)

// twoFactorClient is a cookie-keeping client of an example started with
// BETTER_AUTH_TWO_FACTOR=true.
type twoFactorClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newTwoFactorClient(t *testing.T, base string) *twoFactorClient {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &twoFactorClient{t: t, base: base, c: &http.Client{Jar: jar}}
}

// post sends a JSON body and returns the status, the decoded answer and
// the response (body read).
func (tc *twoFactorClient) post(path string, body any) (int, map[string]any, *http.Response) {
	tc.t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(tc.t, err)
	req, err := http.NewRequest("POST", tc.base+path, bytes.NewReader(raw))
	require.NoError(tc.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", tc.base)
	res, err := tc.c.Do(req)
	require.NoError(tc.t, err)
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, res
}

// user is get-session's user, or nil when signed out.
func (tc *twoFactorClient) user() map[string]any {
	tc.t.Helper()
	res, err := tc.c.Get(tc.base + "/api/auth/get-session")
	require.NoError(tc.t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(tc.t, json.NewDecoder(res.Body).Decode(&out))
	if out == nil {
		return nil
	}
	return out["user"].(map[string]any)
}

// setCookie is the value the response set for the cookie name, and
// whether it set it at all (an expired cookie is set to "").
func setCookie(res *http.Response, name string) (value string, set bool) {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

// signInChallenged signs in with the password and checks Better Auth's
// challenge: {twoFactorRedirect, twoFactorMethods}, a two_factor cookie
// and no session.
func (tc *twoFactorClient) signInChallenged(email, password string) {
	tc.t.Helper()
	status, body, res := tc.post("/api/auth/sign-in/email", map[string]any{"email": email, "password": password})
	require.Equal(tc.t, 200, status, "%v", body)
	assert.Equal(tc.t, map[string]any{"twoFactorRedirect": true, "twoFactorMethods": []any{"totp", "otp"}}, body)
	challenge, ok := setCookie(res, "better-auth.two_factor")
	assert.True(tc.t, ok && strings.HasPrefix(challenge, "2fa-"), "a two_factor cookie: %q", challenge)
	session, set := setCookie(res, "better-auth.session_token")
	assert.True(tc.t, set && session == "", "the session cookie is expired: %q", session)
	assert.Nil(tc.t, tc.user(), "no session before the second factor")
}

// totpCode is the current code of an otpauth URI's secret.
func totpCode(t *testing.T, uri string) string {
	t.Helper()
	key, err := otp.NewKeyFromURL(uri)
	require.NoError(t, err)
	code, err := totp.GenerateCode(key.Secret(), time.Now())
	require.NoError(t, err)
	return code
}

// BETTER_AUTH_TWO_FACTOR=true: enrolment (enable, the QR code, the first
// code), then sign-ins challenged and completed by TOTP and by a one-time
// code the dev mailer logs, and disable. On PostgreSQL the migrations at
// startup made the twoFactor table and user.twoFactorEnabled, which the
// enrolment wrote. (Backup codes and trusted devices: the browser test of
// the page, interop/test/browser.test.mjs.)
func TestExampleTwoFactor(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"memory":   {"DATABASE_URL": "", "BETTER_AUTH_SECRET": ""},
		"postgres": {"DATABASE_URL": pgtest.NewDatabase(t), "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef"},
	} {
		t.Run(name, func(t *testing.T) {
			env["BETTER_AUTH_TWO_FACTOR"], env["BETTER_AUTH_RATE_LIMIT"] = "true", "false"
			base, logs := startExampleLogged(t, env)
			const email, password = "two@example.com", "correct-horse-1"
			tc := newTwoFactorClient(t, base)

			res, err := http.Get(base + "/api/config")
			require.NoError(t, err)
			cfg, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.JSONEq(t, `{"twoFactor":true,"socialProviders":[]}`, string(cfg), "the page learns that two-factor is on")

			status, body, _ := tc.post("/api/auth/sign-up/email", map[string]any{"name": "Two", "email": email, "password": password})
			require.Equal(t, 200, status, "%v", body)
			assert.Equal(t, false, tc.user()["twoFactorEnabled"])

			// Enrolment: the URI (Better Auth's issuer default) and ten backup codes.
			status, body, _ = tc.post("/api/auth/two-factor/enable", map[string]any{"password": password})
			require.Equal(t, 200, status, "%v", body)
			uri, _ := body["totpURI"].(string)
			assert.Regexp(t, `^otpauth://totp/Better%20Auth:two%40example\.com\?secret=[A-Z2-7]+&issuer=Better\+Auth&digits=6&period=30$`, uri)
			backup, _ := body["backupCodes"].([]any)
			require.Len(t, backup, 10)
			for _, c := range backup {
				assert.Regexp(t, `^[a-zA-Z0-9]{5}-[a-zA-Z0-9]{5}$`, c)
			}
			assert.Equal(t, false, tc.user()["twoFactorEnabled"], "not on before the first code")

			res = postQR(t, base, uri)
			assert.Equal(t, 200, res.StatusCode)
			assert.Equal(t, "image/png", res.Header.Get("Content-Type"))

			// The first code turns it on. Deliberate difference: the answer
			// carries the new session's token and the updated user.
			status, body, res = tc.post("/api/auth/two-factor/verify-totp", map[string]any{"code": totpCode(t, uri)})
			require.Equal(t, 200, status, "%v", body)
			newSession, _ := setCookie(res, "better-auth.session_token")
			require.NotEmpty(t, newSession, "the session is replaced")
			assert.Equal(t, body["token"], strings.SplitN(newSession, ".", 2)[0])
			assert.Equal(t, true, body["user"].(map[string]any)["twoFactorEnabled"])
			assert.Equal(t, true, tc.user()["twoFactorEnabled"])

			if name == "postgres" {
				conn, err := pgx.Connect(context.Background(), env["DATABASE_URL"])
				require.NoError(t, err)
				defer conn.Close(context.Background())
				var enabled, verified bool
				require.NoError(t, conn.QueryRow(context.Background(),
					`SELECT u."twoFactorEnabled", t.verified FROM "user" u JOIN "twoFactor" t ON t."userId" = u.id WHERE u.email = $1`,
					email).Scan(&enabled, &verified))
				assert.True(t, enabled && verified, "the migrations made the table and the column, and the plugin wrote them")
				// The sign-ins below run on memory only: each hashes a
				// password, which -race makes slow.
				return
			}

			// A sign-in is challenged; an app code completes it.
			status, _, _ = tc.post("/api/auth/sign-out", map[string]any{})
			require.Equal(t, 200, status)
			tc.signInChallenged(email, password)
			status, body, res = tc.post("/api/auth/two-factor/verify-totp", map[string]any{"code": totpCode(t, uri)})
			require.Equal(t, 200, status, "%v", body)
			challenge, set := setCookie(res, "better-auth.two_factor")
			assert.True(t, set && challenge == "", "the challenge cookie is expired")
			assert.Equal(t, email, tc.user()["email"])

			// Or a one-time code, logged by the dev mailer.
			status, _, _ = tc.post("/api/auth/sign-out", map[string]any{})
			require.Equal(t, 200, status)
			tc.signInChallenged(email, password)
			status, body, _ = tc.post("/api/auth/two-factor/send-otp", map[string]any{})
			require.Equal(t, 200, status, "%v", body)
			assert.Equal(t, map[string]any{"status": true}, body)
			lines := otpLine.FindAllStringSubmatch(logs.String(), -1)
			require.Len(t, lines, 1, "one two-factor-otp line, in this exact shape:\n%s", logs.String())
			assert.Equal(t, email, lines[0][1])
			assert.Regexp(t, `^[0-9]{6}$`, lines[0][2])
			status, body, _ = tc.post("/api/auth/two-factor/verify-otp", map[string]any{"code": lines[0][2]})
			require.Equal(t, 200, status, "%v", body)
			assert.Equal(t, email, tc.user()["email"])

			// Disable.
			status, body, _ = tc.post("/api/auth/two-factor/disable", map[string]any{"password": password})
			require.Equal(t, 200, status, "%v", body)
			assert.Equal(t, false, tc.user()["twoFactorEnabled"])
		})
	}
}

// postQR posts body to /example/qr; the response's body is read and kept
// in a form png.Decode can read again (res.Body).
func postQR(t *testing.T, base, body string) *http.Response {
	t.Helper()
	res, err := http.Post(base+"/example/qr", "text/plain", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	res.Body = io.NopCloser(bytes.NewReader(b))
	return res
}

// POST /example/qr draws an otpauth://totp/ URI as a PNG QR code and
// refuses anything else; without BETTER_AUTH_TWO_FACTOR it does not exist
// and /api/config says two-factor is off.
func TestExampleQRCode(t *testing.T) {
	base := startExample(t, map[string]string{"DATABASE_URL": "", "BETTER_AUTH_SECRET": "", "BETTER_AUTH_TWO_FACTOR": "true"})
	const uri = "otpauth://totp/Better%20Auth:qr%40example.com?secret=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPIYTEMZU&issuer=Better+Auth&digits=6&period=30"
	res := postQR(t, base, uri)
	require.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "image/png", res.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	img, err := png.Decode(res.Body)
	require.NoError(t, err)
	assert.Equal(t, 256, img.Bounds().Dx())
	assert.Equal(t, 256, img.Bounds().Dy())
	dark, light := 0, 0
	for y := range 256 {
		for x := range 256 {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			} else {
				light++
			}
		}
	}
	assert.True(t, dark > 256*16 && light > 256*16, "a code, not a blank: %d dark, %d light pixels", dark, light)

	for name, body := range map[string]string{
		"empty":          "",
		"not a URI":      "hello",
		"https":          "https://totp/Better%20Auth:qr%40example.com?secret=MFRGGZDF",
		"hotp":           "otpauth://hotp/x?secret=MFRGGZDF&counter=1",
		"no secret":      "otpauth://totp/Better%20Auth:qr%40example.com?issuer=Better+Auth",
		"over 1 KiB":     uri + "&x=" + strings.Repeat("a", 1024),
		"bad escape":     "otpauth://totp/%zz?secret=MFRGGZDF",
		"javascript URL": "javascript:alert(1)//otpauth://totp/x?secret=MFRGGZDF",
	} {
		res := postQR(t, base, body)
		assert.Equal(t, 400, res.StatusCode, name)
		assert.NotEqual(t, "image/png", res.Header.Get("Content-Type"), name)
	}

	off := startExample(t, map[string]string{"DATABASE_URL": "", "BETTER_AUTH_SECRET": "", "BETTER_AUTH_TWO_FACTOR": ""})
	assert.Equal(t, 404, postQR(t, off, uri).StatusCode, "no QR route without two-factor")
	res, err = http.Get(off + "/api/config")
	require.NoError(t, err)
	cfg, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.JSONEq(t, `{"twoFactor":false,"socialProviders":[]}`, string(cfg))
}
