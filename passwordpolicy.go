package betterauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// PasswordChecker vets a new password: one chosen at sign-up, at
// change-password or with a reset link, after the length checks. Package
// passwordcheck has two: Better Auth's haveIBeenPwned range check and a
// zxcvbn strength estimate.
//
// CheckPassword returns nil to accept the password and an *APIError (such
// as ErrPasswordCompromised or ErrPasswordTooWeak) to refuse it; that error
// is the answer the client gets. Any other error means the check could not
// be made (a remote service is down, say): the request then fails with
// ErrPasswordCheckUnavailable (HTTP 503), or the password is accepted under
// EmailAndPasswordConfig.PasswordCheckFailOpen. Implementations must be
// safe for concurrent use, honour ctx, and never put the password into an
// error or a log.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, password string) error
}

// PasswordCheckerFunc adapts a function to PasswordChecker.
type PasswordCheckerFunc func(ctx context.Context, password string) error

// CheckPassword calls f(ctx, password).
func (f PasswordCheckerFunc) CheckPassword(ctx context.Context, password string) error {
	return f(ctx, password)
}

var (
	// ErrPasswordCompromised is Better Auth's haveIBeenPwned refusal: the
	// password appears in a known breach.
	ErrPasswordCompromised = errPasswordCompromised.clone()
	// ErrPasswordTooWeak refuses a password a strength estimate finds too
	// easy to guess. The code is this library's: Better Auth has no
	// strength check.
	ErrPasswordTooWeak = errPasswordTooWeak.clone()
)

// ErrPasswordCheckUnavailable reports that a PasswordChecker could not make
// its check. It wraps ErrUnavailable, so the HTTP layer answers 503 and the
// client may try again (Better Auth answers 500 there).
var ErrPasswordCheckUnavailable = fmt.Errorf("%w: password check failed", ErrUnavailable)

// checkNewPassword applies the rules for a password about to be stored: the
// length bounds, then every configured PasswordChecker in order.
func (a *Auth) checkNewPassword(ctx context.Context, password string) error {
	if err := a.checkPasswordLength(password, true); err != nil {
		return err
	}
	ep := a.cfg.EmailAndPassword
	for _, c := range ep.PasswordCheckers {
		err := c.CheckPassword(ctx, password)
		if err == nil {
			continue
		}
		var ae *APIError
		if errors.As(err, &ae) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", ErrPasswordCheckUnavailable, ctx.Err())
		}
		if ep.PasswordCheckFailOpen {
			a.logger.WarnContext(ctx, "betterauth: password check failed; accepting the password unchecked", "err", err)
			continue
		}
		return fmt.Errorf("%w: %w", ErrPasswordCheckUnavailable, err)
	}
	return nil
}

// The values the library answers with. The exported errors are copies of
// them, so an importer that changes one changes nothing the library sends.
var (
	errPasswordCompromised = apiErr(http.StatusBadRequest, "PASSWORD_COMPROMISED", "The password you entered has been compromised. Please choose a different password.")
	errPasswordTooWeak     = apiErr(http.StatusBadRequest, "PASSWORD_TOO_WEAK", "Password is too weak")
)
