package social_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/oidc"
)

// get-access-token answers the stored token while it is valid and
// refreshes it (storing the new tokens) once it expires within 5 seconds;
// refresh-token refreshes at once. Both work with encrypted tokens.
func TestAccessTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		for _, encrypt := range []bool{false, true} {
			e := mk(setupOpts(func(o *social.Options) { o.EncryptOAuthTokens = encrypt }))
			c := e.client()
			require.Equal(t, testBaseURL, c.signIn(nil).location())
			a := e.accounts("ada@example.com")[0]
			plainAT, plainRT := a.AccessToken, a.RefreshToken
			if encrypt {
				var err error
				plainAT, err = e.auth.Decrypt("", a.AccessToken)
				require.NoError(t, err)
				plainRT, err = e.auth.Decrypt("", a.RefreshToken)
				require.NoError(t, err)
			}

			e.clock.Add(time.Hour - 6*time.Second)
			r := c.post("/get-access-token", map[string]any{"accountId": a.ID})
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			require.Equal(t, plainAT, r.str("accessToken"), "still valid: the stored token")
			require.Equal(t, a.AccessTokenExpiresAt.UTC().Format("2006-01-02T15:04:05.000Z"), r.str("accessTokenExpiresAt"))
			require.Equal(t, []any{"openid"}, r.body["scopes"])
			require.Equal(t, a.IDToken, r.str("idToken"))
			require.Len(t, e.op.TokenCalls(), 1)

			e.clock.Add(2 * time.Second) // 4 s left: refreshed
			r = c.post("/get-access-token", map[string]any{"accountId": a.ID})
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			calls := e.op.TokenCalls()
			require.Len(t, calls, 2)
			require.Equal(t, "refresh_token", calls[1].GrantType)
			require.Equal(t, plainRT, calls[1].Form.Get("refresh_token"))
			fresh := r.str("accessToken")
			require.NotEqual(t, plainAT, fresh)
			require.Equal(t, e.clock.Now().Add(time.Hour).Format("2006-01-02T15:04:05.000Z"), r.str("accessTokenExpiresAt"))
			b := e.accounts("ada@example.com")[0]
			stored := b.AccessToken
			if encrypt {
				var err error
				stored, err = e.auth.Decrypt("", b.AccessToken)
				require.NoError(t, err)
			}
			require.Equal(t, fresh, stored)
			require.NotEqual(t, a.RefreshToken, b.RefreshToken, "the provider's new refresh token is kept")
			require.Equal(t, "openid", b.Scope, "scope untouched")
			require.NotEqual(t, a.IDToken, b.IDToken, "the refresh's ID token is kept")

			r = c.post("/refresh-token", map[string]any{"accountId": a.ID})
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			require.NotEqual(t, fresh, r.str("accessToken"))
			require.NotEmpty(t, r.str("refreshToken"))
			require.Equal(t, "openid", r.str("scope"))
			require.Equal(t, "oidc", r.str("providerId"))
			require.Equal(t, a.ID, r.str("accountId"))
			require.NotEmpty(t, r.str("refreshTokenExpiresAt"))
			require.Len(t, e.op.TokenCalls(), 3)
		}
	})
}

// The refusals of the token endpoints, as Better Auth words them.
func TestAccessTokenRefusals(t *testing.T) {
	e := newEnv(t, setup{})
	c := e.client()
	require.Equal(t, testBaseURL, c.signIn(nil).location())
	a := e.accounts("ada@example.com")[0]
	for _, path := range []string{"/get-access-token", "/refresh-token"} {
		r := c.post(path, map[string]any{"accountId": "nope"})
		require.Equal(t, http.StatusBadRequest, r.Code)
		require.Equal(t, "ACCOUNT_NOT_FOUND", r.str("code"))
		require.Equal(t, "VALIDATION_ERROR", c.post(path, map[string]any{}).str("code"))
		require.Equal(t, "VALIDATION_ERROR", c.post(path, map[string]any{"accountId": a.ID, "extra": 1}).str("code"))
		require.Equal(t, "ACCOUNT_NOT_FOUND", c.post(path, map[string]any{"useAccountCookie": true}).str("code"))
		require.Equal(t, http.StatusUnauthorized, e.client().post(path, map[string]any{"accountId": a.ID}).Code)
	}
	// Another user's account is not theirs to read.
	other := e.client()
	other.signUpPassword("bob@example.com")
	require.Equal(t, "ACCOUNT_NOT_FOUND", other.post("/get-access-token", map[string]any{"accountId": a.ID}).str("code"))

	// A credential account has no provider.
	cred := e.accounts("bob@example.com")[0]
	r := other.post("/get-access-token", map[string]any{"accountId": cred.ID})
	require.Equal(t, "PROVIDER_NOT_SUPPORTED", r.str("code"))
	require.Equal(t, "Provider credential is not supported.", r.str("message"))
	require.Equal(t, "PROVIDER_NOT_SUPPORTED", other.post("/refresh-token", map[string]any{"accountId": cred.ID}).str("code"))

	// No refresh token.
	empty := ""
	_, err := e.store.UpdateAccount(context.Background(), a.ID, betterauth.AccountUpdate{RefreshToken: &empty})
	require.NoError(t, err)
	r = c.post("/refresh-token", map[string]any{"accountId": a.ID})
	require.Equal(t, "REFRESH_TOKEN_NOT_FOUND", r.str("code"))
	require.Equal(t, "Refresh token not found", r.str("message"))

	// The provider refuses the refresh token.
	bad := "revoked"
	_, err = e.store.UpdateAccount(context.Background(), a.ID, betterauth.AccountUpdate{RefreshToken: &bad})
	require.NoError(t, err)
	r = c.post("/refresh-token", map[string]any{"accountId": a.ID})
	require.Equal(t, http.StatusBadRequest, r.Code)
	require.Equal(t, "FAILED_TO_REFRESH_ACCESS_TOKEN", r.str("code"))
	e.clock.Add(2 * time.Hour)
	r = c.post("/get-access-token", map[string]any{"accountId": a.ID})
	require.Equal(t, "FAILED_TO_GET_ACCESS_TOKEN", r.str("code"))
	require.NotContains(t, e.logText(), "revoked")
}

// account-info asks the provider with the account's access token.
func TestAccountInfo(t *testing.T) {
	forEachStore(t, func(t *testing.T, mk func(setup) *env) {
		e := mk(setup{})
		c := e.client()
		require.Equal(t, testBaseURL, c.signIn(nil).location())
		a := e.accounts("ada@example.com")[0]
		r := c.do(http.MethodGet, "/account-info?accountId="+a.ID, nil)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		u := r.body["user"].(map[string]any)
		require.Equal(t, "ada@example.com", u["email"])
		require.Equal(t, true, u["emailVerified"])
		require.Equal(t, "Ada Lovelace", u["name"])
		require.Equal(t, "sub-1", r.body["data"].(map[string]any)["sub"])
		require.Equal(t, map[string]any{"id": a.ID, "providerId": "oidc", "accountId": "sub-1"}, r.body["account"])

		require.Equal(t, "ACCOUNT_NOT_FOUND", c.do(http.MethodGet, "/account-info?accountId=nope", nil).str("code"))
		require.Equal(t, "VALIDATION_ERROR", c.do(http.MethodGet, "/account-info", nil).str("code"))
		empty := ""
		_, err := e.store.UpdateAccount(context.Background(), a.ID, betterauth.AccountUpdate{AccessToken: &empty})
		require.NoError(t, err)
		require.Equal(t, "ACCESS_TOKEN_NOT_FOUND", c.do(http.MethodGet, "/account-info?accountId="+a.ID, nil).str("code"))
		bad := "forged"
		_, err = e.store.UpdateAccount(context.Background(), a.ID, betterauth.AccountUpdate{AccessToken: &bad, IDToken: &empty})
		require.NoError(t, err)
		r = c.do(http.MethodGet, "/account-info?accountId="+a.ID, nil)
		require.Equal(t, http.StatusUnauthorized, r.Code)
		require.Equal(t, "FAILED_TO_GET_USER_INFO", r.str("code"))
	})
}

// plainProvider is a provider that cannot refresh tokens.
type plainProvider struct {
	social.Provider
}

func (plainProvider) ID() string { return "plain" }

// A provider without refresh, a credential account, and tokens stored in
// the clear before EncryptOAuthTokens was turned on.
func TestAccessTokenEdges(t *testing.T) {
	e := newEnv(t, setup{})
	base, err := oidc.New(oidc.Config{ProviderID: "x", DiscoveryURL: e.op.DiscoveryURL(), ClientID: "c", HTTPClient: e.op.Client()})
	require.NoError(t, err)
	e = newEnv(t, setupOpts(func(o *social.Options) {
		o.Providers = []social.Provider{plainProvider{base}}
		o.EncryptOAuthTokens = true
	}))
	c := e.client()
	c.signUpPassword("ada@example.com")
	u := e.user("ada@example.com")
	ctx := context.Background()
	plain := &betterauth.Account{UserID: u.ID, ProviderID: "plain", AccountID: "p1", AccessToken: "plain-token", RefreshToken: "rt"}
	require.NoError(t, e.store.CreateAccount(ctx, plain))
	r := c.post("/refresh-token", map[string]any{"accountId": plain.ID})
	require.Equal(t, "TOKEN_REFRESH_NOT_SUPPORTED", r.str("code"))
	require.Equal(t, "Provider plain does not support token refreshing.", r.str("message"))
	r = c.post("/get-access-token", map[string]any{"accountId": plain.ID})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, "plain-token", r.str("accessToken"), "a token stored in the clear is read as is")

	cred := e.accounts("ada@example.com")[0]
	require.Equal(t, "credential", cred.ProviderID)
	r = c.do(http.MethodGet, "/account-info?accountId="+cred.ID, nil)
	require.Equal(t, "PROVIDER_NOT_CONFIGURED", r.str("code"))
}
