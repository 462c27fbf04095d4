package betterauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/plugins/bearer"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

var (
	jsTimeRE   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	tokenRE    = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	sessionSet = regexp.MustCompile(`^better-auth\.session_token=([A-Za-z0-9]{32})\.[A-Za-z0-9%]+%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax$`)
)

// keys returns the keys of a JSON object in the order the body has them.
func keys(t *testing.T, raw []byte, path ...string) []string {
	t.Helper()
	dec := jsonDecoder(raw)
	return dec.keysAt(t, path)
}

func assertUserShape(t *testing.T, u any) {
	t.Helper()
	m, ok := u.(map[string]any)
	require.True(t, ok, "user is an object")
	assert.IsType(t, "", m["name"])
	assert.IsType(t, "", m["email"])
	assert.IsType(t, false, m["emailVerified"])
	assert.Contains(t, m, "image")
	assert.Regexp(t, jsTimeRE, m["createdAt"])
	assert.Regexp(t, jsTimeRE, m["updatedAt"])
	assert.Regexp(t, tokenRE, m["id"])
}

func assertSessionShape(t *testing.T, s any) {
	t.Helper()
	m, ok := s.(map[string]any)
	require.True(t, ok, "session is an object")
	for _, k := range []string{"expiresAt", "createdAt", "updatedAt"} {
		assert.Regexp(t, jsTimeRE, m[k], k)
	}
	assert.Regexp(t, tokenRE, m["token"])
	assert.IsType(t, "", m["ipAddress"])
	assert.IsType(t, "", m["userAgent"])
	assert.Regexp(t, tokenRE, m["userId"])
	assert.Regexp(t, tokenRE, m["id"])
}

var expireCookies = []string{
	"better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
	"better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
	"better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
}

// TestTranscript replays ba-http-transcript.md: every request Better Auth
// 1.7.25 answered there gets the same status, JSON keys and types, error
// codes and cookies here.
func TestTranscript(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, clock := newAuth(t, b.new(t, schema.Schema{}), nil)
		h := a.Handler()
		c := newClient(t, h)
		c.header.Set("User-Agent", "node")
		const email = "transcript-mwyvpne4@example.com"
		signUp := map[string]any{"name": "Transcript User", "email": email, "password": "correct-horse-1"}

		// 1. sign-up
		res := c.do("POST", "/sign-up/email", signUp)
		require.Equal(t, 200, res.status, "%s", res.body)
		require.Len(t, res.setCookies, 1)
		m := sessionSet.FindStringSubmatch(res.setCookies[0])
		require.NotNil(t, m, res.setCookies[0])
		body := res.obj(t)
		assert.Equal(t, m[1], body["token"])
		assert.Equal(t, []string{"token", "user"}, keys(t, res.body))
		assert.Equal(t, []string{"name", "email", "emailVerified", "image", "createdAt", "updatedAt", "id"}, keys(t, res.body, "user"))
		assertUserShape(t, body["user"])
		user := body["user"].(map[string]any)
		assert.Equal(t, "2026-11-27T11:09:19.882Z", user["createdAt"])
		assert.Nil(t, user["image"])
		assert.Equal(t, false, user["emailVerified"])

		// 2. the same email again
		res = c.do("POST", "/sign-up/email", signUp)
		assert.Equal(t, 422, res.status)
		assert.JSONEq(t, `{"message":"User already exists. Use another email.","code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}`, string(res.body))
		assert.Empty(t, res.setCookies)

		// 3, 4. wrong password, unknown email (fresh jar)
		anon := newClient(t, h)
		for _, in := range []map[string]any{
			{"email": email, "password": "wrong-password-1"},
			{"email": "nobody-mwyvpne4@example.com", "password": "correct-horse-1"},
		} {
			res = anon.do("POST", "/sign-in/email", in)
			assert.Equal(t, 401, res.status)
			assert.Equal(t, `{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`, string(res.body))
		}

		// 5. sign-in OK
		clock.Advance(473 * time.Millisecond)
		c2 := newClient(t, h)
		c2.header.Set("User-Agent", "node")
		res = c2.do("POST", "/sign-in/email", map[string]any{"email": email, "password": "correct-horse-1", "rememberMe": true})
		require.Equal(t, 200, res.status, "%s", res.body)
		require.Len(t, res.setCookies, 1)
		require.Regexp(t, sessionSet, res.setCookies[0])
		assert.Equal(t, []string{"redirect", "token", "user"}, keys(t, res.body))
		body = res.obj(t)
		assert.Equal(t, false, body["redirect"])
		signInToken := body["token"].(string)

		// 6. get-session with the cookie
		res = c2.do("GET", "/get-session", nil)
		require.Equal(t, 200, res.status)
		assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
		assert.Equal(t, "no-cache", res.header.Get("Pragma"))
		assert.Equal(t, []string{"session", "user"}, keys(t, res.body))
		assert.Equal(t, []string{"expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId", "id"}, keys(t, res.body, "session"))
		body = res.obj(t)
		assertSessionShape(t, body["session"])
		assertUserShape(t, body["user"])
		sess := body["session"].(map[string]any)
		assert.Equal(t, signInToken, sess["token"])
		// Better Auth writes "" here (no X-Forwarded-For in production); we
		// record the socket's peer (httptest's 192.0.2.1), a deliberate difference.
		assert.Equal(t, "192.0.2.1", sess["ipAddress"])
		assert.Equal(t, "node", sess["userAgent"])
		assert.Equal(t, "2026-12-04T11:09:20.355Z", sess["expiresAt"])
		assert.Empty(t, res.setCookies, "no refresh is due")

		// 7. get-session without cookie
		res = anon.do("GET", "/get-session", nil)
		assert.Equal(t, 200, res.status)
		assert.Equal(t, "null", string(res.body))

		// 8. list-sessions: the sign-up's and the sign-in's, oldest first
		res = c2.do("GET", "/list-sessions", nil)
		require.Equal(t, 200, res.status, "%s", res.body)
		list, ok := res.json(t).([]any)
		require.True(t, ok)
		require.Len(t, list, 2)
		for _, s := range list {
			assertSessionShape(t, s)
		}
		assert.Equal(t, signInToken, list[1].(map[string]any)["token"])
		assert.Equal(t, sess["id"], list[1].(map[string]any)["id"], "list items carry get-session's id")

		// 9. update-user
		clock.Advance(51 * time.Millisecond)
		res = c2.do("POST", "/update-user", map[string]any{"name": "Transcript User Renamed", "image": "https://example.com/a.png"})
		require.Equal(t, 200, res.status, "%s", res.body)
		assert.Equal(t, `{"status":true}`, string(res.body))
		require.Len(t, res.setCookies, 1)
		assert.Regexp(t, sessionSet, res.setCookies[0])

		// 10. get-session after update-user
		res = c2.do("GET", "/get-session", nil)
		user = res.obj(t)["user"].(map[string]any)
		assert.Equal(t, "Transcript User Renamed", user["name"])
		assert.Equal(t, "https://example.com/a.png", user["image"])
		assert.Equal(t, "2026-11-27T11:09:20.406Z", user["updatedAt"])

		// 11. change-password without revoking
		res = c2.do("POST", "/change-password", map[string]any{"currentPassword": "correct-horse-1", "newPassword": "battery-staple-2"})
		require.Equal(t, 200, res.status, "%s", res.body)
		assert.Equal(t, []string{"token", "user"}, keys(t, res.body))
		assert.Nil(t, res.obj(t)["token"])
		assert.Empty(t, res.setCookies)

		// 12. wrong currentPassword
		res = c2.do("POST", "/change-password", map[string]any{"currentPassword": "not-my-password", "newPassword": "battery-staple-3"})
		assert.Equal(t, 400, res.status)
		assert.Equal(t, `{"message":"Invalid password","code":"INVALID_PASSWORD"}`, string(res.body))

		// 13. sign-out
		oldCookie := c2.cookieHeader()
		res = c2.do("POST", "/sign-out", map[string]any{})
		assert.Equal(t, 200, res.status)
		assert.Equal(t, `{"success":true}`, string(res.body))
		assert.Equal(t, expireCookies, res.setCookies)

		// 14. get-session after sign-out
		res = c2.do("GET", "/get-session", nil)
		assert.Equal(t, "null", string(res.body))
		assert.Empty(t, res.setCookies)

		// 15. replaying the pre-sign-out cookie: null, and the cookies are expired
		replay := newClient(t, h)
		replay.header.Set("Cookie", oldCookie)
		res = replay.do("GET", "/get-session", nil)
		assert.Equal(t, 200, res.status)
		assert.Equal(t, "null", string(res.body))
		assert.Equal(t, expireCookies, res.setCookies)

		// 16, 17. old password refused, new one accepted
		res = anon.do("POST", "/sign-in/email", map[string]any{"email": email, "password": "correct-horse-1"})
		assert.Equal(t, 401, res.status)
		res = anon.do("POST", "/sign-in/email", map[string]any{"email": email, "password": "battery-staple-2"})
		assert.Equal(t, 200, res.status)
		anon.cookies = map[string]string{}

		// 20-25. malformed input
		for _, tc := range []struct {
			name, path string
			body       any
			status     int
			want       string
		}{
			{"malformed JSON", "/sign-in/email", `{"email":"x@example.com","password":`, 400, `{"message":"Invalid JSON in request body","code":"BAD_REQUEST"}`},
			{"empty body", "/sign-in/email", "", 400, `{"message":"[body] Invalid input: expected object, received undefined","code":"VALIDATION_ERROR"}`},
			{"short password", "/sign-up/email", map[string]any{"name": "S", "email": "short@example.com", "password": "1234567"}, 400, `{"message":"Password too short","code":"PASSWORD_TOO_SHORT"}`},
			{"invalid email", "/sign-up/email", map[string]any{"name": "S", "email": "not-an-email", "password": "correct-horse-1"}, 400, `{"message":"[body.email] Invalid email address","code":"VALIDATION_ERROR"}`},
			{"missing name", "/sign-up/email", map[string]any{"email": "noname@example.com", "password": "correct-horse-1"}, 400, `{"message":"[body.name] Invalid input: expected string, received undefined","code":"VALIDATION_ERROR"}`},
			{"name of wrong type", "/sign-up/email", map[string]any{"name": 5, "email": "n5@example.com", "password": "correct-horse-1"}, 400, `{"message":"[body.name] Invalid input: expected string, received number","code":"VALIDATION_ERROR"}`},
			{"array body", "/sign-in/email", []any{1}, 400, `{"message":"[body] Invalid input: expected object, received array","code":"VALIDATION_ERROR"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := anon.do("POST", tc.path, tc.body)
				assert.Equal(t, tc.status, res.status)
				assert.Equal(t, tc.want, string(res.body))
				assert.Empty(t, res.setCookies)
			})
		}

		// 26. a fetch without Origin but with fetch metadata
		noOrigin := newClient(t, h)
		noOrigin.origin = ""
		noOrigin.header.Set("Sec-Fetch-Mode", "cors")
		res = noOrigin.do("POST", "/sign-in/email", map[string]any{"email": email, "password": "battery-staple-2"})
		assert.Equal(t, 403, res.status)
		assert.Equal(t, `{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}`, string(res.body))

		// 27. a cookie but no Origin
		res = c.do("GET", "/get-session", nil)
		require.NotEqual(t, "null", string(res.body))
		c.origin = ""
		res = c.do("POST", "/update-user", map[string]any{"name": "x"})
		assert.Equal(t, 403, res.status)
		assert.Equal(t, `{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}`, string(res.body))
		c.origin = testOrigin

		// 28. a tampered signature: null, cookies untouched
		tampered := newClient(t, h)
		for k, v := range c.cookies {
			flip := "A" // a character of the signature, changed for sure
			if v[33] == 'A' {
				flip = "B"
			}
			tampered.cookies[k] = v[:33] + flip + v[34:]
		}
		res = tampered.do("GET", "/get-session", nil)
		assert.Equal(t, "null", string(res.body))
		assert.Empty(t, res.setCookies)

		// 29. unknown endpoint, and a wrong method
		res = anon.do("GET", "/no-such-endpoint", nil)
		assert.Equal(t, 404, res.status)
		assert.Empty(t, res.body)
		res = anon.do("GET", "/sign-in/email", nil)
		assert.Equal(t, 404, res.status)
		assert.Empty(t, res.body)

		// 30. POST get-session
		res = c.do("POST", "/get-session", nil)
		assert.Equal(t, 405, res.status)
		assert.Equal(t, `{"message":"POST method requires deferSessionRefresh to be enabled in session config","code":"METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"}`, string(res.body))

		res = anon.do("GET", "/ok", nil)
		assert.Equal(t, `{"ok":true}`, string(res.body))
	})
}

func TestConcurrentSignUpsOneEmail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, _ := newAuth(t, b.new(t, schema.Schema{}), nil)
		h := a.Handler()
		var ok, dup atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := newClient(t, h)
				res := c.do("POST", "/sign-up/email", map[string]any{"name": fmt.Sprint("r", i), "email": "Race@Example.com", "password": "correct-horse-1"})
				switch res.status {
				case 200:
					ok.Add(1)
				case 422:
					dup.Add(1)
				default:
					t.Errorf("status %d: %s", res.status, res.body)
				}
			}()
		}
		wg.Wait()
		assert.EqualValues(t, 1, ok.Load())
		assert.EqualValues(t, 19, dup.Load())
	})
}

func TestSessionLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, clock := newAuth(t, st, nil)
		h := a.Handler()
		c := newClient(t, h)
		token := c.signUp("Lee", "lee@example.com", "correct-horse-1")["token"].(string)

		// Within updateAge: no refresh, no cookie.
		clock.Advance(23 * time.Hour)
		res := c.do("GET", "/get-session", nil)
		assert.Empty(t, res.setCookies)
		expires := res.obj(t)["session"].(map[string]any)["expiresAt"]
		assert.Equal(t, "2026-12-04T11:09:19.882Z", expires)

		// After updateAge: the expiry slides and the cookie is re-issued, token unchanged.
		clock.Advance(2 * time.Hour)
		res = c.do("GET", "/get-session", nil)
		require.Len(t, res.setCookies, 1)
		m := sessionSet.FindStringSubmatch(res.setCookies[0])
		require.NotNil(t, m)
		assert.Equal(t, token, m[1])
		assert.Equal(t, "2026-12-05T12:09:19.882Z", res.obj(t)["session"].(map[string]any)["expiresAt"])

		// disableRefresh and the dont_remember cookie stop the slide.
		clock.Advance(25 * time.Hour)
		res = c.do("GET", "/get-session?disableRefresh=true", nil)
		assert.Empty(t, res.setCookies)

		// Past expiry: null, cookies cleared, and the row is gone.
		clock.Advance(8 * 24 * time.Hour)
		res = c.do("GET", "/get-session", nil)
		assert.Equal(t, "null", string(res.body))
		assert.Equal(t, expireCookies, res.setCookies)
		_, _, err := st.GetSessionByToken(context.Background(), token)
		assert.ErrorIs(t, err, betterauth.ErrNotFound, "the expired row is deleted on read")
	})
}

func TestRememberMeFalse(t *testing.T) {
	a, clock := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	h := a.Handler()
	c := newClient(t, h)
	c.signUp("Kim", "kim@example.com", "correct-horse-1")
	c.cookies = map[string]string{}
	res := c.do("POST", "/sign-in/email", map[string]any{"email": "kim@example.com", "password": "correct-horse-1", "rememberMe": false})
	require.Equal(t, 200, res.status)
	require.Len(t, res.setCookies, 2)
	assert.Regexp(t, `^better-auth\.session_token=[^;]+; Path=/; HttpOnly; SameSite=Lax$`, res.setCookies[0], "a browser-session cookie")
	assert.Regexp(t, `^better-auth\.dont_remember=true\.[^;]+; Path=/; HttpOnly; SameSite=Lax$`, res.setCookies[1])
	res = c.do("GET", "/get-session", nil)
	assert.Equal(t, "2026-11-28T11:09:19.882Z", res.obj(t)["session"].(map[string]any)["expiresAt"], "one day")
	clock.Advance(23 * time.Hour)
	res = c.do("GET", "/get-session", nil)
	assert.Empty(t, res.setCookies, "never refreshed while dont_remember is set")

	// A later sign-in with rememberMe clears the marker.
	res = c.do("POST", "/sign-in/email", map[string]any{"email": "kim@example.com", "password": "correct-horse-1"})
	require.Equal(t, 200, res.status)
	assert.Contains(t, res.setCookies, "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
}

func TestRevocation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, _ := newAuth(t, b.new(t, schema.Schema{}), nil)
		h := a.Handler()
		one := newClient(t, h)
		one.signUp("Ann", "ann@example.com", "correct-horse-1")
		signIn := func() (*client, string) {
			c := newClient(t, h)
			res := c.do("POST", "/sign-in/email", map[string]any{"email": "ann@example.com", "password": "correct-horse-1"})
			require.Equal(t, 200, res.status)
			return c, res.obj(t)["token"].(string)
		}
		two, twoToken := signIn()
		three, _ := signIn()
		alive := func(c *client) bool { return string(c.do("GET", "/get-session", nil).body) != "null" }

		// Someone else's (or an unknown) token is silently ignored.
		other := newClient(t, h)
		other.signUp("Bob", "bob@example.com", "correct-horse-1")
		res := other.do("POST", "/revoke-session", map[string]any{"token": twoToken})
		assert.Equal(t, `{"status":true}`, string(res.body))
		assert.True(t, alive(two))

		res = one.do("POST", "/revoke-session", map[string]any{"token": twoToken})
		assert.Equal(t, `{"status":true}`, string(res.body))
		assert.False(t, alive(two))

		res = one.do("POST", "/revoke-other-sessions", nil)
		assert.Equal(t, 200, res.status)
		assert.False(t, alive(three))
		assert.True(t, alive(one))

		res = one.do("POST", "/revoke-sessions", nil)
		assert.Equal(t, 200, res.status)
		assert.Equal(t, expireCookies, res.setCookies)
		assert.False(t, alive(one))
		assert.True(t, alive(other), "other users keep their sessions")

		res = one.do("POST", "/revoke-sessions", nil)
		assert.Equal(t, 401, res.status)
		assert.Equal(t, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`, string(res.body))
	})
}

func TestChangePasswordRevokingOthers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, _ := newAuth(t, b.new(t, schema.Schema{}), nil)
		h := a.Handler()
		c := newClient(t, h)
		oldToken := c.signUp("Cy", "cy@example.com", "correct-horse-1")["token"].(string)
		other := newClient(t, h)
		require.Equal(t, 200, other.do("POST", "/sign-in/email", map[string]any{"email": "cy@example.com", "password": "correct-horse-1"}).status)

		res := c.do("POST", "/change-password", map[string]any{"currentPassword": "correct-horse-1", "newPassword": "battery-staple-2", "revokeOtherSessions": true})
		require.Equal(t, 200, res.status, "%s", res.body)
		newToken, _ := res.obj(t)["token"].(string)
		assert.Regexp(t, tokenRE, newToken)
		assert.NotEqual(t, oldToken, newToken)
		require.Len(t, res.setCookies, 1)
		assert.Contains(t, res.setCookies[0], newToken)
		assert.NotEqual(t, "null", string(c.do("GET", "/get-session", nil).body), "the caller keeps a session")
		assert.Equal(t, "null", string(other.do("GET", "/get-session", nil).body), "every other session is gone")

		res = c.do("POST", "/change-password", map[string]any{"currentPassword": "battery-staple-2", "newPassword": "short"})
		assert.Equal(t, `{"message":"Password too short","code":"PASSWORD_TOO_SHORT"}`, string(res.body))
	})
}

func TestVerifyPasswordAndDeleteUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, clock := newAuth(t, st, func(c *betterauth.Config) { c.User.DeleteUser.Enabled = true })
		h := a.Handler()
		c := newClient(t, h)
		id := c.signUp("Dee", "dee@example.com", "correct-horse-1")["user"].(map[string]any)["id"].(string)

		res := c.do("POST", "/verify-password", map[string]any{"password": "wrong-password"})
		assert.Equal(t, `{"message":"Invalid password","code":"INVALID_PASSWORD"}`, string(res.body))
		res = c.do("POST", "/verify-password", map[string]any{"password": "correct-horse-1"})
		assert.Equal(t, `{"status":true}`, string(res.body))

		// Without password, a stale session may not delete.
		clock.Advance(25 * time.Hour)
		res = c.do("POST", "/delete-user", map[string]any{})
		assert.Equal(t, 400, res.status)
		assert.Contains(t, string(res.body), "SESSION_EXPIRED")
		res = c.do("POST", "/delete-user", map[string]any{"password": "wrong-password"})
		assert.Equal(t, 400, res.status)
		res = c.do("POST", "/delete-user", map[string]any{"password": "correct-horse-1"})
		require.Equal(t, 200, res.status, "%s", res.body)
		assert.Equal(t, `{"success":true,"message":"User deleted"}`, string(res.body))
		assert.Equal(t, expireCookies, res.setCookies)
		_, err := st.GetUserByID(context.Background(), id)
		assert.ErrorIs(t, err, betterauth.ErrNotFound)
		_, err = st.GetAccount(context.Background(), betterauth.ProviderCredential, id)
		assert.ErrorIs(t, err, betterauth.ErrNotFound)
	})
	t.Run("disabled by default", func(t *testing.T) {
		a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
		c := newClient(t, a.Handler())
		c.signUp("Eve", "eve@example.com", "correct-horse-1")
		res := c.do("POST", "/delete-user", map[string]any{"password": "correct-horse-1"})
		assert.Equal(t, 404, res.status)
		assert.Empty(t, res.body, "a bare 404, as Better Auth answers")
		anon := newClient(t, a.Handler())
		res = anon.do("POST", "/delete-user", map[string]any{})
		assert.Equal(t, 401, res.status, "the session check comes first")
	})
}

func TestListSessionsNeedsFreshSession(t *testing.T) {
	a, clock := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	c := newClient(t, a.Handler())
	c.signUp("Fay", "fay@example.com", "correct-horse-1")
	clock.Advance(24 * time.Hour)
	res := c.do("GET", "/list-sessions", nil)
	assert.Equal(t, 403, res.status)
	assert.Equal(t, `{"message":"Session is not fresh","code":"SESSION_NOT_FRESH"}`, string(res.body))
}

func TestUpdateUser(t *testing.T) {
	sch := schema.Schema{User: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
		"role":     {Type: schema.FieldString, DefaultValue: "member", NoInput: true},
		"nickname": {Type: schema.FieldString, Optional: true},
		"secret":   {Type: schema.FieldString, Optional: true, Hidden: true},
		"age":      {Type: schema.FieldNumber, Optional: true},
	}}}
	forEachBackend(t, func(t *testing.T, b backend) {
		a, _ := newAuth(t, b.new(t, sch), func(c *betterauth.Config) { c.Schema = sch })
		c := newClient(t, a.Handler())

		res := c.do("POST", "/sign-up/email", map[string]any{"name": "Gus", "email": "gus@example.com", "password": "correct-horse-1", "role": "admin"})
		assert.Equal(t, 200, res.status, "a NoInput field with a default takes the default: %s", res.body)
		assert.Equal(t, []string{"name", "email", "emailVerified", "image", "createdAt", "updatedAt", "age", "nickname", "role", "id"}, keys(t, res.body, "user"), "hidden fields are not returned")
		assert.Equal(t, "member", res.obj(t)["user"].(map[string]any)["role"])

		for _, tc := range []struct {
			body   map[string]any
			status int
			want   string
		}{
			{map[string]any{"email": "new@example.com"}, 400, `{"message":"Email can not be updated","code":"EMAIL_CAN_NOT_BE_UPDATED"}`},
			{map[string]any{}, 400, `{"message":"No fields to update"}`},
			{map[string]any{"role": "admin"}, 400, `{"message":"role is not allowed to be set","code":"FIELD_NOT_ALLOWED"}`},
			{map[string]any{"name": 3}, 400, `{"message":"[body.name] Invalid input: expected string, received number","code":"VALIDATION_ERROR"}`},
			{map[string]any{"nickname": "G", "age": 41, "image": nil}, 200, `{"status":true}`},
		} {
			res := c.do("POST", "/update-user", tc.body)
			assert.Equal(t, tc.status, res.status, "%v", tc.body)
			assert.Equal(t, tc.want, string(res.body))
		}
		user := c.do("GET", "/get-session", nil).obj(t)["user"].(map[string]any)
		assert.Equal(t, "G", user["nickname"])
		assert.Equal(t, float64(41), user["age"])
		assert.Equal(t, "member", user["role"])
		assert.NotContains(t, user, "secret")
	})
}

func TestOriginAndCallbackChecks(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.TrustedOrigins = []string{"https://*.example.com", "myapp://"}
	})
	h := a.Handler()
	c := newClient(t, h)
	c.signUp("Hal", "hal@example.com", "correct-horse-1")
	c.cookies = map[string]string{}
	for _, tc := range []struct {
		origin, callback string
		status           int
		code             string
	}{
		{testOrigin, "/dashboard", 200, ""},
		{testOrigin, "https://app.example.com/after", 200, ""},
		{testOrigin, "myapp://signed-in", 200, ""},
		{testOrigin, "https://evil.test/after", 403, "INVALID_CALLBACK_URL"},
		{testOrigin, "//evil.test/after", 403, "INVALID_CALLBACK_URL"},
		{testOrigin, "/\\evil.test", 403, "INVALID_CALLBACK_URL"},
		{"https://evil.test", "", 403, "INVALID_ORIGIN"},
		{"https://app.example.com", "", 200, ""},
		{"null", "", 403, "MISSING_OR_NULL_ORIGIN"},
	} {
		t.Run(tc.origin+" "+tc.callback, func(t *testing.T) {
			cl := newClient(t, h)
			cl.origin = tc.origin
			in := map[string]any{"email": "hal@example.com", "password": "correct-horse-1"}
			if tc.callback != "" {
				in["callbackURL"] = tc.callback
			}
			res := cl.do("POST", "/sign-in/email", in)
			assert.Equal(t, tc.status, res.status, "%s", res.body)
			if tc.code != "" {
				assert.Contains(t, string(res.body), `"code":"`+tc.code+`"`)
				assert.Empty(t, res.setCookies)
			} else if tc.callback != "" {
				assert.Equal(t, tc.callback, res.header.Get("Location"))
				assert.Equal(t, true, res.obj(t)["redirect"])
				assert.Equal(t, tc.callback, res.obj(t)["url"])
			}
		})
	}
	t.Run("cross-site navigation", func(t *testing.T) {
		cl := newClient(t, h)
		cl.origin = ""
		cl.header.Set("Sec-Fetch-Site", "cross-site")
		cl.header.Set("Sec-Fetch-Mode", "navigate")
		res := cl.do("POST", "/sign-in/email", map[string]any{"email": "hal@example.com", "password": "correct-horse-1"})
		assert.Equal(t, 403, res.status)
		assert.Contains(t, string(res.body), "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
	})
	t.Run("server-to-server without cookies or metadata", func(t *testing.T) {
		cl := newClient(t, h)
		cl.origin = ""
		res := cl.do("POST", "/sign-in/email", map[string]any{"email": "hal@example.com", "password": "correct-horse-1"})
		assert.Equal(t, 200, res.status)
	})
}

func TestBodyLimitsAndMediaTypes(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	h := a.Handler()
	c := newClient(t, h)
	big := `{"email":"a@example.com","password":"` + strings.Repeat("x", 1<<20) + `"}`
	res := c.do("POST", "/sign-in/email", big)
	assert.Equal(t, 413, res.status)

	req := newRequest(t, "POST", "/sign-up/email", "name=Ida&email=ida%40example.com&password=correct-horse-1")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := serve(h, req)
	assert.Equal(t, 200, rec.Code, "sign-up takes forms: %s", rec.Body)

	req = newRequest(t, "POST", "/sign-in/email", "<x/>")
	req.Header.Set("Content-Type", "text/xml")
	rec = serve(h, req)
	assert.Equal(t, 415, rec.Code)
	assert.Contains(t, rec.Body.String(), "UNSUPPORTED_MEDIA_TYPE")
}

// The bearer plugin as Better Auth 1.7.25 answers (spec §16.2):
// set-auth-token on sign-up and sign-in is the session cookie's value
// decoded; the raw token, the signed one, a percent-encoded one and a
// lower-case scheme are accepted; a wrong signature answers null and leaves
// cookies alone; an unknown token answers null and clears them; the bearer
// wins over another session's cookie; Basic is ignored.
func TestBearer(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.Plugins = append(c.Plugins, bearer.New(bearer.Options{}))
	})
	h := a.Handler()
	c := newClient(t, h)
	res := c.do("POST", "/sign-up/email", map[string]any{"name": "Jo", "email": "jo@example.com", "password": "correct-horse-1"})
	token := res.obj(t)["token"].(string)
	signed := res.header.Get("Set-Auth-Token")
	assert.Equal(t, betterauth.SignCookieValue(testSecret, token), signed)
	assert.Contains(t, res.header.Values("Access-Control-Expose-Headers"), "set-auth-token")
	assert.Equal(t, url.QueryEscape(signed), c.cookies["better-auth.session_token"], "the cookie's value, decoded")
	res = c.do("POST", "/sign-in/email", map[string]any{"email": "jo@example.com", "password": "correct-horse-1"})
	require.Equal(t, 200, res.status)
	assert.NotEmpty(t, res.header.Get("Set-Auth-Token"), "on sign-in too")

	escaped := strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(signed)
	for _, auth := range []string{"Bearer " + token, "Bearer " + signed, "Bearer " + escaped, "bearer " + signed} {
		api := newClient(t, h)
		api.header.Set("Authorization", auth)
		res := api.do("GET", "/get-session", nil)
		assert.Equal(t, token, res.obj(t)["session"].(map[string]any)["token"], auth)
	}
	basic := newClient(t, h)
	basic.header.Set("Authorization", "Basic "+signed)
	assert.Equal(t, "null", string(basic.do("GET", "/get-session", nil).body), "Basic is ignored")

	// A wrong signature: null, and no cookie is touched.
	other := "x"
	if signed[len(signed)-3] == 'x' {
		other = "y"
	}
	wrong := newClient(t, h)
	wrong.header.Set("Authorization", "Bearer "+signed[:len(signed)-3]+other+signed[len(signed)-2:])
	res = wrong.do("GET", "/get-session", nil)
	assert.Equal(t, "null", string(res.body))
	assert.Empty(t, res.header.Values("Set-Cookie"))

	// An unknown token, validly signed: null, and the auth cookies cleared.
	unknown := newClient(t, h)
	unknown.header.Set("Authorization", "Bearer "+betterauth.SignCookieValue(testSecret, strings.Repeat("z", 32)))
	res = unknown.do("GET", "/get-session", nil)
	assert.Equal(t, "null", string(res.body))
	assert.Contains(t, strings.Join(res.header.Values("Set-Cookie"), "\n"), "better-auth.session_token=; Max-Age=0")

	// The bearer wins over another session's cookie.
	d := newClient(t, h)
	d.signUp("Dee", "dee@example.com", "correct-horse-1")
	d.header.Set("Authorization", "Bearer "+signed)
	res = d.do("GET", "/get-session", nil)
	assert.Equal(t, "jo@example.com", res.obj(t)["user"].(map[string]any)["email"])

	// A signature Better Auth's bearer check takes (unpadded) but its cookie
	// check does not: no session, although Dee's cookie came along.
	d.header.Set("Authorization", "Bearer "+strings.TrimRight(signed, "="))
	res = d.do("GET", "/get-session", nil)
	assert.Equal(t, "null", string(res.body))
	assert.Empty(t, res.header.Values("Set-Cookie"))

	// Without the plugin, the header is nothing.
	plain, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	api := newClient(t, plain.Handler())
	api.header.Set("Authorization", "Bearer "+signed)
	assert.Equal(t, "null", string(api.do("GET", "/get-session", nil).body))
}

// failingStore is a store whose every call fails, as when the database is down.
type failingStore struct{ betterauth.Store }

var errDown = errors.New("connection refused")

func (failingStore) GetSessionByToken(context.Context, string) (*betterauth.Session, *betterauth.User, error) {
	return nil, nil, errDown
}
func (failingStore) GetUserByEmail(context.Context, string) (*betterauth.User, error) {
	return nil, errDown
}

func TestStoreDownIs503NotLoggedOut(t *testing.T) {
	st := backends[0].new(t, schema.Schema{})
	a, _ := newAuth(t, st, nil)
	c := newClient(t, a.Handler())
	c.signUp("Kai", "kai@example.com", "correct-horse-1")

	down, _ := newAuth(t, failingStore{st}, nil)
	h := down.Handler()
	c.h = h
	for _, path := range []string{"/get-session", "/list-sessions"} {
		res := c.do("GET", path, nil)
		assert.Equal(t, 503, res.status, path)
		assert.Empty(t, res.setCookies, "the cookie is left alone")
		assert.Equal(t, `{"message":"Service temporarily unavailable","code":"SERVICE_UNAVAILABLE"}`, string(res.body))
	}
	res := c.do("POST", "/sign-in/email", map[string]any{"email": "kai@example.com", "password": "correct-horse-1"})
	assert.Equal(t, 503, res.status)

	mw := down.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("must not run") }))
	req := newRequest(t, "GET", "/x", "")
	req.Header.Set("Cookie", c.cookieHeader())
	assert.Equal(t, 503, serve(mw, req).Code)
}

func TestMiddleware(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	c := newClient(t, a.Handler())
	c.signUp("Lu", "lu@example.com", "correct-horse-1")
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sd := betterauth.SessionFromContext(r.Context())
		if sd == nil {
			_, _ = w.Write([]byte("anonymous"))
			return
		}
		_, _ = w.Write([]byte(sd.User.Email))
	})
	req := newRequest(t, "GET", "/api/me", "")
	req.Header.Set("Cookie", c.cookieHeader())
	assert.Equal(t, "lu@example.com", serve(a.RequireSession(me), req).Body.String())
	assert.Equal(t, "lu@example.com", serve(a.LoadSession(me), req).Body.String())

	anon := newRequest(t, "GET", "/api/me", "")
	rec := serve(a.RequireSession(me), anon)
	assert.Equal(t, 401, rec.Code)
	assert.Equal(t, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`, rec.Body.String())
	assert.Equal(t, "anonymous", serve(a.LoadSession(me), anon).Body.String())
}

// queryCounter counts the SQL statements a pool runs.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	return ctx
}
func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// One get-session is one SQL statement; two when the sliding refresh is due.
func TestGetSessionIsOneQuery(t *testing.T) {
	pool, qc := newPoolWithCounter(t)
	require.NoError(t, migrations.Up(context.Background(), pool, schema.Schema{}))
	st, err := pgstore.New(pool, schema.Schema{})
	require.NoError(t, err)
	a, clock := newAuth(t, st, nil)
	c := newClient(t, a.Handler())
	c.signUp("Mo", "mo@example.com", "correct-horse-1")

	qc.n.Store(0)
	res := c.do("GET", "/get-session", nil)
	require.NotEqual(t, "null", string(res.body))
	assert.EqualValues(t, 1, qc.n.Load(), "get-session")

	clock.Advance(25 * time.Hour)
	qc.n.Store(0)
	res = c.do("GET", "/get-session", nil)
	require.Len(t, res.setCookies, 1)
	assert.EqualValues(t, 2, qc.n.Load(), "get-session with the refresh due")

	qc.n.Store(0)
	mw := a.RequireSession(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := newRequest(t, "GET", "/api/me", "")
	req.Header.Set("Cookie", c.cookieHeader())
	serve(mw, req)
	assert.EqualValues(t, 1, qc.n.Load(), "RequireSession")
}

func TestNewValidatesConfig(t *testing.T) {
	st, err := memstore.New(schema.Schema{})
	require.NoError(t, err)
	t.Setenv("BETTER_AUTH_SECRET", "")
	t.Setenv("AUTH_SECRET", "")
	t.Setenv("BETTER_AUTH_URL", "")
	// Each case names the setting its error must mention.
	for name, c := range map[string]struct {
		cfg  betterauth.Config
		want string
	}{
		"no store":          {betterauth.Config{Secret: testSecret, BaseURL: testOrigin}, "Store"},
		"no secret":         {betterauth.Config{Store: st, BaseURL: testOrigin}, "BETTER_AUTH_SECRET"},
		"default secret":    {betterauth.Config{Store: st, Secret: betterauth.DefaultSecret, BaseURL: testOrigin}, "published default"},
		"no base URL":       {betterauth.Config{Store: st, Secret: testSecret}, "Config.BaseURL or BETTER_AUTH_URL"},
		"no base URL, dev":  {betterauth.Config{Store: st, Secret: betterauth.DefaultSecret, Development: true}, "Config.BaseURL or BETTER_AUTH_URL"},
		"relative base URL": {betterauth.Config{Store: st, Secret: testSecret, BaseURL: "localhost:3000"}, "absolute"},
		"bad same-site":     {betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, Cookies: betterauth.CookieConfig{SameSite: "Sometimes"}}, "SameSite"},
		"None over http":    {betterauth.Config{Store: st, Secret: testSecret, BaseURL: "http://localhost", Cookies: betterauth.CookieConfig{SameSite: "None"}}, "Secure"},
		"bad schema":        {betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, Schema: schema.Schema{IDMode: "serial"}}, "serial"},
		"bad base path":     {betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, BasePath: "api"}, "BasePath"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := betterauth.New(c.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err = betterauth.New(betterauth.Config{Store: st, Secret: betterauth.DefaultSecret, BaseURL: testOrigin, Development: true})
	assert.NoError(t, err, "the default secret is fine in development")
	t.Setenv("BETTER_AUTH_SECRET", testSecret)
	t.Setenv("BETTER_AUTH_URL", "https://app.example.com")
	a, err := betterauth.New(betterauth.Config{Store: st})
	require.NoError(t, err)
	c := newClient(t, a.Handler())
	c.h = a.Handler()
	req := newRequest(t, "POST", "/sign-up/email", `{"name":"N","email":"n@example.com","password":"correct-horse-1"}`)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://app.example.com")
	rec := serve(a.Handler(), req)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	assert.True(t, strings.HasPrefix(rec.Header().Get("Set-Cookie"), "__Secure-better-auth.session_token="), "https base URL: secure cookie name")
	assert.Contains(t, rec.Header().Get("Set-Cookie"), "; HttpOnly; Secure; SameSite=Lax")
}
