package betterauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// emailVerificationToken makes Better Auth's HS256 email-verification JWT.
func (a *Auth) emailVerificationToken(email, updateTo, requestType, userID string) (string, error) {
	claims := object{{"email", strings.ToLower(email)}}
	if updateTo != "" {
		claims = append(claims, kv{"updateTo", strings.ToLower(updateTo)})
	}
	if requestType != "" {
		claims = append(claims, kv{"requestType", requestType})
	}
	if userID != "" {
		claims = append(claims, kv{"userId", userID})
	}
	tok, err := signJWT(a.secret, claims, a.clock(), a.cfg.EmailVerification.ExpiresIn)
	if err != nil {
		return "", fmt.Errorf("betterauth: signing a token: %w", err)
	}
	return tok, nil
}

func (a *Auth) verifyEmailURL(token, callbackURL string) string {
	if callbackURL == "" {
		callbackURL = "/"
	}
	return a.link("/verify-email", "token="+token+"&callbackURL="+encodeURIComponent(callbackURL))
}

// verificationEmail builds the verification mail for u (to u.Email).
func (a *Auth) verificationEmail(u *User, callbackURL string) (Email, error) {
	tok, err := a.emailVerificationToken(u.Email, "", "", u.ID)
	if err != nil {
		return Email{}, err
	}
	return Email{User: u, To: u.Email, URL: a.verifyEmailURL(tok, callbackURL), Token: tok}, nil
}

// SendVerificationEmail mails a verification link. With a session (sd not
// nil) the email must be the session user's and not yet verified. Without
// one the answer is always nil after at least 500 ms, whether or not the
// address belongs to an unverified account, so it cannot be used to probe
// accounts; the mail then goes out in the background.
func (a *Auth) SendVerificationEmail(ctx context.Context, sd *SessionData, email, callbackURL string) error {
	send := a.cfg.EmailVerification.SendVerificationEmail
	if send == nil {
		return errVerificationEmailNotEnabled
	}
	if !ValidEmail(email) {
		return errInvalidEmail
	}
	if sd != nil {
		if !strings.EqualFold(sd.User.Email, email) {
			return errEmailMismatch
		}
		if sd.User.EmailVerified {
			return errEmailAlreadyVerified
		}
		e, err := a.verificationEmail(sd.User, callbackURL)
		if err != nil {
			return err
		}
		return a.sendNow(ctx, "verification", send, e)
	}
	floor := time.NewTimer(500 * time.Millisecond)
	defer floor.Stop()
	u, err := a.store.GetUserByEmail(ctx, email)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return unavailable("send verification email", err)
	case !u.EmailVerified:
		e, err := a.verificationEmail(u, callbackURL)
		if err != nil {
			return err
		}
		a.sendLater(ctx, "verification", send, e)
	}
	select {
	case <-floor.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// VerifyEmailResult is the outcome of VerifyEmail.
type VerifyEmailResult struct {
	// User is the updated user for change-email flows, nil otherwise (as
	// Better Auth answers).
	User *User
	// Session is a new session when AutoSignInAfterVerification signed the
	// user in.
	Session *Session
	// Challenge is a BeforeSignInHook's answer in place of that session.
	Challenge *Challenge
	// Cookies are AfterSignInHook cookies to set with the session's.
	Cookies []*http.Cookie
	// RefreshCookie: the caller's session cookie should be re-issued.
	RefreshCookie bool
}

// VerifyEmail checks an email-verification token (made here or by Better
// Auth with the same secret) and applies it: marks the email verified, or
// for change-email tokens mails the next link or switches the address. sd
// is the caller's session, if any. Failures are ErrTokenExpired,
// ErrInvalidToken, ErrUserNotFound or ErrInvalidUser.
func (a *Auth) VerifyEmail(ctx context.Context, sd *SessionData, token, callbackURL string, meta RequestMeta) (*VerifyEmailResult, error) {
	claims, err := verifyJWT(a.secret, token, a.clock())
	if errors.Is(err, errJWTExpired) {
		return nil, errTokenExpired
	}
	if err != nil {
		return nil, errInvalidToken
	}
	email, _ := claims["email"].(string)
	updateTo, _ := claims["updateTo"].(string)
	requestType, _ := claims["requestType"].(string)
	userID, _ := claims["userId"].(string)
	if !ValidEmail(email) {
		return nil, errInvalidToken
	}
	if updateTo != "" {
		return a.verifyEmailChange(ctx, sd, email, updateTo, requestType, userID, callbackURL)
	}
	u, err := a.store.GetUserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil, errUserNotFound
	}
	if err != nil {
		return nil, unavailable("verify email", err)
	}
	if userID != "" && userID != u.ID {
		return nil, errInvalidToken
	}
	res := &VerifyEmailResult{}
	if u.EmailVerified {
		return res, nil
	}
	verified := true
	if u, err = a.store.UpdateUser(ctx, u.ID, UserUpdate{EmailVerified: &verified, UpdatedAt: a.clock()}); err != nil {
		return nil, unavailable("verify email", err)
	}
	a.audit(ctx, slog.LevelInfo, EventUserUpdated, u.ID, slog.String("reason", "email_verified"))
	if a.cfg.EmailVerification.AutoSignInAfterVerification {
		if sd == nil || sd.User.Email != email {
			si, err := a.SignIn(ctx, SignIn{User: u, Method: SignInMethodVerifyEmail, Meta: meta})
			if err != nil {
				return nil, err
			}
			res.Session, res.Challenge, res.Cookies = si.Session, si.Challenge, si.Cookies
		} else {
			res.RefreshCookie = true
		}
	}
	return res, nil
}

func (a *Auth) verifyEmailChange(ctx context.Context, sd *SessionData, email, updateTo, requestType, userID, callbackURL string) (*VerifyEmailResult, error) {
	if userID == "" {
		return nil, errInvalidToken
	}
	u, err := a.store.GetUserByID(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return nil, errUserNotFound
	}
	if err != nil {
		return nil, unavailable("verify email", err)
	}
	if strings.ToLower(u.Email) != email {
		return nil, errInvalidToken
	}
	if sd != nil && sd.User.ID != u.ID {
		return nil, errInvalidUser
	}
	send := a.cfg.EmailVerification.SendVerificationEmail
	switch requestType {
	case "change-email-confirmation":
		tok, err := a.emailVerificationToken(email, updateTo, "change-email-verification", u.ID)
		if err != nil {
			return nil, err
		}
		if send != nil {
			nu := *u
			nu.Email = updateTo
			a.sendLater(ctx, "change-email verification", send, Email{User: &nu, To: updateTo, URL: a.verifyEmailURL(tok, callbackURL), Token: tok})
		}
		return &VerifyEmailResult{}, nil
	case "change-email-verification":
		upd, err := a.store.UpdateUser(ctx, u.ID, UserUpdate{Email: &updateTo, EmailVerified: &u.EmailVerified, UpdatedAt: a.clock()})
		if errors.Is(err, ErrConflict) {
			return nil, errUserAlreadyExists
		}
		if err != nil {
			return nil, unavailable("change email", err)
		}
		a.audit(ctx, slog.LevelInfo, EventUserUpdated, u.ID, slog.String("reason", "email_change"))
		return &VerifyEmailResult{User: upd, RefreshCookie: sd != nil}, nil
	default:
		unverified := false
		upd, err := a.store.UpdateUser(ctx, u.ID, UserUpdate{Email: &updateTo, EmailVerified: &unverified, UpdatedAt: a.clock()})
		if errors.Is(err, ErrConflict) {
			return nil, errUserAlreadyExists
		}
		if err != nil {
			return nil, unavailable("change email", err)
		}
		a.audit(ctx, slog.LevelInfo, EventUserUpdated, u.ID, slog.String("reason", "email_change"))
		if send != nil {
			if e, err := a.verificationEmail(upd, callbackURL); err == nil {
				a.sendLater(ctx, "verification", send, e)
			}
		}
		return &VerifyEmailResult{User: upd, RefreshCookie: sd != nil}, nil
	}
}
