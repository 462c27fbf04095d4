package betterauth_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// readCountStore counts the session and user reads that get-session makes.
type readCountStore struct {
	betterauth.Store
	reads atomic.Int64
}

func (s *readCountStore) GetSessionByToken(ctx context.Context, token string) (*betterauth.Session, *betterauth.User, error) {
	s.reads.Add(1)
	return s.Store.GetSessionByToken(ctx, token)
}

func (s *readCountStore) GetUserByID(ctx context.Context, id string) (*betterauth.User, error) {
	s.reads.Add(1)
	return s.Store.GetUserByID(ctx, id)
}

var strategies = []betterauth.CookieCacheStrategy{betterauth.CookieCacheCompact, betterauth.CookieCacheJWT, betterauth.CookieCacheJWE}

const cacheCookie = "better-auth.session_data"

// cacheAuth is an Auth with the cookie cache of strategy on a counting memstore.
func cacheAuth(t *testing.T, strategy betterauth.CookieCacheStrategy, mod func(*betterauth.Config)) (*betterauth.Auth, *readCountStore, *fakeClock) {
	t.Helper()
	st := &readCountStore{Store: backends[0].new(t, schema.Schema{})}
	a, clock := newAuth(t, st, func(c *betterauth.Config) {
		c.Session.CookieCache = betterauth.CookieCacheConfig{Enabled: true, Strategy: strategy}
		if mod != nil {
			mod(c)
		}
	})
	return a, st, clock
}

// setCookie returns the last Set-Cookie line of name (the one a browser
// keeps), or "".
func setCookie(res *response, name string) string {
	last := ""
	for _, sc := range res.setCookies {
		if strings.HasPrefix(sc, name+"=") {
			last = sc
		}
	}
	return last
}

// getSession calls get-session and returns the response and the store reads it made.
func getSession(c *client, st *readCountStore, query string) (*response, int64) {
	c.t.Helper()
	before := st.reads.Load()
	res := c.do(http.MethodGet, "/get-session"+query, nil)
	require.Equal(c.t, http.StatusOK, res.status, "%s", res.body)
	return res, st.reads.Load() - before
}

func TestCookieCacheStrategies(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(string(strategy), func(t *testing.T) {
			a, st, _ := cacheAuth(t, strategy, nil)
			c := newClient(t, a.Handler())
			c.signUp("Ada", "ada@example.com", "correct-horse-1")
			require.Contains(t, c.cookies, cacheCookie)
			line := setCookie(&response{setCookies: c.last}, cacheCookie)
			assert.Regexp(t, `^better-auth\.session_data=[A-Za-z0-9_.-]+; Max-Age=300; Path=/; HttpOnly; SameSite=Lax$`, line)

			// A hit: no store read, no cookie.
			res, reads := getSession(c, st, "")
			assert.Zero(t, reads, "a fresh cache reads nothing")
			assert.Empty(t, res.setCookies)
			body := res.obj(t)
			assert.Equal(t, "Ada", body["user"].(map[string]any)["name"])

			// The same answer as the store's.
			dbRes, reads := getSession(c, st, "?disableCookieCache=true")
			assert.Equal(t, int64(1), reads)
			assert.JSONEq(t, string(dbRes.body), string(res.body))
			assert.NotEmpty(t, setCookie(dbRes, cacheCookie), "a store read writes the cache")
		})
	}
}

func TestCookieCacheRefused(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(string(strategy), func(t *testing.T) {
			a, st, clock := cacheAuth(t, strategy, nil)
			c := newClient(t, a.Handler())
			c.signUp("Ada", "ada@example.com", "correct-horse-1")
			good := c.cookies[cacheCookie]
			other := newClient(t, a.Handler())
			other.signUp("Bob", "bob@example.com", "correct-horse-1")

			check := func(name, value string, wantReads int64) {
				t.Helper()
				c.cookies[cacheCookie] = value
				res, reads := getSession(c, st, "")
				assert.Equal(t, wantReads, reads, name)
				assert.Equal(t, "Ada", res.obj(t)["user"].(map[string]any)["name"], name)
				if wantReads > 0 {
					fresh := setCookie(res, cacheCookie)
					assert.Contains(t, fresh, "Max-Age=300", "%s: a fresh cache", name)
					assert.NotEqual(t, value, c.cookies[cacheCookie], name)
				}
			}
			check("good", good, 0)
			tampered := []byte(good)
			i := len(tampered) / 2
			tampered[i] ^= 1
			if tampered[i] == '.' || tampered[i] == '/' {
				tampered[i] = 'A'
			}
			check("tampered", string(tampered), 1)
			check("another session's", other.cookies[cacheCookie], 1)
			check("garbage", "x", 1)

			// Past MaxAge the cache is not honoured.
			fresh := c.cookies[cacheCookie]
			clock.Advance(5*time.Minute - time.Second)
			check("just fresh", fresh, 0)
			clock.Advance(2 * time.Second)
			check("expired", fresh, 1)

			// Another Auth with another version refuses it.
			v2, err := betterauth.New(betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, Now: clock.Now,
				PasswordHasher: fastHasher, RateLimit: betterauth.RateLimitConfig{Enabled: new(false)},
				Session: betterauth.SessionConfig{CookieCache: betterauth.CookieCacheConfig{Enabled: true, Strategy: strategy, Version: "2"}}})
			require.NoError(t, err)
			c2 := newClient(t, v2.Handler())
			c2.cookies = c.cookies
			_, reads := getSession(c2, st, "")
			assert.Equal(t, int64(1), reads, "another version")
			_, reads = getSession(c2, st, "")
			assert.Zero(t, reads, "its own version")

			// Another secret refuses it too.
			other2, err := betterauth.New(betterauth.Config{Store: st, Secret: testSecret + "x", BaseURL: testOrigin, Now: clock.Now,
				PasswordHasher: fastHasher, RateLimit: betterauth.RateLimitConfig{Enabled: new(false)},
				Session: betterauth.SessionConfig{CookieCache: betterauth.CookieCacheConfig{Enabled: true, Strategy: strategy}}})
			require.NoError(t, err)
			_, tok, _ := strings.Cut(c.cookies["better-auth.session_token"], ".")
			_ = tok
			req := newRequest(t, http.MethodGet, "/get-session", "")
			req.Header.Set("Cookie", cacheCookie+"="+c.cookies[cacheCookie])
			// without a session cookie of its own secret there is no session at all
			assert.Equal(t, "null", serve(other2.Handler(), req).Body.String())
		})
	}
}

// A cache whose session has expired is refused even while the cache is fresh.
func TestCookieCacheSessionExpired(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(string(strategy), func(t *testing.T) {
			a, st, clock := cacheAuth(t, strategy, func(c *betterauth.Config) {
				c.Session.ExpiresIn = 2 * time.Minute
				c.Session.UpdateAge = 2 * time.Minute
			})
			c := newClient(t, a.Handler())
			c.signUp("Ada", "ada@example.com", "correct-horse-1")
			cache := c.cookies[cacheCookie]
			clock.Advance(3 * time.Minute)
			c.cookies[cacheCookie] = cache
			res, reads := getSession(c, st, "")
			assert.Equal(t, int64(1), reads)
			assert.Equal(t, "null", string(res.body))
		})
	}
}

// Revoked elsewhere, a session is served from its cache until MaxAge, as
// Better Auth documents; disableCookieCache sees the truth.
func TestCookieCacheServesRevokedUntilMaxAge(t *testing.T) {
	a, st, clock := cacheAuth(t, betterauth.CookieCacheCompact, nil)
	c := newClient(t, a.Handler())
	c.signUp("Ada", "ada@example.com", "correct-horse-1")
	other := newClient(t, a.Handler())
	res := other.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct-horse-1"})
	require.Equal(t, 200, res.status)
	require.Equal(t, 200, other.do(http.MethodPost, "/revoke-other-sessions", nil).status)

	res, reads := getSession(c, st, "")
	assert.Zero(t, reads)
	assert.NotEqual(t, "null", string(res.body))
	clock.Advance(5*time.Minute + time.Second)
	res, _ = getSession(c, st, "")
	assert.Equal(t, "null", string(res.body))
}

func TestCookieCacheChunked(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(string(strategy), func(t *testing.T) {
			a, st, _ := cacheAuth(t, strategy, nil)
			c := newClient(t, a.Handler())
			long := strings.Repeat("n", 3000)
			c.longName(t, st, long)
			assert.NotContains(t, c.cookies, cacheCookie)
			require.Contains(t, c.cookies, cacheCookie+".0")
			require.Contains(t, c.cookies, cacheCookie+".1")
			for _, sc := range c.last {
				assert.LessOrEqual(t, len(sc), 4050, sc[:30])
			}
			if strategy == betterauth.CookieCacheCompact {
				assert.Len(t, setCookie(&response{setCookies: c.last}, cacheCookie+".0"), 4049, "as Better Auth's")
			}
			res, reads := getSession(c, st, "")
			assert.Zero(t, reads, "the chunks are joined")
			assert.Equal(t, long, res.obj(t)["user"].(map[string]any)["name"])

			// Chunks in another order still join by index.
			req := newRequest(t, http.MethodGet, "/get-session", "")
			req.Header.Set("Cookie", cacheCookie+".1="+c.cookies[cacheCookie+".1"]+"; "+cacheCookie+".0="+c.cookies[cacheCookie+".0"]+
				"; better-auth.session_token="+c.cookies["better-auth.session_token"])
			before := st.reads.Load()
			rec := serve(a.Handler(), req)
			assert.Equal(t, before, st.reads.Load())
			assert.Contains(t, rec.Body.String(), long)

			// A short name: the stale chunks are expired.
			res = c.do(http.MethodPost, "/update-user", map[string]any{"name": "Short"})
			require.Equal(t, 200, res.status, "%s", res.body)
			assert.Contains(t, setCookie(res, cacheCookie+".0"), "Max-Age=0")
			assert.Contains(t, setCookie(res, cacheCookie+".1"), "Max-Age=0")
			assert.Contains(t, c.cookies, cacheCookie)
			assert.NotContains(t, c.cookies, cacheCookie+".0")
			res, reads = getSession(c, st, "")
			assert.Zero(t, reads)
			assert.Equal(t, "Short", res.obj(t)["user"].(map[string]any)["name"])

			// Sign-out expires every piece.
			_, err := st.UpdateUser(context.Background(), res.obj(t)["user"].(map[string]any)["id"].(string), betterauth.UserUpdate{Name: &long})
			require.NoError(t, err)
			c.do(http.MethodGet, "/get-session?disableCookieCache=true", nil)
			require.Contains(t, c.cookies, cacheCookie+".1")
			res = c.do(http.MethodPost, "/sign-out", nil)
			for _, n := range []string{cacheCookie, cacheCookie + ".0", cacheCookie + ".1"} {
				assert.Contains(t, setCookie(res, n), "Max-Age=0", n)
			}
			assert.Empty(t, c.cookies)
		})
	}
}

// longName signs up a user and gives it the name long, written to the
// store directly (the API refuses names over 256 characters; Better Auth
// takes them), then lets get-session write its cache again.
func (c *client) longName(t *testing.T, st betterauth.Store, long string) {
	t.Helper()
	body := c.signUp("Long", "long@example.com", "correct-horse-1")
	id := body["user"].(map[string]any)["id"].(string)
	_, err := st.UpdateUser(context.Background(), id, betterauth.UserUpdate{Name: &long})
	require.NoError(t, err)
	res := c.do(http.MethodGet, "/get-session?disableCookieCache=true", nil)
	require.Equal(t, 200, res.status, "%s", res.body)
	require.Contains(t, c.cookies, cacheCookie+".1")
}

func TestCookieCacheUpdateUserAndSignOut(t *testing.T) {
	a, st, _ := cacheAuth(t, betterauth.CookieCacheCompact, nil)
	c := newClient(t, a.Handler())
	c.signUp("Ada", "ada@example.com", "correct-horse-1")
	res := c.do(http.MethodPost, "/update-user", map[string]any{"name": "Ada L."})
	require.Equal(t, 200, res.status)
	assert.Contains(t, setCookie(res, cacheCookie), "Max-Age=300")
	res, reads := getSession(c, st, "")
	assert.Zero(t, reads)
	assert.Equal(t, "Ada L.", res.obj(t)["user"].(map[string]any)["name"])

	cache := c.cookies[cacheCookie]
	res = c.do(http.MethodPost, "/sign-out", nil)
	assert.Contains(t, setCookie(res, cacheCookie), "Max-Age=0")
	// A cache kept past sign-out, without its session cookie, is no session.
	c.cookies[cacheCookie] = cache
	res, _ = getSession(c, st, "")
	assert.Equal(t, "null", string(res.body))
}

func TestCookieCacheDontRemember(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(string(strategy), func(t *testing.T) {
			a, st, clock := cacheAuth(t, strategy, nil)
			c := newClient(t, a.Handler())
			c.signUp("Ada", "ada@example.com", "correct-horse-1")
			res := c.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct-horse-1", "rememberMe": false})
			require.Equal(t, 200, res.status)
			line := setCookie(res, cacheCookie)
			assert.NotContains(t, line, "Max-Age", "a browser-session cookie")
			// Better Auth: the compact cache then lasts 60 s, the others 300 s.
			life := 5 * time.Minute
			if strategy == betterauth.CookieCacheCompact {
				life = time.Minute
			}
			clock.Advance(life - time.Second)
			_, reads := getSession(c, st, "")
			assert.Zero(t, reads)
			clock.Advance(2 * time.Second)
			res, reads = getSession(c, st, "")
			assert.Equal(t, int64(1), reads)
			// A rememberMe: false session's store read writes no cache.
			assert.Empty(t, setCookie(res, cacheCookie+"=;"))
			assert.NotContains(t, strings.Join(res.setCookies, "\n"), "Max-Age=300")
		})
	}
}

// With the cache off, a session_data cookie left over is expired.
func TestCookieCacheOffExpiresLeftover(t *testing.T) {
	st := backends[0].new(t, schema.Schema{})
	a, _ := newAuth(t, st, nil)
	c := newClient(t, a.Handler())
	c.signUp("Ada", "ada@example.com", "correct-horse-1")
	assert.NotContains(t, c.cookies, cacheCookie)
	c.cookies[cacheCookie] = "old"
	c.cookies[cacheCookie+".3"] = "old"
	res := c.do(http.MethodGet, "/get-session", nil)
	assert.Contains(t, setCookie(res, cacheCookie), "Max-Age=0")
	assert.Contains(t, setCookie(res, cacheCookie+".3"), "Max-Age=0")
}

func TestCookieCacheConfig(t *testing.T) {
	st := backends[0].new(t, schema.Schema{})
	for _, cc := range []betterauth.CookieCacheConfig{
		{Enabled: true, Strategy: "jws"},
		{Enabled: true, MaxAge: -time.Second},
		{Enabled: true, MaxAge: time.Millisecond},
		{Enabled: true, MaxAge: 401 * 24 * time.Hour},
	} {
		_, err := betterauth.New(betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin,
			Session: betterauth.SessionConfig{CookieCache: cc}})
		assert.Error(t, err, "%+v", cc)
	}
}

// compactPayload decodes a compact cache's outer JSON.
func compactPayload(t *testing.T, v string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(v)
	require.NoError(t, err)
	return string(raw)
}
