package betterauth_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

// Checklist L3: text a client controls cannot forge a log record. A refused
// Origin and a User-Agent holding CR/LF and a fake JSON record come out as
// one record each, their content escaped.
func TestLogInjection(t *testing.T) {
	var out syncBuffer
	a, _ := newAuth(t, backends[0].new(t, betterauth.Schema{}), func(c *betterauth.Config) {
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
	a, _ := newAuth(t, backends[0].new(t, betterauth.Schema{}), func(c *betterauth.Config) {
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
		st := b.new(t, betterauth.Schema{})
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
	require.NoError(t, migrations.Up(ctx, pool, betterauth.Schema{}))
	st, err := pgstore.New(pool, betterauth.Schema{})
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
