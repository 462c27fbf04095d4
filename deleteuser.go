package betterauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-betterauth/betterauth/internal/randid"
)

// DeleteUserInput is what POST /delete-user takes.
type DeleteUserInput struct {
	// Password, when set, must be the user's.
	Password *string
	// Token is a delete-account token from the confirmation mail.
	Token string
	// CallbackURL is put into the confirmation link.
	CallbackURL string
}

// DeleteUser deletes the caller's account with its sessions and accounts,
// as Better Auth's delete-user does: a given password must match; a token
// from the confirmation mail deletes at once; with
// SendDeleteAccountVerification configured a confirmation mail is sent
// instead (deleted reports false); otherwise, without password, the session
// must be fresh (ErrSessionExpired). It answers ErrDeleteUserDisabled unless
// User.DeleteUser.Enabled.
func (a *Auth) DeleteUser(ctx context.Context, sd *SessionData, in DeleteUserInput) (deleted bool, err error) {
	cfg := a.cfg.User.DeleteUser
	if !cfg.Enabled {
		return false, errDeleteUserDisabled
	}
	if in.Password != nil && *in.Password != "" {
		if err := a.checkPasswordLength(*in.Password, false); err != nil {
			return false, err
		}
		acct, err := a.credentialAccount(ctx, sd.User.ID)
		if err != nil {
			return false, err
		}
		if acct == nil || acct.Password == "" {
			return false, errCredentialAccountNotFound
		}
		if err := a.checkCurrentPassword(ctx, sd.User.ID, acct, *in.Password, "delete_user"); err != nil {
			return false, err
		}
	}
	if in.Token != "" {
		return true, a.deleteUserWithToken(ctx, sd.User.ID, in.Token)
	}
	if send := cfg.SendDeleteAccountVerification; send != nil {
		token, err := randid.String(32, "0123456789abcdefghijklmnopqrstuvwxyz")
		if err != nil {
			return false, fmt.Errorf("betterauth: delete token: %w", err)
		}
		v, err := a.createVerification(ctx, a.store, "delete-account-"+token, sd.User.ID, cfg.DeleteTokenExpiresIn)
		if err != nil {
			return false, err
		}
		cb := in.CallbackURL
		if cb == "" {
			cb = "/"
		}
		a.audit(ctx, slog.LevelInfo, EventTokenCreated, sd.User.ID, slog.String("reason", "delete_account"))
		url := a.link("/delete-user/callback", "token="+token+"&callbackURL="+encodeURIComponent(cb))
		if err := a.sendNow(ctx, "delete account", send, Email{User: sd.User, To: sd.User.Email, URL: url, Token: token}); err != nil {
			if _, derr := a.store.ConsumeVerification(ctx, v.Identifier); derr != nil && !errors.Is(derr, ErrNotFound) {
				a.logger.ErrorContext(ctx, "betterauth: removing an unsent delete link failed", "err", derr)
			}
			return false, err
		}
		return false, nil
	}
	if in.Password == nil || *in.Password == "" {
		if !a.isFresh(sd.Session) {
			return false, errSessionExpired
		}
	}
	return true, a.deleteUser(ctx, sd.User.ID)
}

// DeleteUserWithToken deletes the user with a token from the confirmation
// mail; the token must have been issued to that user (ErrInvalidToken).
func (a *Auth) DeleteUserWithToken(ctx context.Context, userID, token string) error {
	if !a.cfg.User.DeleteUser.Enabled {
		return errDeleteUserDisabled
	}
	return a.deleteUserWithToken(ctx, userID, token)
}

func (a *Auth) deleteUserWithToken(ctx context.Context, userID, token string) error {
	err := a.inTx(ctx, "delete user", func(ctx context.Context, tx Store) error {
		v, err := a.consumeVerification(ctx, tx, "delete-account-"+token)
		if err != nil {
			return err
		}
		if v == nil || v.Value != userID {
			return &APIError{Status: http.StatusNotFound, Code: errInvalidToken.Code, Message: errInvalidToken.Message}
		}
		if err := a.beforeDeleteUser(ctx, tx, userID); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, userID); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	})
	if err == nil {
		a.audit(ctx, slog.LevelInfo, EventUserDeleted, userID, slog.String("reason", "confirmation_link"))
	}
	return err
}

func (a *Auth) deleteUser(ctx context.Context, userID string) error {
	if len(a.hooks.beforeDeleteUser) > 0 {
		// Only with hooks: without, the delete stays one statement.
		err := a.inTx(ctx, "delete user", func(ctx context.Context, tx Store) error {
			if err := a.beforeDeleteUser(ctx, tx, userID); err != nil {
				return err
			}
			if err := tx.DeleteUser(ctx, userID); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else if err := a.store.DeleteUser(ctx, userID); err != nil && !errors.Is(err, ErrNotFound) {
		return unavailable("delete user", err)
	}
	a.audit(ctx, slog.LevelInfo, EventUserDeleted, userID)
	return nil
}

// beforeDeleteUser runs the BeforeDeleteUser hooks in tx.
func (a *Auth) beforeDeleteUser(ctx context.Context, tx Store, userID string) error {
	for _, h := range a.hooks.beforeDeleteUser {
		if err := h.BeforeDeleteUser(ctx, tx, userID); err != nil {
			return wrapHook(err)
		}
	}
	return nil
}
