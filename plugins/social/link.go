package social

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/go-betterauth/betterauth"
)

// linkPurpose is Better Auth's purpose key for the session token a
// link-social flow carries in its state.
const linkPurpose = "oauth-link-session-token"

// handleLinkSocial is POST /link-social: a flow that adds the provider's
// account to the signed-in user instead of signing in. The state carries
// the user's id and email and the session token, encrypted, so that the
// callback links only while that session lives.
func (p *Plugin) handleLinkSocial(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	b, err := parseSignInBody(in.Body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	pr, desc := p.provider(ctx, b.provider)
	if pr == nil {
		return errProviderNotFound()
	}
	if b.idToken != nil {
		return p.linkWithIDToken(w, r, in.Session, pr, b.idToken)
	}
	sealed, err := p.auth.Encrypt(linkPurpose, in.Session.Session.Token)
	if err != nil {
		return err
	}
	d := stateData{
		CallbackURL: b.callbackURL, ErrorURL: b.errorURL, RequestSignUp: b.requestSignUp,
		Link: &stateLink{UserID: flexString(in.Session.User.ID), Email: in.Session.User.Email, EncryptedSessionToken: sealed},
	}
	if d.CallbackURL == "" {
		d.CallbackURL = p.auth.BaseURL()
	}
	return p.redirectToProvider(ctx, w, pr, desc, d, b.scopes, b.loginHint, b.disableRedirect)
}

// linkSessionLive reports whether the session that started a link still
// lives and belongs to the link's user (Better Auth's isLinkSessionLive).
// A link without a session token is not checked.
func (p *Plugin) linkSessionLive(ctx context.Context, l *stateLink) (bool, error) {
	if l.EncryptedSessionToken == "" {
		return true, nil
	}
	token, err := p.auth.Decrypt(linkPurpose, l.EncryptedSessionToken)
	if err != nil {
		return false, nil
	}
	st, err := p.auth.GetSession(ctx, token, betterauth.GetSessionOptions{DisableRefresh: true})
	if err != nil {
		return false, err
	}
	return st.SessionData != nil && st.Session.UserID == string(l.UserID), nil
}

// linkAccount is Better Auth's linkOAuthAccount: the provider's account
// joins the link's user, when the session lives, the provider is trusted
// or says the email is verified, and the email is the user's (unless
// AllowDifferentEmails). An account already linked to the user gets the
// new tokens and the scopes merged.
func (p *Plugin) linkAccount(ctx context.Context, providerID string, l *stateLink, info *UserInfo, t *Tokens) error {
	live, err := p.linkSessionLive(ctx, l)
	if err != nil {
		return err
	}
	if !live {
		return &flowError{code: "unable_to_link_account"}
	}
	if (!p.trusted[providerID] && !info.EmailVerified) || p.opts.DisableLinking {
		return &flowError{code: "unable_to_link_account"}
	}
	if !strings.EqualFold(info.Email, l.Email) && !p.opts.AllowDifferentEmails {
		return &flowError{code: "email_does_not_match"}
	}
	st := p.auth.Store()
	userID := string(l.UserID)
	existing, err := st.GetAccount(ctx, providerID, info.ID)
	switch {
	case err == nil:
		if existing.UserID != userID {
			return &flowError{code: "account_already_linked_to_different_user"}
		}
		if err := p.updateLinkedAccount(ctx, existing, t); err != nil {
			return err
		}
	case errors.Is(err, betterauth.ErrNotFound):
		na, err := p.accountFrom(providerID, info, t)
		if err != nil {
			return err
		}
		now := p.auth.Now()
		na.UserID, na.CreatedAt, na.UpdatedAt = userID, now, now
		if err := st.CreateAccount(ctx, na); errors.Is(err, betterauth.ErrNotFound) {
			return &flowError{code: "unable_to_link_account"}
		} else if err != nil {
			return storeErr("link account", err)
		}
	default:
		return storeErr("get account", err)
	}
	p.auth.Audit(ctx, slog.LevelInfo, "account_linked", userID, slog.String("provider", providerID))
	if p.opts.UpdateUserInfoOnLink {
		p.updateUserInfoOnLink(ctx, userID, info)
	}
	return nil
}

// updateLinkedAccount writes a link's tokens to the account it found, and
// the union of the stored and granted scopes (Better Auth's mergeScopes).
func (p *Plugin) updateLinkedAccount(ctx context.Context, a *betterauth.Account, t *Tokens) error {
	at, err := p.sealToken(t.AccessToken)
	if err != nil {
		return err
	}
	rt, err := p.sealToken(t.RefreshToken)
	if err != nil {
		return err
	}
	upd := betterauth.AccountUpdate{UpdatedAt: p.auth.Now()}
	for _, f := range []struct {
		dst **string
		v   string
	}{{&upd.AccessToken, at}, {&upd.RefreshToken, rt}, {&upd.IDToken, t.IDToken}} {
		if f.v != "" {
			v := f.v
			*f.dst = &v
		}
	}
	upd.AccessTokenExpiresAt, upd.RefreshTokenExpiresAt = p.expiries(t)
	if merged := mergeScopes(a.Scope, t.Scopes); merged != "" {
		upd.Scope = &merged
	}
	if _, err := p.auth.Store().UpdateAccount(ctx, a.ID, upd); errors.Is(err, betterauth.ErrNotFound) {
		return &flowError{code: "unable_to_link_account"}
	} else if err != nil {
		return storeErr("update account", err)
	}
	return nil
}

// mergeScopes is Better Auth's mergeScopes: the stored comma-joined scopes
// then the new ones, each once.
func mergeScopes(stored string, granted []string) string {
	out := parseScopes(stored)
	for _, s := range granted {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

// updateUserInfoOnLink copies the provider's name and image onto the user
// (never the email); a failure is logged, not fatal, as in Better Auth.
func (p *Plugin) updateUserInfoOnLink(ctx context.Context, userID string, info *UserInfo) {
	upd := betterauth.UserUpdate{}
	if info.Name != "" {
		upd.Name = &info.Name
	}
	if info.Image != "" {
		upd.Image = &info.Image
	}
	if upd.Name == nil && upd.Image == nil {
		return
	}
	if _, err := p.auth.Store().UpdateUser(ctx, userID, upd); err != nil {
		p.auth.Logger().WarnContext(ctx, "social: could not update user info on account link", "err", err)
	}
}

// linkWithIDToken is the idToken form of /link-social: the account of an
// ID token the client got from the provider joins the signed-in user at
// once, by Better Auth's rules and with its error codes (not the
// callback's).
func (p *Plugin) linkWithIDToken(w http.ResponseWriter, r *http.Request, sd *betterauth.SessionData, pr Provider, it *idTokenBody) error {
	ctx := r.Context()
	v, ok := pr.(IDTokenVerifier)
	if !ok {
		return errIDTokenNotSupported()
	}
	if err := v.VerifyIDToken(ctx, it.token, it.nonce); errors.Is(err, ErrNoIDTokens) {
		return errIDTokenNotSupported()
	} else if err != nil {
		p.auth.Logger().WarnContext(ctx, "social: invalid id token", "provider", pr.ID(), "err", err)
		return apiError(http.StatusUnauthorized, "INVALID_TOKEN", "Invalid token")
	}
	info, err := pr.UserInfo(ctx, &Tokens{IDToken: it.token, AccessToken: it.accessToken, RefreshToken: it.refreshToken, User: it.user}, it.nonce)
	if err == nil && strings.TrimSpace(info.ID) == "" {
		err = errors.New("no subject")
	}
	if err != nil {
		p.auth.Logger().ErrorContext(ctx, "social: failed to get user info", "provider", pr.ID(), "err", err)
		return apiError(http.StatusUnauthorized, "FAILED_TO_GET_USER_INFO", "Failed to get user info")
	}
	if info.Email == "" {
		return apiError(http.StatusUnauthorized, "USER_EMAIL_NOT_FOUND", "User email not found")
	}
	at, err := p.sealToken(it.accessToken)
	if err != nil {
		return err
	}
	rt, err := p.sealToken(it.refreshToken)
	if err != nil {
		return err
	}
	st := p.auth.Store()
	uid := sd.User.ID
	existing, err := st.GetAccount(ctx, pr.ID(), info.ID)
	switch {
	case err == nil && existing.UserID == uid:
		upd := betterauth.AccountUpdate{IDToken: &it.token, UpdatedAt: p.auth.Now()}
		if at != "" {
			upd.AccessToken = &at
		}
		if rt != "" {
			upd.RefreshToken = &rt
		}
		if _, err := st.UpdateAccount(ctx, existing.ID, upd); err != nil {
			return storeErr("update account", err)
		}
	case err == nil:
		return apiError(http.StatusConflict, "SOCIAL_ACCOUNT_ALREADY_LINKED", "Social account already linked")
	case !errors.Is(err, betterauth.ErrNotFound):
		return storeErr("get account", err)
	case (!p.trusted[pr.ID()] && !info.EmailVerified) || p.opts.DisableLinking:
		return apiError(http.StatusUnauthorized, "LINKING_NOT_ALLOWED", "Account not linked - linking not allowed")
	case !strings.EqualFold(info.Email, sd.User.Email) && !p.opts.AllowDifferentEmails:
		return apiError(http.StatusUnauthorized, "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED", "Account not linked - different emails not allowed")
	default:
		now := p.auth.Now()
		na := &betterauth.Account{UserID: uid, ProviderID: pr.ID(), AccountID: info.ID, AccessToken: at, RefreshToken: rt, IDToken: it.token, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateAccount(ctx, na); errors.Is(err, betterauth.ErrNotFound) {
			return apiError(http.StatusExpectationFailed, "LINKING_FAILED", "Account not linked - unable to create account")
		} else if err != nil {
			return storeErr("link account", err)
		}
		p.auth.Audit(ctx, slog.LevelInfo, "account_linked", uid, slog.String("provider", pr.ID()))
	}
	if p.opts.UpdateUserInfoOnLink {
		p.updateUserInfoOnLink(ctx, uid, info)
	}
	betterauth.WriteJSON(w, http.StatusOK, map[string]any{"url": "", "status": true, "redirect": false})
	return nil
}
