package social_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/oidctest"
	"github.com/go-betterauth/betterauth/plugins/social"
)

// withQuery replaces (or, with "", removes) query parameters of u.
func withQuery(t *testing.T, u string, kv ...string) string {
	t.Helper()
	pu, err := url.Parse(u)
	require.NoError(t, err)
	q := pu.Query()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	pu.RawQuery = q.Encode()
	return pu.String()
}

// requireNoSession asserts the callback made no session at all.
func requireNoSession(t *testing.T, e *env, c *client) {
	t.Helper()
	_, has := c.cookies[sessionName]
	require.False(t, has, "no session cookie")
	require.Empty(t, c.sessionEmail())
}

// The state checks (Better Auth's parseGenericState), each answered the way
// Better Auth answers it (§16.1 of the spec): where the browser is sent and
// with which ?error=, and no session.
func TestStateMisuse(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setup{})
		defaultError := testBaseURL + "/api/auth/error?error="
		body := func() map[string]any { return map[string]any{"errorCallbackURL": "/oops"} }

		t.Run("tampered state", func(t *testing.T) {
			c := e.client()
			cb := c.authorize(c.startSignIn(body()))
			r := c.do(http.MethodGet, withQuery(t, cb, "state", strings.Repeat("x", 32)), nil)
			require.Equal(t, "state_mismatch", r.errorCode(t))
			require.Equal(t, defaultError+"state_mismatch", r.location(), "no row: the default error page")
			requireNoSession(t, e, c)
		})
		t.Run("no state", func(t *testing.T) {
			c := e.client()
			cb := c.authorize(c.startSignIn(body()))
			r := c.do(http.MethodGet, withQuery(t, cb, "state", ""), nil)
			require.Equal(t, defaultError+"state_not_found", r.location())
			requireNoSession(t, e, c)
		})
		t.Run("missing state cookie", func(t *testing.T) {
			c := e.client()
			cb := c.authorize(c.startSignIn(body()))
			delete(c.cookies, stateCookie)
			r := c.do(http.MethodGet, cb, nil)
			require.Equal(t, "/oops?error=state_mismatch", r.location(), "the flow's errorCallbackURL")
			requireNoSession(t, e, c)
			// The row survives a cookie-less attempt: the real browser finishes.
		})
		t.Run("another flow's state cookie", func(t *testing.T) {
			c := e.client()
			cb := c.authorize(c.startSignIn(body()))
			other := e.client()
			other.startSignIn(nil)
			c.cookies[stateCookie] = other.cookies[stateCookie]
			r := c.do(http.MethodGet, cb, nil)
			require.Equal(t, "/oops?error=state_mismatch", r.location())
			requireNoSession(t, e, c)
		})
		t.Run("a state cookie signed with another secret", func(t *testing.T) {
			c := e.client()
			cb := c.authorize(c.startSignIn(body()))
			st, _ := url.Parse(cb)
			c.cookies[stateCookie] = url.QueryEscape(betterauth.SignCookieValue("another-secret-0123456789012345678901", st.Query().Get("state")))
			r := c.do(http.MethodGet, cb, nil)
			require.Equal(t, "/oops?error=state_mismatch", r.location())
		})
		t.Run("replayed callback", func(t *testing.T) {
			c := e.client()
			cb := c.authorize(c.startSignIn(body()))
			jar := map[string]string{}
			for k, v := range c.cookies {
				jar[k] = v
			}
			r := c.do(http.MethodGet, cb, nil)
			require.Equal(t, testBaseURL, r.location())
			replay := e.client()
			replay.cookies = jar // the state cookie as it was
			r = replay.do(http.MethodGet, cb, nil)
			require.Equal(t, defaultError+"state_mismatch", r.location())
			requireNoSession(t, e, replay)
		})
		t.Run("expired state", func(t *testing.T) {
			c := e.client()
			cb := c.authorize(c.startSignIn(body()))
			e.clock.Add(10*time.Minute + time.Second)
			r := c.do(http.MethodGet, cb, nil)
			require.Equal(t, "state_mismatch", r.errorCode(t))
			requireNoSession(t, e, c)
		})
	})
}

// A state row Better Auth would not parse, and one whose oauthState is not
// its identifier's.
func TestStoredStateDamage(t *testing.T) {
	e := newEnv(t, setup{})
	ctx := context.Background()
	c := e.client()
	cb := c.authorize(c.startSignIn(map[string]any{"errorCallbackURL": "/oops"}))
	state, _ := url.Parse(cb)
	id := "auth-state:" + state.Query().Get("state")
	cookie := c.cookies[stateCookie]
	v, err := e.store.GetVerification(ctx, id)
	require.NoError(t, err)
	for _, tc := range []struct{ value, want string }{
		{strings.Replace(v.Value, `"oauthState":"`, `"oauthState":"x`, 1), "/oops?error=state_mismatch"},
		{strings.Replace(v.Value, `"codeVerifier"`, `"codeVerifierX"`, 1), testBaseURL + "/api/auth/error?error=internal_server_error"},
		{"not json", testBaseURL + "/api/auth/error?error=internal_server_error"},
		// A nonce-bound provider, but the flow carries no nonce.
		{regexp.MustCompile(`"idTokenNonce":"[A-Za-z0-9]+",`).ReplaceAllString(v.Value, ""), "/oops?error=nonce_binding_missing"},
		// A link to a user that does not exist is refused, never a sign-in.
		{strings.Replace(v.Value, `"expiresAt"`, `"link":{"userId":"u1","email":"ada@example.com"},"expiresAt"`, 1), "/oops?error=unable_to_link_account"},
		// The row lives on, but the state's own expiresAt has passed.
		{regexp.MustCompile(`"expiresAt":\d+`).ReplaceAllString(v.Value, fmt.Sprintf(`"expiresAt":%d`, e.clock.Now().UnixMilli()-1)), "/oops?error=state_mismatch"},
	} {
		if _, err := e.store.ConsumeVerification(ctx, id); err != nil {
			require.ErrorIs(t, err, betterauth.ErrNotFound) // a case that passed the state took it
		}
		c.cookies[stateCookie] = cookie
		require.NoError(t, e.store.CreateVerification(ctx, &betterauth.Verification{Identifier: id, Value: tc.value, ExpiresAt: e.clock.Now().Add(time.Minute)}))
		r := c.do(http.MethodGet, cb, nil)
		require.Equal(t, tc.want, r.location())
		requireNoSession(t, e, c)
	}
}

// SkipStateCookieCheck accepts a callback without the cookie.
func TestSkipStateCookieCheck(t *testing.T) {
	e := newEnv(t, setupOpts(func(o *social.Options) { o.SkipStateCookieCheck = true }))
	c := e.client()
	cb := c.authorize(c.startSignIn(nil))
	delete(c.cookies, stateCookie)
	require.Equal(t, testBaseURL, c.do(http.MethodGet, cb, nil).location())
}

// The callback's own checks: the provider's error, no code, an unknown
// provider, iss (RFC 9207), a bad code, a forged or wrong-nonce ID token,
// no email.
func TestCallbackMisuse(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setup{})
		start := func() (*client, string) {
			c := e.client()
			return c, c.authorize(c.startSignIn(map[string]any{"errorCallbackURL": "/oops"}))
		}
		t.Run("provider error", func(t *testing.T) {
			c, cb := start()
			r := c.do(http.MethodGet, withQuery(t, cb, "code", "", "error", "access_denied", "error_description", "user said no"), nil)
			require.Equal(t, "/oops?error=access_denied&error_description=user+said+no", r.location())
			requireNoSession(t, e, c)
		})
		t.Run("no code", func(t *testing.T) {
			c, cb := start()
			require.Equal(t, "/oops?error=no_code", c.do(http.MethodGet, withQuery(t, cb, "code", ""), nil).location())
		})
		t.Run("unknown provider", func(t *testing.T) {
			c, cb := start()
			cb = strings.Replace(cb, "/callback/oidc", "/callback/other", 1)
			require.Equal(t, "/oops?error=oauth_provider_not_found", c.do(http.MethodGet, cb, nil).location())
		})
		t.Run("issuer mismatch", func(t *testing.T) {
			e.op.SendIssuer("https://evil.example")
			defer e.op.SendIssuer("")
			c, cb := start()
			require.Equal(t, "/oops?error=issuer_mismatch", c.do(http.MethodGet, cb, nil).location())
			requireNoSession(t, e, c)
		})
		t.Run("issuer matches", func(t *testing.T) {
			e.op.SendIssuer(e.op.Issuer())
			defer e.op.SendIssuer("")
			c, cb := start()
			require.Equal(t, testBaseURL, c.do(http.MethodGet, cb, nil).location())
		})
		t.Run("bad code", func(t *testing.T) {
			c, cb := start()
			require.Equal(t, "/oops?error=invalid_code", c.do(http.MethodGet, withQuery(t, cb, "code", "forged"), nil).location())
			requireNoSession(t, e, c)
		})
		t.Run("forged ID token", func(t *testing.T) {
			e.op.ForgeIDTokens(true)
			defer e.op.ForgeIDTokens(false)
			c, cb := start()
			require.Equal(t, "/oops?error=unable_to_get_user_info", c.do(http.MethodGet, cb, nil).location())
			requireNoSession(t, e, c)
		})
		t.Run("wrong nonce", func(t *testing.T) {
			other := "another-nonce"
			e.op.SetNonce(&other)
			defer e.op.SetNonce(nil)
			c, cb := start()
			require.Equal(t, "/oops?error=unable_to_get_user_info", c.do(http.MethodGet, cb, nil).location())
			requireNoSession(t, e, c)
		})
		t.Run("no subject", func(t *testing.T) {
			e.op.SetUser(oidctest.User{Subject: " ", Email: "nosub@example.com", EmailVerified: true})
			defer e.op.SetUser(oidctest.User{Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"})
			c, cb := start()
			require.Equal(t, "/oops?error=unable_to_get_user_info", c.do(http.MethodGet, cb, nil).location())
			requireNoSession(t, e, c)
			e.noUser("nosub@example.com")
		})
		t.Run("no email", func(t *testing.T) {
			e.op.SetUser(oidctest.User{Subject: "no-mail", Name: "Nobody"})
			defer e.op.SetUser(oidctest.User{Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"})
			c, cb := start()
			require.Equal(t, "/oops?error=email_not_found", c.do(http.MethodGet, cb, nil).location())
			requireNoSession(t, e, c)
		})
	})
}

// A provider's form_post callback is sent on to the GET form, the body's
// parameters and the query's merged.
func TestCallbackPost(t *testing.T) {
	e := newEnv(t, setup{})
	c := e.client()
	cb := c.authorize(c.startSignIn(nil))
	u, _ := url.Parse(cb)
	form := url.Values{"code": {u.Query().Get("code")}, "state": {u.Query().Get("state")}, "ignored": {"x"}}
	req, _ := http.NewRequest(http.MethodPost, testBaseURL+"/api/auth/callback/oidc", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := serve(e, req)
	require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
	to, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/api/auth/callback/oidc", to.Path)
	require.Equal(t, url.Values{"code": form["code"], "state": form["state"]}, to.Query())
	require.Equal(t, testBaseURL, c.do(http.MethodGet, to.String(), nil).location())
}

// racingStore lets a state row be found but takes it away before the
// callback consumes it, as a concurrent callback with the same state would.
type racingStore struct {
	betterauth.Store
	race atomic.Bool
}

func (s *racingStore) ConsumeVerification(ctx context.Context, identifier string) (*betterauth.Verification, error) {
	if s.race.Load() {
		if _, err := s.Store.ConsumeVerification(ctx, identifier); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("taken: %w", betterauth.ErrNotFound)
	}
	return s.Store.ConsumeVerification(ctx, identifier)
}

// Of two callbacks with one state, only the one that takes the row signs
// in: the state is single use even when both found it.
func TestStateTakenMeanwhile(t *testing.T) {
	rs := &racingStore{Store: backends[0].new(t)}
	e := build(t, rs, setup{})
	c := e.client()
	cb := c.authorize(c.startSignIn(map[string]any{"errorCallbackURL": "/oops"}))
	rs.race.Store(true)
	require.Equal(t, "/oops?error=state_mismatch", c.do(http.MethodGet, cb, nil).location())
	requireNoSession(t, e, c)
}
