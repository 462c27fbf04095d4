package betterauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// ChangeEmail starts (or, for unverified users with
// UpdateEmailWithoutVerification, makes) a change of the caller's email,
// as Better Auth's change-email does. A new address that belongs to another
// account answers nil and sends nothing, so it cannot be used to probe
// accounts. refreshCookie reports that the address changed at once.
func (a *Auth) ChangeEmail(ctx context.Context, sd *SessionData, newEmail, callbackURL string) (changed bool, err error) {
	cfg := a.cfg.User.ChangeEmail
	if !cfg.Enabled {
		return false, errChangeEmailDisabled
	}
	if !ValidEmail(newEmail) {
		return false, validationError("[body.newEmail] Invalid email address")
	}
	newEmail = strings.ToLower(newEmail)
	u := sd.User
	if newEmail == u.Email {
		return false, errEmailIsTheSame
	}
	send := a.cfg.EmailVerification.SendVerificationEmail
	immediate := !u.EmailVerified && cfg.UpdateEmailWithoutVerification
	confirm := send != nil && u.EmailVerified && cfg.SendChangeEmailConfirmation != nil
	if !immediate && !confirm && send == nil {
		return false, &APIError{Status: http.StatusBadRequest, Message: "Verification email isn't enabled"}
	}
	if _, err := a.store.GetUserByEmail(ctx, newEmail); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, unavailable("change email", err)
	}
	if immediate {
		upd, err := a.store.UpdateUser(ctx, u.ID, UserUpdate{Email: &newEmail, UpdatedAt: a.clock()})
		if errors.Is(err, ErrConflict) {
			return false, nil
		}
		if err != nil {
			return false, unavailable("change email", err)
		}
		a.audit(ctx, slog.LevelInfo, EventUserUpdated, u.ID, slog.String("reason", "email_change"))
		if send != nil {
			e, err := a.verificationEmail(upd, callbackURL)
			if err != nil {
				return true, err
			}
			a.sendLater(ctx, "verification", send, e)
		}
		return true, nil
	}
	if confirm {
		tok, err := a.emailVerificationToken(u.Email, newEmail, "change-email-confirmation", u.ID)
		if err != nil {
			return false, err
		}
		a.sendLater(ctx, "change-email confirmation", cfg.SendChangeEmailConfirmation,
			Email{User: u, To: u.Email, URL: a.verifyEmailURL(tok, callbackURL), Token: tok, NewEmail: newEmail})
		return false, nil
	}
	tok, err := a.emailVerificationToken(u.Email, newEmail, "change-email-verification", u.ID)
	if err != nil {
		return false, err
	}
	nu := *u
	nu.Email = newEmail
	a.sendLater(ctx, "change-email verification", send, Email{User: &nu, To: newEmail, URL: a.verifyEmailURL(tok, callbackURL), Token: tok})
	return false, nil
}
