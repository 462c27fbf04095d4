package betterauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-betterauth/betterauth/internal/randid"
)

// Verification is a row of Better Auth's verification table: a value (such
// as a user id) stored under an identifier (such as "reset-password:<token>")
// until ExpiresAt.
type Verification struct {
	ID         string
	Identifier string
	Value      string
	ExpiresAt  time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Verification errors, as Better Auth words them.
var (
	ErrInvalidToken                = errInvalidToken.clone()
	ErrTokenExpired                = errTokenExpired.clone()
	ErrEmailNotVerified            = errEmailNotVerified.clone()
	ErrVerificationEmailNotEnabled = errVerificationEmailNotEnabled.clone()
	ErrEmailAlreadyVerified        = errEmailAlreadyVerified.clone()
	ErrEmailMismatch               = errEmailMismatch.clone()
	ErrResetPasswordDisabled       = errResetPasswordDisabled.clone()
	ErrChangeEmailDisabled         = errChangeEmailDisabled.clone()
	ErrEmailIsTheSame              = errEmailIsTheSame.clone()
	ErrInvalidUser                 = errInvalidUser.clone()
)

// resetPrefix starts the identifier of a reset link's row.
const resetPrefix = "reset-password:"

// resetMessage is request-password-reset's answer, the same whether or not
// the email belongs to an account.
const resetMessage = "If this email exists in our system, check your email for the reset link"

// storedIdentifier is the identifier as written to the table.
func (a *Auth) storedIdentifier(identifier string) string {
	if !a.cfg.Verification.StoreIdentifierHashed {
		return identifier
	}
	sum := sha256.Sum256([]byte(identifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// createVerification stores value under identifier for ttl.
func (a *Auth) createVerification(ctx context.Context, st Store, identifier, value string, ttl time.Duration) (*Verification, error) {
	now := a.clock()
	v := &Verification{Identifier: a.storedIdentifier(identifier), Value: value, ExpiresAt: now.Add(ttl), CreatedAt: now, UpdatedAt: now}
	if err := st.CreateVerification(ctx, v); err != nil {
		return nil, unavailable("create verification", err)
	}
	return v, nil
}

// findVerification returns the live row under identifier (hashed form
// first, then plain), or nil: an expired row reads as absent.
func (a *Auth) findVerification(ctx context.Context, identifier string) (*Verification, error) {
	for _, id := range a.identifierForms(identifier) {
		v, err := a.store.GetVerification(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, unavailable("get verification", err)
		}
		if !v.ExpiresAt.After(a.clock()) {
			return nil, nil
		}
		return v, nil
	}
	return nil, nil
}

// consumeVerification atomically takes the row under identifier; nil when
// there is none or it has expired (it is deleted either way). Of concurrent
// callers, one gets it.
func (a *Auth) consumeVerification(ctx context.Context, st Store, identifier string) (*Verification, error) {
	for _, id := range a.identifierForms(identifier) {
		v, err := st.ConsumeVerification(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, unavailable("consume verification", err)
		}
		if !v.ExpiresAt.After(a.clock()) {
			return nil, nil
		}
		return v, nil
	}
	return nil, nil
}

func (a *Auth) identifierForms(identifier string) []string {
	if a.cfg.Verification.StoreIdentifierHashed {
		return []string{a.storedIdentifier(identifier), identifier}
	}
	return []string{identifier}
}

// link builds <baseURL><basePath><path>?<query>.
func (a *Auth) link(path string, query string) string {
	base := strings.TrimRight(a.baseURL.String(), "/")
	if a.baseURL.Path == "" || a.baseURL.Path == "/" {
		base += a.basePath
	}
	if query != "" {
		return base + path + "?" + query
	}
	return base + path
}

// encodeURIComponent escapes s as JavaScript's encodeURIComponent does.
func encodeURIComponent(s string) string { return encodeCookieValue(s) }

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
	if err := a.store.DeleteVerification(ctx, v.ID); err != nil && !errors.Is(err, ErrNotFound) {
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

// CleanupResult counts what DeleteExpired removed.
type CleanupResult struct {
	Sessions      int64
	Verifications int64
}

// cleanupBatch bounds one DELETE, so cleanup never holds long locks.
const cleanupBatch = 1000

// DeleteExpired removes expired sessions and verification rows in batches
// of 1000 (cheap with the expiresAt indexes) and reports how many it
// removed. Expired rows read as absent whether or not this runs.
func (a *Auth) DeleteExpired(ctx context.Context) (CleanupResult, error) {
	var res CleanupResult
	now := a.clock()
	for {
		n, err := a.store.DeleteExpiredSessions(ctx, now, cleanupBatch)
		if err != nil {
			return res, unavailable("delete expired sessions", err)
		}
		res.Sessions += n
		if n < cleanupBatch {
			break
		}
	}
	for {
		n, err := a.store.DeleteExpiredVerifications(ctx, now, cleanupBatch)
		if err != nil {
			return res, unavailable("delete expired verifications", err)
		}
		res.Verifications += n
		if n < cleanupBatch {
			break
		}
	}
	return res, nil
}

// StartCleanup runs DeleteExpired every interval (default 1 hour) until
// the returned stop function or Shutdown is called. Failures are logged.
func (a *Auth) StartCleanup(interval time.Duration) (stop func()) {
	if interval <= 0 {
		interval = time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				res, err := a.DeleteExpired(ctx)
				if err != nil && ctx.Err() == nil {
					a.logger.ErrorContext(ctx, "betterauth: cleanup failed", "err", err)
				} else if res.Sessions+res.Verifications > 0 {
					a.logger.InfoContext(ctx, "betterauth: cleanup", "sessions", res.Sessions, "verifications", res.Verifications)
				}
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	a.cleanupMu.Lock()
	if a.stopCleanup != nil {
		a.stopCleanup()
	}
	a.stopCleanup = stop
	a.cleanupMu.Unlock()
	return stop
}

// The values the library answers with. The exported errors are copies of
// them, so an importer that changes one changes nothing the library sends.
var (
	errInvalidToken                = apiErr(http.StatusBadRequest, "INVALID_TOKEN", "Invalid token")
	errTokenExpired                = apiErr(http.StatusUnauthorized, "TOKEN_EXPIRED", "Token expired")
	errEmailNotVerified            = apiErr(http.StatusForbidden, "EMAIL_NOT_VERIFIED", "Email not verified")
	errVerificationEmailNotEnabled = apiErr(http.StatusBadRequest, "VERIFICATION_EMAIL_NOT_ENABLED", "Verification email isn't enabled")
	errEmailAlreadyVerified        = apiErr(http.StatusBadRequest, "EMAIL_ALREADY_VERIFIED", "Email is already verified")
	errEmailMismatch               = apiErr(http.StatusBadRequest, "EMAIL_MISMATCH", "Email mismatch")
	errResetPasswordDisabled       = apiErr(http.StatusBadRequest, "RESET_PASSWORD_DISABLED", "Reset password isn't enabled")
	errChangeEmailDisabled         = apiErr(http.StatusBadRequest, "CHANGE_EMAIL_DISABLED", "Change email is disabled")
	errEmailIsTheSame              = &APIError{Status: http.StatusBadRequest, Message: "Email is the same"}
	errInvalidUser                 = apiErr(http.StatusUnauthorized, "INVALID_USER", "Invalid user")
)
