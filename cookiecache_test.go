package betterauth_test

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
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
			// ?disableRefresh answers from the store and writes no cache, as Better Auth.
			c.cookies[cacheCookie] = "stale"
			res, reads = getSession(c, st, "?disableRefresh=true")
			assert.Equal(t, int64(1), reads)
			assert.Contains(t, setCookie(res, cacheCookie), "Max-Age=0")
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

			// An empty session_data does not hide the chunks (Better Auth's getChunkedCookie).
			req.Header.Set("Cookie", cacheCookie+"=; "+req.Header.Get("Cookie"))
			rec = serve(a.Handler(), req)
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
			a, st, clock := cacheAuth(t, strategy, func(c *betterauth.Config) { c.Session.CookieCache.MaxAge = 10 * time.Minute })
			c := newClient(t, a.Handler())
			c.signUp("Ada", "ada@example.com", "correct-horse-1")
			res := c.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct-horse-1", "rememberMe": false})
			require.Equal(t, 200, res.status)
			line := setCookie(res, cacheCookie)
			assert.NotContains(t, line, "Max-Age", "a browser-session cookie")
			// Better Auth: the compact cache then lasts 60 s, the others 300 s
			// (whatever MaxAge is).
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
			// The stale cache is expired; a rememberMe: false session's
			// store read writes no new one (as Better Auth).
			assert.Equal(t, "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax", setCookie(res, cacheCookie))
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

// hs256 signs claims as a JWT with header, HMAC-SHA256 with the test secret.
func hs256(header, claims string) string { return hs256Key(testSecret, header, claims) }

func hs256Key(key, header, claims string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// JWT caches signed with the secret but outside what Better Auth writes.
func TestCookieCacheJWTClaims(t *testing.T) {
	a, st, clock := cacheAuth(t, betterauth.CookieCacheJWT, nil)
	c := newClient(t, a.Handler())
	c.signUp("Ada", "ada@example.com", "correct-horse-1")
	res, _ := getSession(c, st, "?disableCookieCache=true")
	body := res.obj(t)
	p, err := json.Marshal(map[string]any{"session": body["session"], "user": map[string]any{
		"id": body["user"].(map[string]any)["id"], "name": "Forged", "email": "ada@example.com", "emailVerified": false,
		"createdAt": body["user"].(map[string]any)["createdAt"], "updatedAt": body["user"].(map[string]any)["updatedAt"]},
		"updatedAt": clock.Now().UnixMilli(), "version": "1"})
	require.NoError(t, err)
	now := clock.Now().Unix()
	claims := func(extra string) string { return strings.TrimSuffix(string(p), "}") + extra + "}" }
	for _, tc := range []struct {
		name, token string
		honoured    bool
	}{
		{"well formed", hs256(`{"alg":"HS256"}`, claims(fmt.Sprintf(`,"iat":%d,"exp":%d`, now, now+60))), true},
		{"another secret", hs256Key(testSecret+"x", `{"alg":"HS256"}`, claims(fmt.Sprintf(`,"iat":%d,"exp":%d`, now, now+60))), false},
		{"alg HS384", hs256(`{"alg":"HS384"}`, claims(fmt.Sprintf(`,"iat":%d,"exp":%d`, now, now+60))), false},
		{"crit", hs256(`{"alg":"HS256","crit":["x"],"x":1}`, claims(fmt.Sprintf(`,"iat":%d,"exp":%d`, now, now+60))), false},
		{"no exp", hs256(`{"alg":"HS256"}`, claims(fmt.Sprintf(`,"iat":%d`, now))), false},
		{"not yet valid", hs256(`{"alg":"HS256"}`, claims(fmt.Sprintf(`,"iat":%d,"exp":%d,"nbf":%d`, now, now+60, now+30))), false},
		{"expired", hs256(`{"alg":"HS256"}`, claims(fmt.Sprintf(`,"iat":%d,"exp":%d`, now-60, now))), false},
	} {
		c.cookies[cacheCookie] = tc.token
		res, reads := getSession(c, st, "")
		name := res.obj(t)["user"].(map[string]any)["name"]
		if tc.honoured {
			assert.Equal(t, "Forged", name, tc.name)
			assert.Zero(t, reads, tc.name)
		} else {
			assert.Equal(t, "Ada", name, tc.name)
			assert.Equal(t, int64(1), reads, tc.name)
		}
	}
}

// forgedPayload is P ({session, user, updatedAt, version}) of c's session
// with the user renamed "Forged", as a cache would carry it.
func forgedPayload(t *testing.T, c *client, st *readCountStore, now time.Time) []byte {
	t.Helper()
	res, _ := getSession(c, st, "?disableCookieCache=true")
	body := res.obj(t)
	body["user"].(map[string]any)["name"] = "Forged"
	p, err := json.Marshal(map[string]any{"session": body["session"], "user": body["user"], "updatedAt": now.UnixMilli(), "version": "1"})
	require.NoError(t, err)
	return p
}

// honoured reports whether get-session answers from the cache value.
func honoured(t *testing.T, c *client, st *readCountStore, value string) bool {
	t.Helper()
	c.cookies[cacheCookie] = value
	res, reads := getSession(c, st, "")
	name := res.obj(t)["user"].(map[string]any)["name"]
	if name == "Forged" {
		assert.Zero(t, reads)
		return true
	}
	assert.Equal(t, int64(1), reads)
	return false
}

// Caches made outside: only the secret's signature (or key and kid) counts.
func TestCookieCacheForgedCompact(t *testing.T) {
	a, st, clock := cacheAuth(t, betterauth.CookieCacheCompact, nil)
	c := newClient(t, a.Handler())
	c.signUp("Ada", "ada@example.com", "correct-horse-1")
	p := forgedPayload(t, c, st, clock.Now())
	compact := func(key string) string {
		e := fmt.Sprint(clock.Now().UnixMilli() + 60_000)
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(strings.TrimSuffix(string(p), "}") + `,"expiresAt":` + e + "}"))
		outer := `{"session":` + string(p) + `,"expiresAt":` + e + `,"signature":"` + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) + `"}`
		return base64.RawURLEncoding.EncodeToString([]byte(outer))
	}
	assert.True(t, honoured(t, c, st, compact(testSecret)), "the secret's")
	var m map[string]any
	require.NoError(t, json.Unmarshal(p, &m))
	delete(m, "updatedAt") // Better Auth's payload schema requires it
	p, _ = json.Marshal(m)
	assert.False(t, honoured(t, c, st, compact(testSecret)), "no updatedAt")
	m["updatedAt"] = "1"
	p, _ = json.Marshal(m)
	assert.False(t, honoured(t, c, st, compact(testSecret)), "updatedAt not a number")
	m["updatedAt"] = clock.Now().UnixMilli()
	m["version"] = 1
	p, _ = json.Marshal(m)
	assert.False(t, honoured(t, c, st, compact(testSecret)), "version not a string")
	m["version"] = "1"
	for _, path := range [][2]string{{"session", "id"}, {"session", "userId"}, {"session", "token"}, {"user", "id"}} {
		obj := m[path[0]].(map[string]any)
		saved := obj[path[1]]
		delete(obj, path[1])
		p, _ = json.Marshal(m)
		assert.False(t, honoured(t, c, st, compact(testSecret)), "no %s.%s", path[0], path[1])
		obj[path[1]] = saved
	}
	p, _ = json.Marshal(m)
	assert.False(t, honoured(t, c, st, compact(testSecret+"x")), "another secret's")
}

func TestCookieCacheForgedJWE(t *testing.T) {
	a, st, clock := cacheAuth(t, betterauth.CookieCacheJWE, nil)
	c := newClient(t, a.Handler())
	c.signUp("Ada", "ada@example.com", "correct-horse-1")
	p := forgedPayload(t, c, st, clock.Now())
	now := clock.Now().Unix()
	claims := strings.TrimSuffix(string(p), "}") + fmt.Sprintf(`,"iat":%d,"exp":%d,"jti":"j"}`, now, now+60)
	jwe := func(secret string, kid *string) string {
		k, err := hkdf.Key(sha256.New, []byte(secret), []byte("better-auth-session"), "BetterAuth.js Generated Encryption Key", 64)
		require.NoError(t, err)
		tp := sha256.Sum256([]byte(`{"k":"` + base64.RawURLEncoding.EncodeToString(k) + `","kty":"oct"}`))
		r := jose.Recipient{Algorithm: jose.DIRECT, Key: k, KeyID: base64.RawURLEncoding.EncodeToString(tp[:])}
		if kid != nil {
			r.KeyID = *kid
		}
		enc, err := jose.NewEncrypter(jose.A256CBC_HS512, r, nil)
		require.NoError(t, err)
		obj, err := enc.Encrypt([]byte(claims))
		require.NoError(t, err)
		v, err := obj.CompactSerialize()
		require.NoError(t, err)
		return v
	}
	none, other := "", "not-the-thumbprint"
	assert.True(t, honoured(t, c, st, jwe(testSecret, nil)), "the secret's key and kid")
	assert.True(t, honoured(t, c, st, jwe(testSecret, &none)), "no kid: the current secret")
	assert.False(t, honoured(t, c, st, jwe(testSecret, &other)), "a kid that is not the key's")
	assert.False(t, honoured(t, c, st, jwe(testSecret+"x", nil)), "another secret's")
}

// A cache of more than 100 chunks is not written, as in Better Auth.
func TestCookieCacheTooLarge(t *testing.T) {
	a, st, _ := cacheAuth(t, betterauth.CookieCacheCompact, nil)
	c := newClient(t, a.Handler())
	body := c.signUp("Ada", "ada@example.com", "correct-horse-1")
	huge := strings.Repeat("n", 300_000) // ~400 KB of base64: 101 chunks
	_, err := st.UpdateUser(context.Background(), body["user"].(map[string]any)["id"].(string), betterauth.UserUpdate{Name: &huge})
	require.NoError(t, err)
	res, _ := getSession(c, st, "?disableCookieCache=true")
	assert.Equal(t, huge, res.obj(t)["user"].(map[string]any)["name"])
	for _, sc := range res.setCookies {
		assert.NotContains(t, sc[:40], cacheCookie+".", "no chunk written")
	}
	huge = huge[:280_000] // 95 chunks
	_, err = st.UpdateUser(context.Background(), body["user"].(map[string]any)["id"].(string), betterauth.UserUpdate{Name: &huge})
	require.NoError(t, err)
	res, _ = getSession(c, st, "?disableCookieCache=true")
	assert.Contains(t, setCookie(res, cacheCookie+".94"), "Max-Age=300")
}
