package jwt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/jwt"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

const cacheName = "better-auth.session_data"

// cacheEnv is an Auth with the cookie cache (strategy jwt) on a shared
// store; signed by the plugin's keys when sessionCookieCache.
func cacheEnv(t *testing.T, st betterauth.Store, baseURL string, sessionCookieCache bool, now func() time.Time) *betterauth.Auth {
	t.Helper()
	off := false
	a, err := betterauth.New(betterauth.Config{
		Store: st, Secret: testSecret, BaseURL: baseURL, Now: now,
		Plugins:   []betterauth.Plugin{jwt.New(jwt.Options{SessionCookieCache: sessionCookieCache})},
		RateLimit: betterauth.RateLimitConfig{Enabled: &off},
		Session:   betterauth.SessionConfig{CookieCache: betterauth.CookieCacheConfig{Enabled: true, Strategy: betterauth.CookieCacheJWT}},
	})
	require.NoError(t, err)
	return a
}

// cookies signs a new user in on a and returns its session and cache cookies.
func cacheSignIn(t *testing.T, a *betterauth.Auth, st betterauth.Store) (session, cache string, u *betterauth.User) {
	t.Helper()
	ctx := context.Background()
	now := a.Now()
	u = &betterauth.User{Name: "Ada", Email: "ada@example.com", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, st.CreateUser(ctx, u))
	s, err := a.CreateSession(ctx, u.ID, betterauth.SessionOptions{})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	a.SetSessionCookie(rec, httptest.NewRequest("GET", "/", nil), s, false)
	for _, c := range rec.Result().Cookies() {
		switch c.Name {
		case "better-auth.session_token":
			session = c.Name + "=" + c.Value
		case cacheName:
			cache = c.Value
		}
	}
	require.NotEmpty(t, session)
	require.NotEmpty(t, cache)
	return session, cache, u
}

func getSession(t *testing.T, a *betterauth.Auth, cookie string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", testBaseURL+"/api/auth/get-session", nil)
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return rec
}

func TestSessionCookieCacheSignedByJWKS(t *testing.T) {
	ms, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(jwt.New(jwt.Options{}))...)
	require.NoError(t, err)
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	a := cacheEnv(t, ms, testBaseURL, true, c.Now)
	session, cache, u := cacheSignIn(t, a, ms)

	// Verifiable from /jwks, with Better Auth's header and claims.
	e := &env{auth: a, h: a.Handler()}
	header, _, claims := verifyWith(t, e.jwks(t), cache)
	assert.Equal(t, betterauth.CookieCacheJWTType, header["typ"])
	assert.NotEmpty(t, header["kid"])
	assert.Equal(t, testBaseURL, claims["iss"])
	assert.Equal(t, betterauth.CookieCacheJWTAudience, claims["aud"])
	assert.Equal(t, u.ID, claims["sub"])
	assert.Equal(t, strings.Split(strings.TrimPrefix(session, "better-auth.session_token="), ".")[0], claims["sid"])
	assert.Equal(t, "1", claims["version"])
	assert.EqualValues(t, claims["iat"].(float64)+300, claims["exp"])

	// Honoured: the session row is gone, the cache still answers.
	_, err = ms.DeleteUserSessions(context.Background(), u.ID, "")
	require.NoError(t, err)
	rec := getSession(t, a, session+"; "+cacheName+"="+cache)
	assert.Contains(t, rec.Body.String(), `"name":"Ada"`)
	assert.Empty(t, rec.Header().Values("Set-Cookie"))

	// Another base URL (iss) refuses it: the store says there is no session.
	other := cacheEnv(t, ms, "http://other.example", true, c.Now)
	rec = getSession(t, other, session+"; "+cacheName+"="+cache)
	assert.Equal(t, "null", rec.Body.String())

	// The secret-signed (HS256, no typ) cache of a reader without the
	// option is refused by one with it, and the other way round.
	plain := cacheEnv(t, ms, testBaseURL, false, c.Now)
	rec = getSession(t, plain, session+"; "+cacheName+"="+cache)
	assert.Equal(t, "null", rec.Body.String(), "an HS256 reader refuses the JWKS-signed cache")

	// Past maxAge it is refused (get-session checks exp itself, without
	// the 15 s leeway of the signature check, as Better Auth does).
	c.Add(5*time.Minute - time.Second)
	assert.Contains(t, getSession(t, a, session+"; "+cacheName+"="+cache).Body.String(), `"name":"Ada"`)
	c.Add(2 * time.Second)
	assert.Equal(t, "null", getSession(t, a, session+"; "+cacheName+"="+cache).Body.String())
}

func TestSessionCookieCacheRefusesHS256(t *testing.T) {
	ms, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(jwt.New(jwt.Options{}))...)
	require.NoError(t, err)
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	plain := cacheEnv(t, ms, testBaseURL, false, c.Now)
	session, cache, u := cacheSignIn(t, plain, ms)
	_, err = ms.DeleteUserSessions(context.Background(), u.ID, "")
	require.NoError(t, err)
	assert.Contains(t, getSession(t, plain, session+"; "+cacheName+"="+cache).Body.String(), `"name":"Ada"`)
	signed := cacheEnv(t, ms, testBaseURL, true, c.Now)
	assert.Equal(t, "null", getSession(t, signed, session+"; "+cacheName+"="+cache).Body.String())
}

func TestSessionCookieCacheNeedsJWTStrategy(t *testing.T) {
	ms, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(jwt.New(jwt.Options{}))...)
	require.NoError(t, err)
	for _, cc := range []betterauth.CookieCacheConfig{{}, {Enabled: true}, {Enabled: true, Strategy: betterauth.CookieCacheJWE}} {
		_, err := betterauth.New(betterauth.Config{
			Store: ms, Secret: testSecret, BaseURL: testBaseURL,
			Plugins: []betterauth.Plugin{jwt.New(jwt.Options{SessionCookieCache: true})},
			Session: betterauth.SessionConfig{CookieCache: cc},
		})
		assert.Error(t, err, "%+v", cc)
	}
}

// Claims signed by the plugin's key but not as Better Auth writes them.
func TestSessionCookieCacheClaims(t *testing.T) {
	ms, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(jwt.New(jwt.Options{}))...)
	require.NoError(t, err)
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	p := jwt.New(jwt.Options{SessionCookieCache: true})
	off := false
	a, err := betterauth.New(betterauth.Config{
		Store: ms, Secret: testSecret, BaseURL: testBaseURL, Now: c.Now, Plugins: []betterauth.Plugin{p},
		RateLimit: betterauth.RateLimitConfig{Enabled: &off},
		Session:   betterauth.SessionConfig{CookieCache: betterauth.CookieCacheConfig{Enabled: true, Strategy: betterauth.CookieCacheJWT}},
	})
	require.NoError(t, err)
	session, cache, _ := cacheSignIn(t, a, ms)
	e := &env{auth: a, h: a.Handler()}
	_, _, claims := verifyWith(t, e.jwks(t), cache)
	claims["user"].(map[string]any)["name"] = "Forged"
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(m map[string]any)
		typ    bool
		ok     bool
	}{
		{"as written", func(map[string]any) {}, true, true},
		{"no typ", func(map[string]any) {}, false, false},
		{"another aud", func(m map[string]any) { m["aud"] = testBaseURL }, true, false},
		{"another sub", func(m map[string]any) { m["sub"] = "someone" }, true, false},
		{"another sid", func(m map[string]any) { m["sid"] = "another-token" }, true, false},
		{"no iss", func(m map[string]any) { delete(m, "iss") }, true, false},
	} {
		m := map[string]any{}
		for k, v := range claims {
			m[k] = v
		}
		tc.change(m)
		var tok string
		if tc.typ {
			raw, err := json.Marshal(m)
			require.NoError(t, err)
			tok, err = p.CookieCacheSigner().SignCookieCache(ctx, raw)
			require.NoError(t, err)
		} else {
			tok, err = p.Sign(ctx, m)
			require.NoError(t, err)
		}
		body := getSession(t, a, session+"; "+cacheName+"="+tok).Body.String()
		assert.Equal(t, tc.ok, strings.Contains(body, "Forged"), "%s: %s", tc.name, body)
	}
}
