package betterauth

import (
	"context"
	"fmt"
	"log/slog"
)

// ChangePassword replaces the user's password after checking the current
// one. With revokeOtherSessions every session of the user is deleted and a
// new one is returned (its token replaces the caller's cookie); otherwise
// the returned session is nil.
func (a *Auth) ChangePassword(ctx context.Context, userID, current, next string, revokeOtherSessions bool, meta RequestMeta) (*Session, error) {
	if err := a.checkNewPassword(ctx, next); err != nil {
		return nil, err
	}
	if err := a.checkPasswordLength(current, false); err != nil {
		return nil, err
	}
	acct, err := a.credentialAccount(ctx, userID)
	if err != nil {
		return nil, err
	}
	if acct == nil || acct.Password == "" {
		return nil, errCredentialAccountNotFound
	}
	hash, err := a.hasher.Hash(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("betterauth: hashing the password: %w", err)
	}
	if err := a.checkCurrentPassword(ctx, userID, acct, current, "change_password"); err != nil {
		return nil, err
	}
	var s *Session
	err = a.inTx(ctx, "change password", func(ctx context.Context, tx Store) error {
		if revokeOtherSessions {
			if _, err := tx.DeleteUserSessions(ctx, userID, ""); err != nil {
				return err
			}
		}
		if _, err := tx.UpdateAccount(ctx, acct.ID, AccountUpdate{Password: &hash, UpdatedAt: a.clock()}); err != nil {
			return err
		}
		if revokeOtherSessions {
			var err error
			s, err = a.createSession(ctx, tx, userID, SessionOptions{Meta: meta})
			return err
		}
		return nil
	})
	if err == nil {
		a.audit(ctx, slog.LevelInfo, EventPasswordChange, userID, slog.String("reason", "change_password"), slog.Bool("revoked_other_sessions", revokeOtherSessions))
	}
	return s, err
}

// VerifyPassword reports ErrInvalidPassword unless password is the user's.
func (a *Auth) VerifyPassword(ctx context.Context, userID, password string) error {
	if err := a.checkPasswordLength(password, false); err != nil {
		return err
	}
	acct, err := a.credentialAccount(ctx, userID)
	if err != nil {
		return err
	}
	if acct == nil || acct.Password == "" {
		return errInvalidPassword
	}
	return a.checkCurrentPassword(ctx, userID, acct, password, "verify_password")
}
