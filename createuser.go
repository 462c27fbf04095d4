package betterauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/go-betterauth/betterauth/schema"
)

// CreateUser creates u (email lower-cased; the id, timestamps and
// additional-field defaults filled in) and the accounts given, each bound to
// u, in one transaction through the BeforeCreateUser and AfterCreateUser
// hooks, as Better Auth's createUser and createAccount do for a sign-up by
// another means than a password (an OAuth callback, say). It does not sign
// the user in: call SignIn next. A taken email wraps ErrConflict; a
// refusing hook's error is returned as is; a store failure wraps
// ErrUnavailable.
func (a *Auth) CreateUser(ctx context.Context, u *User, accounts ...*Account) error {
	if u == nil || !ValidEmail(u.Email) {
		return errInvalidEmail
	}
	now := a.clock()
	u.Email = strings.ToLower(u.Email)
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = now
	}
	err := a.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		for _, h := range a.hooks.beforeCreateUser {
			if err := h.BeforeCreateUser(ctx, tx, u); err != nil {
				return wrapHook(err)
			}
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		for _, h := range a.hooks.afterCreateUser {
			if err := h.AfterCreateUser(ctx, tx, u); err != nil {
				return wrapHook(err)
			}
		}
		for _, acct := range accounts {
			acct.UserID = u.ID
			if acct.CreatedAt.IsZero() {
				acct.CreatedAt = now
			}
			if acct.UpdatedAt.IsZero() {
				acct.UpdatedAt = now
			}
			if err := tx.CreateAccount(ctx, acct); err != nil {
				return err
			}
		}
		return nil
	})
	var he *hookError
	switch {
	case err == nil:
	case errors.As(err, &he):
		return err
	case errors.Is(err, ErrConflict):
		return fmt.Errorf("betterauth: create user: %w", ErrConflict)
	case errors.Is(err, schema.ErrInvalidField):
		return validationError(err.Error())
	default:
		return unavailable("create user", err)
	}
	a.audit(ctx, slog.LevelInfo, EventUserCreated, u.ID)
	return nil
}

// URL is the absolute URL of an endpoint of the Handler: BaseURL, BasePath
// (unless BaseURL has a path of its own) and path ("/callback/github").
// Plugins build links and redirect URIs with it, as Better Auth's
// ctx.context.baseURL + path.
func (a *Auth) URL(path string) string { return a.link(path, "") }
