package betterauth_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

// Checklist L3: text a client controls cannot forge a log record. A refused
// Origin and a User-Agent holding CR/LF and a fake JSON record come out as
// one record each, their content escaped.
func TestLogInjection(t *testing.T) {
	var out syncBuffer
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&out, nil))
	})
	h := a.Handler()
	forged := "\r\ntime=x level=INFO msg=authn_login_success user_id=admin\n{\"msg\":\"fake\"}"
	req := newRequest(t, "POST", "/sign-out", "{}")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "better-auth.session_token=x")
	req.Header.Set("Origin", "https://evil.test"+forged)
	req.Header.Set("User-Agent", "agent"+forged)
	require.Equal(t, http.StatusForbidden, serve(h, req).Code)

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 1, "one refusal, one record: %q", out.String())
	assert.Contains(t, lines[0], "msg=malicious_cors")
	assert.NotContains(t, out.String(), "\nmsg=authn_login_success")
	assert.Contains(t, lines[0], `\r\ntime=x`, "the forged text is escaped, not written raw")
}

// Checklist P6: a reset signs nobody in: the answer sets no cookie and
// carries no token.
func TestResetAnswerSignsNobodyIn(t *testing.T) {
	mail := &mailbox{}
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = mail.send
	})
	h := a.Handler()
	newClient(t, h).signUp("Res", "res@example.com", "correct-horse-1")
	require.NoError(t, a.RequestPasswordReset(context.Background(), "res@example.com", ""))
	res := newClient(t, h).do("POST", "/reset-password", map[string]any{"token": mail.last(t, a).Token, "newPassword": "correct-horse-2"})
	require.Equal(t, 200, res.status, "%s", res.body)
	assert.Empty(t, res.setCookies)
	assert.Empty(t, res.header.Get("Set-Auth-Token"))
	assert.Equal(t, `{"status":true}`, string(res.body))
}

// Checklist I3: values travel as parameters. Names and additional fields
// full of SQL are stored and read back as they were, and nothing else
// changes.
func TestSQLInValuesIsJustText(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, _ := newAuth(t, st, nil)
		c := newClient(t, a.Handler())
		evil := `Robert'); DROP TABLE "user";-- "` + "`" + `\ $1 %s`
		c.signUp(evil, "bobby@example.com", "correct-horse-1")
		newClient(t, a.Handler()).signUp("Other", "other@example.com", "correct-horse-1")
		res := c.do("GET", "/get-session", nil)
		assert.Equal(t, evil, res.obj(t)["user"].(map[string]any)["name"])
		res = c.do("POST", "/sign-in/email", map[string]any{"email": `x' OR '1'='1@example.com`, "password": "correct-horse-1"})
		assert.Contains(t, []int{400, 401}, res.status)
		u, err := st.GetUserByEmail(context.Background(), "other@example.com")
		require.NoError(t, err, "the other user is still there")
		assert.Equal(t, "Other", u.Name)
	})
}

// Checklist C2: safe methods change nothing. With a valid session, every
// GET route (with tokens that are not valid, since a valid link is allowed
// to act) leaves every table as it was.
func TestGetRoutesChangeNothing(t *testing.T) {
	pool := pgtest.NewPool(t)
	ctx := context.Background()
	require.NoError(t, migrations.Up(ctx, pool, schema.Schema{}))
	st, err := pgstore.New(pool, schema.Schema{})
	require.NoError(t, err)
	a, _ := newAuth(t, st, func(c *betterauth.Config) {
		c.User.DeleteUser.Enabled = true
		c.EmailVerification.SendVerificationEmail = (&mailbox{}).send
		c.EmailAndPassword.SendResetPassword = (&mailbox{}).send
	})
	h := a.Handler()
	c := newClient(t, h)
	c.signUp("Get", "get@example.com", "correct-horse-1")
	checksum := func() string {
		var sum string
		require.NoError(t, pool.QueryRow(ctx, `SELECT md5(
			(SELECT coalesce(string_agg(t::text, ',' ORDER BY t::text), '') FROM "user" t) ||
			(SELECT coalesce(string_agg(t::text, ',' ORDER BY t::text), '') FROM "session" t) ||
			(SELECT coalesce(string_agg(t::text, ',' ORDER BY t::text), '') FROM "account" t) ||
			(SELECT coalesce(string_agg(t::text, ',' ORDER BY t::text), '') FROM "verification" t))`).Scan(&sum))
		return sum
	}
	before := checksum()
	for _, path := range []string{
		"/get-session", "/get-session?disableRefresh=true", "/list-sessions", "/ok", "/error?error=X",
		"/verify-email?token=not-a-jwt&callbackURL=/done", "/reset-password/not-a-token?callbackURL=/reset",
		"/delete-user/callback?token=not-a-token&callbackURL=/bye",
	} {
		for _, m := range []string{"GET", "HEAD"} {
			res := c.do(m, path, nil)
			assert.Less(t, res.status, 500, "%s %s: %s", m, path, res.body)
			assert.Equal(t, before, checksum(), "%s %s changed the database", m, path)
		}
	}
}

// cutProxy forwards TCP connections to a PostgreSQL server and can be cut
// (every connection closed, new ones refused) and restored.
type cutProxy struct {
	t       *testing.T
	network string
	target  string
	ln      net.Listener
	mu      sync.Mutex
	cut     bool
	conns   []net.Conn
}

func newCutProxy(t *testing.T, network, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cutProxy{t: t, network: network, target: target, ln: ln}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial(p.network, p.target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

// Checklist D2: when the database goes away every answer is a 503 that
// keeps the session, and when it is back the same Auth serves again, with
// no restart: the pool replaces its dead connections by itself.
func TestDatabaseComesBack(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(t))
	require.NoError(t, err)
	network, target := "tcp", net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port)))
	if strings.HasPrefix(cfg.ConnConfig.Host, "/") {
		network, target = "unix", filepath.Join(cfg.ConnConfig.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.ConnConfig.Port))
	}
	proxy := newCutProxy(t, network, target)
	host, port, _ := net.SplitHostPort(proxy.ln.Addr().String())
	p, _ := strconv.Atoi(port)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.TLSConfig, cfg.ConnConfig.Fallbacks = host, uint16(p), nil, nil
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, migrations.Up(ctx, pool, schema.Schema{}))
	st, err := pgstore.New(pool, schema.Schema{})
	require.NoError(t, err)
	a, _ := newAuth(t, st, func(c *betterauth.Config) { c.RequestTimeout = 2 * time.Second })
	c := newClient(t, a.Handler())
	c.signUp("Back", "back@example.com", "correct-horse-1")
	require.Equal(t, 200, c.do("GET", "/get-session", nil).status)

	proxy.setCut(true)
	for range 3 {
		res := c.do("GET", "/get-session", nil)
		require.Equal(t, 503, res.status, "%s", res.body)
		require.Empty(t, res.setCookies, "an outage logs nobody out")
	}
	proxy.setCut(false)
	// Poll until it answers again; the guard is generous, the test asserts
	// recovery, not its speed.
	deadline := time.Now().Add(30 * time.Second)
	var res *response
	for time.Now().Before(deadline) {
		if res = c.do("GET", "/get-session", nil); res.status == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.Equal(t, 200, res.status, "the same Auth serves again once the database is back: %s", res.body)
	assert.Equal(t, "back@example.com", res.obj(t)["user"].(map[string]any)["email"], "with the session it had")
	assert.Equal(t, 200, newClient(t, a.Handler()).do("POST", "/sign-in/email", map[string]any{"email": "back@example.com", "password": "correct-horse-1"}).status)
}

// Checklist T5: a verification link is bound to the address it was sent
// to: after the address changed, the old link verifies nothing.
func TestOldAddressLinkVerifiesNothing(t *testing.T) {
	mail := &mailbox{}
	st := backends[0].new(t, schema.Schema{})
	a, _ := newAuth(t, st, func(c *betterauth.Config) {
		c.EmailVerification.SendVerificationEmail = mail.send
		c.EmailVerification.SendOnSignUp = true
		c.User.ChangeEmail.Enabled = true
		c.User.ChangeEmail.UpdateEmailWithoutVerification = true
	})
	h := a.Handler()
	c := newClient(t, h)
	c.signUp("Old", "old@example.com", "correct-horse-1")
	oldLink := mail.last(t, a)
	require.Equal(t, "old@example.com", oldLink.To)
	require.Equal(t, 200, c.do("POST", "/change-email", map[string]any{"newEmail": "new@example.com"}).status)

	res := newClient(t, h).do("GET", "/verify-email?token="+oldLink.Token, nil)
	assert.GreaterOrEqual(t, res.status, 400, "%s", res.body)
	assert.Less(t, res.status, 500)
	u, err := st.GetUserByEmail(context.Background(), "new@example.com")
	require.NoError(t, err)
	assert.False(t, u.EmailVerified, "the new address is not verified by the old link")
}
