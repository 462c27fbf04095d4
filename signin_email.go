package betterauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// SignInInput is what POST /sign-in/email takes.
type SignInInput struct {
	Email    string
	Password string
	// RememberMe false makes a one-day, browser-session session.
	RememberMe *bool
	// CallbackURL is where a re-sent verification link leads.
	CallbackURL string
	Meta        RequestMeta
}

// SignInEmail checks the password and creates a session. Every failure
// (unknown email, no password, wrong password) is the same
// ErrInvalidEmailOrPassword, and an unknown email still costs one hash, so
// neither the answer nor its time tells whether the account exists.
func (a *Auth) SignInEmail(ctx context.Context, in SignInInput) (*AuthResult, error) {
	if a.cfg.EmailAndPassword.Disabled {
		return nil, errEmailPasswordDisabled
	}
	if !ValidEmail(in.Email) {
		return nil, errInvalidEmail
	}
	if err := a.checkPasswordLength(in.Password, false); err != nil {
		return nil, err
	}
	u, acct, err := a.credentials(ctx, strings.ToLower(in.Email))
	if err != nil {
		return nil, err
	}
	if acct == nil || acct.Password == "" {
		if _, err := a.hasher.Hash(ctx, in.Password); err != nil {
			return nil, fmt.Errorf("betterauth: hashing the password: %w", err)
		}
		userID, reason := "", "unknown_user"
		if u != nil {
			userID, reason = u.ID, "no_password" // a user without a credential account
		}
		a.audit(ctx, slog.LevelWarn, EventLoginFail, userID, slog.String("reason", reason))
		return nil, errInvalidEmailOrPassword
	}
	switch check, err := a.checkPassword(ctx, u.ID, acct, in.Password); {
	case err != nil:
		return nil, err
	case check != passwordOK:
		a.audit(ctx, slog.LevelWarn, EventLoginFail, u.ID, slog.String("reason", check.String()))
		return nil, errInvalidEmailOrPassword
	}
	a.rehashIfOutdated(ctx, acct, in.Password)
	if a.cfg.EmailAndPassword.RequireEmailVerification && !u.EmailVerified {
		a.audit(ctx, slog.LevelWarn, EventLoginFail, u.ID, slog.String("reason", "email_not_verified"))
		ev := a.cfg.EmailVerification
		if ev.SendVerificationEmail != nil && ev.SendOnSignIn {
			e, err := a.verificationEmail(u, in.CallbackURL)
			if err != nil {
				return nil, err
			}
			a.sendLater(ctx, "verification", ev.SendVerificationEmail, e)
		}
		return nil, errEmailNotVerified
	}
	res, err := a.SignIn(ctx, SignIn{User: u, Method: SignInMethodEmail, DontRemember: in.RememberMe != nil && !*in.RememberMe, Meta: in.Meta})
	if err != nil {
		return nil, err
	}
	if res.Session != nil {
		a.audit(ctx, slog.LevelInfo, EventLoginSuccess, u.ID)
	}
	return res, nil
}

// credentials returns the user with that email and its credential account;
// (nil, nil, nil) when either is missing.
func (a *Auth) credentials(ctx context.Context, email string) (*User, *Account, error) {
	u, err := a.store.GetUserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, unavailable("sign in", err)
	}
	acct, err := a.credentialAccount(ctx, u.ID)
	return u, acct, err
}

// credentialAccount returns the user's credential account, or nil.
func (a *Auth) credentialAccount(ctx context.Context, userID string) (*Account, error) {
	acct, err := a.store.GetAccount(ctx, ProviderCredential, userID)
	if errors.Is(err, ErrNotFound) || (err == nil && acct.UserID != userID) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("credential account", err)
	}
	return acct, nil
}

// SignOut deletes the session with that token (a missing one is fine).
func (a *Auth) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	userID := ""
	if a.auditLogger.Enabled(ctx, slog.LevelInfo) {
		// Only the audit record needs to know whose session it was.
		if s, _, err := a.store.GetSessionByToken(ctx, a.storedToken(token)); err == nil {
			userID = s.UserID
		}
	}
	err := a.store.DeleteSession(ctx, a.storedToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return unavailable("sign out", err)
	}
	a.audit(ctx, slog.LevelInfo, EventSessionExpired, userID, slog.String("reason", "logout"))
	return nil
}

// rehashIfOutdated replaces a stored hash the hasher calls outdated (a
// Better Auth scrypt hash under an argon2id.Hasher, say) with a fresh one, now
// that the password is known. A failure only costs the upgrade: it is logged.
func (a *Auth) rehashIfOutdated(ctx context.Context, acct *Account, password string) {
	rh, ok := a.hasher.(Rehasher)
	if !ok || !rh.NeedsRehash(acct.Password) {
		return
	}
	hash, err := a.hasher.Hash(ctx, password)
	if err == nil {
		_, err = a.store.UpdateAccount(ctx, acct.ID, AccountUpdate{Password: &hash, UpdatedAt: a.clock()})
	}
	if err != nil {
		a.logger.WarnContext(ctx, "betterauth: upgrading a password hash failed", "account", acct.ID, "err", err)
	}
}
