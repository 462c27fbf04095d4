package social_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/oidctest"
	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/oidc"
)

var alnum32 = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

// The whole flow against the in-process OpenID provider: the
// authorization URL as Better Auth builds it for a genericOAuth discovery
// provider, the state row and cookie in Better Auth's format, the
// callback's sign-up (user and account as Better Auth writes them), then a
// second sign-in of the same user with fresh tokens and no new rows.
func TestSignUpThenSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setup{})
		ctx := context.Background()
		c := e.client()
		r := c.post("/sign-in/social", map[string]any{"provider": "oidc", "callbackURL": "/dashboard", "newUserCallbackURL": "/welcome", "errorCallbackURL": "/oops"})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		authURL := r.str("url")
		require.Equal(t, authURL, r.location(), "Location is the URL too")
		require.Equal(t, true, r.body["redirect"])
		u, err := url.Parse(authURL)
		require.NoError(t, err)
		q := u.Query()
		require.Equal(t, e.op.Issuer()+"/authorize", u.Scheme+"://"+u.Host+u.Path)
		require.Equal(t, "code", q.Get("response_type"))
		require.Equal(t, e.op.ClientID(), q.Get("client_id"))
		require.Equal(t, "openid", q.Get("scope"), "genericOAuth's default scope is openid alone")
		require.Equal(t, testBaseURL+"/api/auth/callback/oidc", q.Get("redirect_uri"))
		require.Equal(t, "S256", q.Get("code_challenge_method"))
		require.NotEmpty(t, q.Get("code_challenge"))
		state := q.Get("state")
		require.Regexp(t, alnum32, state)
		require.Regexp(t, alnum32, q.Get("nonce"), "a discovery provider with a JWKS gets a nonce")

		// The state row, as Better Auth keeps it.
		v, err := e.store.GetVerification(ctx, "auth-state:"+state)
		require.NoError(t, err)
		require.Equal(t, e.clock.Now().Add(10*time.Minute), v.ExpiresAt.UTC())
		var keys []string
		dec := json.NewDecoder(strings.NewReader(v.Value))
		_, _ = dec.Token()
		for dec.More() {
			k, _ := dec.Token()
			keys = append(keys, k.(string))
			var skip json.RawMessage
			require.NoError(t, dec.Decode(&skip))
		}
		require.Equal(t, []string{"callbackURL", "codeVerifier", "errorURL", "newUserURL", "expiresAt", "idTokenNonce", "oauthState"}, keys)
		var sd map[string]any
		require.NoError(t, json.Unmarshal([]byte(v.Value), &sd))
		require.Equal(t, "/dashboard", sd["callbackURL"])
		require.Equal(t, "/oops", sd["errorURL"])
		require.Equal(t, "/welcome", sd["newUserURL"])
		require.Equal(t, state, sd["oauthState"])
		require.Equal(t, q.Get("nonce"), sd["idTokenNonce"])
		require.Equal(t, float64(e.clock.Now().Add(10*time.Minute).UnixMilli()), sd["expiresAt"])
		require.Regexp(t, `^[A-Za-z0-9]{128}$`, sd["codeVerifier"])
		// The signed state cookie.
		var sc *http.Cookie
		for _, ck := range r.Result().Cookies() {
			if ck.Name == stateCookie {
				sc = ck
			}
		}
		require.NotNil(t, sc)
		require.Equal(t, 300, sc.MaxAge)
		raw, _ := url.QueryUnescape(sc.Value)
		got, ok := betterauth.VerifyCookieValue(testSecret, raw)
		require.True(t, ok)
		require.Equal(t, state, got)

		// The callback signs the new user up and in.
		e.clock.Add(time.Minute)
		r = c.do(http.MethodGet, c.authorize(authURL), nil)
		require.Equal(t, http.StatusFound, r.Code, r.Body.String())
		require.Equal(t, "/welcome", r.location(), "a first sign-up goes to newUserCallbackURL")
		require.Equal(t, "ada@example.com", c.sessionEmail())
		_, stillThere := c.cookies[stateCookie]
		require.False(t, stillThere, "the state cookie is expired")
		_, err = e.store.GetVerification(ctx, "auth-state:"+state)
		require.ErrorIs(t, err, betterauth.ErrNotFound, "the state row is gone")

		usr := e.user("ada@example.com")
		require.Equal(t, "Ada Lovelace", usr.Name)
		require.True(t, usr.EmailVerified)
		accts := e.accounts("ada@example.com")
		require.Len(t, accts, 1)
		a := accts[0]
		require.Equal(t, "oidc", a.ProviderID)
		require.Equal(t, "sub-1", a.AccountID)
		require.NotEmpty(t, a.AccessToken)
		require.NotEmpty(t, a.RefreshToken)
		require.Equal(t, 3, len(strings.Split(a.IDToken, ".")))
		require.Equal(t, "openid", a.Scope)
		require.Equal(t, e.clock.Now().Add(time.Hour), a.AccessTokenExpiresAt.UTC())
		require.Equal(t, e.clock.Now().Add(30*24*time.Hour), a.RefreshTokenExpiresAt.UTC())
		require.Empty(t, a.Password)
		calls := e.op.TokenCalls()
		require.Len(t, calls, 1)
		require.Equal(t, "client_secret_post", calls[0].AuthMethod)
		require.NotEmpty(t, calls[0].Form.Get("code_verifier"), "PKCE: the verifier goes with the code")

		// A second sign-in: the same user and account, fresh tokens.
		e.clock.Add(time.Hour)
		c2 := e.client()
		r = c2.signIn(map[string]any{"callbackURL": "/dashboard", "newUserCallbackURL": "/welcome"})
		require.Equal(t, "/dashboard", r.location(), "a known user goes to callbackURL")
		require.Equal(t, "ada@example.com", c2.sessionEmail())
		accts = e.accounts("ada@example.com")
		require.Len(t, accts, 1)
		require.Equal(t, a.ID, accts[0].ID)
		require.NotEqual(t, a.AccessToken, accts[0].AccessToken, "tokens are updated on sign-in")
		require.Equal(t, e.clock.Now().Add(time.Hour), accts[0].AccessTokenExpiresAt.UTC())
	})
}

// Without a callbackURL the flow ends at the base URL, as Better Auth's.
func TestDefaultCallbackURL(t *testing.T) {
	e := newEnv(t, setup{})
	r := e.client().signIn(nil)
	require.Equal(t, http.StatusFound, r.Code, r.Body.String())
	require.Equal(t, testBaseURL, r.location())
}

// disableRedirect answers redirect: false and no Location; scopes and the
// login hint reach the provider.
func TestSignInOptions(t *testing.T) {
	e := newEnv(t, setup{})
	c := e.client()
	r := c.post("/sign-in/social", map[string]any{"provider": "oidc", "disableRedirect": true, "scopes": []string{"email", "profile"}, "loginHint": "ada"})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, false, r.body["redirect"])
	require.Empty(t, r.location())
	u, err := url.Parse(r.str("url"))
	require.NoError(t, err)
	require.Equal(t, "openid email profile", u.Query().Get("scope"))
	require.Equal(t, "ada", u.Query().Get("login_hint"))
	r = c.do(http.MethodGet, c.authorize(r.str("url")), nil)
	require.Equal(t, http.StatusFound, r.Code)
	require.Equal(t, "openid,email,profile", e.accounts("ada@example.com")[0].Scope, "granted scopes, comma-joined")
}

// Bad requests to /sign-in/social.
func TestSignInSocialRefusals(t *testing.T) {
	e := newEnv(t, setup{})
	c := e.client()
	r := c.post("/sign-in/social", map[string]any{"provider": "nope"})
	require.Equal(t, http.StatusNotFound, r.Code)
	require.Equal(t, "PROVIDER_NOT_FOUND", r.str("code"))
	require.Equal(t, "Provider not found", r.str("message"))
	r = c.post("/sign-in/social", map[string]any{})
	require.Equal(t, http.StatusBadRequest, r.Code)
	require.Equal(t, "VALIDATION_ERROR", r.str("code"))
	r = c.post("/sign-in/social", map[string]any{"provider": "oidc", "scopes": "email"})
	require.Equal(t, http.StatusBadRequest, r.Code)
	require.Equal(t, "VALIDATION_ERROR", r.str("code"))
	r = c.post("/sign-in/social", map[string]any{"provider": "oidc", "scopes": []any{1}})
	require.Equal(t, http.StatusBadRequest, r.Code)
	r = c.post("/sign-in/social", map[string]any{"provider": "oidc", "callbackURL": "https://evil.example/x"})
	require.Equal(t, http.StatusForbidden, r.Code)
	require.Equal(t, "INVALID_CALLBACK_URL", r.str("code"))
	r = c.post("/sign-in/social", map[string]any{"provider": "oidc", "idToken": map[string]any{"token": "x"}})
	require.Equal(t, http.StatusUnauthorized, r.Code)
	require.Equal(t, "INVALID_TOKEN", r.str("code"))
}

// Claims may come from the userinfo endpoint only (genericOAuth's
// fetchUserInfo), and then its sub must be the ID token's.
func TestClaimsFromUserinfo(t *testing.T) {
	e := newEnv(t, setup{})
	e.op.ProfileInIDToken(false)
	r := e.client().signIn(nil)
	require.Equal(t, http.StatusFound, r.Code)
	require.Equal(t, testBaseURL, r.location())
	require.Equal(t, "Ada Lovelace", e.user("ada@example.com").Name)

	e2 := newEnv(t, setup{})
	e2.op.ProfileInIDToken(false)
	e2.op.UserinfoSubject("someone-else")
	require.Equal(t, "unable_to_get_user_info", e2.client().signIn(nil).errorCode(t))
	e2.noUser("ada@example.com")
}

// An account row is found by provider and subject, whatever the email
// says now: a changed email at the provider signs in the same user.
func TestAccountByKeyNotEmail(t *testing.T) {
	e := newEnv(t, setup{})
	require.Equal(t, http.StatusFound, e.client().signIn(nil).Code)
	e.op.SetUser(oidctest.User{Subject: "sub-1", Email: "new@example.com", EmailVerified: true, Name: "Ada"})
	c := e.client()
	require.Equal(t, http.StatusFound, c.signIn(nil).Code)
	require.Equal(t, "ada@example.com", c.sessionEmail())
	e.noUser("new@example.com")
}

// "openid" is not asked for twice.
func TestOpenIDScopeOnce(t *testing.T) {
	e := newEnv(t, setup{oidc: func(c *oidc.Config) { c.Scopes = []string{"email"} }})
	u, err := url.Parse(e.client().startSignIn(map[string]any{"scopes": []string{"profile", "openid"}}))
	require.NoError(t, err)
	require.Equal(t, "profile openid email", u.Query().Get("scope"))
}

// Discovery runs once it succeeds; a provider whose discovery fails is
// unknown until it succeeds, as Better Auth's retried discovery.
func TestDiscoveryRetried(t *testing.T) {
	e := newEnv(t, setup{})
	e.op.FailDiscovery(true)
	c := e.client()
	r := c.post("/sign-in/social", map[string]any{"provider": "oidc"})
	require.Equal(t, http.StatusNotFound, r.Code)
	require.Equal(t, "PROVIDER_NOT_FOUND", r.str("code"))
	e.op.FailDiscovery(false)
	require.Equal(t, testBaseURL, c.signIn(nil).location())
	require.Equal(t, testBaseURL, e.client().signIn(nil).location())
	require.Equal(t, 2, e.op.DiscoveryCalls())
}

// The provider's options: client_secret_basic, no PKCE, no nonce.
func TestProviderOptions(t *testing.T) {
	e := newEnv(t, setup{oidc: func(c *oidc.Config) { c.BasicAuth, c.DisablePKCE, c.DisableNonce = true, true, true }})
	c := e.client()
	u, err := url.Parse(c.startSignIn(nil))
	require.NoError(t, err)
	require.False(t, u.Query().Has("code_challenge"))
	require.False(t, u.Query().Has("nonce"))
	require.Equal(t, testBaseURL, c.do(http.MethodGet, c.authorize(u.String()), nil).location())
	calls := e.op.TokenCalls()
	require.Equal(t, "client_secret_basic", calls[0].AuthMethod)
	require.False(t, calls[0].Form.Has("code_verifier"))
}

// New refuses incomplete configurations and duplicate providers.
func TestNewRefusals(t *testing.T) {
	for _, c := range []oidc.Config{
		{ClientID: "c", DiscoveryURL: "http://x"},
		{ProviderID: "p", DiscoveryURL: "http://x"},
		{ProviderID: "p", ClientID: "c"},
		{ProviderID: "p", ClientID: "c", AuthorizationURL: "http://x/a"},
	} {
		_, err := oidc.New(c)
		require.ErrorIs(t, err, oidc.ErrConfig)
	}
	p, err := oidc.New(oidc.Config{ProviderID: "p", ClientID: "c", AuthorizationURL: "http://x/a", TokenURL: "http://x/t"})
	require.NoError(t, err)
	_, err = social.New(social.Options{Providers: []social.Provider{p, p}})
	require.ErrorIs(t, err, social.ErrDuplicateProvider)
	_, err = social.New(social.Options{Providers: []social.Provider{nil}})
	require.Error(t, err)
}

// A plain OAuth 2.0 provider by explicit URLs (genericOAuth without a
// discoveryUrl): no openid scope, no nonce, the account keyed by the
// profile's id, which MapProfileToUser may supply.
func TestGenericOAuth2(t *testing.T) {
	for _, mapped := range []bool{false, true} {
		e := newEnv(t, setup{oidc: func(c *oidc.Config) {
			issuer := strings.TrimSuffix(c.DiscoveryURL, "/.well-known/openid-configuration")
			c.DiscoveryURL = ""
			c.AuthorizationURL, c.TokenURL, c.UserInfoURL = issuer+"/authorize", issuer+"/token", issuer+"/userinfo"
			c.Scopes, c.Prompt, c.AccessType = []string{"email"}, "login", "offline"
			c.MapProfileToUser = func(profile map[string]any, u *social.UserInfo) error {
				if mapped {
					u.ID, _ = profile["sub"].(string)
					u.Name = "Mapped " + u.Name
				}
				return nil
			}
		}})
		c := e.client()
		authURL := c.startSignIn(nil)
		u, err := url.Parse(authURL)
		require.NoError(t, err)
		require.Equal(t, "email", u.Query().Get("scope"))
		require.False(t, u.Query().Has("nonce"))
		require.Equal(t, "login", u.Query().Get("prompt"))
		require.Equal(t, "offline", u.Query().Get("access_type"))
		r := c.do(http.MethodGet, c.authorize(authURL), nil)
		require.Zero(t, e.op.DiscoveryCalls(), "no discovery")
		if !mapped {
			require.Equal(t, "unable_to_get_user_info", r.errorCode(t), "no profile id")
			continue
		}
		require.Equal(t, testBaseURL, r.location())
		require.Equal(t, "Mapped Ada Lovelace", e.user("ada@example.com").Name)
		require.Equal(t, "sub-1", e.accounts("ada@example.com")[0].AccountID)
	}
}
