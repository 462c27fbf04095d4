package betterauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-betterauth/betterauth/internal/randid"
)

// User is a row of Better Auth's user table.
type User struct {
	// ID is the primary key: 32 characters of [A-Za-z0-9] by default, a uuid
	// in IDModeUUID.
	ID string
	// Name is the display name. Layouts where the column is nullable read
	// NULL as "".
	Name string
	// Email is stored in lower case and is unique.
	Email string
	// EmailVerified reports whether the user proved they own Email.
	EmailVerified bool
	// Image is a URL of the user's picture, or nil.
	Image *string
	// CreatedAt and UpdatedAt are UTC.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Additional holds the values of the schema's additional user fields,
	// keyed by their logical name. See AdditionalField for the Go types.
	Additional map[string]any
}

// UserUpdate names the user columns to change; nil fields are left alone.
type UserUpdate struct {
	Name          *string
	Email         *string
	EmailVerified *bool
	// Image sets the picture URL; a pointer to "" stores NULL.
	Image *string
	// Additional sets additional fields by logical name; a nil value stores NULL.
	Additional map[string]any
	// UpdatedAt is written as is; when zero the store writes now.
	UpdatedAt time.Time
}

// emailRE is the email rule of zod 4's z.email(), which Better Auth uses.
var emailRE = regexp.MustCompile(`^(?:[A-Za-z0-9_'+\-]+(?:\.[A-Za-z0-9_'+\-]+)*)@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`)

// ValidEmail reports whether s is an email address Better Auth accepts and
// at most MaxEmailLength characters long (Better Auth has no limit; a
// longer address would fail in PostgreSQL's index).
func ValidEmail(s string) bool { return len(s) <= MaxEmailLength && emailRE.MatchString(s) }

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
	case errors.Is(err, ErrInvalidField):
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

// parseAdditionalInput applies Better Auth's input rules for additional
// fields: unknown keys are ignored, NoInput fields take their default on
// create and refuse a truthy value, a missing required field without
// default is an error on create.
func (a *Auth) parseAdditionalInput(t *Table, data map[string]any, create bool) (map[string]any, error) {
	out := map[string]any{}
	for _, c := range t.AdditionalColumns() {
		v, present := data[c.Field]
		if present {
			if c.NoInput {
				if c.Default != nil && create {
					out[c.Field] = c.Default
					continue
				}
				if truthy(v) {
					return nil, &APIError{Status: http.StatusBadRequest, Code: errFieldNotAllowed.Code, Message: c.Field + " is not allowed to be set"}
				}
				continue
			}
			nv, err := c.Normalize(v)
			if err != nil {
				return nil, validationError(fmt.Sprintf("[body.%s] Invalid input: expected %s", c.Field, c.Type))
			}
			out[c.Field] = nv
			continue
		}
		if create && c.Default != nil {
			out[c.Field] = c.Default
			continue
		}
		if create && c.Required {
			return nil, &APIError{Status: http.StatusBadRequest, Code: "MISSING_FIELD", Message: c.Field + " is required"}
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// truthy is JavaScript's truthiness for decoded JSON values.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0
	case int64:
		return x != 0
	case int:
		return x != 0
	}
	return true
}

// SignInInput is what POST /sign-in/email takes.
type SignInInput struct {
	Email    string
	Password string
	// RememberMe false makes a one-day, browser-session session.
	RememberMe *bool
	// CallbackURL is where a re-sent verification link leads.
	CallbackURL string
	Meta        RequestMeta
}

// SignInEmail checks the password and creates a session. Every failure
// (unknown email, no password, wrong password) is the same
// ErrInvalidEmailOrPassword, and an unknown email still costs one hash, so
// neither the answer nor its time tells whether the account exists.
func (a *Auth) SignInEmail(ctx context.Context, in SignInInput) (*AuthResult, error) {
	if a.cfg.EmailAndPassword.Disabled {
		return nil, errEmailPasswordDisabled
	}
	if !ValidEmail(in.Email) {
		return nil, errInvalidEmail
	}
	if err := a.checkPasswordLength(in.Password, false); err != nil {
		return nil, err
	}
	u, acct, err := a.credentials(ctx, strings.ToLower(in.Email))
	if err != nil {
		return nil, err
	}
	if acct == nil || acct.Password == "" {
		if _, err := a.hasher.Hash(ctx, in.Password); err != nil {
			return nil, fmt.Errorf("betterauth: hashing the password: %w", err)
		}
		userID, reason := "", "unknown_user"
		if u != nil {
			userID, reason = u.ID, "no_password" // a user without a credential account
		}
		a.audit(ctx, slog.LevelWarn, EventLoginFail, userID, slog.String("reason", reason))
		return nil, errInvalidEmailOrPassword
	}
	switch check, err := a.checkPassword(ctx, u.ID, acct, in.Password); {
	case err != nil:
		return nil, err
	case check != passwordOK:
		a.audit(ctx, slog.LevelWarn, EventLoginFail, u.ID, slog.String("reason", check.String()))
		return nil, errInvalidEmailOrPassword
	}
	a.rehashIfOutdated(ctx, acct, in.Password)
	if a.cfg.EmailAndPassword.RequireEmailVerification && !u.EmailVerified {
		a.audit(ctx, slog.LevelWarn, EventLoginFail, u.ID, slog.String("reason", "email_not_verified"))
		ev := a.cfg.EmailVerification
		if ev.SendVerificationEmail != nil && ev.SendOnSignIn {
			e, err := a.verificationEmail(u, in.CallbackURL)
			if err != nil {
				return nil, err
			}
			a.sendLater(ctx, "verification", ev.SendVerificationEmail, e)
		}
		return nil, errEmailNotVerified
	}
	res, err := a.SignIn(ctx, SignIn{User: u, Method: SignInMethodEmail, DontRemember: in.RememberMe != nil && !*in.RememberMe, Meta: in.Meta})
	if err != nil {
		return nil, err
	}
	if res.Session != nil {
		a.audit(ctx, slog.LevelInfo, EventLoginSuccess, u.ID)
	}
	return res, nil
}

// credentials returns the user with that email and its credential account;
// (nil, nil, nil) when either is missing.
func (a *Auth) credentials(ctx context.Context, email string) (*User, *Account, error) {
	u, err := a.store.GetUserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, unavailable("sign in", err)
	}
	acct, err := a.credentialAccount(ctx, u.ID)
	return u, acct, err
}

// credentialAccount returns the user's credential account, or nil.
func (a *Auth) credentialAccount(ctx context.Context, userID string) (*Account, error) {
	acct, err := a.store.GetAccount(ctx, ProviderCredential, userID)
	if errors.Is(err, ErrNotFound) || (err == nil && acct.UserID != userID) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("credential account", err)
	}
	return acct, nil
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

// SignOut deletes the session with that token (a missing one is fine).
func (a *Auth) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	userID := ""
	if a.auditLogger.Enabled(ctx, slog.LevelInfo) {
		// Only the audit record needs to know whose session it was.
		if s, _, err := a.store.GetSessionByToken(ctx, a.storedToken(token)); err == nil {
			userID = s.UserID
		}
	}
	err := a.store.DeleteSession(ctx, a.storedToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return unavailable("sign out", err)
	}
	a.audit(ctx, slog.LevelInfo, EventSessionExpired, userID, slog.String("reason", "logout"))
	return nil
}

// UpdateUserInput is what POST /update-user takes: the name, the image
// (a pointer to "" clears it) and additional fields. Email is not
// updatable here.
type UpdateUserInput struct {
	Name       *string
	Image      *string
	Additional map[string]any
}

// UpdateUser changes the user's name, image and additional fields and
// returns the stored user. The name obeys SignUpEmail's rules.
func (a *Auth) UpdateUser(ctx context.Context, userID string, in UpdateUserInput) (*User, error) {
	if in.Name != nil {
		if err := checkName(*in.Name); err != nil {
			return nil, err
		}
	}
	if in.Image != nil {
		if err := checkText("body.image", *in.Image); err != nil {
			return nil, err
		}
	}
	add, err := a.parseAdditionalInput(a.layout.User, in.Additional, false)
	if err != nil {
		return nil, err
	}
	if in.Name == nil && in.Image == nil && len(add) == 0 {
		return nil, errNoFieldsToUpdate
	}
	u, err := a.store.UpdateUser(ctx, userID, UserUpdate{Name: in.Name, Image: in.Image, Additional: add, UpdatedAt: a.clock()})
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, errUserNotFound
	case errors.Is(err, ErrInvalidField):
		return nil, validationError(err.Error())
	case err != nil:
		return nil, unavailable("update user", err)
	}
	return u, nil
}

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
			if derr := a.store.DeleteVerification(ctx, v.ID); derr != nil && !errors.Is(derr, ErrNotFound) {
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

// inTx runs fn in a transaction; store failures become ErrUnavailable and
// APIErrors and hook errors pass through.
func (a *Auth) inTx(ctx context.Context, op string, fn func(ctx context.Context, tx Store) error) error {
	err := a.store.InTx(ctx, fn)
	var ae *APIError
	var he *hookError
	if err != nil && !errors.As(err, &ae) && !errors.As(err, &he) && !errors.Is(err, ErrUnavailable) {
		return unavailable(op, err)
	}
	return err
}

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

// rehashIfOutdated replaces a stored hash the hasher calls outdated (a
// Better Auth scrypt hash under Argon2idHasher, say) with a fresh one, now
// that the password is known. A failure only costs the upgrade: it is logged.
func (a *Auth) rehashIfOutdated(ctx context.Context, acct *Account, password string) {
	rh, ok := a.hasher.(Rehasher)
	if !ok || !rh.NeedsRehash(acct.Password) {
		return
	}
	hash, err := a.hasher.Hash(ctx, password)
	if err == nil {
		_, err = a.store.UpdateAccount(ctx, acct.ID, AccountUpdate{Password: &hash, UpdatedAt: a.clock()})
	}
	if err != nil {
		a.logger.WarnContext(ctx, "betterauth: upgrading a password hash failed", "account", acct.ID, "err", err)
	}
}
