package betterauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-betterauth/betterauth/internal/randid"
	"github.com/go-betterauth/betterauth/schema"
)

// SignUpInput is what POST /sign-up/email takes.
type SignUpInput struct {
	Name     string
	Email    string
	Password string
	Image    *string
	// RememberMe false makes a one-day, browser-session session.
	RememberMe *bool
	// Additional holds client-supplied additional user fields by logical
	// name; fields marked NoInput are refused (or take their default).
	Additional map[string]any
	// CallbackURL is where the verification link leads, if one is sent.
	CallbackURL string
	Meta        RequestMeta
}

// AuthResult is the outcome of a sign-up or sign-in.
type AuthResult struct {
	User *User
	// Session is nil when no session was created (auto sign-in disabled,
	// or a BeforeSignInHook answered a Challenge).
	Session *Session
	// Challenge is a BeforeSignInHook's answer in place of a session.
	Challenge *Challenge
	// Cookies are AfterSignInHook cookies to set with the session's.
	Cookies []*http.Cookie
}

// SignUpEmail creates a user with a password (and a credential account
// holding its hash) and, unless auto sign-in is disabled, a session, all in
// one transaction. The name must be at most MaxNameLength long; name,
// image and password must be valid UTF-8 without NUL (VALIDATION_ERROR). An existing email is ErrUserAlreadyExists, except with
// DisableAutoSignIn, where the answer looks like a success (a synthetic
// user, nothing written) so that sign-up cannot be used to probe accounts.
func (a *Auth) SignUpEmail(ctx context.Context, in SignUpInput) (*AuthResult, error) {
	ep := a.cfg.EmailAndPassword
	if ep.Disabled || ep.DisableSignUp {
		return nil, errEmailPasswordSignUpDisabled
	}
	if !ValidEmail(in.Email) {
		return nil, errInvalidEmail
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if in.Image != nil {
		if err := checkText("body.image", *in.Image); err != nil {
			return nil, err
		}
	}
	if in.Password == "" {
		return nil, errInvalidPassword
	}
	if err := a.checkNewPassword(ctx, in.Password); err != nil {
		return nil, err
	}
	add, err := a.parseAdditionalInput(a.layout.User, in.Additional, true)
	if err != nil {
		return nil, err
	}
	email := strings.ToLower(in.Email)
	generic := ep.DisableAutoSignIn || ep.RequireEmailVerification
	noSession := generic
	if _, err := a.store.GetUserByEmail(ctx, email); err == nil {
		if !generic {
			return nil, errUserAlreadyExists
		}
		return a.syntheticSignUp(ctx, in, email, add)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, unavailable("sign up", err)
	}
	hash, err := a.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, fmt.Errorf("betterauth: hashing the password: %w", err)
	}
	now := a.clock()
	res := &AuthResult{}
	err = a.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		u := &User{Name: in.Name, Email: email, Image: in.Image, CreatedAt: now, UpdatedAt: now, Additional: add}
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
		acct := &Account{AccountID: u.ID, ProviderID: ProviderCredential, UserID: u.ID, Password: hash, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateAccount(ctx, acct); err != nil {
			return err
		}
		res.User = u
		if noSession {
			return nil
		}
		si, err := a.SignIn(ctx, SignIn{User: u, Method: SignInMethodSignUp, DontRemember: in.RememberMe != nil && !*in.RememberMe, Meta: in.Meta, tx: tx})
		if err != nil {
			return err
		}
		res = si
		return nil
	})
	var he *hookError
	switch {
	case errors.As(err, &he):
		return nil, err
	case errors.Is(err, ErrConflict):
		if generic {
			return a.syntheticSignUp(ctx, in, email, add)
		}
		return nil, errUserAlreadyExists // lost a race with a concurrent sign-up
	case errors.Is(err, schema.ErrInvalidField):
		return nil, validationError(err.Error())
	case errors.Is(err, ErrUnavailable):
		return nil, err
	case err != nil:
		return nil, unavailable("sign up", err)
	}
	a.audit(ctx, slog.LevelInfo, EventUserCreated, res.User.ID)
	if res.Session != nil {
		a.audit(ctx, slog.LevelInfo, EventLoginSuccess, res.User.ID, slog.String("reason", "sign_up"))
	}
	ev := a.cfg.EmailVerification
	if send := ev.SendVerificationEmail; send != nil && (ev.SendOnSignUp || ep.RequireEmailVerification) {
		e, err := a.verificationEmail(res.User, in.CallbackURL)
		if err != nil {
			return nil, err
		}
		a.sendLater(ctx, "verification", send, e)
	}
	return res, nil
}

func (a *Auth) syntheticSignUp(ctx context.Context, in SignUpInput, email string, add map[string]any) (*AuthResult, error) {
	// Spend the time a real sign-up spends hashing, so timing tells nothing either.
	if _, err := a.hasher.Hash(ctx, in.Password); err != nil {
		return nil, fmt.Errorf("betterauth: hashing the password: %w", err)
	}
	id, err := randid.ID()
	if err != nil {
		return nil, fmt.Errorf("betterauth: %w", err)
	}
	now := a.clock()
	return &AuthResult{User: &User{ID: id, Name: in.Name, Email: email, Image: in.Image, CreatedAt: now, UpdatedAt: now, Additional: add}}, nil
}
