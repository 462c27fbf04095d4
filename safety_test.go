package betterauth_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Secrets never reach the logs: run every flow, including failures, with a
// capturing logger, then look for the passwords, tokens and hashes.
func TestNoSecretsInLogs(t *testing.T) {
	logs := &lockedBuffer{}
	mail := &mailbox{}
	st := backends[1].new(t, schema.Schema{})
	a, _ := newAuth(t, st, func(c *betterauth.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.EmailAndPassword.SendResetPassword = mail.send
		c.User.DeleteUser.Enabled = true
		c.User.DeleteUser.SendDeleteAccountVerification = mail.send
	})
	c := newClient(t, a.Handler())
	const pw, pw2 = "Marker-Password-111", "Marker-Password-222"
	token := c.signUp("Lo", "logs@example.com", pw)["token"].(string)
	c.do("POST", "/sign-up/email", map[string]any{"name": "Lo", "email": "logs@example.com", "password": pw})
	c.do("POST", "/sign-in/email", map[string]any{"email": "logs@example.com", "password": "Marker-Wrong-333"})
	c.do("POST", "/change-password", map[string]any{"currentPassword": pw, "newPassword": pw2})
	c.do("POST", "/request-password-reset", map[string]any{"email": "logs@example.com"})
	mail.fail.Store(true)
	c.do("POST", "/delete-user", map[string]any{})
	c.do("POST", "/request-password-reset", map[string]any{"email": "logs@example.com"})
	require.NoError(t, a.Shutdown(context.Background()))
	acct, err := st.GetAccount(context.Background(), betterauth.ProviderCredential, c.do("GET", "/get-session", nil).obj(t)["user"].(map[string]any)["id"].(string))
	require.NoError(t, err)

	out := logs.String()
	require.NotEmpty(t, out, "the flows log something")
	secrets := []string{pw, pw2, "Marker-Wrong-333", token, acct.Password, testSecret}
	for _, m := range mail.sent {
		secrets = append(secrets, m.Token)
	}
	for _, s := range secrets {
		assert.NotContains(t, out, s)
	}
}

// A real database that cannot be reached: 503, cookies left alone, and the
// middleware does not treat the caller as anonymous.
func TestDatabaseDown(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2&sslmode=disable")
	require.NoError(t, err)
	defer pool.Close()
	st, err := pgstore.New(pool, schema.Schema{})
	require.NoError(t, err)
	a, _ := newAuth(t, st, nil)
	c := newClient(t, a.Handler())
	c.cookies["better-auth.session_token"] = pctEncode(betterauth.SignCookieValue(testSecret, strings.Repeat("a", 32)))
	res := c.do("GET", "/get-session", nil)
	assert.Equal(t, 503, res.status)
	assert.Empty(t, res.setCookies)
	assert.Equal(t, "1", res.header.Get("Retry-After"))
	assert.NotContains(t, string(res.body), "127.0.0.1", "no connection details in the answer")
	res = c.do("POST", "/sign-in/email", map[string]any{"email": "x@example.com", "password": "correct-horse-1"})
	assert.Equal(t, 503, res.status)
}

// Sign-up ignores fields a client may not set, and sign-in never adopts a
// session token the client brings.
func TestNoMassAssignmentNoFixation(t *testing.T) {
	st := backends[0].new(t, schema.Schema{})
	a, _ := newAuth(t, st, nil)
	c := newClient(t, a.Handler())
	res := c.do("POST", "/sign-up/email", map[string]any{
		"name": "Mal", "email": "mal@example.com", "password": "correct-horse-1",
		"emailVerified": true, "id": "chosen-id", "role": "admin", "createdAt": "2000-01-01T00:00:00.000Z",
	})
	require.Equal(t, 200, res.status)
	u := res.obj(t)["user"].(map[string]any)
	assert.Equal(t, false, u["emailVerified"])
	assert.NotEqual(t, "chosen-id", u["id"])
	assert.NotContains(t, u, "role")
	assert.NotEqual(t, "2000-01-01T00:00:00.000Z", u["createdAt"])

	attacker := strings.Repeat("F", 32)
	c.cookies = map[string]string{"better-auth.session_token": pctEncode(betterauth.SignCookieValue(testSecret, attacker))}
	res = c.do("POST", "/sign-in/email", map[string]any{"email": "mal@example.com", "password": "correct-horse-1"})
	require.Equal(t, 200, res.status)
	assert.NotEqual(t, attacker, res.obj(t)["token"])
	_, _, err := st.GetSessionByToken(context.Background(), attacker)
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
}

// A database that accepts connections but never answers: requests end
// with 503 within RequestTimeout instead of hanging.
func TestHungDatabaseIs503(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // hold it open, say nothing
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@"+l.Addr().String()+"/none?sslmode=disable")
	require.NoError(t, err)
	defer pool.Close()
	st, err := pgstore.New(pool, schema.Schema{})
	require.NoError(t, err)
	a, _ := newAuth(t, st, func(c *betterauth.Config) { c.RequestTimeout = 200 * time.Millisecond })
	c := newClient(t, a.Handler())
	c.cookies["better-auth.session_token"] = pctEncode(betterauth.SignCookieValue(testSecret, strings.Repeat("b", 32)))
	res := c.do("GET", "/get-session", nil)
	assert.Equal(t, 503, res.status)
	assert.Empty(t, res.setCookies)

	req := newRequest(t, "GET", "/api/me", "")
	req.Header.Set("Cookie", c.cookieHeader())
	rec := serve(a.RequireSession(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("must not run") })), req)
	assert.Equal(t, 503, rec.Code)
}

// An unreadable password hash in the database is a wrong password (401,
// logged), not a crash.
func TestBrokenPasswordHash(t *testing.T) {
	st := backends[0].new(t, schema.Schema{})
	a, _ := newAuth(t, st, nil)
	c := newClient(t, a.Handler())
	id := c.signUp("Br", "br@example.com", "correct-horse-1")["user"].(map[string]any)["id"].(string)
	acct, err := st.GetAccount(context.Background(), betterauth.ProviderCredential, id)
	require.NoError(t, err)
	broken := "not-a-hash"
	_, err = st.UpdateAccount(context.Background(), acct.ID, betterauth.AccountUpdate{Password: &broken})
	require.NoError(t, err)
	res := newClient(t, a.Handler()).do("POST", "/sign-in/email", map[string]any{"email": "br@example.com", "password": "correct-horse-1"})
	assert.Equal(t, 401, res.status)
	assert.Equal(t, `{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`, string(res.body))
}

// Bigint fields are JSON strings, as Better Auth on PostgreSQL answers them,
// and strings are taken back.
func TestBigintFieldsAreStrings(t *testing.T) {
	sch := schema.Schema{User: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
		"karma": {Type: schema.FieldNumber, BigInt: true, Optional: true},
	}}}
	forEachBackend(t, func(t *testing.T, b backend) {
		a, _ := newAuth(t, b.new(t, sch), func(c *betterauth.Config) { c.Schema = sch })
		c := newClient(t, a.Handler())
		res := c.do("POST", "/sign-up/email", map[string]any{"name": "Bi", "email": "bi@example.com", "password": "correct-horse-1", "karma": 4102444800123})
		require.Equal(t, 200, res.status, "%s", res.body)
		assert.Contains(t, string(res.body), `"karma":"4102444800123"`)
		res = c.do("POST", "/update-user", map[string]any{"karma": "12"})
		require.Equal(t, 200, res.status, "%s", res.body)
		assert.Contains(t, string(c.do("GET", "/get-session", nil).body), `"karma":"12"`)
	})
}
