package betterauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

func (a *Auth) checkPasswordLength(password string, min bool) error {
	if p := textProblem(password); p != "" {
		// Hashers normalize (NFKC), which would turn every invalid byte
		// into U+FFFD: "\xff" and "\xfe" would be the same password.
		return validationError("[body.password] Invalid input: " + p)
	}
	n := PasswordLength(password)
	if min && n < a.cfg.EmailAndPassword.MinPasswordLength {
		return errPasswordTooShort
	}
	if n > a.cfg.EmailAndPassword.MaxPasswordLength {
		return errPasswordTooLong
	}
	return nil
}

// passwordCheck is the outcome of checkPassword.
type passwordCheck int

const (
	passwordOK passwordCheck = iota
	passwordWrong
	passwordLocked
)

// String is the check's audit reason.
func (c passwordCheck) String() string {
	switch c {
	case passwordOK:
		return "ok"
	case passwordWrong:
		return "wrong_password"
	default:
		return "locked"
	}
}

// checkPassword checks password against the user's credential account
// under MaxFailedSignIns; sign-in, verify-password, change-password and
// delete-user all come through here. The attempt is counted first,
// atomically, so that parallel attempts can make at most the cap's worth of
// password checks: past the cap the answer is passwordLocked without a
// check (after the time a check takes, so timing does not show the lock).
// A wrong password stays counted; the one that reaches the cap writes
// EventLoginLock. A right one clears the count.
func (a *Auth) checkPassword(ctx context.Context, userID string, acct *Account, password string) (passwordCheck, error) {
	limit := int64(a.cfg.EmailAndPassword.MaxFailedSignIns)
	if limit <= 0 {
		ok, err := a.verifyPassword(ctx, acct, password)
		if err != nil || !ok {
			return passwordWrong, err
		}
		return passwordOK, nil
	}
	now := a.clock()
	n, err := a.store.IncrementVerification(ctx, a.storedIdentifier(failedSignInID(userID)), now, now.Add(a.cfg.EmailAndPassword.FailedSignInWindow))
	if err != nil {
		return passwordWrong, unavailable("count failed sign-ins", err)
	}
	if n > limit {
		if _, err := a.hasher.Hash(ctx, password); err != nil {
			return passwordWrong, fmt.Errorf("betterauth: hashing the password: %w", err)
		}
		return passwordLocked, nil
	}
	ok, err := a.verifyPassword(ctx, acct, password)
	if err != nil {
		return passwordWrong, err
	}
	if !ok {
		if n == limit {
			a.audit(ctx, slog.LevelWarn, EventLoginLock, userID, slog.Int64("failures", n))
		}
		return passwordWrong, nil
	}
	if err := a.clearFailedSignIns(ctx, a.store, userID); err != nil {
		return passwordWrong, err
	}
	return passwordOK, nil
}

// verifyPassword checks password against the account's hash. A hash the
// hasher cannot read is logged and treated as a wrong password (Better
// Auth answers 500 there).
func (a *Auth) verifyPassword(ctx context.Context, acct *Account, password string) (bool, error) {
	ok, err := a.hasher.Verify(ctx, acct.Password, password)
	if errors.Is(err, ErrInvalidPasswordHash) {
		a.logger.ErrorContext(ctx, "betterauth: unreadable password hash", "account", acct.ID)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("betterauth: verifying the password: %w", err)
	}
	return ok, nil
}

// checkCurrentPassword is checkPassword for the endpoints that confirm a
// signed-in user's password: a wrong password, or a locked account, is
// ErrInvalidPassword and an EventPasswordChangeFail record.
func (a *Auth) checkCurrentPassword(ctx context.Context, userID string, acct *Account, password, endpoint string) error {
	check, err := a.checkPassword(ctx, userID, acct, password)
	if err != nil {
		return err
	}
	if check != passwordOK {
		a.audit(ctx, slog.LevelWarn, EventPasswordChangeFail, userID, slog.String("reason", check.String()), slog.String("endpoint", endpoint))
		return errInvalidPassword
	}
	return nil
}

// failedSignInID is the verification identifier that counts a user's
// consecutive wrong passwords (checkPassword).
func failedSignInID(userID string) string { return "failed-sign-in:" + userID }

// clearFailedSignIns forgets the user's failures.
func (a *Auth) clearFailedSignIns(ctx context.Context, st Store, userID string) error {
	if a.cfg.EmailAndPassword.MaxFailedSignIns <= 0 {
		return nil
	}
	for _, id := range a.identifierForms(failedSignInID(userID)) {
		if _, err := st.ConsumeVerification(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			return unavailable("clear failed sign-ins", err)
		}
	}
	return nil
}
