package betterauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/argon2id"
	"github.com/go-betterauth/betterauth/schema"
)

// With StoreTokenHashed the table holds SHA-256 of each token, and every
// session operation still works with the cookie's raw token.
func TestSessionTokensHashedAtRest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, clock := newAuth(t, st, func(c *betterauth.Config) { c.Session.StoreTokenHashed = true })
		h := a.Handler()
		c := newClient(t, h)
		token := c.signUp("Ha", "hash@example.com", "correct-horse-1")["token"].(string)
		sum := sha256.Sum256([]byte(token))
		stored := base64.RawURLEncoding.EncodeToString(sum[:])

		_, _, err := st.GetSessionByToken(context.Background(), token)
		assert.ErrorIs(t, err, betterauth.ErrNotFound, "the raw token is not in the table")
		_, _, err = st.GetSessionByToken(context.Background(), stored)
		require.NoError(t, err)

		res := c.do("GET", "/get-session", nil)
		assert.Equal(t, token, res.obj(t)["session"].(map[string]any)["token"], "get-session shows the caller's raw token")

		// A cookie carrying the stored form is worthless.
		thief := newClient(t, h)
		thief.cookies["better-auth.session_token"] = pctEncode(betterauth.SignCookieValue(testSecret, stored))
		assert.Equal(t, "null", string(thief.do("GET", "/get-session", nil).body))

		// Sliding refresh works on the hashed row.
		clock.Advance(25 * time.Hour)
		res = c.do("GET", "/get-session", nil)
		require.Len(t, res.setCookies, 1)
		assert.Contains(t, res.setCookies[0], token)

		// A second device; list shows stored forms; revoke takes them.
		other := newClient(t, h)
		require.Equal(t, 200, other.do("POST", "/sign-in/email", map[string]any{"email": "hash@example.com", "password": "correct-horse-1"}).status)
		fresh := newClient(t, h)
		require.Equal(t, 200, fresh.do("POST", "/sign-in/email", map[string]any{"email": "hash@example.com", "password": "correct-horse-1"}).status)
		list := fresh.do("GET", "/list-sessions", nil).json(t).([]any)
		require.Len(t, list, 3)
		res = fresh.do("POST", "/revoke-session", map[string]any{"token": list[0].(map[string]any)["token"]})
		assert.Equal(t, `{"status":true}`, string(res.body))
		assert.Equal(t, "null", string(c.do("GET", "/get-session", nil).body), "revoked by its stored form")

		res = fresh.do("POST", "/revoke-other-sessions", nil)
		assert.Equal(t, 200, res.status)
		assert.Equal(t, "null", string(other.do("GET", "/get-session", nil).body))
		assert.NotEqual(t, "null", string(fresh.do("GET", "/get-session", nil).body), "the caller's session is kept")

		res = fresh.do("POST", "/sign-out", nil)
		assert.Equal(t, 200, res.status)
		n, err := st.DeleteUserSessions(context.Background(), list[0].(map[string]any)["userId"].(string), "")
		require.NoError(t, err)
		assert.Zero(t, n, "sign-out deleted the hashed row")
	})
}

// AbsoluteLifetime ends a session at createdAt+cap however often it is used.
func TestAbsoluteLifetime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, clock := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) { c.Session.AbsoluteLifetime = 10 * 24 * time.Hour })
		c := newClient(t, a.Handler())
		c.signUp("Ab", "abs@example.com", "correct-horse-1")
		var last string
		for day := 1; day <= 9; day++ {
			clock.Advance(24*time.Hour + time.Minute)
			res := c.do("GET", "/get-session", nil)
			require.NotEqual(t, "null", string(res.body), "day %d", day)
			last = res.obj(t)["session"].(map[string]any)["expiresAt"].(string)
		}
		assert.Equal(t, "2026-12-07T11:09:19.882Z", last, "the slide stops at the cap")
		clock.Advance(24 * time.Hour)
		res := c.do("GET", "/get-session", nil)
		assert.Equal(t, "null", string(res.body))
		assert.Equal(t, expireCookies, res.setCookies)
	})
}

// MaxFailedSignIns locks password sign-in after consecutive failures from
// any address; the answer stays the ordinary 401; a reset unlocks.
func TestAccountLockout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		mail := &mailbox{}
		a, clock := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) {
			c.PasswordHasher = &gateHasher{} // cheap: the hash format is not the point
			c.EmailAndPassword.MaxFailedSignIns = 3
			c.EmailAndPassword.SendResetPassword = mail.send
		})
		h := a.Handler()
		newClient(t, h).signUp("Lo", "lock@example.com", "correct-horse-1")
		signIn := func(pw string) *response {
			return newClient(t, h).do("POST", "/sign-in/email", map[string]any{"email": "lock@example.com", "password": pw})
		}
		// A success before the cap clears the count.
		signIn("wrong-1")
		signIn("wrong-2")
		require.Equal(t, 200, signIn("correct-horse-1").status)
		for i := range 3 {
			assert.Equal(t, 401, signIn("wrong-"+string(rune('a'+i))).status)
		}
		locked := signIn("correct-horse-1")
		assert.Equal(t, 401, locked.status, "locked: even the right password is refused")
		assert.Equal(t, `{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`, string(locked.body), "and the answer reveals nothing")

		// The lock ends with the window.
		clock.Advance(16 * time.Minute)
		assert.Equal(t, 200, signIn("correct-horse-1").status)

		// A reset unlocks at once.
		for range 3 {
			signIn("wrong")
		}
		require.NoError(t, a.RequestPasswordReset(context.Background(), "lock@example.com", ""))
		require.NoError(t, a.ResetPassword(context.Background(), mail.last(t, a).Token, "battery-staple-2"))
		assert.Equal(t, 200, signIn("battery-staple-2").status)
	})
}

// With argon2id.Hasher, Better Auth's scrypt hashes still verify and are
// upgraded to argon2id at the next sign-in.
func TestArgon2idUpgradesScryptOnSignIn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		old, _ := newAuth(t, st, func(c *betterauth.Config) { c.PasswordHasher = betterauth.NewScryptHasher(2) }) // Better Auth's scrypt
		id := newClient(t, old.Handler()).signUp("Ar", "argon@example.com", "correct-horse-1")["user"].(map[string]any)["id"].(string)

		argon, err := argon2id.New(argon2id.Params{Memory: 1024, Time: 1}, 2)
		require.NoError(t, err)
		a, _ := newAuth(t, st, func(c *betterauth.Config) { c.PasswordHasher = argon })
		c := newClient(t, a.Handler())
		res := c.do("POST", "/sign-in/email", map[string]any{"email": "argon@example.com", "password": "correct-horse-1"})
		require.Equal(t, 200, res.status)
		acct, err := st.GetAccount(context.Background(), betterauth.ProviderCredential, id)
		require.NoError(t, err)
		assert.Regexp(t, `^\$argon2id\$v=19\$m=1024,t=1,p=1\$`, acct.Password, "upgraded at sign-in")
		res = newClient(t, a.Handler()).do("POST", "/sign-in/email", map[string]any{"email": "argon@example.com", "password": "correct-horse-1"})
		assert.Equal(t, 200, res.status, "and it verifies")
		res = newClient(t, a.Handler()).do("POST", "/sign-in/email", map[string]any{"email": "argon@example.com", "password": "wrong-horse-1"})
		assert.Equal(t, 401, res.status)
	})
}

func TestRateLimit(t *testing.T) {
	a, clock := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.RateLimit.Enabled = new(true)
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	h := a.Handler()
	send := func(remote, xff, path string) *httptest.ResponseRecorder {
		req := newRequest(t, "POST", path, `{"email":"rl@example.com","password":"wrong-password"}`)
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		return serve(h, req)
	}
	for i := range 3 {
		assert.Equal(t, 401, send("192.0.2.1:1000", "", "/sign-in/email").Code, "attempt %d", i+1)
	}
	rec := send("192.0.2.1:1000", "", "/sign-in/email")
	assert.Equal(t, 429, rec.Code)
	assert.Equal(t, `{"message":"Too many requests. Please try again later."}`, rec.Body.String())
	assert.Equal(t, "10", rec.Header().Get("X-Retry-After"))

	assert.Equal(t, 401, send("192.0.2.2:1000", "", "/sign-in/email").Code, "another client has its own bucket")
	assert.Equal(t, 429, send("192.0.2.1:1000", "198.51.100.7", "/sign-in/email").Code, "an invented X-Forwarded-For changes nothing")
	for range 3 {
		assert.Equal(t, 401, send("10.1.2.3:1000", "198.51.100.7, 10.9.9.9", "/sign-in/email").Code)
	}
	assert.Equal(t, 429, send("10.1.2.3:1000", "198.51.100.7, 10.9.9.9", "/sign-in/email").Code, "behind a trusted proxy, the client's address counts")
	assert.Equal(t, 401, send("10.1.2.3:1000", "198.51.100.8", "/sign-in/email").Code)

	clock.Advance(10 * time.Second)
	assert.Equal(t, 401, send("192.0.2.1:1000", "", "/sign-in/email").Code, "allowed again after the window")

	for range 3 {
		assert.Equal(t, 400, send("192.0.2.9:1", "", "/request-password-reset").Code)
	}
	clock.Advance(30 * time.Second)
	assert.Equal(t, 429, send("192.0.2.9:1", "", "/request-password-reset").Code, "mail endpoints: 3 per minute")
}

// Under concurrency the limiter lets exactly Max requests through.
func TestRateLimitConcurrent(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) { c.RateLimit.Enabled = new(true) })
	h := a.Handler()
	var passed, limited atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := newRequest(t, "GET", "/ok", "")
			req.RemoteAddr = "192.0.2.50:9"
			if serve(h, req).Code == 429 {
				limited.Add(1)
			} else {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 50, passed.Load(), "the default rule allows 100 per 10 s")
	for range 60 {
		req := newRequest(t, "GET", "/ok", "")
		req.RemoteAddr = "192.0.2.50:9"
		if serve(h, req).Code == 429 {
			limited.Add(1)
		}
	}
	assert.EqualValues(t, 10, limited.Load(), "exactly 100 pass")
}
