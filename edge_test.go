package betterauth_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/plugins/bearer"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

// resetRequest builds POST /request-password-reset for email.
func resetRequest(email string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:3005/api/auth/request-password-reset",
		strings.NewReader(`{"email":"`+email+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", testOrigin)
	return req
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// pgTracer counts the statements a pool runs and can hold back or slow
// down the writing ones.
type pgTracer struct {
	n atomic.Int64
	// writeDelay is added to every INSERT, UPDATE, DELETE and COMMIT: what
	// a commit costs on a real disk (pgtest runs with fsync off).
	writeDelay time.Duration
	// gate, when set, holds writes until it is closed, their context ends
	// or half a second has passed.
	gate atomic.Pointer[chan struct{}]
}

func isWrite(sql string) bool {
	verb, _, _ := strings.Cut(strings.TrimSpace(sql), " ")
	switch strings.ToUpper(verb) {
	case "INSERT", "UPDATE", "DELETE", "COMMIT":
		return true
	}
	return false
}

// TraceQueryStart counts the statements on the request path: every read,
// and every write that gets through the gate while it is still shut (a
// write the handler waits for; it gets through after half a second). A
// write released when the gate opens was made after the answer (in the
// background) and is not counted, however early it started.
func (p *pgTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !isWrite(d.SQL) {
		p.n.Add(1)
		return ctx
	}
	if g := p.gate.Load(); g != nil {
		select {
		case <-*g:
		case <-ctx.Done():
			p.n.Add(1)
		case <-time.After(500 * time.Millisecond):
			p.n.Add(1)
		}
	} else {
		p.n.Add(1)
	}
	if p.writeDelay > 0 {
		time.Sleep(p.writeDelay)
	}
	return ctx
}

func (p *pgTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// newTracedStore is a migrated pgstore whose pool reports to tr.
func newTracedStore(t *testing.T, tr *pgTracer) betterauth.Store {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(t))
	require.NoError(t, err)
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, migrations.Up(context.Background(), pool, schema.Schema{}))
	st, err := pgstore.New(pool, schema.Schema{})
	require.NoError(t, err)
	return st
}

// request-password-reset does the same work on the request path for a
// known address as for an unknown one: one statement, a read. Writes are
// held until the handler has returned; the link is then stored and mailed
// all the same.
func TestRequestPasswordResetRequestPathIsTheSame(t *testing.T) {
	tr := &pgTracer{}
	mail := &mailbox{}
	a, _ := newAuth(t, newTracedStore(t, tr), func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = mail.send
		c.RequestTimeout = 5 * time.Second
	})
	h := a.Handler()
	newClient(t, h).signUp("Rp", "path@example.com", "correct-horse-1")

	onPath := func(email string) int64 {
		gate := make(chan struct{})
		tr.gate.Store(&gate)
		tr.n.Store(0)
		rec := serve(h, resetRequest(email))
		n := tr.n.Load()
		close(gate)
		assert.Equal(t, 200, rec.Code, rec.Body.String())
		require.NoError(t, a.Shutdown(context.Background()))
		return n
	}
	unknown := onPath("nobody@example.com")
	known := onPath("path@example.com")
	assert.EqualValues(t, 1, unknown, "statements on the request path, unknown address")
	assert.EqualValues(t, 1, known, "statements on the request path, known address")
	require.Equal(t, 1, mail.count(t, a), "the known address got its link")
	m := mail.last(t, a)
	ok, err := a.CheckResetToken(context.Background(), m.Token)
	require.NoError(t, err)
	assert.True(t, ok, "the mailed link is live")
}

// request-password-reset takes as long for a known address as for an
// unknown one on PostgreSQL (issue #8 item 5: it was 2.4 ms against 0.7 ms,
// the link being written on the request path). Writes cost 5 ms more, as a
// commit on a slow disk does (pgtest runs with fsync off). 200 pairs of
// samples, taken back to back in alternating order, background work
// drained between samples outside the timed window; the median of the
// pairs' time ratios must be within a factor of 1.5 of 1. Pairing cancels
// the load of a busy machine, which comes and goes slower than a pair.
func TestRequestPasswordResetTiming(t *testing.T) {
	tr := &pgTracer{writeDelay: 5 * time.Millisecond}
	mail := &mailbox{}
	a, _ := newAuth(t, newTracedStore(t, tr), func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = mail.send
		c.AuditLogger = slog.New(slog.DiscardHandler)
	})
	h := a.Handler()
	newClient(t, h).signUp("Ti", "timing@example.com", "correct-horse-1")

	sample := func(email string) time.Duration {
		req := resetRequest(email)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		d := time.Since(start)
		require.Equal(t, 200, rec.Code, rec.Body.String())
		require.NoError(t, a.Shutdown(context.Background())) // drain background work, untimed
		return d
	}
	for range 20 { // warm up connections and caches
		sample("timing@example.com")
		sample("nobody@example.com")
	}
	const n = 200
	var known, unknown []time.Duration
	for i := range n {
		if i%2 == 0 {
			known = append(known, sample("timing@example.com"))
			unknown = append(unknown, sample("nobody@example.com"))
		} else {
			unknown = append(unknown, sample("nobody@example.com"))
			known = append(known, sample("timing@example.com"))
		}
	}
	ratios := make([]float64, n)
	for i := range n {
		ratios[i] = float64(known[i]) / float64(unknown[i])
	}
	slices.Sort(ratios)
	r := ratios[n/2]
	t.Logf("medians: known %v, unknown %v; median ratio of pairs %.2f", median(known), median(unknown), r)
	assert.Less(t, max(r, 1/r), 1.5, "known and unknown addresses answer in different times: the time tells whether the account exists")
	assert.Equal(t, 20+n, mail.count(t, a), "every request for the known address mailed a link")
}

// The one lookup stays on the request path, so a store outage is still
// 503 there, not a cheerful "check your email".
func TestRequestPasswordResetStoreDownIs503(t *testing.T) {
	mail := &mailbox{}
	down, _ := newAuth(t, failingStore{backends[0].new(t, schema.Schema{})}, func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = mail.send
	})
	rec := serve(down.Handler(), resetRequest("kai@example.com"))
	assert.Equal(t, 503, rec.Code)
	assert.Equal(t, `{"message":"Service temporarily unavailable","code":"SERVICE_UNAVAILABLE"}`, rec.Body.String())
	assert.Zero(t, mail.count(t, down))
}

// validation is a 400 VALIDATION_ERROR with that message.
func validation(message string) string {
	return `{"message":"` + message + `","code":"VALIDATION_ERROR"}`
}

// Input PostgreSQL cannot store (NUL, invalid UTF-8, an email past its
// index) is a 400 at the edge, on both stores, and nothing is written.
func TestBadInputIs400AndNothingIsWritten(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, _ := newAuth(t, st, func(c *betterauth.Config) {
			c.EmailAndPassword.SendResetPassword = (&mailbox{}).send
			c.EmailVerification.SendVerificationEmail = (&mailbox{}).send
		})
		c := newClient(t, a.Handler())
		long := strings.Repeat("a", 900_000) + "@example.com"
		for _, tc := range []struct {
			name, email, body, want string
		}{
			{"NUL in name", "nul@example.com", `{"name":"A\u0000B","email":"nul@example.com","password":"correct-horse-1"}`,
				validation(`[body.name] Invalid input: contains a NUL character`)},
			{"invalid UTF-8 password", "ff@example.com", "{\"name\":\"A\",\"email\":\"ff@example.com\",\"password\":\"correct-horse-\xff\"}",
				validation(`[body] Invalid input: not valid UTF-8`)},
			{"invalid UTF-8 name", "fe@example.com", "{\"name\":\"\xfe\",\"email\":\"fe@example.com\",\"password\":\"correct-horse-1\"}",
				validation(`[body] Invalid input: not valid UTF-8`)},
			{"NUL in a member name", "key@example.com", `{"name":"A","email":"key@example.com","password":"correct-horse-1","x\u0000":1}`,
				validation(`[body] Invalid input: a member name contains a NUL character`)},
			{"NUL deep inside", "deep@example.com", `{"name":"A","email":"deep@example.com","password":"correct-horse-1","x":[{"y":"\u0000"}]}`,
				validation(`[body.x.0.y] Invalid input: contains a NUL character`)},
			{"900 KB email", long, `{"name":"A","email":"` + long + `","password":"correct-horse-1"}`,
				validation(`[body.email] Invalid email address`)},
			{"name too long", "long@example.com", `{"name":"` + strings.Repeat("😀", 128) + `x","email":"long@example.com","password":"correct-horse-1"}`,
				validation(`[body.name] Too big: expected string to have <=256 characters`)},
		} {
			res := c.do("POST", "/sign-up/email", tc.body)
			assert.Equal(t, 400, res.status, tc.name)
			assert.Equal(t, tc.want, string(res.body), tc.name)
			assert.Empty(t, res.setCookies, tc.name)
			_, err := st.GetUserByEmail(context.Background(), tc.email)
			assert.ErrorIs(t, err, betterauth.ErrNotFound, "%s: nothing written", tc.name)
		}

		// Forms: percent-escapes decode to any byte.
		form := func(path, values string) *httptest.ResponseRecorder {
			req := newRequest(t, "POST", path, values)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", testOrigin)
			return serve(a.Handler(), req)
		}
		rec := form("/sign-up/email", "name=A&email=form%40example.com&password=correct-horse-1&x=%00")
		assert.Equal(t, validation(`[body.x] Invalid input: contains a NUL character`), rec.Body.String())
		rec = form("/sign-up/email", "name=A&email=form%40example.com&password=correct-horse-%FF")
		assert.Equal(t, validation(`[body.password] Invalid input: not valid UTF-8`), rec.Body.String())
		_, err := st.GetUserByEmail(context.Background(), "form@example.com")
		assert.ErrorIs(t, err, betterauth.ErrNotFound)

		// The longest name is fine: 256 UTF-16 code units (128 emoji).
		ok := c.do("POST", "/sign-up/email", map[string]any{"name": strings.Repeat("😀", 128), "email": "max@example.com", "password": "correct-horse-1"})
		require.Equal(t, 200, ok.status, "%s", ok.body)

		// The 900 KB email everywhere else an email comes in.
		for _, tc := range []struct{ path, field string }{
			{"/sign-in/email", "email"}, {"/request-password-reset", "email"},
			{"/send-verification-email", "email"}, {"/change-email", "newEmail"},
		} {
			res := c.do("POST", tc.path, map[string]any{tc.field: long, "password": "correct-horse-1"})
			assert.Equal(t, 400, res.status, "%s: %s", tc.path, res.body)
		}

		// update-user: the same rules for the name; the stored one is untouched.
		for _, name := range []string{"A\x00B", strings.Repeat("n", 257)} {
			res := c.do("POST", "/update-user", map[string]any{"name": name})
			assert.Equal(t, 400, res.status, "%s", res.body)
		}
		u, err := st.GetUserByEmail(context.Background(), "max@example.com")
		require.NoError(t, err)
		assert.Equal(t, strings.Repeat("😀", 128), u.Name)

		// Go callers get the same rules.
		_, err = a.SignUpEmail(context.Background(), betterauth.SignUpInput{Name: "A\x00", Email: "go@example.com", Password: "correct-horse-1"})
		assert.ErrorContains(t, err, "NUL")
		_, err = a.SignUpEmail(context.Background(), betterauth.SignUpInput{Name: strings.Repeat("n", 257), Email: "go@example.com", Password: "correct-horse-1"})
		assert.ErrorContains(t, err, "Too big")
		_, err = a.SignUpEmail(context.Background(), betterauth.SignUpInput{Name: "G", Email: "go@example.com", Password: "correct-horse-\xff"})
		assert.ErrorContains(t, err, "UTF-8")
		_, err = a.SignUpEmail(context.Background(), betterauth.SignUpInput{Name: "G", Email: long, Password: "correct-horse-1"})
		assert.ErrorIs(t, err, betterauth.ErrInvalidEmail)
		bad := "A\x00B"
		_, err = a.UpdateUser(context.Background(), u.ID, betterauth.UpdateUserInput{Name: &bad})
		assert.ErrorContains(t, err, "NUL")
		_, err = a.UpdateUser(context.Background(), u.ID, betterauth.UpdateUserInput{Image: &bad})
		assert.ErrorContains(t, err, "NUL")
		_, err = a.SignUpEmail(context.Background(), betterauth.SignUpInput{Name: "G", Email: "go@example.com", Password: "correct-horse-1", Image: &bad})
		assert.ErrorContains(t, err, "NUL")
		assert.ErrorIs(t, a.RequestPasswordReset(context.Background(), long, ""), betterauth.ErrInvalidEmail)
		assert.ErrorIs(t, a.SendVerificationEmail(context.Background(), nil, long, ""), betterauth.ErrInvalidEmail)
		_, err = st.GetUserByEmail(context.Background(), "go@example.com")
		assert.ErrorIs(t, err, betterauth.ErrNotFound, "nothing written")
	})
}

func TestValidEmailLength(t *testing.T) {
	at := "@example.com"
	assert.True(t, betterauth.ValidEmail(strings.Repeat("a", betterauth.MaxEmailLength-len(at))+at))
	assert.False(t, betterauth.ValidEmail(strings.Repeat("a", betterauth.MaxEmailLength-len(at)+1)+at))
}

// encoding/json turns every invalid UTF-8 byte into U+FFFD, so a password
// "\xff" set over HTTP was stored as "\uFFFD", and "\xfe" signed in to
// it. Such passwords are refused, at the edge and for Go callers.
func TestInvalidUTF8PasswordsAreRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, _ := newAuth(t, st, nil)
		c := newClient(t, a.Handler())
		c.signUp("Ff", "ff@example.com", "placeholder-1")
		// The account as a sign-up with "correct-horse-\xff" left it before.
		hash, err := fastHasher.Hash(context.Background(), "correct-horse-\uFFFD")
		require.NoError(t, err)
		u, err := st.GetUserByEmail(context.Background(), "ff@example.com")
		require.NoError(t, err)
		acct, err := st.GetAccount(context.Background(), betterauth.ProviderCredential, u.ID)
		require.NoError(t, err)
		_, err = st.UpdateAccount(context.Background(), acct.ID, betterauth.AccountUpdate{Password: &hash})
		require.NoError(t, err)

		res := newClient(t, a.Handler()).do("POST", "/sign-in/email", "{\"email\":\"ff@example.com\",\"password\":\"correct-horse-\xfe\"}")
		assert.Equal(t, validation(`[body] Invalid input: not valid UTF-8`), string(res.body))
		assert.Empty(t, res.setCookies)
		_, err = a.SignInEmail(context.Background(), betterauth.SignInInput{Email: "ff@example.com", Password: "correct-horse-\xfe"})
		assert.ErrorContains(t, err, "VALIDATION_ERROR")
		_, err = a.ChangePassword(context.Background(), u.ID, "placeholder-1", "new-password-\xff", false, betterauth.RequestMeta{})
		assert.ErrorContains(t, err, "VALIDATION_ERROR")
	})
}

// A User-Agent that is not valid UTF-8, holds NUL or is huge does not make
// sign-up fail: the session records a cleaned, bounded copy.
func TestUserAgentIsCleaned(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, _ := newAuth(t, st, nil)
		c := newClient(t, a.Handler())
		c.header.Set("User-Agent", "Mozilla\xff\x00/5.0 "+strings.Repeat("é", 1000))
		token := c.signUp("Ua", "ua@example.com", "correct-horse-1")["token"].(string)
		s, _, err := st.GetSessionByToken(context.Background(), token)
		require.NoError(t, err)
		assert.True(t, utf8.ValidString(s.UserAgent))
		assert.NotContains(t, s.UserAgent, "\x00")
		assert.True(t, strings.HasPrefix(s.UserAgent, "Mozilla\uFFFD/5.0 éé"), s.UserAgent[:20])
		assert.LessOrEqual(t, len(s.UserAgent), betterauth.MaxUserAgentLength)
		assert.Greater(t, len(s.UserAgent), betterauth.MaxUserAgentLength-2)
	})
}

// Query parameters and the reset link's path: NUL or invalid UTF-8 is a
// 400 (or, for the link, the ordinary invalid-token redirect), never a 503.
func TestBadQueryIs400(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		mail := &mailbox{}
		a, _ := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) {
			c.EmailAndPassword.SendResetPassword = mail.send
			c.Plugins = append(c.Plugins, bearer.New(bearer.Options{}))
		})
		c := newClient(t, a.Handler())
		for path, want := range map[string]string{
			"/verify-email?token=%00":                 validation(`[query.token] Invalid input: contains a NUL character`),
			"/verify-email?token=%FF":                 validation(`[query.token] Invalid input: not valid UTF-8`),
			"/reset-password/abc?callbackURL=%2F%00x": validation(`[query.callbackURL] Invalid input: contains a NUL character`),
			"/get-session?%FF=1":                      validation(`[query] Invalid input: a parameter name not valid UTF-8`),
		} {
			res := c.do("GET", path, nil)
			assert.Equal(t, 400, res.status, path)
			assert.Equal(t, want, string(res.body), path)
		}
		res := c.do("POST", "/reset-password?token=%00", map[string]any{"newPassword": "battery-staple-2"})
		assert.Equal(t, validation(`[query.token] Invalid input: contains a NUL character`), string(res.body))
		res = c.do("GET", "/reset-password/%FF%00?callbackURL=%2Freset", nil)
		assert.Equal(t, 302, res.status)
		assert.Equal(t, testOrigin+"/reset?error=INVALID_TOKEN", res.header.Get("Location"))

		// A bearer token PostgreSQL cannot read is no token.
		anon := newClient(t, a.Handler())
		anon.header.Set("Authorization", "Bearer \xff\xfe")
		res = anon.do("GET", "/get-session", nil)
		assert.Equal(t, 200, res.status, "%s", res.body)
		assert.Equal(t, "null", string(res.body))
	})
}

// Every answer of the API is Cache-Control: no-store (most carry a session
// token in the body or a cookie), and every redirect Referrer-Policy:
// no-referrer (the URL that led there may hold a token).
func TestNoStoreAndNoReferrer(t *testing.T) {
	mail := &mailbox{}
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = mail.send
		c.EmailVerification.SendVerificationEmail = mail.send
		c.User.DeleteUser.Enabled = true
		c.User.DeleteUser.SendDeleteAccountVerification = mail.send
		c.User.ChangeEmail.Enabled = true
	})
	c := newClient(t, a.Handler())
	seen := map[string]bool{}
	check := func(method, path string, body any) *response {
		t.Helper()
		res := c.do(method, path, body)
		assert.Equal(t, "no-store", res.header.Get("Cache-Control"), "%s %s (%d)", method, path, res.status)
		assert.Equal(t, "no-cache", res.header.Get("Pragma"), "%s %s (%d)", method, path, res.status)
		if res.status/100 == 3 {
			assert.Equal(t, "no-referrer", res.header.Get("Referrer-Policy"), "redirect %s %s", method, path)
			seen[strings.Split(strings.Split(path, "?")[0], "/")[1]] = true
		}
		return res
	}
	pw := "correct-horse-1"
	check("POST", "/sign-up/email", map[string]any{"name": "Nc", "email": "nc@example.com", "password": pw})
	check("POST", "/sign-in/email", map[string]any{"email": "nc@example.com", "password": pw})
	check("POST", "/sign-in/email", map[string]any{"email": "nc@example.com", "password": "wrong-horse-1"})
	check("GET", "/get-session", nil)
	check("POST", "/get-session", nil)
	check("GET", "/list-sessions", nil)
	check("POST", "/update-user", map[string]any{"name": "Nc2"})
	check("POST", "/change-password", map[string]any{"currentPassword": pw, "newPassword": "battery-staple-2", "revokeOtherSessions": true})
	check("POST", "/verify-password", map[string]any{"password": "battery-staple-2"})
	check("POST", "/revoke-other-sessions", nil)
	check("POST", "/revoke-session", map[string]any{"token": "nope"})
	check("POST", "/send-verification-email", map[string]any{"email": "nc@example.com", "callbackURL": "/done"})
	verify := mail.last(t, a)
	vpath, vq := pathOf(t, verify.URL)
	check("GET", vpath+"?"+vq.Encode(), nil) // 302 to /done
	check("GET", "/verify-email?token=bad&callbackURL=%2Fdone", nil)
	check("POST", "/request-password-reset", map[string]any{"email": "nc@example.com", "redirectTo": "/reset"})
	reset := mail.last(t, a)
	rpath, rq := pathOf(t, reset.URL)
	check("GET", rpath+"?"+rq.Encode(), nil) // 302 to /reset?token=
	check("POST", "/reset-password", map[string]any{"token": reset.Token, "newPassword": "battery-staple-3"})
	check("POST", "/sign-in/email", map[string]any{"email": "nc@example.com", "password": "battery-staple-3"})
	check("POST", "/change-email", map[string]any{"newEmail": "nc2@example.com"})
	check("POST", "/delete-user", map[string]any{"callbackURL": "/bye"})
	require.NoError(t, a.Shutdown(context.Background()))
	var del betterauth.Email
	for _, m := range mail.sent {
		if strings.Contains(m.URL, "/delete-user/") {
			del = m
		}
	}
	dpath, dq := pathOf(t, del.URL)
	check("GET", "/ok", nil)
	check("GET", "/error?error=X", nil)
	check("GET", "/no-such-endpoint", nil)
	check("POST", "/revoke-sessions", nil)
	check("POST", "/sign-in/email", map[string]any{"email": "nc@example.com", "password": "battery-staple-3"})
	res := check("GET", dpath+"?"+dq.Encode(), nil) // 302 to /bye
	require.Equal(t, 302, res.status, "%s", res.body)
	check("POST", "/sign-out", nil)
	assert.Equal(t, map[string]bool{"verify-email": true, "reset-password": true, "delete-user": true}, seen, "redirects seen")
}

// trickle is a body that yields one byte every 50 ms, for up to 10 s.
type trickle struct{ n int }

func (tr *trickle) Read(p []byte) (int, error) {
	if tr.n >= 200 || len(p) == 0 {
		return 0, io.EOF
	}
	time.Sleep(50 * time.Millisecond)
	tr.n++
	p[0] = ' '
	return 1, nil
}

// Reading the body stops at RequestTimeout even where the ResponseWriter
// cannot set read deadlines: a trickled body gets 408, not a 10 s read.
func TestTrickledBodyIs408(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) { c.RequestTimeout = 300 * time.Millisecond })
	req := httptest.NewRequest("POST", "http://127.0.0.1:3005/api/auth/sign-in/email", &trickle{})
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", testOrigin)
	rec := serve(a.Handler(), req)
	assert.Equal(t, 408, rec.Code)
	assert.Equal(t, `{"message":"Request body not received in time","code":"REQUEST_TIMEOUT"}`, rec.Body.String())
}

// Over a real connection, a client that sends part of a body, slowly or
// not at all, does not hold the connection: the server answers or closes
// it on its own, soon after RequestTimeout (the guard here is 10 s).
func TestSlowBodyReleasesTheConnection(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) { c.RequestTimeout = 300 * time.Millisecond })
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	for _, mode := range []string{"trickled", "stalled"} {
		t.Run(mode, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second))) // the test's guard
			_, err = io.WriteString(conn, "POST /api/auth/sign-in/email HTTP/1.1\r\nHost: 127.0.0.1:3005\r\n"+
				"Origin: "+testOrigin+"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
			require.NoError(t, err)
			stop := make(chan struct{})
			defer close(stop)
			if mode == "trickled" {
				go func() {
					for {
						select {
						case <-stop:
							return
						case <-time.After(100 * time.Millisecond):
						}
						if _, err := conn.Write([]byte(" ")); err != nil {
							return
						}
					}
				}()
			}
			start := time.Now()
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server still held the connection after %v", time.Since(start))
			}
			if err == nil { // an answer; else the server closed the connection
				res.Body.Close()
				assert.Equal(t, 408, res.StatusCode)
				assert.True(t, res.Close, "the connection is closed after the answer")
			}
			assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "not before RequestTimeout")
		})
	}
}

// Under an https base URL only the __Secure- cookie names carry a session:
// an unprefixed cookie, which a sibling subdomain or a plain-http answer
// can plant, is ignored even when validly signed (login CSRF: it would
// sign the victim in to the attacker's account). Under http it is read,
// as Better Auth reads it.
func TestSecureCookiesReadOnlySecureNames(t *testing.T) {
	for _, base := range []string{"https://app.example.com", "http://app.example.com"} {
		t.Run(base, func(t *testing.T) {
			a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) { c.BaseURL = base })
			res, err := a.SignUpEmail(context.Background(), betterauth.SignUpInput{Name: "Attacker", Email: "attacker@example.com", Password: "correct-horse-1"})
			require.NoError(t, err)
			signed := pctEncode(betterauth.SignCookieValue(testSecret, res.Session.Token))
			for name, readUnderHTTPS := range map[string]bool{
				"better-auth.session_token":          false,
				"better-auth-session_token":          false,
				"__Secure-better-auth.session_token": true,
				"__Secure-better-auth-session_token": true,
			} {
				req := httptest.NewRequest("GET", base+"/api/auth/get-session", nil)
				req.Header.Set("Cookie", name+"="+signed)
				rec := serve(a.Handler(), req)
				require.Equal(t, 200, rec.Code, name)
				if strings.HasPrefix(base, "https") && !readUnderHTTPS {
					assert.Equal(t, "null", rec.Body.String(), "%s is ignored under https", name)
				} else {
					assert.Contains(t, rec.Body.String(), "attacker@example.com", "%s is read", name)
				}
			}
		})
	}
}
