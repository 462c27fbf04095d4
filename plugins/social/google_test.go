package social_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/oidctest"
	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/google"
)

// googleEnv is an env whose provider is Google, played by an oidctest
// provider signing RS256 as Google does.
func googleEnv(t *testing.T, mod func(*google.Config)) (*env, *oidctest.Provider) {
	now := &clock{t: time.Date(2026, 12, 1, 10, 0, 7, 0, time.UTC)}
	op := oidctest.New(t, oidctest.Config{Now: now.Now, RS256: true, ClientID: "g-client", ClientSecret: "g-secret"})
	cfg := google.Config{
		ClientID: "g-client", ClientSecret: "g-secret", HTTPClient: op.Client(), Now: now.Now,
		AuthorizationURL: op.Issuer() + "/authorize", TokenURL: op.Issuer() + "/token", JWKSURL: op.Issuer() + "/jwks", Issuer: op.Issuer(),
	}
	if mod != nil {
		mod(&cfg)
	}
	g, err := google.New(cfg)
	require.NoError(t, err)
	e := newEnv(t, setupOpts(func(o *social.Options) { o.Providers = []social.Provider{g} }))
	e.clock = now
	return e, op
}

// signInVia runs a flow with the provider op.
func signInVia(t *testing.T, c *client, op *oidctest.Provider, provider string) response {
	t.Helper()
	hc := op.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := hc.Get(c.startSignIn(map[string]any{"provider": provider}))
	require.NoError(t, err)
	res.Body.Close()
	return c.do(http.MethodGet, res.Header.Get("Location"), nil)
}

// Google as Better Auth's google provider: its scopes and parameters,
// PKCE, no nonce, the user from the verified ID token.
func TestGoogle(t *testing.T) {
	e, op := googleEnv(t, func(c *google.Config) { c.AccessType, c.Prompt = "offline", "consent" })
	op.SetUser(oidctest.User{Subject: "1098", Email: "ada@gmail.com", EmailVerified: true, Name: "Ada", Picture: "https://lh3.example/a"})
	c := e.client()
	u, err := url.Parse(c.startSignIn(map[string]any{"provider": "google"}))
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, "email profile openid", q.Get("scope"))
	require.Equal(t, "true", q.Get("include_granted_scopes"))
	require.Equal(t, "offline", q.Get("access_type"))
	require.Equal(t, "consent", q.Get("prompt"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.False(t, q.Has("nonce"))

	require.Equal(t, testBaseURL, signInVia(t, c, op, "google").location())
	usr := e.user("ada@gmail.com")
	require.Equal(t, "Ada", usr.Name)
	require.True(t, usr.EmailVerified)
	require.Equal(t, "https://lh3.example/a", *usr.Image)
	a := e.accounts("ada@gmail.com")[0]
	require.Equal(t, "google", a.ProviderID)
	require.Equal(t, "1098", a.AccountID)
	require.Equal(t, "client_secret_post", op.TokenCalls()[0].AuthMethod)

	op.ForgeIDTokens(true)
	require.Equal(t, "unable_to_get_user_info", signInVia(t, e.client(), op, "google").errorCode(t))
}

// HostedDomain: only ID tokens of that Workspace domain sign in.
func TestGoogleHostedDomain(t *testing.T) {
	e, op := googleEnv(t, func(c *google.Config) { c.HostedDomain = "example.com" })
	op.SetUser(oidctest.User{Subject: "1", Email: "ada@gmail.com", EmailVerified: true})
	c := e.client()
	u, _ := url.Parse(c.startSignIn(map[string]any{"provider": "google"}))
	require.Equal(t, "example.com", u.Query().Get("hd"))
	require.Equal(t, "unable_to_get_user_info", signInVia(t, e.client(), op, "google").errorCode(t))
	op.SetUser(oidctest.User{Subject: "2", Email: "bob@other.com", EmailVerified: true, Extra: map[string]any{"hd": "other.com"}})
	require.Equal(t, "unable_to_get_user_info", signInVia(t, e.client(), op, "google").errorCode(t))
	op.SetUser(oidctest.User{Subject: "3", Email: "cy@example.com", EmailVerified: true, Extra: map[string]any{"hd": "example.com"}})
	require.Equal(t, testBaseURL, signInVia(t, e.client(), op, "google").location())

	e, op = googleEnv(t, func(c *google.Config) { c.HostedDomain = "*"; c.DisableIncludeGrantedScopes = true })
	op.SetUser(oidctest.User{Subject: "5", Email: "no@gmail.com", EmailVerified: true})
	require.Equal(t, "unable_to_get_user_info", signInVia(t, e.client(), op, "google").errorCode(t), "any Workspace domain, but one")
	op.SetUser(oidctest.User{Subject: "4", Email: "di@any.com", EmailVerified: true, Extra: map[string]any{"hd": "any.com"}})
	require.Equal(t, testBaseURL, signInVia(t, e.client(), op, "google").location())
	u, _ = url.Parse(e.client().startSignIn(map[string]any{"provider": "google"}))
	require.False(t, u.Query().Has("include_granted_scopes"))

	g, err := google.New(google.Config{ClientID: "c", ClientSecret: "s"})
	require.NoError(t, err)
	_, err = g.AuthCodeURL(context.Background(), social.AuthRequest{State: "s", RedirectURI: "http://x/cb"})
	require.ErrorIs(t, err, google.ErrNoVerifier, "Google needs PKCE")

	e, op = googleEnv(t, nil)
	op.SetUser(oidctest.User{Subject: "6", Email: "unverified@gmail.com", EmailVerified: false})
	require.Equal(t, testBaseURL, signInVia(t, e.client(), op, "google").location())
	require.False(t, e.user("unverified@gmail.com").EmailVerified)

	for _, cfg := range []google.Config{{ClientID: "c"}, {ClientSecret: "s"}} {
		_, err := google.New(cfg)
		require.ErrorIs(t, err, google.ErrConfig)
	}
}
