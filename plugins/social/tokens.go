package social

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-betterauth/betterauth"
)

// refreshMargin: an access token closer than this to its expiry is
// refreshed by get-access-token (Better Auth: 5 s).
const refreshMargin = 5 * time.Second

func apiError(status int, code, msg string) *betterauth.APIError {
	return &betterauth.APIError{Status: status, Code: code, Message: msg}
}

// openToken is Better Auth's decryptOAuthToken: with EncryptOAuthTokens, a
// token that looks encrypted (even-length hex) is decrypted, anything else
// (written before encryption was turned on) is returned as is.
func (p *Plugin) openToken(token string) (string, error) {
	if !p.opts.EncryptOAuthTokens || token == "" || !looksEncrypted(token) {
		return token, nil
	}
	s, err := p.auth.Decrypt("", token)
	if err != nil {
		return "", fmt.Errorf("social: decrypting a token: %w", err)
	}
	return s, nil
}

func looksEncrypted(s string) bool {
	if strings.HasPrefix(s, "$ba$") {
		return true
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// selection is the body (or query) of get-access-token, refresh-token and
// account-info: {accountId, userId?} or {useAccountCookie: true, userId?}.
func selection(m map[string]any) (string, error) {
	for k := range m {
		if k != "accountId" && k != "userId" && k != "useAccountCookie" {
			return "", validation(fmt.Sprintf("Unrecognized key: %q", k))
		}
	}
	if m["useAccountCookie"] == true {
		if _, has := m["accountId"]; has {
			return "", validation(`Unrecognized key: "accountId"`)
		}
		return "", errAccountNotFound() // no account cookie is kept here
	}
	id, _, err := betterauth.BodyString(m, "accountId", true)
	return id, err
}

// account is the caller's account with that row id.
func (p *Plugin) account(ctx context.Context, userID, id string) (*betterauth.Account, error) {
	accts, err := p.auth.Store().ListAccounts(ctx, userID)
	if err != nil {
		return nil, storeErr("list accounts", err)
	}
	for i := range accts {
		if accts[i].ID == id {
			return &accts[i], nil
		}
	}
	return nil, errAccountNotFound()
}

// providerOf is the configured provider of an account, or Better Auth's
// PROVIDER_NOT_SUPPORTED.
func (p *Plugin) providerOf(ctx context.Context, a *betterauth.Account) (Provider, error) {
	pr, _ := p.provider(ctx, a.ProviderID)
	if pr == nil {
		return nil, apiError(http.StatusBadRequest, "PROVIDER_NOT_SUPPORTED", "Provider "+a.ProviderID+" is not supported.")
	}
	return pr, nil
}

// refreshed refreshes a's tokens at the provider and stores them, keeping
// what the provider did not send (the refresh token, its expiry, the ID
// token) and the scope. It returns the new tokens in the clear and the
// refresh token in use.
func (p *Plugin) refreshed(ctx context.Context, r Refresher, a *betterauth.Account) (*Tokens, *betterauth.Account, error) {
	rt, err := p.openToken(a.RefreshToken)
	if err != nil {
		return nil, nil, err
	}
	t, err := r.Refresh(ctx, rt)
	if err != nil {
		return nil, nil, err
	}
	at, err := p.sealToken(t.AccessToken)
	if err != nil {
		return nil, nil, err
	}
	upd := betterauth.AccountUpdate{AccessToken: &at, UpdatedAt: p.auth.Now()}
	access, refresh := p.expiries(t)
	upd.AccessTokenExpiresAt = access // none sent: the old one stays, as Better Auth drops undefined
	if t.RefreshToken != "" {
		sealed, err := p.sealToken(t.RefreshToken)
		if err != nil {
			return nil, nil, err
		}
		upd.RefreshToken = &sealed
	} else {
		t.RefreshToken = rt
	}
	if refresh != nil {
		upd.RefreshTokenExpiresAt = refresh
	}
	if t.IDToken != "" {
		upd.IDToken = &t.IDToken
	} else {
		t.IDToken = a.IDToken
	}
	na, err := p.auth.Store().UpdateAccount(ctx, a.ID, upd)
	if err != nil {
		return nil, nil, storeErr("update account", err)
	}
	return t, na, nil
}

// tokenReply is get-access-token's answer.
type tokenReply struct {
	AccessToken          string   `json:"accessToken"`
	AccessTokenExpiresAt string   `json:"accessTokenExpiresAt,omitempty"`
	Scopes               []string `json:"scopes"`
	IDToken              string   `json:"idToken,omitempty"`
}

// validAccessToken is Better Auth's getValidAccessToken: the account's
// access token, refreshed first when it expires within 5 seconds and the
// provider can refresh. Provider failures are FAILED_TO_GET_ACCESS_TOKEN;
// store failures stay ErrUnavailable.
func (p *Plugin) validAccessToken(ctx context.Context, pr Provider, a *betterauth.Account) (*tokenReply, error) {
	failed := func(err error) error {
		if errors.Is(err, betterauth.ErrUnavailable) {
			return err
		}
		p.auth.Logger().ErrorContext(ctx, "social: no valid access token", "provider", a.ProviderID, "err", err)
		return apiError(http.StatusBadRequest, "FAILED_TO_GET_ACCESS_TOKEN", "Failed to get a valid access token")
	}
	out := &tokenReply{Scopes: parseScopes(a.Scope), IDToken: a.IDToken}
	expires := a.AccessTokenExpiresAt
	r, canRefresh := pr.(Refresher)
	if a.RefreshToken != "" && expires != nil && expires.Sub(p.auth.Now()) < refreshMargin && canRefresh {
		t, na, err := p.refreshed(ctx, r, a)
		if err != nil {
			return nil, failed(err)
		}
		out.AccessToken, out.IDToken, expires = t.AccessToken, t.IDToken, na.AccessTokenExpiresAt
	} else {
		at, err := p.openToken(a.AccessToken)
		if err != nil {
			return nil, failed(err)
		}
		out.AccessToken = at
	}
	if expires != nil && !expires.IsZero() {
		out.AccessTokenExpiresAt = jsTime(*expires)
	}
	return out, nil
}

// handleGetAccessToken is POST /get-access-token {accountId}.
func (p *Plugin) handleGetAccessToken(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	id, err := selection(in.Body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	a, err := p.account(ctx, in.Session.User.ID, id)
	if err != nil {
		return err
	}
	pr, err := p.providerOf(ctx, a)
	if err != nil {
		return err
	}
	out, err := p.validAccessToken(ctx, pr, a)
	if err != nil {
		return err
	}
	betterauth.WriteJSON(w, http.StatusOK, out)
	return nil
}

// handleRefreshToken is POST /refresh-token {accountId}: a refresh at the
// provider whatever the expiry.
func (p *Plugin) handleRefreshToken(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	id, err := selection(in.Body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	a, err := p.account(ctx, in.Session.User.ID, id)
	if err != nil {
		return err
	}
	pr, err := p.providerOf(ctx, a)
	if err != nil {
		return err
	}
	rf, ok := pr.(Refresher)
	if !ok {
		return apiError(http.StatusBadRequest, "TOKEN_REFRESH_NOT_SUPPORTED", "Provider "+a.ProviderID+" does not support token refreshing.")
	}
	if a.RefreshToken == "" {
		return apiError(http.StatusBadRequest, "REFRESH_TOKEN_NOT_FOUND", "Refresh token not found")
	}
	t, na, err := p.refreshed(ctx, rf, a)
	if err != nil {
		if errors.Is(err, betterauth.ErrUnavailable) {
			return err
		}
		p.auth.Logger().ErrorContext(ctx, "social: token refresh failed", "provider", a.ProviderID, "err", err)
		return apiError(http.StatusBadRequest, "FAILED_TO_REFRESH_ACCESS_TOKEN", "Failed to refresh access token")
	}
	out := struct {
		AccessToken           string `json:"accessToken"`
		RefreshToken          string `json:"refreshToken"`
		AccessTokenExpiresAt  string `json:"accessTokenExpiresAt,omitempty"`
		RefreshTokenExpiresAt string `json:"refreshTokenExpiresAt,omitempty"`
		Scope                 string `json:"scope,omitempty"`
		IDToken               string `json:"idToken,omitempty"`
		ProviderID            string `json:"providerId"`
		AccountID             string `json:"accountId"`
	}{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Scope: na.Scope, IDToken: t.IDToken, ProviderID: na.ProviderID, AccountID: na.ID}
	if na.AccessTokenExpiresAt != nil && !na.AccessTokenExpiresAt.IsZero() {
		out.AccessTokenExpiresAt = jsTime(*na.AccessTokenExpiresAt)
	}
	if na.RefreshTokenExpiresAt != nil && !na.RefreshTokenExpiresAt.IsZero() {
		out.RefreshTokenExpiresAt = jsTime(*na.RefreshTokenExpiresAt)
	}
	betterauth.WriteJSON(w, http.StatusOK, out)
	return nil
}

// handleAccountInfo is GET /account-info?accountId=: the provider's user
// behind the account, asked with a valid access token.
func (p *Plugin) handleAccountInfo(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	q := map[string]any{}
	for k, v := range r.URL.Query() {
		q[k] = v[0]
	}
	if q["useAccountCookie"] == "true" {
		q["useAccountCookie"] = true
	}
	id, err := selection(q)
	if err != nil {
		return err
	}
	ctx := r.Context()
	a, err := p.account(ctx, in.Session.User.ID, id)
	if err != nil {
		return err
	}
	pr, _ := p.provider(ctx, a.ProviderID)
	if pr == nil {
		return apiError(http.StatusBadRequest, "PROVIDER_NOT_CONFIGURED", "Account is not associated with a configured social provider.")
	}
	tok, err := p.validAccessToken(ctx, pr, a)
	if err != nil {
		return err
	}
	if tok.AccessToken == "" {
		return apiError(http.StatusBadRequest, "ACCESS_TOKEN_NOT_FOUND", "Access token not found")
	}
	info, err := pr.UserInfo(ctx, &Tokens{AccessToken: tok.AccessToken, IDToken: tok.IDToken}, "")
	if err != nil {
		p.auth.Logger().ErrorContext(ctx, "social: account-info: unable to get user info", "provider", a.ProviderID, "err", err)
		return apiError(http.StatusUnauthorized, "FAILED_TO_GET_USER_INFO", "Failed to get user info")
	}
	type userJSON struct {
		ID            string `json:"id,omitempty"`
		Email         string `json:"email,omitempty"`
		EmailVerified bool   `json:"emailVerified"`
		Image         string `json:"image,omitempty"`
		Name          string `json:"name,omitempty"`
	}
	data := info.Profile
	if data == nil {
		data = map[string]any{}
	}
	betterauth.WriteJSON(w, http.StatusOK, map[string]any{
		"user":    userJSON{ID: info.ID, Email: info.Email, EmailVerified: info.EmailVerified, Image: info.Image, Name: info.Name},
		"data":    data,
		"account": map[string]string{"id": a.ID, "providerId": a.ProviderID, "accountId": a.AccountID},
	})
	return nil
}
