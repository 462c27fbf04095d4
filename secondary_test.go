package betterauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/secondary"
	"github.com/go-betterauth/betterauth/secondary/memory"
)

// recordingStorage is a secondary.Storage that remembers the keys written
// and can be made to fail like a Redis that is down.
type recordingStorage struct {
	secondary.Storage
	mu   sync.Mutex
	keys map[string]bool
	down atomic.Bool
	gets atomic.Int64
}

var errRedisDown = errors.New("dial tcp 127.0.0.1:6379: connection refused")

func (s *recordingStorage) fail() error {
	if s.down.Load() {
		return errors.Join(secondary.ErrUnavailable, errRedisDown)
	}
	return nil
}

func (s *recordingStorage) Get(ctx context.Context, key string) (string, bool, error) {
	s.gets.Add(1)
	if err := s.fail(); err != nil {
		return "", false, err
	}
	return s.Storage.Get(ctx, key)
}

func (s *recordingStorage) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := s.fail(); err != nil {
		return err
	}
	s.mu.Lock()
	s.keys[key] = true
	s.mu.Unlock()
	return s.Storage.Set(ctx, key, value, ttl)
}

func (s *recordingStorage) GetAndDelete(ctx context.Context, key string) (string, bool, error) {
	if err := s.fail(); err != nil {
		return "", false, err
	}
	return s.Storage.GetAndDelete(ctx, key)
}

func (s *recordingStorage) Increment(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if err := s.fail(); err != nil {
		return 0, err
	}
	return s.Storage.Increment(ctx, key, ttl)
}

func (s *recordingStorage) Delete(ctx context.Context, key string) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Storage.Delete(ctx, key)
}

// live returns the keys written that still hold a value.
func (s *recordingStorage) live(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.keys {
		if _, ok, err := s.Storage.Get(context.Background(), k); err == nil && ok {
			out = append(out, k)
		}
	}
	return out
}

func (s *recordingStorage) get(t *testing.T, key string) (string, bool) {
	t.Helper()
	v, ok, err := s.Storage.Get(context.Background(), key)
	require.NoError(t, err)
	return v, ok
}

// secondaryEnv is an Auth on memstore with secondary storage in memory,
// both on the fake clock.
type secondaryEnv struct {
	auth  *betterauth.Auth
	db    betterauth.Store
	ss    *recordingStorage
	clock *fakeClock
	h     http.Handler
}

func newSecondaryEnv(t *testing.T, mod func(*betterauth.Config)) *secondaryEnv {
	t.Helper()
	e := &secondaryEnv{db: backends[0].new(t, schema.Schema{})}
	a, clock := newAuth(t, e.db, func(c *betterauth.Config) {
		e.ss = &recordingStorage{Storage: memory.New(memory.Options{Now: c.Now}), keys: map[string]bool{}}
		c.SecondaryStorage = e.ss
		if mod != nil {
			mod(c)
		}
	})
	e.auth, e.clock, e.h = a, clock, a.Handler()
	return e
}

// token is the raw session token the client's cookie carries.
func sessionToken(t *testing.T, c *client) string {
	t.Helper()
	v, err := url.QueryUnescape(c.cookies["better-auth.session_token"])
	require.NoError(t, err)
	tok, _, ok := strings.Cut(v, ".")
	require.True(t, ok, "no session cookie")
	return tok
}

func TestSecondarySessionsLiveInSecondaryStorage(t *testing.T) {
	e := newSecondaryEnv(t, nil)
	c := newClient(t, e.h)
	body := c.signUp("Ada", "ada@example.com", "correct horse battery")
	userID := body["user"].(map[string]any)["id"].(string)
	tok := sessionToken(t, c)

	// No row in the database: the session lives in secondary storage only.
	rows, err := e.db.ListSessions(context.Background(), userID, time.Time{})
	require.NoError(t, err)
	assert.Empty(t, rows)

	raw, ok := e.ss.get(t, tok)
	require.True(t, ok)
	var cached struct {
		Session map[string]any `json:"session"`
		User    map[string]any `json:"user"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &cached))
	assert.Equal(t, tok, cached.Session["token"])
	assert.Equal(t, userID, cached.Session["userId"])
	assert.Equal(t, "2026-12-04T11:09:19.882Z", cached.Session["expiresAt"])
	assert.Equal(t, "ada@example.com", cached.User["email"])
	// Better Auth's key order for the session (spec §16.4).
	assert.True(t, strings.HasPrefix(raw, `{"session":{"id":"`), raw)
	assert.Contains(t, raw, `","ipAddress":"192.0.2.1","userAgent":"","expiresAt":"2026-12-04T11:09:19.882Z","userId":"`+userID+`","token":"`+tok+`","createdAt":"2026-11-27T11:09:19.882Z","updatedAt":"2026-11-27T11:09:19.882Z"},"user":{"id":"`+userID+`","name":"Ada","email":"ada@example.com","emailVerified":false,"image":null,`)
	list, ok := e.ss.get(t, "active-sessions-"+userID)
	require.True(t, ok)
	assert.Equal(t, `[{"token":"`+tok+`","expiresAt":`+strconv.FormatInt(e.clock.Now().Add(7*24*time.Hour).UnixMilli(), 10)+`}]`, list)

	// get-session reads it.
	res := c.do(http.MethodGet, "/get-session", nil)
	require.Equal(t, 200, res.status)
	assert.Equal(t, userID, res.obj(t)["user"].(map[string]any)["id"])

	// It expires with the session.
	e.clock.Advance(7*24*time.Hour - time.Second)
	_, ok = e.ss.get(t, tok)
	assert.True(t, ok)
	e.clock.Advance(time.Second)
	_, ok = e.ss.get(t, tok)
	assert.False(t, ok)
}

func TestSecondaryUpdateUserRewritesCachedSessions(t *testing.T) {
	e := newSecondaryEnv(t, nil)
	c := newClient(t, e.h)
	c.signUp("Ada", "ada@example.com", "correct horse battery")
	other := newClient(t, e.h)
	require.Equal(t, 200, other.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct horse battery"}).status)
	require.Equal(t, 200, c.do(http.MethodPost, "/update-user", map[string]any{"name": "Ada Lovelace"}).status)
	for _, cl := range []*client{c, other} {
		raw, ok := e.ss.get(t, sessionToken(t, cl))
		require.True(t, ok)
		assert.Contains(t, raw, `"name":"Ada Lovelace"`)
		assert.Equal(t, "Ada Lovelace", cl.do(http.MethodGet, "/get-session", nil).obj(t)["user"].(map[string]any)["name"])
	}
}

func TestSecondarySignOutAndRevocation(t *testing.T) {
	e := newSecondaryEnv(t, nil)
	a := newClient(t, e.h)
	body := a.signUp("Ada", "ada@example.com", "correct horse battery")
	userID := body["user"].(map[string]any)["id"].(string)
	b := newClient(t, e.h)
	require.Equal(t, 200, b.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct horse battery"}).status)
	tokA, tokB := sessionToken(t, a), sessionToken(t, b)

	// list-sessions reads the active sessions.
	res := a.do(http.MethodGet, "/list-sessions", nil)
	require.Equal(t, 200, res.status, string(res.body))
	assert.Len(t, res.json(t), 2)

	// Sign-out removes the value and the list entry.
	require.Equal(t, 200, b.do(http.MethodPost, "/sign-out", map[string]any{}).status)
	_, ok := e.ss.get(t, tokB)
	assert.False(t, ok)
	list, _ := e.ss.get(t, "active-sessions-"+userID)
	assert.NotContains(t, list, tokB)
	assert.Contains(t, list, tokA)

	// A session another server cached but did not list (or listed after we
	// read the list) is revoked by the mark revoke-sessions writes.
	ghost := `{"session":{"id":"ghost","ipAddress":"","userAgent":"","expiresAt":"2026-12-04T11:09:19.882Z","userId":"` + userID + `","token":"ghost-token","createdAt":"2026-11-27T11:09:19.881Z","updatedAt":"2026-11-27T11:09:19.881Z"},"user":{"id":"` + userID + `","name":"Ada","email":"ada@example.com","emailVerified":false,"image":null,"createdAt":"2026-11-27T11:09:19.881Z","updatedAt":"2026-11-27T11:09:19.881Z"}}`
	require.NoError(t, e.ss.Set(context.Background(), "ghost-token", ghost, time.Hour))
	g := newClient(t, e.h)
	g.cookies["better-auth.session_token"] = url.QueryEscape(betterauth.SignCookieValue(testSecret, "ghost-token"))
	require.Equal(t, "ada@example.com", g.do(http.MethodGet, "/get-session", nil).obj(t)["user"].(map[string]any)["email"], "a Better Auth value is read")

	e.clock.Advance(time.Millisecond)
	require.Equal(t, 200, a.do(http.MethodPost, "/revoke-sessions", map[string]any{}).status)
	mark, ok := e.ss.get(t, "revoked-sessions-before-"+userID)
	require.True(t, ok)
	assert.Equal(t, strconv.FormatInt(e.clock.Now().UnixMilli(), 10), mark)
	_, ok = e.ss.get(t, tokA)
	assert.False(t, ok)
	assert.Equal(t, "null", string(g.do(http.MethodGet, "/get-session", nil).body), "older than the mark")
	// A new sign-in is not.
	require.Equal(t, 200, b.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct horse battery"}).status)
	assert.NotEqual(t, "null", string(b.do(http.MethodGet, "/get-session", nil).body))
}

// A later mark (written by a server whose clock is ahead) is kept, as
// Better Auth keeps max(revokedAt, previous).
func TestSecondaryRevocationMarkKeepsTheLater(t *testing.T) {
	e := newSecondaryEnv(t, nil)
	a := newClient(t, e.h)
	body := a.signUp("Ada", "ada@example.com", "correct horse battery")
	userID := body["user"].(map[string]any)["id"].(string)
	later := strconv.FormatInt(e.clock.Now().Add(time.Minute).UnixMilli(), 10)
	require.NoError(t, e.ss.Set(context.Background(), "revoked-sessions-before-"+userID, later, time.Hour))
	_, err := e.auth.Store().DeleteUserSessions(context.Background(), userID, "")
	require.NoError(t, err)
	mark, ok := e.ss.get(t, "revoked-sessions-before-"+userID)
	require.True(t, ok)
	assert.Equal(t, later, mark)
}

// With StoreSessionInDatabase, list-sessions reads the rows, as Better
// Auth does: the active-sessions list is not needed.
func TestSecondaryListSessionsFromTheRows(t *testing.T) {
	e := newSecondaryEnv(t, func(c *betterauth.Config) { c.Session.StoreSessionInDatabase = true })
	c := newClient(t, e.h)
	body := c.signUp("Ada", "ada@example.com", "correct horse battery")
	userID := body["user"].(map[string]any)["id"].(string)
	require.NoError(t, e.ss.Delete(context.Background(), "active-sessions-"+userID))
	res := c.do(http.MethodGet, "/list-sessions", nil)
	require.Equal(t, 200, res.status, string(res.body))
	assert.Len(t, res.json(t), 1)
}

func TestSecondarySessionRefresh(t *testing.T) {
	e := newSecondaryEnv(t, nil)
	c := newClient(t, e.h)
	body := c.signUp("Ada", "ada@example.com", "correct horse battery")
	userID := body["user"].(map[string]any)["id"].(string)
	tok := sessionToken(t, c)
	e.clock.Advance(25 * time.Hour)
	res := c.do(http.MethodGet, "/get-session", nil)
	require.Equal(t, 200, res.status)
	want := e.clock.Now().Add(7 * 24 * time.Hour)
	assert.Equal(t, want.Format("2006-01-02T15:04:05.000Z"), res.obj(t)["session"].(map[string]any)["expiresAt"])
	raw, _ := e.ss.get(t, tok)
	assert.Contains(t, raw, `"expiresAt":"`+want.Format("2006-01-02T15:04:05.000Z")+`"`)
	list, _ := e.ss.get(t, "active-sessions-"+userID)
	assert.Equal(t, `[{"token":"`+tok+`","expiresAt":`+strconv.FormatInt(want.UnixMilli(), 10)+`}]`, list)
	// It now lives until the new expiry.
	e.clock.Advance(7*24*time.Hour - time.Second)
	_, ok := e.ss.get(t, tok)
	assert.True(t, ok)
}

func TestSecondaryStoreSessionInDatabase(t *testing.T) {
	e := newSecondaryEnv(t, func(c *betterauth.Config) { c.Session.StoreSessionInDatabase = true })
	c := newClient(t, e.h)
	body := c.signUp("Ada", "ada@example.com", "correct horse battery")
	userID := body["user"].(map[string]any)["id"].(string)
	tok := sessionToken(t, c)
	rows, err := e.db.ListSessions(context.Background(), userID, time.Time{})
	require.NoError(t, err)
	require.Len(t, rows, 1, "the row is written too")
	raw, ok := e.ss.get(t, tok)
	require.True(t, ok)
	assert.Contains(t, raw, `"id":"`+rows[0].ID+`"`, "the row and the value share the id")

	// Without the copy, the row answers.
	require.NoError(t, e.ss.Delete(context.Background(), tok))
	assert.Equal(t, userID, c.do(http.MethodGet, "/get-session", nil).obj(t)["user"].(map[string]any)["id"])
	_, ok = e.ss.get(t, tok)
	assert.False(t, ok, "not written back, as in Better Auth")
	// Sign-out removes both.
	require.Equal(t, 200, c.do(http.MethodPost, "/sign-out", map[string]any{}).status)
	rows, err = e.db.ListSessions(context.Background(), userID, time.Time{})
	require.NoError(t, err)
	assert.Empty(t, rows)
}

func TestSecondaryVerificationValues(t *testing.T) {
	var mu sync.Mutex
	var mails []betterauth.Email
	e := newSecondaryEnv(t, func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = func(_ context.Context, m betterauth.Email) error {
			mu.Lock()
			defer mu.Unlock()
			mails = append(mails, m)
			return nil
		}
	})
	c := newClient(t, e.h)
	body := c.signUp("Ada", "ada@example.com", "correct horse battery")
	userID := body["user"].(map[string]any)["id"].(string)
	require.Equal(t, 200, c.do(http.MethodPost, "/request-password-reset", map[string]any{"email": "ada@example.com", "redirectTo": "/reset"}).status)
	require.NoError(t, e.auth.Shutdown(context.Background()))
	mu.Lock()
	require.Len(t, mails, 1)
	token := mails[0].Token
	mu.Unlock()

	raw, ok := e.ss.get(t, "verification:reset-password:"+token)
	require.True(t, ok)
	assert.Equal(t, `{"createdAt":"2026-11-27T11:09:19.882Z","updatedAt":"2026-11-27T11:09:19.882Z","value":"`+userID+`","identifier":"reset-password:`+token+`","expiresAt":"2026-11-27T12:09:19.882Z"}`, raw)
	_, err := e.db.GetVerification(context.Background(), "reset-password:"+token)
	require.ErrorIs(t, err, betterauth.ErrNotFound, "no row in the database")

	res := c.do(http.MethodPost, "/reset-password", map[string]any{"token": token, "newPassword": "a new password 1"})
	require.Equal(t, 200, res.status, string(res.body))
	_, ok = e.ss.get(t, "verification:reset-password:"+token)
	assert.False(t, ok, "consumed")
	res = c.do(http.MethodPost, "/reset-password", map[string]any{"token": token, "newPassword": "a new password 2"})
	assert.Equal(t, 400, res.status)
}

func TestSecondaryOutageIs503(t *testing.T) {
	e := newSecondaryEnv(t, nil)
	c := newClient(t, e.h)
	c.signUp("Ada", "ada@example.com", "correct horse battery")
	e.ss.down.Store(true)
	res := c.do(http.MethodGet, "/get-session", nil)
	assert.Equal(t, 503, res.status, string(res.body))
	assert.Empty(t, res.setCookies, "cookies kept: nobody is signed out")
	res = newClient(t, e.h).do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct horse battery"})
	assert.Equal(t, 503, res.status, string(res.body))
	e.ss.down.Store(false)
	assert.Equal(t, 200, c.do(http.MethodGet, "/get-session", nil).status)
}

// A value written inside a transaction that rolls back is taken back.
func TestSecondaryRollbackTakesValuesBack(t *testing.T) {
	e := newSecondaryEnv(t, func(c *betterauth.Config) {
		c.Hooks.AfterSignIn = func(context.Context, *betterauth.SignIn, *betterauth.Session) ([]*http.Cookie, error) {
			return nil, errors.New("refused")
		}
	})
	c := newClient(t, e.h)
	res := c.do(http.MethodPost, "/sign-up/email", map[string]any{"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"})
	require.Equal(t, 500, res.status, string(res.body))
	_, err := e.db.GetUserByEmail(context.Background(), "ada@example.com")
	require.ErrorIs(t, err, betterauth.ErrNotFound, "the sign-up rolled back")
	for _, k := range e.ss.live(t) {
		assert.True(t, strings.HasPrefix(k, "active-sessions-"), "left behind: %s", k)
	}
}

// The failed-sign-in cap counts in secondary storage.
func TestSecondaryFailedSignInCap(t *testing.T) {
	e := newSecondaryEnv(t, func(c *betterauth.Config) { c.EmailAndPassword.MaxFailedSignIns = 2 })
	c := newClient(t, e.h)
	c.signUp("Ada", "ada@example.com", "correct horse battery")
	for range 2 {
		assert.Equal(t, 401, c.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "wrong password!"}).status)
	}
	res := c.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct horse battery"})
	assert.NotEqual(t, 200, res.status, "locked: %s", res.body)
}

// Deleting the user revokes its cached sessions.
func TestSecondaryDeleteUser(t *testing.T) {
	e := newSecondaryEnv(t, nil)
	c := newClient(t, e.h)
	body := c.signUp("Ada", "ada@example.com", "correct horse battery")
	userID := body["user"].(map[string]any)["id"].(string)
	tok := sessionToken(t, c)
	require.NoError(t, e.auth.Store().DeleteUser(context.Background(), userID))
	_, ok := e.ss.get(t, tok)
	assert.False(t, ok)
	_, ok = e.ss.get(t, "revoked-sessions-before-"+userID)
	assert.True(t, ok)
	assert.Equal(t, "null", string(c.do(http.MethodGet, "/get-session", nil).body))
}

// With Verification.StoreInDatabase the value is in both; consuming it
// takes both.
func TestSecondaryVerificationStoreInDatabase(t *testing.T) {
	e := newSecondaryEnv(t, func(c *betterauth.Config) { c.Verification.StoreInDatabase = true })
	ctx := context.Background()
	v, err := e.auth.CreateVerification(ctx, "plugin-value", "42", time.Hour)
	require.NoError(t, err)
	assert.NotEmpty(t, v.ID, "the database made the id")
	_, ok := e.ss.get(t, "verification:plugin-value")
	assert.True(t, ok)
	row, err := e.db.GetVerification(ctx, "plugin-value")
	require.NoError(t, err)
	assert.Equal(t, "42", row.Value)
	// Without the copy, the row answers.
	require.NoError(t, e.ss.Delete(ctx, "verification:plugin-value"))
	got, err := e.auth.FindVerification(ctx, "plugin-value")
	require.NoError(t, err)
	require.NotNil(t, got)
	_, err = e.auth.CreateVerification(ctx, "plugin-value", "43", time.Hour)
	require.NoError(t, err)
	got, err = e.auth.ConsumeVerification(ctx, "plugin-value")
	require.NoError(t, err)
	assert.Equal(t, "43", got.Value)
	_, ok = e.ss.get(t, "verification:plugin-value")
	assert.False(t, ok, "the copy is gone")
	_, err = e.db.GetVerification(ctx, "plugin-value")
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
	// Counters count in the database.
	n, err := e.auth.Store().IncrementVerification(ctx, "counter", e.clock.Now(), e.clock.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	_, err = e.db.GetVerification(ctx, "counter")
	assert.NoError(t, err)
}

// Verification values in secondary storage only: found until they expire,
// consumed once.
func TestSecondaryVerificationOnly(t *testing.T) {
	e := newSecondaryEnv(t, nil)
	ctx := context.Background()
	_, err := e.auth.CreateVerification(ctx, "plugin-value", "42", time.Minute)
	require.NoError(t, err)
	_, err = e.db.GetVerification(ctx, "plugin-value")
	require.ErrorIs(t, err, betterauth.ErrNotFound)
	got, err := e.auth.FindVerification(ctx, "plugin-value")
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, "42", got.Value)
	e.clock.Advance(time.Minute)
	got, err = e.auth.FindVerification(ctx, "plugin-value")
	require.NoError(t, err)
	assert.Nil(t, got)
	// An already expired value is not written at all.
	_, err = e.auth.CreateVerification(ctx, "gone", "1", 0)
	require.NoError(t, err)
	_, ok := e.ss.get(t, "verification:gone")
	assert.False(t, ok)
	// Counters: an atomic increment with the window's expiry.
	for i := int64(1); i <= 3; i++ {
		n, err := e.auth.Store().IncrementVerification(ctx, "counter", e.clock.Now(), e.clock.Now().Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, i, n)
	}
	e.clock.Advance(time.Minute)
	n, err := e.auth.Store().IncrementVerification(ctx, "counter", e.clock.Now(), e.clock.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "a new window")
}

// revoke-other-sessions keeps the caller's session and writes no mark.
func TestSecondaryRevokeOtherSessions(t *testing.T) {
	e := newSecondaryEnv(t, nil)
	a := newClient(t, e.h)
	body := a.signUp("Ada", "ada@example.com", "correct horse battery")
	userID := body["user"].(map[string]any)["id"].(string)
	b := newClient(t, e.h)
	require.Equal(t, 200, b.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct horse battery"}).status)
	e.clock.Advance(time.Second)
	require.Equal(t, 200, a.do(http.MethodPost, "/revoke-other-sessions", map[string]any{}).status)
	assert.NotEqual(t, "null", string(a.do(http.MethodGet, "/get-session", nil).body))
	assert.Equal(t, "null", string(b.do(http.MethodGet, "/get-session", nil).body))
	_, ok := e.ss.get(t, "revoked-sessions-before-"+userID)
	assert.False(t, ok)
	list, _ := e.ss.get(t, "active-sessions-"+userID)
	assert.Equal(t, `[{"token":"`+sessionToken(t, a)+`","expiresAt":`+strconv.FormatInt(e.clock.Now().Add(-time.Second).Add(7*24*time.Hour).UnixMilli(), 10)+`}]`, list)
}

// A refresh of a session the row holds but secondary storage lost updates the row.
func TestSecondaryRefreshFromTheRow(t *testing.T) {
	e := newSecondaryEnv(t, func(c *betterauth.Config) { c.Session.StoreSessionInDatabase = true })
	c := newClient(t, e.h)
	c.signUp("Ada", "ada@example.com", "correct horse battery")
	tok := sessionToken(t, c)
	require.NoError(t, e.ss.Delete(context.Background(), tok))
	e.clock.Advance(25 * time.Hour)
	res := c.do(http.MethodGet, "/get-session", nil)
	require.Equal(t, 200, res.status, string(res.body))
	s, _, err := e.db.GetSessionByToken(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, e.clock.Now().Add(7*24*time.Hour), s.ExpiresAt)
}
