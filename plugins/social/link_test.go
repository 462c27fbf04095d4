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

	"github.com/go-betterauth/betterauth/internal/oidctest"
	"github.com/go-betterauth/betterauth/plugins/social"
)

// startLink posts /link-social and returns the callback the provider
// redirects to.
func (c *client) startLink(body map[string]any) string {
	c.e.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["provider"] = "oidc"
	r := c.post("/link-social", body)
	require.Equal(c.e.t, http.StatusOK, r.Code, r.Body.String())
	return c.authorize(r.str("url"))
}

// link-social adds the provider's account to the signed-in user, as
// Better Auth's linkOAuthAccount: the state carries the user and the
// session, the callback links without a new session and goes to
// callbackURL; linking again refreshes tokens and merges scopes.
func TestLinkSocial(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setup{})
		ctx := context.Background()
		c := e.client()
		c.signUpPassword("ada@example.com") // unverified locally: linking needs no local verification
		session := c.cookies[sessionName]
		cb := c.startLink(map[string]any{"callbackURL": "/settings", "errorCallbackURL": "/oops", "scopes": []string{"email"}})
		st, _ := url.Parse(cb)
		v, err := e.store.GetVerification(ctx, "auth-state:"+st.Query().Get("state"))
		require.NoError(t, err)
		var sd struct {
			Link struct {
				UserID, Email, EncryptedSessionToken string
			} `json:"link"`
		}
		require.NoError(t, json.Unmarshal([]byte(v.Value), &sd))
		u := e.user("ada@example.com")
		require.Equal(t, u.ID, sd.Link.UserID)
		require.Equal(t, "ada@example.com", sd.Link.Email)
		token, err := e.auth.Decrypt("oauth-link-session-token", sd.Link.EncryptedSessionToken)
		require.NoError(t, err)
		ss, err := e.store.ListSessions(ctx, u.ID, time.Time{})
		require.NoError(t, err)
		require.Equal(t, ss[0].Token, token)

		e.clock.Add(time.Second)
		r := c.do(http.MethodGet, cb, nil)
		require.Equal(t, "/settings", r.location())
		require.Equal(t, session, c.cookies[sessionName], "no new session")
		accts := e.accounts("ada@example.com")
		require.Len(t, accts, 2)
		require.Equal(t, "oidc", accts[1].ProviderID)
		require.Equal(t, "openid,email", accts[1].Scope)
		first := accts[1]

		e.clock.Add(time.Second)
		r = c.do(http.MethodGet, c.startLink(map[string]any{"scopes": []string{"profile"}}), nil)
		require.Equal(t, testBaseURL, r.location())
		accts = e.accounts("ada@example.com")
		require.Len(t, accts, 2)
		require.Equal(t, "openid,email,profile", accts[1].Scope, "scopes accumulate, each once")
		require.NotEqual(t, first.AccessToken, accts[1].AccessToken)

		// The linked provider now signs the user in.
		c2 := e.client()
		require.Equal(t, testBaseURL, c2.signIn(nil).location())
		require.Equal(t, "ada@example.com", c2.sessionEmail())
	})
}

// link-social's refusals, each with Better Auth's ?error= and no row.
func TestLinkSocialRefusals(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		t.Run("different email", func(t *testing.T) {
			e := mk(setup{})
			c := e.client()
			c.signUpPassword("bob@example.com")
			r := c.do(http.MethodGet, c.startLink(map[string]any{"errorCallbackURL": "/oops"}), nil)
			require.Equal(t, "/oops?error=email_does_not_match", r.location())
			require.Len(t, e.accounts("bob@example.com"), 1)
		})
		t.Run("unverified provider email", func(t *testing.T) {
			e := mk(setup{})
			e.op.SetUser(oidctest.User{Subject: "s", Email: "ada@example.com"})
			c := e.client()
			c.signUpPassword("ada@example.com")
			require.Equal(t, "unable_to_link_account", c.do(http.MethodGet, c.startLink(nil), nil).errorCode(t))
			require.Len(t, e.accounts("ada@example.com"), 1)
		})
		t.Run("linked to another user", func(t *testing.T) {
			e := mk(setup{})
			require.Equal(t, testBaseURL, e.client().signIn(nil).location()) // ada@ owns sub-1
			e.op.SetUser(oidctest.User{Subject: "sub-1", Email: "bob@example.com", EmailVerified: true})
			c := e.client()
			c.signUpPassword("bob@example.com")
			require.Equal(t, "account_already_linked_to_different_user", c.do(http.MethodGet, c.startLink(nil), nil).errorCode(t))
			require.Len(t, e.accounts("bob@example.com"), 1)
		})
		t.Run("session ended meanwhile", func(t *testing.T) {
			e := mk(setup{})
			c := e.client()
			c.signUpPassword("ada@example.com")
			cb := c.startLink(nil)
			require.Equal(t, http.StatusOK, c.post("/sign-out", nil).Code)
			require.Equal(t, "unable_to_link_account", c.do(http.MethodGet, cb, nil).errorCode(t))
			require.Len(t, e.accounts("ada@example.com"), 1)
		})
		t.Run("a state whose session is another user's", func(t *testing.T) {
			e := mk(setup{})
			e.client().signUpPassword("bob@example.com")
			c := e.client()
			c.signUpPassword("ada@example.com")
			cb := c.startLink(nil)
			st, _ := url.Parse(cb)
			id := "auth-state:" + st.Query().Get("state")
			ctx := context.Background()
			v, err := e.store.ConsumeVerification(ctx, id)
			require.NoError(t, err)
			v.Value = strings.Replace(v.Value, e.user("ada@example.com").ID, e.user("bob@example.com").ID, 1)
			v.ID = ""
			require.NoError(t, e.store.CreateVerification(ctx, v))
			require.Equal(t, "unable_to_link_account", c.do(http.MethodGet, cb, nil).errorCode(t))
			require.Len(t, e.accounts("bob@example.com"), 1)
		})
		t.Run("a state whose session token does not open", func(t *testing.T) {
			e := mk(setup{})
			c := e.client()
			c.signUpPassword("ada@example.com")
			cb := c.startLink(nil)
			st, _ := url.Parse(cb)
			id := "auth-state:" + st.Query().Get("state")
			ctx := context.Background()
			v, err := e.store.ConsumeVerification(ctx, id)
			require.NoError(t, err)
			v.Value = regexp.MustCompile(`"encryptedSessionToken":"[0-9a-f]+"`).ReplaceAllString(v.Value, `"encryptedSessionToken":"00ff"`)
			v.ID = ""
			require.NoError(t, e.store.CreateVerification(ctx, v))
			require.Equal(t, "unable_to_link_account", c.do(http.MethodGet, cb, nil).errorCode(t))
			require.Len(t, e.accounts("ada@example.com"), 1)
		})
		t.Run("linking disabled", func(t *testing.T) {
			e := mk(setupOpts(func(o *social.Options) { o.DisableLinking = true }))
			c := e.client()
			c.signUpPassword("ada@example.com")
			require.Equal(t, "unable_to_link_account", c.do(http.MethodGet, c.startLink(nil), nil).errorCode(t))
		})
	})
	e := newEnv(t, setup{})
	r := e.client().post("/link-social", map[string]any{"provider": "oidc"})
	require.Equal(t, http.StatusUnauthorized, r.Code)
	c := e.client()
	c.signUpPassword("ada@example.com")
	r = c.post("/link-social", map[string]any{"provider": "nope"})
	require.Equal(t, "PROVIDER_NOT_FOUND", r.str("code"))
}

// The linking options of link-social.
func TestLinkSocialOptions(t *testing.T) {
	e := newEnv(t, setupOpts(func(o *social.Options) {
		o.AllowDifferentEmails, o.TrustedProviders, o.UpdateUserInfoOnLink = true, []string{"oidc"}, true
	}))
	e.op.SetUser(oidctest.User{Subject: "s", Email: "other@example.com", Name: "Provider Name", Picture: "https://img.example/p.png"})
	c := e.client()
	c.signUpPassword("ada@example.com")
	e.clock.Add(time.Second)
	require.Equal(t, testBaseURL, c.do(http.MethodGet, c.startLink(nil), nil).location())
	accts := e.accounts("ada@example.com")
	require.Len(t, accts, 2)
	require.Equal(t, "s", accts[1].AccountID)
	u := e.user("ada@example.com")
	require.Equal(t, "Provider Name", u.Name)
	require.Equal(t, "https://img.example/p.png", *u.Image)
	require.False(t, u.EmailVerified, "the email is never taken from a link")
	e.noUser("other@example.com")

	e = newEnv(t, setup{})
	c = e.client()
	c.signUpPassword("ada@example.com")
	require.Equal(t, testBaseURL, c.do(http.MethodGet, c.startLink(nil), nil).location())
	require.Equal(t, "Local", e.user("ada@example.com").Name, "no profile copy by default")
}

// The idToken form of link-social, with Better Auth's codes for it.
func TestLinkSocialIDToken(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setupOpts(func(o *social.Options) { o.EncryptOAuthTokens = true }))
		c := e.client()
		c.signUpPassword("ada@example.com")
		link := func(c *client, it map[string]any) response {
			return c.post("/link-social", map[string]any{"provider": "oidc", "idToken": it})
		}
		issue := func(u oidctest.User) string {
			tok, err := e.op.IssueIDToken(u, "")
			require.NoError(t, err)
			return tok
		}
		ada := oidctest.User{Subject: "s-ada", Email: "ADA@example.com", EmailVerified: true}

		r := link(c, map[string]any{"token": issue(oidctest.User{Subject: "s-x", Email: "ada@example.com"})})
		require.Equal(t, http.StatusUnauthorized, r.Code)
		require.Equal(t, "LINKING_NOT_ALLOWED", r.str("code"))
		require.Equal(t, "Account not linked - linking not allowed", r.str("message"))
		r = link(c, map[string]any{"token": issue(oidctest.User{Subject: "s-y", Email: "other@example.com", EmailVerified: true})})
		require.Equal(t, "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED", r.str("code"))
		require.Equal(t, "Account not linked - different emails not allowed", r.str("message"))
		require.Equal(t, "INVALID_TOKEN", link(c, map[string]any{"token": "x.y.z"}).str("code"))
		require.Len(t, e.accounts("ada@example.com"), 1)

		e.clock.Add(time.Second)
		tok := issue(ada)
		r = link(c, map[string]any{"token": tok, "accessToken": "at-1", "refreshToken": "rt-1"})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, map[string]any{"url": "", "status": true, "redirect": false}, r.body)
		accts := e.accounts("ada@example.com")
		require.Len(t, accts, 2)
		a := accts[1]
		require.Equal(t, "s-ada", a.AccountID)
		require.Equal(t, tok, a.IDToken)
		plain, err := e.auth.Decrypt("", a.AccessToken)
		require.NoError(t, err)
		require.Equal(t, "at-1", plain)
		plain, err = e.auth.Decrypt("", a.RefreshToken)
		require.NoError(t, err)
		require.Equal(t, "rt-1", plain)

		// Again: the tokens are updated, no new row.
		r = link(c, map[string]any{"token": tok, "accessToken": "at-2"})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		accts = e.accounts("ada@example.com")
		require.Len(t, accts, 2)
		plain, err = e.auth.Decrypt("", accts[1].AccessToken)
		require.NoError(t, err)
		require.Equal(t, "at-2", plain)
		require.Equal(t, a.RefreshToken, accts[1].RefreshToken, "no refresh token sent: kept")

		// Another user cannot take it.
		other := e.client()
		other.signUpPassword("bob@example.com")
		r = link(other, map[string]any{"token": tok})
		require.Equal(t, http.StatusConflict, r.Code)
		require.Equal(t, "SOCIAL_ACCOUNT_ALREADY_LINKED", r.str("code"))
		require.Equal(t, "Social account already linked", r.str("message"))
	})
}

// Trust, different emails and linking off, for the idToken form.
func TestLinkSocialIDTokenOptions(t *testing.T) {
	e := newEnv(t, setupOpts(func(o *social.Options) {
		o.TrustedProviders, o.AllowDifferentEmails, o.UpdateUserInfoOnLink = []string{"oidc"}, true, true
	}))
	c := e.client()
	c.signUpPassword("ada@example.com")
	tok, err := e.op.IssueIDToken(oidctest.User{Subject: "s", Email: "other@example.com", Name: "Provider Name"}, "")
	require.NoError(t, err)
	r := c.post("/link-social", map[string]any{"provider": "oidc", "idToken": map[string]any{"token": tok}})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, "Provider Name", e.user("ada@example.com").Name)

	e = newEnv(t, setupOpts(func(o *social.Options) { o.DisableLinking = true }))
	c = e.client()
	c.signUpPassword("ada@example.com")
	tok, err = e.op.IssueIDToken(oidctest.User{Subject: "s", Email: "ada@example.com", EmailVerified: true}, "")
	require.NoError(t, err)
	r = c.post("/link-social", map[string]any{"provider": "oidc", "idToken": map[string]any{"token": tok}})
	require.Equal(t, "LINKING_NOT_ALLOWED", r.str("code"))

	ge, _ := githubEnv(t)
	gc := ge.client()
	gc.signUpPassword("ada@example.com")
	require.Equal(t, "ID_TOKEN_NOT_SUPPORTED", gc.post("/link-social", map[string]any{"provider": "github", "idToken": map[string]any{"token": tok}}).str("code"))
}
