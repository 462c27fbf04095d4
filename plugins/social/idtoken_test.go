package social_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/oidctest"
	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/google"
	"github.com/go-betterauth/betterauth/plugins/social/oidc"
)

// The idToken form of /sign-in/social (a mobile app that signed in with the
// provider itself): the token verified, the user signed up or in by the
// callback's rules, {redirect: false, token, user} and the session cookie.
func TestIDTokenSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setup{})
		ada := oidctest.User{Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada"}
		tok, err := e.op.IssueIDToken(ada, "n-1")
		require.NoError(t, err)
		c := e.client()
		r := c.post("/sign-in/social", map[string]any{"provider": "oidc", "idToken": map[string]any{"token": tok, "nonce": "n-1", "accessToken": "at-from-app"}})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, false, r.body["redirect"])
		require.NotContains(t, r.body, "url")
		require.Equal(t, "ada@example.com", r.body["user"].(map[string]any)["email"])
		require.Equal(t, r.str("token"), strings.SplitN(mustUnescape(t, c.cookies[sessionName]), ".", 2)[0])
		require.Equal(t, "ada@example.com", c.sessionEmail())
		a := e.accounts("ada@example.com")[0]
		require.Equal(t, "sub-1", a.AccountID)
		require.Equal(t, tok, a.IDToken)
		require.Equal(t, "at-from-app", a.AccessToken)
		require.Empty(t, a.RefreshToken)

		// Again: the same user and account.
		r = e.client().post("/sign-in/social", map[string]any{"provider": "oidc", "idToken": map[string]any{"token": tok}})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Len(t, e.accounts("ada@example.com"), 1)
	})
}

func mustUnescape(t *testing.T, s string) string {
	t.Helper()
	out, err := urlUnescape(s)
	require.NoError(t, err)
	return out
}

// The idToken form's refusals, as Better Auth answers them.
func TestIDTokenRefusals(t *testing.T) {
	e := newEnv(t, setup{})
	post := func(body map[string]any) response {
		t.Helper()
		body["provider"] = "oidc"
		return e.client().post("/sign-in/social", body)
	}
	ada := oidctest.User{Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada"}
	tok, err := e.op.IssueIDToken(ada, "n-1")
	require.NoError(t, err)

	r := post(map[string]any{"idToken": map[string]any{"token": tok, "nonce": "other"}})
	require.Equal(t, http.StatusUnauthorized, r.Code)
	require.Equal(t, "INVALID_TOKEN", r.str("code"))
	require.Equal(t, "Invalid token", r.str("message"))
	e.op.ForgeIDTokens(true)
	forged, err := e.op.IssueIDToken(ada, "")
	require.NoError(t, err)
	e.op.ForgeIDTokens(false)
	require.Equal(t, "INVALID_TOKEN", post(map[string]any{"idToken": map[string]any{"token": forged}}).str("code"))
	require.Equal(t, "INVALID_TOKEN", post(map[string]any{"idToken": map[string]any{"token": "not.a.jwt"}}).str("code"))

	// Claims without an email and no access token for userinfo.
	e.op.ProfileInIDToken(false)
	bare, err := e.op.IssueIDToken(ada, "")
	require.NoError(t, err)
	e.op.ProfileInIDToken(true)
	r = post(map[string]any{"idToken": map[string]any{"token": bare}})
	require.Equal(t, http.StatusUnauthorized, r.Code)
	require.Equal(t, "FAILED_TO_GET_USER_INFO", r.str("code"))

	// A local user with an unverified email is not linked.
	e.client().signUpPassword("ada@example.com")
	r = post(map[string]any{"idToken": map[string]any{"token": tok}})
	require.Equal(t, http.StatusUnauthorized, r.Code)
	require.Equal(t, "OAUTH_LINK_ERROR", r.str("code"))
	require.Equal(t, "account not linked", r.str("message"))
	require.Len(t, e.accounts("ada@example.com"), 1)

	// Body validation.
	r = post(map[string]any{"idToken": "x"})
	require.Equal(t, "VALIDATION_ERROR", r.str("code"))
	r = post(map[string]any{"idToken": map[string]any{"nonce": "n"}})
	require.Equal(t, "VALIDATION_ERROR", r.str("code"))
	require.Equal(t, "[body.idToken.token] Invalid input: expected string, received undefined", r.str("message"))
	r = post(map[string]any{"idToken": map[string]any{"token": tok, "accessToken": 1}})
	require.Equal(t, "VALIDATION_ERROR", r.str("code"))
}

// A provider that cannot verify ID tokens answers 404 ID_TOKEN_NOT_SUPPORTED.
func TestIDTokenNotSupported(t *testing.T) {
	e := newEnv(t, setup{oidc: func(c *oidc.Config) {
		issuer := strings.TrimSuffix(c.DiscoveryURL, "/.well-known/openid-configuration")
		c.DiscoveryURL, c.AuthorizationURL, c.TokenURL = "", issuer+"/authorize", issuer+"/token"
	}})
	tok, err := e.op.IssueIDToken(oidctest.User{Subject: "s", Email: "a@example.com"}, "")
	require.NoError(t, err)
	r := e.client().post("/sign-in/social", map[string]any{"provider": "oidc", "idToken": map[string]any{"token": tok}})
	require.Equal(t, http.StatusNotFound, r.Code)
	require.Equal(t, "ID_TOKEN_NOT_SUPPORTED", r.str("code"))

	ge, _ := githubEnv(t)
	r = ge.client().post("/sign-in/social", map[string]any{"provider": "github", "idToken": map[string]any{"token": tok}})
	require.Equal(t, "ID_TOKEN_NOT_SUPPORTED", r.str("code"))
}

// Google's ID tokens sign in directly; one without an email is refused.
func TestGoogleIDToken(t *testing.T) {
	e, op := googleEnv(t, nil)
	tok, err := op.IssueIDToken(oidctest.User{Subject: "g1", Email: "ada@gmail.com", EmailVerified: true, Name: "Ada"}, "")
	require.NoError(t, err)
	r := e.client().post("/sign-in/social", map[string]any{"provider": "google", "idToken": map[string]any{"token": tok}})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, "g1", e.accounts("ada@gmail.com")[0].AccountID)
	noMail, err := op.IssueIDToken(oidctest.User{Subject: "g2"}, "")
	require.NoError(t, err)
	r = e.client().post("/sign-in/social", map[string]any{"provider": "google", "idToken": map[string]any{"token": noMail}})
	require.Equal(t, http.StatusUnauthorized, r.Code)
	require.Equal(t, "USER_EMAIL_NOT_FOUND", r.str("code"))
	require.Equal(t, "User email not found", r.str("message"))
	r = e.client().post("/sign-in/social", map[string]any{"provider": "google", "idToken": map[string]any{"token": tok, "nonce": "x"}})
	require.Equal(t, "INVALID_TOKEN", r.str("code"))
	lc := e.client()
	lc.signUpPassword("local@example.com")
	r = lc.post("/link-social", map[string]any{"provider": "google", "idToken": map[string]any{"token": noMail}})
	require.Equal(t, http.StatusUnauthorized, r.Code)
	require.Equal(t, "USER_EMAIL_NOT_FOUND", r.str("code"), "link-social's idToken form too")

	g, err := google.New(google.Config{ClientID: "c", ClientSecret: "s", JWKSURL: "http://127.0.0.1:1/jwks"})
	require.NoError(t, err)
	require.Error(t, g.VerifyIDToken(context.Background(), tok, ""), "another audience, keys out of reach")
	var _ social.IDTokenVerifier = g
}
