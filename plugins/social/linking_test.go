package social_test

import (
	"context"
	"errors"
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
	"github.com/go-betterauth/betterauth/plugins/social/oidc"
)

// verify marks a stored user's email verified.
func (e *env) verify(email string) {
	e.t.Helper()
	yes := true
	_, err := e.store.UpdateUser(context.Background(), e.user(email).ID, betterauth.UserUpdate{EmailVerified: &yes})
	require.NoError(e.t, err)
}

// Implicit linking, Better Auth's rules: a provider account joins a local
// user with the same email only when the provider is trusted or says the
// email is verified, and the local email is verified; otherwise
// account_not_linked, with no session and no account row.
func TestImplicitLinking(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		t.Run("local email unverified", func(t *testing.T) {
			e := mk(setup{})
			e.client().signUpPassword("ada@example.com")
			c := e.client()
			require.Equal(t, "account_not_linked", c.signIn(nil).errorCode(t))
			requireNoSession(t, e, c)
			require.Len(t, e.accounts("ada@example.com"), 1, "only the credential account")
		})
		t.Run("both verified", func(t *testing.T) {
			e := mk(setup{})
			e.client().signUpPassword("Ada@Example.com")
			e.verify("ada@example.com")
			e.clock.Add(time.Second) // accounts list oldest first
			c := e.client()
			require.Equal(t, testBaseURL, c.signIn(nil).location())
			require.Equal(t, "ada@example.com", c.sessionEmail())
			accts := e.accounts("ada@example.com")
			require.Len(t, accts, 2)
			require.Equal(t, "oidc", accts[1].ProviderID)
			require.Equal(t, "openid", accts[1].Scope)
		})
		t.Run("provider email unverified", func(t *testing.T) {
			e := mk(setup{})
			e.op.SetUser(oidctest.User{Subject: "s", Email: "ada@example.com", EmailVerified: false})
			e.client().signUpPassword("ada@example.com")
			e.verify("ada@example.com")
			c := e.client()
			require.Equal(t, "account_not_linked", c.signIn(nil).errorCode(t))
			requireNoSession(t, e, c)
			require.Len(t, e.accounts("ada@example.com"), 1)
		})
		t.Run("trusted provider", func(t *testing.T) {
			e := mk(setupOpts(func(o *social.Options) { o.TrustedProviders = []string{"oidc"} }))
			e.op.SetUser(oidctest.User{Subject: "s", Email: "ada@example.com", EmailVerified: false})
			e.client().signUpPassword("ada@example.com")
			e.verify("ada@example.com")
			require.Equal(t, testBaseURL, e.client().signIn(nil).location())
			require.Len(t, e.accounts("ada@example.com"), 2)
		})
	})
}

// The linking options.
func TestLinkingOptions(t *testing.T) {
	t.Run("LinkUnverifiedLocalUsers", func(t *testing.T) {
		e := newEnv(t, setupOpts(func(o *social.Options) { o.LinkUnverifiedLocalUsers = true }))
		e.client().signUpPassword("ada@example.com")
		require.Equal(t, testBaseURL, e.client().signIn(nil).location())
		require.Len(t, e.accounts("ada@example.com"), 2)
		require.True(t, e.user("ada@example.com").EmailVerified, "a verified provider email verifies the local user")
	})
	for name, o := range map[string]social.Options{
		"DisableImplicitLinking": {DisableImplicitLinking: true},
		"DisableLinking":         {DisableLinking: true},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, setup{opts: o})
			e.client().signUpPassword("ada@example.com")
			e.verify("ada@example.com")
			require.Equal(t, "account_not_linked", e.client().signIn(nil).errorCode(t))
			require.Len(t, e.accounts("ada@example.com"), 1)
		})
	}
}

// A provider that says the email is not verified still signs a new user
// up (emailVerified false); a later verified answer verifies the user.
func TestUnverifiedProviderEmail(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setup{})
		e.op.SetUser(oidctest.User{Subject: "s", Email: "ada@example.com", EmailVerified: false, Name: "Ada"})
		c := e.client()
		require.Equal(t, testBaseURL, c.signIn(nil).location())
		require.Equal(t, "ada@example.com", c.sessionEmail())
		require.False(t, e.user("ada@example.com").EmailVerified)
		require.Equal(t, testBaseURL, e.client().signIn(nil).location())
		require.False(t, e.user("ada@example.com").EmailVerified, "an unverified answer verifies nothing")
		e.op.SetUser(oidctest.User{Subject: "s", Email: "ada@example.com", EmailVerified: true, Name: "Ada"})
		require.Equal(t, testBaseURL, e.client().signIn(nil).location())
		require.True(t, e.user("ada@example.com").EmailVerified)
	})
}

// Sign-up rules of a provider.
func TestSignUpRules(t *testing.T) {
	e := newEnv(t, setup{oidc: func(c *oidc.Config) { c.DisableSignUp = true }})
	c := e.client()
	require.Equal(t, "signup_disabled", c.signIn(map[string]any{"requestSignUp": true}).errorCode(t))
	requireNoSession(t, e, c)
	e.noUser("ada@example.com")

	e = newEnv(t, setup{oidc: func(c *oidc.Config) { c.DisableImplicitSignUp = true }})
	require.Equal(t, "signup_disabled", e.client().signIn(nil).errorCode(t))
	e.noUser("ada@example.com")
	require.Equal(t, testBaseURL, e.client().signIn(map[string]any{"requestSignUp": true}).location())
	e.user("ada@example.com")
	require.Equal(t, testBaseURL, e.client().signIn(nil).location(), "an existing user signs in")
}

// OverrideUserInfo copies the provider's profile at every sign-in;
// without it the stored profile stays.
func TestOverrideUserInfo(t *testing.T) {
	for _, on := range []bool{false, true} {
		e := newEnv(t, setup{oidc: func(c *oidc.Config) { c.OverrideUserInfo = on }})
		require.Equal(t, testBaseURL, e.client().signIn(nil).location())
		e.op.SetUser(oidctest.User{Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Countess", Picture: "https://img.example/a.png"})
		require.Equal(t, testBaseURL, e.client().signIn(nil).location())
		u := e.user("ada@example.com")
		if on {
			require.Equal(t, "Countess", u.Name)
			require.Equal(t, "https://img.example/a.png", *u.Image)
		} else {
			require.Equal(t, "Ada Lovelace", u.Name)
			require.Nil(t, u.Image)
		}
	}
}

var hexRE = regexp.MustCompile(`^[0-9a-f]+$`)

// EncryptOAuthTokens stores access and refresh tokens with Better Auth's
// symmetricEncrypt (the ID token stays plain), at sign-up and at every
// sign-in; KeepTokensOnSignIn leaves them alone.
func TestTokenStorage(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setupOpts(func(o *social.Options) { o.EncryptOAuthTokens = true }))
		require.Equal(t, testBaseURL, e.client().signIn(nil).location())
		check := func() betterauth.Account {
			a := e.accounts("ada@example.com")[0]
			for _, s := range []string{a.AccessToken, a.RefreshToken} {
				require.Regexp(t, hexRE, s)
				plain, err := e.auth.Decrypt("", s)
				require.NoError(t, err)
				require.NotEmpty(t, plain)
				require.NotRegexp(t, hexRE, plain)
			}
			require.Equal(t, 3, len(strings.Split(a.IDToken, ".")))
			return a
		}
		first := check()
		require.Equal(t, testBaseURL, e.client().signIn(nil).location())
		second := check()
		require.NotEqual(t, first.AccessToken, second.AccessToken)
	})
	e := newEnv(t, setupOpts(func(o *social.Options) { o.KeepTokensOnSignIn = true }))
	require.Equal(t, testBaseURL, e.client().signIn(nil).location())
	first := e.accounts("ada@example.com")[0]
	require.NotRegexp(t, hexRE, first.AccessToken, "not encrypted by default")
	require.Equal(t, testBaseURL, e.client().signIn(nil).location())
	require.Equal(t, first.AccessToken, e.accounts("ada@example.com")[0].AccessToken)
}

// list-accounts and unlink-account, as Better Auth answers them.
func TestListAndUnlink(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setupOpts(func(o *social.Options) {}))
		c := e.client()
		require.Equal(t, testBaseURL, c.signIn(map[string]any{"scopes": []string{"email"}}).location())
		r := c.do(http.MethodGet, "/list-accounts", nil)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, `[{"id":"`, r.Body.String()[:8])
		require.NotContains(t, r.Body.String(), "accessToken")
		require.NotContains(t, r.Body.String(), "idToken")
		require.Contains(t, r.Body.String(), `"providerId":"oidc","userId":`)
		require.Contains(t, r.Body.String(), `"scopes":["openid","email"]`)
		id := e.accounts("ada@example.com")[0].ID

		r = c.post("/unlink-account", map[string]any{"accountId": id})
		require.Equal(t, http.StatusBadRequest, r.Code)
		require.Equal(t, "FAILED_TO_UNLINK_LAST_ACCOUNT", r.str("code"))
		require.Equal(t, "You can't unlink your last account", r.str("message"))

		// A second account (the password one, linked by hand).
		u := e.user("ada@example.com")
		require.NoError(t, e.store.CreateAccount(context.Background(), &betterauth.Account{UserID: u.ID, ProviderID: "credential", AccountID: u.ID, Password: "x"}))
		r = c.post("/unlink-account", map[string]any{"accountId": "nope"})
		require.Equal(t, http.StatusBadRequest, r.Code)
		require.Equal(t, "ACCOUNT_NOT_FOUND", r.str("code"))
		r = c.post("/unlink-account", map[string]any{})
		require.Equal(t, "VALIDATION_ERROR", r.str("code"))
		r = c.post("/unlink-account", map[string]any{"accountId": id})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, true, r.body["status"])
		accts := e.accounts("ada@example.com")
		require.Len(t, accts, 1)
		require.Equal(t, "credential", accts[0].ProviderID)

		// Another user's account is not found.
		other := e.client()
		other.signUpPassword("bob@example.com")
		r = other.post("/unlink-account", map[string]any{"accountId": accts[0].ID})
		require.Equal(t, "FAILED_TO_UNLINK_LAST_ACCOUNT", r.str("code"))

		require.Equal(t, http.StatusUnauthorized, e.client().do(http.MethodGet, "/list-accounts", nil).Code)
	})
	e := newEnv(t, setupOpts(func(o *social.Options) { o.AllowUnlinkingAll = true }))
	c := e.client()
	c.signIn(nil)
	r := c.post("/unlink-account", map[string]any{"accountId": e.accounts("ada@example.com")[0].ID})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Empty(t, e.accounts("ada@example.com"))
}

// Social sign-ins go through the sign-in pipeline: the hooks see them, a
// refusal's code reaches the error URL, a challenge leaves no session; a
// refused sign-up leaves no user.
func TestSignInPipeline(t *testing.T) {
	var methods []string
	refuse := atomic.Bool{}
	challenge := atomic.Bool{}
	banned := &betterauth.APIError{Status: http.StatusForbidden, Code: "BANNED_USER", Message: "You have been banned"}
	e := newEnv(t, setup{config: func(c *betterauth.Config) {
		c.Hooks.BeforeSignIn = func(_ context.Context, in *betterauth.SignIn) (*betterauth.Challenge, error) {
			methods = append(methods, in.Method)
			if refuse.Load() {
				return nil, banned
			}
			if challenge.Load() {
				return &betterauth.Challenge{Reply: map[string]any{"twoFactorRedirect": true}, Cookies: []*http.Cookie{{Name: "better-auth.two_factor", Value: "x", Path: "/"}}}, nil
			}
			return nil, nil
		}
		c.Hooks.BeforeCreateUser = func(_ context.Context, _ betterauth.Store, u *betterauth.User) error {
			if u.Name == "Mallory" {
				return banned
			}
			return nil
		}
	}})
	require.Equal(t, testBaseURL, e.client().signIn(nil).location())
	require.Equal(t, []string{social.SignInMethod}, methods)

	refuse.Store(true)
	c := e.client()
	r := c.signIn(map[string]any{"errorCallbackURL": "/oops"})
	require.Equal(t, "/oops?error=BANNED_USER&error_description=You+have+been+banned", r.location())
	requireNoSession(t, e, c)
	refuse.Store(false)

	challenge.Store(true)
	c = e.client()
	r = c.signIn(map[string]any{"callbackURL": "/dashboard"})
	require.Equal(t, "/dashboard", r.location())
	require.Equal(t, "x", c.cookies["better-auth.two_factor"])
	requireNoSession(t, e, c)
	challenge.Store(false)

	e.op.SetUser(oidctest.User{Subject: "m", Email: "mallory@example.com", EmailVerified: true, Name: "Mallory"})
	c = e.client()
	require.Equal(t, "BANNED_USER", c.signIn(nil).errorCode(t))
	e.noUser("mallory@example.com")
}

// failingStore fails account reads when told to.
type failingStore struct {
	betterauth.Store
	fail      atomic.Bool
	orphan    atomic.Bool
	noAccount atomic.Bool
}

// CreateAccount fails as for a user deleted meanwhile when told to.
func (s *failingStore) CreateAccount(ctx context.Context, a *betterauth.Account) error {
	if s.noAccount.Load() {
		return fmt.Errorf("user gone: %w", betterauth.ErrNotFound)
	}
	return s.Store.CreateAccount(ctx, a)
}

func (s *failingStore) GetUserByID(ctx context.Context, id string) (*betterauth.User, error) {
	if s.orphan.Load() {
		return nil, fmt.Errorf("gone: %w", betterauth.ErrNotFound)
	}
	return s.Store.GetUserByID(ctx, id)
}

func (s *failingStore) GetAccount(ctx context.Context, providerID, accountID string) (*betterauth.Account, error) {
	if s.fail.Load() {
		return nil, errors.New("connection refused")
	}
	return s.Store.GetAccount(ctx, providerID, accountID)
}

// A store failure at the callback is a 503, not a redirect that looks like
// a refusal; the browser's cookies are kept.
func TestStoreFailure(t *testing.T) {
	fs := &failingStore{Store: backends[0].new(t)}
	e := build(t, fs, setup{})
	c := e.client()
	cb := c.authorize(c.startSignIn(nil))
	fs.fail.Store(true)
	r := c.do(http.MethodGet, cb, nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Code, r.Body.String())
	require.Empty(t, r.location())
}

// An account whose user is gone (a database without foreign keys) is
// refused with unable_to_link_account, as Better Auth's orphaned account.
func TestOrphanedAccount(t *testing.T) {
	fs := &failingStore{Store: backends[0].new(t)}
	e := build(t, fs, setup{})
	require.Equal(t, testBaseURL, e.client().signIn(nil).location())
	fs.orphan.Store(true)
	c := e.client()
	require.Equal(t, "unable_to_link_account", c.signIn(nil).errorCode(t))
	fs.orphan.Store(false)
	requireNoSession(t, e, c)
}

// Provider tokens, the code, the client secret and the state never reach
// the logs, even when things fail.
func TestSecretsNotLogged(t *testing.T) {
	e := newEnv(t, setup{})
	c := e.client()
	cb := c.authorize(c.startSignIn(nil))
	u, _ := url.Parse(cb)
	code := u.Query().Get("code")
	require.Equal(t, "invalid_code", c.do(http.MethodGet, withQuery(t, cb, "code", code+"x"), nil).errorCode(t))
	c = e.client()
	require.Equal(t, testBaseURL, c.signIn(nil).location())
	e.op.ForgeIDTokens(true)
	require.Equal(t, "unable_to_get_user_info", e.client().signIn(nil).errorCode(t))
	logs := e.logText()
	require.NotEmpty(t, logs)
	a := e.accounts("ada@example.com")[0]
	for _, secret := range []string{code, e.op.ClientSecret(), a.AccessToken, a.RefreshToken, a.IDToken} {
		require.NotContains(t, logs, secret)
	}
}

// A user that disappears while its account is being linked: the callback's
// unable_to_link_account, the idToken form's 417 LINKING_FAILED.
func TestLinkUserGone(t *testing.T) {
	fs := &failingStore{Store: backends[0].new(t)}
	e := build(t, fs, setup{})
	c := e.client()
	c.signUpPassword("ada@example.com")
	cb := c.startLink(nil)
	fs.noAccount.Store(true)
	require.Equal(t, "unable_to_link_account", c.do(http.MethodGet, cb, nil).errorCode(t))
	tok, err := e.op.IssueIDToken(oidctest.User{Subject: "s", Email: "ada@example.com", EmailVerified: true}, "")
	require.NoError(t, err)
	r := c.post("/link-social", map[string]any{"provider": "oidc", "idToken": map[string]any{"token": tok}})
	require.Equal(t, http.StatusExpectationFailed, r.Code)
	require.Equal(t, "LINKING_FAILED", r.str("code"))
	require.Equal(t, "Account not linked - unable to create account", r.str("message"))

	// Implicit linking at sign-in, the same.
	e.verify("ada@example.com")
	require.Equal(t, "unable_to_link_account", e.client().signIn(nil).errorCode(t))
}
