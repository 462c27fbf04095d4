package betterauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/go-betterauth/betterauth/internal/randid"
)

// resetPrefix starts the identifier of a reset link's row.
const resetPrefix = "reset-password:"

// resetMessage is request-password-reset's answer, the same whether or not
// the email belongs to an account.
const resetMessage = "If this email exists in our system, check your email for the reset link"

// RequestPasswordReset mails a reset link if the email belongs to a user,
// and answers the same (nil) either way, in the same time: the request
// path does one user lookup whatever the answer (so a store failure is
// still ErrUnavailable), and for a known address the link is stored and
// mailed in the background, after the answer (Shutdown waits for it). If
// storing or mailing fails, that is logged and the link deleted.
func (a *Auth) RequestPasswordReset(ctx context.Context, email, redirectTo string) error {
	send := a.cfg.EmailAndPassword.SendResetPassword
	if send == nil {
		return errResetPasswordDisabled
	}
	if !ValidEmail(email) {
		return errInvalidEmail
	}
	u, err := a.store.GetUserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return unavailable("request password reset", err)
	}
	a.goBackground(ctx, func(ctx context.Context) {
		token, err := randid.String(24, randid.Alphanumeric)
		if err != nil {
			a.logger.ErrorContext(ctx, "betterauth: making a reset token failed", "err", err)
			return
		}
		sctx, cancel := context.WithTimeout(ctx, a.cfg.RequestTimeout)
		v, err := a.createVerification(sctx, a.store, resetPrefix+token, u.ID, a.cfg.EmailAndPassword.ResetPasswordTokenExpiresIn)
		cancel()
		if err != nil {
			a.logger.ErrorContext(ctx, "betterauth: storing a reset link failed", "err", err)
			return
		}
		a.audit(ctx, slog.LevelInfo, EventTokenCreated, u.ID, slog.String("reason", "reset_password"))
		url := a.link("/reset-password/"+token, "callbackURL="+encodeURIComponent(redirectTo))
		if err := a.sendNow(ctx, "reset password", send, Email{User: u, To: u.Email, URL: url, Token: token}); err != nil {
			a.deleteUnsent(ctx, v, "reset")
		}
	})
	return nil
}

// deleteUnsent removes the verification row of a link whose mail failed,
// within RequestTimeout; a failure is logged.
func (a *Auth) deleteUnsent(ctx context.Context, v *Verification, kind string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.RequestTimeout)
	defer cancel()
	// By identifier (unique per link), which secondary storage keys values by.
	if _, err := a.store.ConsumeVerification(ctx, v.Identifier); err != nil && !errors.Is(err, ErrNotFound) {
		a.logger.ErrorContext(ctx, "betterauth: removing an unsent "+kind+" link failed", "err", err)
	}
}

// CheckResetToken reports whether a reset token is live, without using it.
func (a *Auth) CheckResetToken(ctx context.Context, token string) (bool, error) {
	v, err := a.findVerification(ctx, resetPrefix+token)
	return v != nil, err
}

// ResetPassword sets a new password with a reset token. The token is
// consumed in the same transaction as the password update, so of two
// concurrent uses exactly one succeeds, and the user's other reset links
// die with it; a credential account is created if the user had none; the
// failed-sign-in count is cleared; every session of the user goes unless
// RevokeSessionsOnPasswordReset is false. With StoreIdentifierHashed the
// stored identifiers say nothing of their purpose, so every verification
// row holding the user's id goes: other reset links and pending
// delete-account confirmations.
func (a *Auth) ResetPassword(ctx context.Context, token, newPassword string) error {
	if token == "" {
		return errInvalidToken
	}
	if err := a.checkNewPassword(ctx, newPassword); err != nil {
		return err
	}
	id := resetPrefix + token
	v, err := a.findVerification(ctx, id)
	if err != nil {
		return err
	}
	if v == nil {
		return errInvalidToken
	}
	if _, err := a.store.GetUserByID(ctx, v.Value); errors.Is(err, ErrNotFound) {
		return errUserNotFound
	} else if err != nil {
		return unavailable("reset password", err)
	}
	hash, err := a.hasher.Hash(ctx, newPassword)
	if err != nil {
		return fmt.Errorf("betterauth: hashing the password: %w", err)
	}
	err = a.inTx(ctx, "reset password", func(ctx context.Context, tx Store) error {
		taken, err := a.consumeVerification(ctx, tx, id)
		if err != nil {
			return err
		}
		if taken == nil || taken.Value != v.Value {
			return errInvalidToken
		}
		userID := taken.Value
		// The user's other reset links: plain identifiers carry the prefix;
		// hashed ones carry none, so every row with the user's id goes.
		prefix := resetPrefix
		if a.cfg.Verification.StoreIdentifierHashed {
			prefix = ""
		}
		if _, err := tx.DeleteVerificationsByValue(ctx, userID, prefix); err != nil {
			return err
		}
		if err := a.clearFailedSignIns(ctx, tx, userID); err != nil {
			return err
		}
		if revoke := a.cfg.EmailAndPassword.RevokeSessionsOnPasswordReset; revoke == nil || *revoke {
			if _, err := tx.DeleteUserSessions(ctx, userID, ""); err != nil {
				return err
			}
		}
		now := a.clock()
		acct, err := tx.GetAccount(ctx, ProviderCredential, userID)
		if errors.Is(err, ErrNotFound) || (err == nil && acct.UserID != userID) {
			return tx.CreateAccount(ctx, &Account{AccountID: userID, ProviderID: ProviderCredential, UserID: userID, Password: hash, CreatedAt: now, UpdatedAt: now})
		}
		if err != nil {
			return err
		}
		_, err = tx.UpdateAccount(ctx, acct.ID, AccountUpdate{Password: &hash, UpdatedAt: now})
		return err
	})
	if err == nil {
		a.audit(ctx, slog.LevelInfo, EventPasswordChange, v.Value, slog.String("reason", "reset"))
	}
	return err
}
