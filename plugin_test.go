package betterauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// testPlugin uses every capability of the HTTP half: a route with its own
// rate-limit rule, Init, a before-sign-in challenge (for emails starting
// with "2fa"), an after-sign-in cookie, a get-session header and the user
// and session hooks (recorded in order).
type testPlugin struct {
	id   string
	auth *betterauth.Auth

	mu    sync.Mutex
	calls []string
}

func (p *testPlugin) ID() string { return p.id }

func (p *testPlugin) record(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, s)
}

func (p *testPlugin) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

func (p *testPlugin) Init(a *betterauth.Auth) error {
	p.auth = a
	return nil
}

func (p *testPlugin) Routes() []betterauth.Route {
	return []betterauth.Route{
		{Method: http.MethodGet, Path: "/test/hello", Access: betterauth.AccessSession,
			RateLimit: &betterauth.RateLimitRule{Window: time.Minute, Max: 2},
			Handle: func(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
				w.Header().Set("Content-Type", "text/plain")
				_, err := w.Write([]byte("hello " + in.Session.User.Email))
				return err
			}},
		{Method: http.MethodPost, Path: "/test/echo",
			Handle: func(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
				if in.Body["fail"] == true {
					return &betterauth.APIError{Status: http.StatusTeapot, Code: "TEAPOT", Message: "no"}
				}
				w.Header().Set("Content-Type", "text/plain")
				_, err := w.Write([]byte(in.Body["say"].(string)))
				return err
			}},
	}
}

func (p *testPlugin) BeforeSignIn(_ context.Context, in *betterauth.SignIn) (*betterauth.Challenge, error) {
	p.record("before-sign-in:" + in.Method)
	if strings.HasPrefix(in.User.Email, "2fa") {
		return &betterauth.Challenge{
			Reply:   map[string]any{"twoFactorRedirect": true},
			Cookies: []*http.Cookie{{Name: "test.two_factor", Value: in.User.ID, Path: "/", HttpOnly: true}},
		}, nil
	}
	return nil, nil
}

func (p *testPlugin) AfterSignIn(_ context.Context, in *betterauth.SignIn, s *betterauth.Session) ([]*http.Cookie, error) {
	p.record("after-sign-in:" + in.Method)
	return []*http.Cookie{{Name: "test.after", Value: "1", Path: "/"}}, nil
}

func (p *testPlugin) BeforeCreateSession(_ context.Context, s *betterauth.Session) error {
	p.record("before-create-session")
	return nil
}

func (p *testPlugin) OnSessionReply(_ context.Context, h http.Header, sd *betterauth.SessionData) error {
	h.Set("X-Test-User", sd.User.ID)
	return nil
}

func (p *testPlugin) BeforeCreateUser(_ context.Context, _ betterauth.Store, u *betterauth.User) error {
	p.record("before-create-user")
	return nil
}

func (p *testPlugin) AfterCreateUser(_ context.Context, _ betterauth.Store, u *betterauth.User) error {
	p.record("after-create-user")
	return nil
}

func newPluginAuth(t *testing.T, mod func(*betterauth.Config)) (*betterauth.Auth, *testPlugin) {
	t.Helper()
	st := backends[0].new(t, schema.Schema{})
	p := &testPlugin{id: "test"}
	a, _ := newAuth(t, st, func(c *betterauth.Config) {
		c.Plugins = []betterauth.Plugin{p}
		if mod != nil {
			mod(c)
		}
	})
	require.Same(t, a, p.auth, "Init gets the Auth")
	return a, p
}

func TestPluginRouteAccessAndOwnRateLimit(t *testing.T) {
	a, _ := newPluginAuth(t, func(c *betterauth.Config) { c.RateLimit.Enabled = new(true) })
	c := newClient(t, a.Handler())
	res := c.do(http.MethodGet, "/test/hello", nil)
	assert.Equal(t, http.StatusUnauthorized, res.status, "a session route without a session")
	assert.Equal(t, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`, string(res.body))
	c.signUp("Ann", "ann@example.com", "password1234")
	res = c.do(http.MethodGet, "/test/hello", nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Equal(t, "hello ann@example.com", string(res.body))
	assert.Equal(t, "no-store", res.header.Get("Cache-Control"), "plugin routes go through the same chain")
	res = c.do(http.MethodGet, "/test/hello", nil)
	assert.Equal(t, http.StatusTooManyRequests, res.status, "the route's own rule: 2 per minute (the default allows 100)")

	// Body and origin checks apply to plugin routes too.
	c2 := newClient(t, a.Handler())
	res = c2.do(http.MethodPost, "/test/echo", map[string]any{"say": "hi"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Equal(t, "hi", string(res.body))
	res = c2.do(http.MethodPost, "/test/echo", map[string]any{"fail": true})
	assert.Equal(t, http.StatusTeapot, res.status)
	assert.Equal(t, `{"message":"no","code":"TEAPOT"}`, string(res.body))
	c2.origin = "https://evil.example"
	c2.cookies["better-auth.session_token"] = "x"
	res = c2.do(http.MethodPost, "/test/echo", map[string]any{"say": "hi"})
	assert.Equal(t, http.StatusForbidden, res.status, "origin check: %s", res.body)
	res = c2.do(http.MethodPut, "/test/echo", nil)
	assert.Equal(t, http.StatusNotFound, res.status, "wrong method")
	assert.Empty(t, res.body)
}

func TestPluginChallengeStopsSignIn(t *testing.T) {
	a, p := newPluginAuth(t, nil)
	c := newClient(t, a.Handler())
	c.signUp("Bob", "2fa-bob@example.com", "password1234")
	assert.Equal(t, []string{"before-create-user", "after-create-user", "before-sign-in:sign-up"}, p.Calls(),
		"sign-up's auto sign-in goes through SignIn; the challenge stops it before any session")

	anon := newClient(t, a.Handler())
	res := anon.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "2fa-bob@example.com", "password": "password1234"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Equal(t, `{"twoFactorRedirect":true}`, string(res.body))
	require.Len(t, res.setCookies, 3, "the challenge's cookie, and the session cookies expired: %v", res.setCookies)
	assert.True(t, strings.HasPrefix(res.setCookies[0], "better-auth.session_token=; Max-Age=0"))
	assert.True(t, strings.HasPrefix(res.setCookies[1], "better-auth.session_data=; Max-Age=0"))
	assert.True(t, strings.HasPrefix(res.setCookies[2], "test.two_factor="))

	// rememberMe: false keeps its marker for the step that completes the sign-in.
	res = anon.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "2fa-bob@example.com", "password": "password1234", "rememberMe": false})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Contains(t, strings.Join(res.setCookies, "\n"), "better-auth.dont_remember=true.")
	u, err := a.Store().GetUserByEmail(context.Background(), "2fa-bob@example.com")
	require.NoError(t, err)
	ss, err := a.ListSessions(context.Background(), u.ID)
	require.NoError(t, err)
	assert.Empty(t, ss, "a challenged sign-in creates no session")
}

func TestPluginAfterSignInCookieAndSessionHeader(t *testing.T) {
	a, p := newPluginAuth(t, nil)
	c := newClient(t, a.Handler())
	c.signUp("Cy", "cy@example.com", "password1234")
	assert.Contains(t, c.cookies, "test.after", "sign-up's auto sign-in sets the after-sign-in cookie")

	c2 := newClient(t, a.Handler())
	res := c2.do(http.MethodPost, "/sign-in/email", map[string]any{"email": "cy@example.com", "password": "password1234"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Equal(t, "1", c2.cookies["test.after"], "after-sign-in cookie: %v", res.setCookies)
	assert.Contains(t, c2.cookies, "better-auth.session_token")
	assert.Equal(t, []string{
		"before-create-user", "after-create-user", "before-sign-in:sign-up", "before-create-session", "after-sign-in:sign-up",
		"before-sign-in:email", "before-create-session", "after-sign-in:email",
	}, p.Calls())

	res = c2.do(http.MethodGet, "/get-session", nil)
	require.Equal(t, http.StatusOK, res.status)
	u, err := a.Store().GetUserByEmail(context.Background(), "cy@example.com")
	require.NoError(t, err)
	assert.Equal(t, u.ID, res.header.Get("X-Test-User"), "the session-reply hook sets a header")
	res = newClient(t, a.Handler()).do(http.MethodGet, "/get-session", nil)
	assert.Empty(t, res.header.Get("X-Test-User"), "no session, no hook")
	assert.Equal(t, "null", string(res.body))
}

// TestHooksRunInOrderInsideTheTransaction: Config.Hooks run after the
// plugins' hooks, in the user write's transaction; an error rolls back.
func TestHooksRunInOrderInsideTheTransaction(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		var mu sync.Mutex
		var order []string
		rec := func(s string) {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, s)
		}
		failAfterCreate, failDelete := errors.New("after create says no"), errors.New("before delete says no")
		p := &testPlugin{id: "test"}
		a, _ := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) {
			c.Plugins = []betterauth.Plugin{p}
			c.User.DeleteUser.Enabled = true
			c.Hooks = betterauth.Hooks{
				BeforeCreateUser: func(_ context.Context, _ betterauth.Store, u *betterauth.User) error {
					rec("hooks.before-create-user")
					u.Name = strings.TrimSpace(u.Name) // hooks may change the row
					return nil
				},
				AfterCreateUser: func(ctx context.Context, tx betterauth.Store, u *betterauth.User) error {
					rec("hooks.after-create-user")
					if _, err := tx.GetUserByID(ctx, u.ID); err != nil {
						return err // the row is visible in the transaction
					}
					if strings.HasPrefix(u.Email, "fail") {
						return failAfterCreate
					}
					return nil
				},
				BeforeDeleteUser: func(_ context.Context, _ betterauth.Store, userID string) error {
					rec("hooks.before-delete-user")
					return failDelete
				},
				BeforeCreateSession: func(_ context.Context, s *betterauth.Session) error {
					rec("hooks.before-create-session")
					s.UserAgent = "set by a hook"
					return nil
				},
			}
		})
		c := newClient(t, a.Handler())
		c.signUp(" Dee ", "dee@example.com", "password1234")
		ctx := context.Background()
		u, err := a.Store().GetUserByEmail(ctx, "dee@example.com")
		require.NoError(t, err)
		assert.Equal(t, "Dee", u.Name)
		ss, err := a.ListSessions(ctx, u.ID)
		require.NoError(t, err)
		require.Len(t, ss, 1)
		assert.Equal(t, "set by a hook", ss[0].UserAgent)
		assert.Equal(t, []string{"before-create-user", "after-create-user", "before-sign-in:sign-up", "before-create-session", "after-sign-in:sign-up"}, p.Calls())
		assert.Equal(t, []string{"hooks.before-create-user", "hooks.after-create-user", "hooks.before-create-session"}, order)

		res := newClient(t, a.Handler()).do(http.MethodPost, "/sign-up/email", map[string]any{"name": "F", "email": "fail@example.com", "password": "password1234"})
		assert.Equal(t, http.StatusInternalServerError, res.status, "a hook's plain error is a 500, not a 503: %s", res.body)
		_, err = a.Store().GetUserByEmail(ctx, "fail@example.com")
		assert.ErrorIs(t, err, betterauth.ErrNotFound, "the user write rolled back")

		res = c.do(http.MethodPost, "/delete-user", map[string]any{})
		assert.Equal(t, http.StatusInternalServerError, res.status, "%s", res.body)
		_, err = a.Store().GetUserByEmail(ctx, "dee@example.com")
		assert.NoError(t, err, "a before-delete error keeps the user")
		assert.Contains(t, order, "hooks.before-delete-user")
	})
}

// TestHookAPIErrorReachesClient: a hook's *APIError is the answer.
func TestHookAPIErrorReachesClient(t *testing.T) {
	banned := &betterauth.APIError{Status: http.StatusForbidden, Code: "BANNED_USER", Message: "You have been banned"}
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.Hooks.BeforeSignIn = func(_ context.Context, in *betterauth.SignIn) (*betterauth.Challenge, error) {
			if in.Method == betterauth.SignInMethodEmail {
				return nil, banned
			}
			return nil, nil
		}
	})
	c := newClient(t, a.Handler())
	c.signUp("Eve", "eve@example.com", "password1234")
	res := newClient(t, a.Handler()).do(http.MethodPost, "/sign-in/email", map[string]any{"email": "eve@example.com", "password": "password1234"})
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.Equal(t, `{"message":"You have been banned","code":"BANNED_USER"}`, string(res.body))
	assert.Empty(t, res.setCookies)
}

type initFails struct{ testPlugin }

func (p *initFails) Init(*betterauth.Auth) error { return errors.New("no key") }

type routesPlugin struct {
	id     string
	routes []betterauth.Route
}

func (p routesPlugin) ID() string                 { return p.id }
func (p routesPlugin) Routes() []betterauth.Route { return p.routes }

func TestNewRefusesBadPlugins(t *testing.T) {
	h := func(http.ResponseWriter, *http.Request, betterauth.RouteInput) error { return nil }
	route := func(method, path string) betterauth.Route {
		return betterauth.Route{Method: method, Path: path, Handle: h}
	}
	cases := []struct {
		name    string
		plugins []betterauth.Plugin
		want    string
	}{
		{"nil plugin", []betterauth.Plugin{nil}, "Plugins[0] is nil"},
		{"duplicate id", []betterauth.Plugin{&testPlugin{id: "x"}, routesPlugin{id: "x"}}, `duplicate plugin id: "x"`},
		{"clash with the core", []betterauth.Plugin{routesPlugin{"x", []betterauth.Route{route("POST", "/sign-in/email")}}}, "clashes with the core's"},
		{"clash between plugins", []betterauth.Plugin{routesPlugin{"x", []betterauth.Route{route("GET", "/a")}}, routesPlugin{"y", []betterauth.Route{route("get", "/a")}}}, `plugin "y": route GET /a clashes with plugin "x"'s`},
		{"patterns ServeMux cannot tell apart", []betterauth.Plugin{routesPlugin{"x", []betterauth.Route{route("GET", "/a/{id}"), route("GET", "/a/{name}")}}}, "conflicts"},
		{"no handler", []betterauth.Plugin{routesPlugin{"x", []betterauth.Route{{Method: "GET", Path: "/b"}}}}, "needs a method"},
		{"init fails", []betterauth.Plugin{&initFails{testPlugin{id: "x"}}}, `plugin "x": init: no key`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := betterauth.New(betterauth.Config{Store: backends[0].new(t, schema.Schema{}), Secret: testSecret, BaseURL: testOrigin, Plugins: tc.plugins})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := betterauth.New(betterauth.Config{Store: backends[0].new(t, schema.Schema{}), Secret: testSecret, BaseURL: testOrigin,
		Plugins: []betterauth.Plugin{&testPlugin{id: "x"}, &testPlugin{id: "y"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin "y": route GET /test/hello clashes with plugin "x"'s`)
}

func TestRoutesListsEveryEndpoint(t *testing.T) {
	a, _ := newPluginAuth(t, nil)
	got := map[string]betterauth.RouteInfo{}
	for _, r := range a.Routes() {
		got[r.Method+" "+r.Path] = r
	}
	assert.Len(t, got, 23)
	for k, want := range map[string]betterauth.Access{
		"GET /get-session": betterauth.AccessPublic, "GET /list-sessions": betterauth.AccessFreshSession,
		"POST /delete-user": betterauth.AccessSession, "GET /reset-password/{token}": betterauth.AccessPublic,
		"GET /test/hello": betterauth.AccessSession, "POST /test/echo": betterauth.AccessPublic,
	} {
		require.Contains(t, got, k)
		assert.Equal(t, want, got[k].Access, k)
	}
	assert.Equal(t, betterauth.RateLimitRule{Window: 10 * time.Second, Max: 3}, got["POST /sign-in/email"].RateLimit)
	assert.Equal(t, betterauth.RateLimitRule{Window: time.Minute, Max: 3}, got["POST /request-password-reset"].RateLimit)
	assert.Equal(t, betterauth.RateLimitRule{Window: 10 * time.Second, Max: 100}, got["GET /get-session"].RateLimit)
	assert.Equal(t, betterauth.RateLimitRule{Window: time.Minute, Max: 2}, got["GET /test/hello"].RateLimit)
	assert.Equal(t, "test", got["GET /test/hello"].Plugin)
	assert.Empty(t, got["GET /ok"].Plugin)
}

// TestRouterKeepsBetterAuthEdges: what ServeMux would do differently
// (redirect unclean paths, 405 bodies, HEAD on every GET) is not seen.
func TestRouterKeepsBetterAuthEdges(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) { c.RateLimit.Enabled = new(true) })
	h := a.Handler()
	for _, tc := range []struct{ method, path string }{
		{"GET", "/sign-in/../ok"}, {"GET", "//ok"}, {"GET", "/ok/"}, {"GET", "/nope"}, {"DELETE", "/ok"},
		{"HEAD", "/reset-password/abc"}, {"POST", "/reset-password/abc"}, {"GET", "/reset-password/a%2Fb"},
	} {
		rec := serve(h, newRequest(t, tc.method, tc.path, ""))
		assert.Equal(t, http.StatusNotFound, rec.Code, "%s %s", tc.method, tc.path)
		assert.Empty(t, rec.Body.String(), "%s %s", tc.method, tc.path)
		assert.Empty(t, rec.Header().Get("Location"), "%s %s", tc.method, tc.path)
	}
	rec := serve(h, newRequest(t, "HEAD", "/ok", ""))
	assert.Equal(t, http.StatusOK, rec.Code, "HEAD on a GET route")
	rec = serve(h, newRequest(t, "GET", "/reset-password/", ""))
	assert.Equal(t, http.StatusNotFound, rec.Code)
	rec = serve(h, newRequest(t, "POST", "/get-session", ""))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Contains(t, rec.Body.String(), "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED")
	// A wrong method on a known path counts like the route (3 per 10 s on
	// /sign-in); unknown paths are not counted.
	for range 3 {
		assert.Equal(t, http.StatusNotFound, serve(h, newRequest(t, "GET", "/sign-in/email", "")).Code)
	}
	assert.Equal(t, http.StatusTooManyRequests, serve(h, newRequest(t, "GET", "/sign-in/email", "")).Code)
	for range 150 {
		require.Equal(t, http.StatusNotFound, serve(h, newRequest(t, "GET", "/nope", "")).Code)
	}
}

// TestGetSessionTakesAToken: the get-session algorithm without HTTP.
func TestGetSessionTakesAToken(t *testing.T) {
	a, clock := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	c := newClient(t, a.Handler())
	body := c.signUp("Gus", "gus@example.com", "password1234")
	token := body["token"].(string)
	ctx := context.Background()
	st, err := a.GetSession(ctx, token, betterauth.GetSessionOptions{})
	require.NoError(t, err)
	require.NotNil(t, st.SessionData)
	assert.Equal(t, "gus@example.com", st.User.Email)
	clock.Advance(2 * 24 * time.Hour)
	st, err = a.GetSession(ctx, token, betterauth.GetSessionOptions{DontRemember: true})
	require.NoError(t, err)
	assert.False(t, st.Refreshed, "dont-remember sessions do not slide")
	st, err = a.GetSession(ctx, token, betterauth.GetSessionOptions{DisableRefresh: true})
	require.NoError(t, err)
	assert.False(t, st.Refreshed)
	st, err = a.GetSession(ctx, token, betterauth.GetSessionOptions{})
	require.NoError(t, err)
	assert.True(t, st.Refreshed)
	st, err = a.GetSession(ctx, "", betterauth.GetSessionOptions{})
	require.NoError(t, err)
	assert.Nil(t, st.SessionData)
}
