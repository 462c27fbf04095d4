package social

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/randid"
)

func randomString(n int) (string, error) {
	s, err := randid.String(n, randid.Alphanumeric)
	if err != nil {
		return "", fmt.Errorf("social: random: %w", err)
	}
	return s, nil
}

// storeErr wraps a store failure as betterauth.ErrUnavailable (503).
func storeErr(op string, err error) error {
	if errors.Is(err, betterauth.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: social: %s: %w", betterauth.ErrUnavailable, op, err)
}

// sealToken is Better Auth's setTokenUtil: the token encrypted with the
// secret when EncryptOAuthTokens, as is otherwise ("" stays "").
func (p *Plugin) sealToken(token string) (string, error) {
	if !p.opts.EncryptOAuthTokens || token == "" {
		return token, nil
	}
	s, err := p.auth.Encrypt("", token)
	if err != nil {
		return "", fmt.Errorf("social: encrypting a token: %w", err)
	}
	return s, nil
}

// accountFrom is the account row Better Auth writes for tokens (without
// its user).
func (p *Plugin) accountFrom(providerID string, info *UserInfo, t *Tokens) (*betterauth.Account, error) {
	at, err := p.sealToken(t.AccessToken)
	if err != nil {
		return nil, err
	}
	rt, err := p.sealToken(t.RefreshToken)
	if err != nil {
		return nil, err
	}
	a := &betterauth.Account{
		ProviderID: providerID, AccountID: info.ID, AccessToken: at, RefreshToken: rt, IDToken: t.IDToken,
		Scope: strings.Join(t.Scopes, ","),
	}
	a.AccessTokenExpiresAt, a.RefreshTokenExpiresAt = p.expiries(t)
	return a, nil
}

// expiries are now + expires_in and now + refresh_token_expires_in (nil
// when the provider did not say).
func (p *Plugin) expiries(t *Tokens) (access, refresh *time.Time) {
	now := p.auth.Now()
	if t.AccessTokenExpiresIn > 0 {
		at := now.Add(t.AccessTokenExpiresIn)
		access = &at
	}
	if t.RefreshTokenExpiresIn > 0 {
		rt := now.Add(t.RefreshTokenExpiresIn)
		refresh = &rt
	}
	return access, refresh
}

// resolveUser is Better Auth's handleOAuthUserInfo up to the session: the
// user of the account, or of the same email (linked by the linking rules),
// or a new one. Refusals are flowErrors with Better Auth's codes.
func (p *Plugin) resolveUser(ctx context.Context, providerID string, desc Description, info *UserInfo, t *Tokens, requestSignUp bool) (*betterauth.User, bool, error) {
	st := p.auth.Store()
	email := strings.ToLower(info.Email)
	var user *betterauth.User
	acct, err := st.GetAccount(ctx, providerID, info.ID)
	switch {
	case err == nil:
		if user, err = st.GetUserByID(ctx, acct.UserID); errors.Is(err, betterauth.ErrNotFound) {
			p.auth.Logger().ErrorContext(ctx, "social: an OAuth account references a missing user", "provider", providerID)
			return nil, false, &flowError{code: "unable_to_link_account"}
		} else if err != nil {
			return nil, false, storeErr("get user", err)
		}
		if err := p.updateTokens(ctx, acct, t); err != nil {
			return nil, false, err
		}
	case errors.Is(err, betterauth.ErrNotFound):
		user, err = st.GetUserByEmail(ctx, email)
		if errors.Is(err, betterauth.ErrNotFound) {
			u, err := p.signUp(ctx, providerID, desc, info, t, requestSignUp)
			return u, err == nil, err
		} else if err != nil {
			return nil, false, storeErr("get user by email", err)
		}
		if (!p.trusted[providerID] && !info.EmailVerified) || (!p.opts.LinkUnverifiedLocalUsers && !user.EmailVerified) ||
			p.opts.DisableLinking || p.opts.DisableImplicitLinking {
			return nil, false, &flowError{code: "account_not_linked"}
		}
		na, err := p.accountFrom(providerID, info, t)
		if err != nil {
			return nil, false, err
		}
		na.UserID = user.ID
		now := p.auth.Now()
		na.CreatedAt, na.UpdatedAt = now, now
		if err := st.CreateAccount(ctx, na); errors.Is(err, betterauth.ErrNotFound) {
			return nil, false, &flowError{code: "unable_to_link_account"}
		} else if err != nil {
			return nil, false, storeErr("link account", err)
		}
		p.auth.Audit(ctx, slog.LevelInfo, "account_linked", user.ID, slog.String("provider", providerID))
	default:
		return nil, false, storeErr("get account", err)
	}
	if info.EmailVerified && !user.EmailVerified && email == user.Email {
		yes := true
		u, err := st.UpdateUser(ctx, user.ID, betterauth.UserUpdate{EmailVerified: &yes})
		if err != nil {
			return nil, false, storeErr("mark email verified", err)
		}
		user = u
	}
	if desc.OverrideUserInfoOnSignIn {
		verified := info.EmailVerified
		if email == user.Email {
			verified = user.EmailVerified || info.EmailVerified
		}
		upd := betterauth.UserUpdate{Name: &info.Name, Image: &info.Image, Email: &email, EmailVerified: &verified}
		u, err := st.UpdateUser(ctx, user.ID, upd)
		switch {
		case err == nil:
			user = u
		case errors.Is(err, betterauth.ErrConflict) || errors.Is(err, betterauth.ErrNotFound):
			p.auth.Logger().WarnContext(ctx, "social: could not update user info during OAuth sign in; keeping the stored user", "provider", providerID)
		default:
			return nil, false, storeErr("override user info", err)
		}
	}
	return user, false, nil
}

// updateTokens writes the sign-in's tokens and expiries to a linked
// account (unless KeepTokensOnSignIn); what the provider did not send is
// left alone, and so is scope (only linking merges it).
func (p *Plugin) updateTokens(ctx context.Context, acct *betterauth.Account, t *Tokens) error {
	if p.opts.KeepTokensOnSignIn {
		return nil
	}
	var upd betterauth.AccountUpdate
	changed := false
	set := func(dst **string, v string, seal bool) error {
		if v == "" {
			return nil
		}
		if seal {
			s, err := p.sealToken(v)
			if err != nil {
				return err
			}
			v = s
		}
		*dst, changed = &v, true
		return nil
	}
	if err := set(&upd.IDToken, t.IDToken, false); err != nil {
		return err
	}
	if err := set(&upd.AccessToken, t.AccessToken, true); err != nil {
		return err
	}
	if err := set(&upd.RefreshToken, t.RefreshToken, true); err != nil {
		return err
	}
	upd.AccessTokenExpiresAt, upd.RefreshTokenExpiresAt = p.expiries(t)
	if upd.AccessTokenExpiresAt != nil || upd.RefreshTokenExpiresAt != nil {
		changed = true
	}
	if !changed {
		return nil
	}
	upd.UpdatedAt = p.auth.Now()
	if _, err := p.auth.Store().UpdateAccount(ctx, acct.ID, upd); errors.Is(err, betterauth.ErrNotFound) {
		return &flowError{code: "unable_to_update_account"}
	} else if err != nil {
		return storeErr("update account", err)
	}
	return nil
}

// signUp creates the user and the account, unless the provider refuses
// sign-ups.
func (p *Plugin) signUp(ctx context.Context, providerID string, desc Description, info *UserInfo, t *Tokens, requestSignUp bool) (*betterauth.User, error) {
	if desc.DisableSignUp || (desc.DisableImplicitSignUp && !requestSignUp) {
		return nil, &flowError{code: "signup_disabled"}
	}
	acct, err := p.accountFrom(providerID, info, t)
	if err != nil {
		return nil, err
	}
	u := &betterauth.User{Name: info.Name, Email: info.Email, EmailVerified: info.EmailVerified}
	if info.Image != "" {
		img := info.Image
		u.Image = &img
	}
	err = p.auth.CreateUser(ctx, u, acct)
	var ae *betterauth.APIError
	switch {
	case err == nil:
		return u, nil
	case errors.Is(err, betterauth.ErrUnavailable):
		return nil, err
	case errors.As(err, &ae) && ae.Code != "" && ae.Code != "VALIDATION_ERROR" && ae.Code != "INVALID_EMAIL":
		return nil, err // a hook's refusal: its code is passed on
	default:
		p.auth.Logger().ErrorContext(ctx, "social: unable to create the OAuth user", "provider", providerID, "err", err)
		return nil, &flowError{code: "unable_to_create_user"}
	}
}

// accountJSON is an account as /list-accounts shows it: no tokens,
// expiries or password; scope as a list.
type accountJSON struct {
	ID         string   `json:"id"`
	AccountID  string   `json:"accountId"`
	ProviderID string   `json:"providerId"`
	UserID     string   `json:"userId"`
	CreatedAt  string   `json:"createdAt"`
	UpdatedAt  string   `json:"updatedAt"`
	Scopes     []string `json:"scopes"`
}

// jsTime is a time as JavaScript's toISOString writes it.
func jsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// parseScopes splits a stored comma-joined scope.
func parseScopes(s string) []string {
	out := []string{}
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// handleListAccounts is GET /list-accounts: the caller's accounts.
func (p *Plugin) handleListAccounts(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	accts, err := p.auth.Store().ListAccounts(r.Context(), in.Session.User.ID)
	if err != nil {
		return storeErr("list accounts", err)
	}
	out := make([]accountJSON, len(accts))
	for i, a := range accts {
		out[i] = accountJSON{ID: a.ID, AccountID: a.AccountID, ProviderID: a.ProviderID, UserID: a.UserID,
			CreatedAt: jsTime(a.CreatedAt), UpdatedAt: jsTime(a.UpdatedAt), Scopes: parseScopes(a.Scope)}
	}
	betterauth.WriteJSON(w, http.StatusOK, out)
	return nil
}

// handleUnlinkAccount is POST /unlink-account {accountId}: the row id of
// one of the caller's accounts. The last one stays unless
// AllowUnlinkingAll.
func (p *Plugin) handleUnlinkAccount(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	id, _, err := betterauth.BodyString(in.Body, "accountId", true)
	if err != nil {
		return err
	}
	ctx := r.Context()
	uid := in.Session.User.ID
	accts, err := p.auth.Store().ListAccounts(ctx, uid)
	if err != nil {
		return storeErr("list accounts", err)
	}
	if len(accts) == 1 && !p.opts.AllowUnlinkingAll {
		return errFailedToUnlinkLastAccount()
	}
	for _, a := range accts {
		if a.ID != id {
			continue
		}
		if err := p.auth.Store().DeleteAccount(ctx, a.ID); err != nil && !errors.Is(err, betterauth.ErrNotFound) {
			return storeErr("unlink account", err)
		}
		p.auth.Audit(ctx, slog.LevelInfo, "account_unlinked", uid, slog.String("provider", a.ProviderID))
		betterauth.WriteJSON(w, http.StatusOK, map[string]bool{"status": true})
		return nil
	}
	return errAccountNotFound()
}
