// Package twofactor is Better Auth's twoFactor() plugin for betterauth: a
// second factor after the password — TOTP from an authenticator app,
// one-time codes sent by the application (mail, SMS), backup codes — and
// trusted devices that skip it for 30 days.
//
// It is data-compatible with Better Auth 1.7.25: the same twoFactor table
// and user.twoFactorEnabled column, the TOTP secret and the backup codes
// encrypted with Better Auth's symmetricEncrypt under the shared secret,
// the same two_factor and trust_device cookies and verification rows, the
// same endpoints under /two-factor/, answers, error codes and attempt
// limits. A user enrolled on a Better Auth server is challenged and
// verified by a Go one sharing its database, and the reverse.
//
// A password sign-in by a user with two-factor enabled creates no session:
// it answers {"twoFactorRedirect": true, "twoFactorMethods": [...]} with a
// signed two_factor cookie (10 minutes), and one of verify-totp,
// verify-otp or verify-backup-code completes it. Options.SignInMethods
// extends the challenge to other sign-in methods.
//
// Beyond Better Auth: Options.RejectReusedCodes accepts each TOTP code
// once (Better Auth accepts a code again within its window), codes are
// compared in constant time, a failed verification is counted and the
// account locked in one atomic write, and a session replaced by enable,
// disable or a first verification keeps its rememberMe choice.
package twofactor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// ID is the plugin's id, as Better Auth's.
const ID = "two-factor"

// Model is the logical name of the plugin's table (Better Auth's
// "twoFactor"); rename it with betterauth's Schema.Models["twoFactor"].
const Model = "twoFactor"

// The plugin's cookies (without the "better-auth." prefix; see
// betterauth.Auth.CookieName).
const (
	// ChallengeCookie carries a pending sign-in's challenge id.
	ChallengeCookie = "two_factor"
	// TrustDeviceCookie marks a device that skips the second factor.
	TrustDeviceCookie = "trust_device"
)

// The sign-in methods challenged by default: Better Auth's plugin
// challenges /sign-in/email, /sign-in/username and /sign-in/phone-number.
const (
	SignInMethodUsername    = "username"
	SignInMethodPhoneNumber = "phone-number"
)

// OTPStorage is how a one-time code is kept in the verification table
// (Better Auth's otpOptions.storeOTP).
type OTPStorage string

// The storages Better Auth offers.
const (
	OTPPlain     OTPStorage = "plain"     // the default
	OTPHashed    OTPStorage = "hashed"    // base64url(SHA-256(code)), no padding
	OTPEncrypted OTPStorage = "encrypted" // symmetricEncrypt with the secret
)

// Options configure the plugin; the zero value is Better Auth's
// twoFactor() with TOTP and backup codes and no OTP (set SendOTP).
type Options struct {
	// Issuer names the service in authenticator apps (issuer); default
	// "Better Auth", Better Auth's appName default. The enable request may
	// give its own.
	Issuer string
	// Digits of a TOTP code (totpOptions.digits), 1 to 8; default 6.
	Digits int
	// Period of a TOTP code (totpOptions.period), whole seconds; default 30 s.
	Period time.Duration
	// DisableTOTP turns TOTP off (totpOptions.disable): only OTP and backup
	// codes remain.
	DisableTOTP bool
	// SkipVerificationOnEnable enables two-factor at once on enable,
	// without a first verify-totp (skipVerificationOnEnable).
	SkipVerificationOnEnable bool
	// AllowPasswordless lets users without a password (social sign-in
	// only) enable, disable and manage two-factor without one
	// (allowPasswordless). Users with a password must still give it.
	AllowPasswordless bool

	// BackupCodeAmount is how many backup codes are made
	// (backupCodeOptions.amount); default 10.
	BackupCodeAmount int
	// BackupCodeLength is the number of characters of a code, shown split
	// in two halves by a dash (backupCodeOptions.length); default 10.
	BackupCodeLength int

	// SendOTP delivers a one-time code to the user (otpOptions.sendOTP), by
	// mail or SMS; nil disables OTP. An error answers the send-otp request
	// with 500 (ErrSendEmail), not the success Better Auth answers.
	SendOTP func(ctx context.Context, u *betterauth.User, code string) error
	// OTPPeriod is how long a one-time code lives (otpOptions.period);
	// default 3 minutes.
	OTPPeriod time.Duration
	// OTPDigits is the length of a one-time code (otpOptions.digits);
	// default 6.
	OTPDigits int
	// OTPAllowedAttempts is how many wrong tries one code takes before a
	// new one is needed (otpOptions.allowedAttempts); default 5.
	OTPAllowedAttempts int
	// OTPStorage is how codes are stored (otpOptions.storeOTP); default
	// OTPPlain, as Better Auth.
	OTPStorage OTPStorage

	// TrustDeviceMaxAge is how long a trusted device skips the second
	// factor (trustDeviceMaxAge); default 30 days. Each sign-in from it
	// renews it.
	TrustDeviceMaxAge time.Duration
	// ChallengeMaxAge is how long a challenged sign-in may be completed
	// (twoFactorCookieMaxAge); default 10 minutes.
	ChallengeMaxAge time.Duration

	// DisableAccountLockout turns off the account-wide limit on failed
	// verifications (accountLockout.enabled: false).
	DisableAccountLockout bool
	// LockoutMaxFailedAttempts is how many consecutive failed sign-in
	// verifications lock the second factor (accountLockout.maxFailedAttempts);
	// default 10.
	LockoutMaxFailedAttempts int
	// LockoutDuration is how long it stays locked
	// (accountLockout.durationSeconds); default 15 minutes.
	LockoutDuration time.Duration

	// SignInMethods are the betterauth.SignIn methods that are challenged;
	// default Better Auth's: betterauth.SignInMethodEmail,
	// SignInMethodUsername and SignInMethodPhoneNumber. Add the methods of
	// other sign-in plugins (a magic link, social sign-in) to require the
	// second factor there too.
	SignInMethods []string
	// RejectReusedCodes accepts each TOTP code once per user: a code that
	// signed in (or verified) once is refused within the rest of its
	// window, so that a code seen over a shoulder cannot be replayed.
	// Off by default, as Better Auth accepts a code again until it expires.
	RejectReusedCodes bool
}

// Plugin is the two-factor plugin. Make it with New and list it in
// betterauth.Config.Plugins; build the store and run the migrations with
// betterauth.PluginSchemas(plugins...) so that the twoFactor table and the
// user.twoFactorEnabled column exist.
type Plugin struct {
	opts  Options
	auth  *betterauth.Auth
	store betterauth.TableStore
}

// Field is the user field the plugin adds: true once two-factor is on.
const Field = "twoFactorEnabled"

// Better Auth 1.7.25's two-factor error codes, with the status its
// endpoints answer them with.
var (
	ErrOTPNotConfigured         = apiErr(http.StatusBadRequest, "OTP_NOT_CONFIGURED", "OTP is not available")
	ErrOTPHasExpired            = apiErr(http.StatusBadRequest, "OTP_HAS_EXPIRED", "OTP has expired")
	ErrTOTPNotEnabled           = apiErr(http.StatusBadRequest, "TOTP_NOT_ENABLED", "TOTP not enabled")
	ErrTOTPAlreadyEnabled       = apiErr(http.StatusBadRequest, "TOTP_ALREADY_ENABLED", "TOTP is already enabled")
	ErrTOTPNotConfigured        = apiErr(http.StatusBadRequest, "TOTP_NOT_CONFIGURED", "TOTP is not available")
	ErrTwoFactorNotEnabled      = apiErr(http.StatusBadRequest, "TWO_FACTOR_NOT_ENABLED", "Two factor isn't enabled")
	ErrBackupCodesNotEnabled    = apiErr(http.StatusBadRequest, "BACKUP_CODES_NOT_ENABLED", "Backup codes aren't enabled")
	ErrInvalidBackupCode        = apiErr(http.StatusUnauthorized, "INVALID_BACKUP_CODE", "Invalid backup code")
	ErrInvalidCode              = apiErr(http.StatusUnauthorized, "INVALID_CODE", "Invalid code")
	ErrTooManyAttempts          = apiErr(http.StatusBadRequest, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE", "Too many attempts. Please request a new code.")
	ErrAccountTemporarilyLocked = apiErr(http.StatusTooManyRequests, "ACCOUNT_TEMPORARILY_LOCKED", "Too many failed verification attempts. Your account is temporarily locked. Please try again later.")
	ErrInvalidTwoFactorCookie   = apiErr(http.StatusUnauthorized, "INVALID_TWO_FACTOR_COOKIE", "Invalid two factor cookie")
	ErrFailedToCreateSession    = apiErr(http.StatusBadRequest, "FAILED_TO_CREATE_SESSION", "Failed to create session")
	ErrBackupCodeConflict       = apiErr(http.StatusConflict, "CONFLICT", "Failed to verify backup code. Please try again.")
	errInvalidMethod            = apiErr(http.StatusBadRequest, "VALIDATION_ERROR", `[body.method] Invalid option: expected one of "otp"|"totp"`)
)

func apiErr(status int, code, message string) *betterauth.APIError {
	return &betterauth.APIError{Status: status, Code: code, Message: message}
}

// New returns the plugin with opts; New of betterauth reports invalid
// options.
func New(opts Options) *Plugin {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	if opts.Issuer == "" {
		opts.Issuer = "Better Auth"
	}
	defInt(&opts.Digits, 6)
	def(&opts.Period, 30*time.Second)
	defInt(&opts.BackupCodeAmount, 10)
	defInt(&opts.BackupCodeLength, 10)
	def(&opts.OTPPeriod, 3*time.Minute)
	defInt(&opts.OTPDigits, 6)
	defInt(&opts.OTPAllowedAttempts, 5)
	if opts.OTPStorage == "" {
		opts.OTPStorage = OTPPlain
	}
	def(&opts.TrustDeviceMaxAge, 30*24*time.Hour)
	def(&opts.ChallengeMaxAge, 10*time.Minute)
	defInt(&opts.LockoutMaxFailedAttempts, 10)
	def(&opts.LockoutDuration, 15*time.Minute)
	if opts.SignInMethods == nil {
		opts.SignInMethods = []string{betterauth.SignInMethodEmail, SignInMethodUsername, SignInMethodPhoneNumber}
	}
	return &Plugin{opts: opts}
}

// ID returns "two-factor".
func (p *Plugin) ID() string { return ID }

// Schema declares Better Auth's twoFactor table (id, secret, backupCodes,
// userId referencing the user with ON DELETE CASCADE, verified,
// failedVerificationCount, lockedUntil; indexes on secret and userId) and
// the user's twoFactorEnabled field, which clients cannot set.
func (p *Plugin) Schema() schema.Extension {
	hidden := func(t schema.FieldType) schema.AdditionalField {
		return schema.AdditionalField{Type: t, Hidden: true}
	}
	secret := hidden(schema.FieldString)
	secret.Index = true
	userID := hidden(schema.FieldString)
	userID.Index = true
	return schema.Extension{
		Tables: []schema.TableDef{{Model: Model, Fields: []schema.FieldDef{
			{Name: "secret", AdditionalField: secret},
			{Name: "backupCodes", AdditionalField: hidden(schema.FieldString)},
			{Name: "userId", AdditionalField: userID, References: &schema.Reference{Model: schema.ModelUser}},
			{Name: "verified", AdditionalField: schema.AdditionalField{Type: schema.FieldBoolean, Optional: true, DefaultValue: true, NoInput: true}},
			{Name: "failedVerificationCount", AdditionalField: schema.AdditionalField{Type: schema.FieldNumber, Optional: true, DefaultValue: 0, NoInput: true, Hidden: true}},
			{Name: "lockedUntil", AdditionalField: schema.AdditionalField{Type: schema.FieldDate, Optional: true, NoInput: true, Hidden: true}},
		}}},
		Fields: map[string][]schema.FieldDef{schema.ModelUser: {
			{Name: Field, AdditionalField: schema.AdditionalField{Type: schema.FieldBoolean, Optional: true, DefaultValue: false, NoInput: true}},
		}},
	}
}

// Init checks the options and keeps the Auth.
func (p *Plugin) Init(a *betterauth.Auth) error {
	o := p.opts
	switch {
	case o.Digits < 1 || o.Digits > 8 || o.OTPDigits < 1 || o.OTPDigits > 8:
		return errors.New("twofactor: Digits and OTPDigits must be between 1 and 8")
	case o.Period < time.Second || o.Period%time.Second != 0:
		return errors.New("twofactor: Period must be a whole number of seconds")
	case o.BackupCodeAmount < 1 || o.BackupCodeLength < 2:
		return errors.New("twofactor: BackupCodeAmount must be positive and BackupCodeLength at least 2")
	case o.OTPPeriod <= 0 || o.TrustDeviceMaxAge < time.Second || o.ChallengeMaxAge < time.Second || o.LockoutDuration <= 0:
		return errors.New("twofactor: OTPPeriod, TrustDeviceMaxAge, ChallengeMaxAge and LockoutDuration must be positive")
	case o.OTPAllowedAttempts < 1 || o.LockoutMaxFailedAttempts < 1:
		return errors.New("twofactor: OTPAllowedAttempts and LockoutMaxFailedAttempts must be positive")
	case !slices.Contains([]OTPStorage{OTPPlain, OTPHashed, OTPEncrypted}, o.OTPStorage):
		return fmt.Errorf("twofactor: unknown OTPStorage %q", o.OTPStorage)
	}
	// New has checked that the store holds the plugin's table, so it is a
	// TableStore.
	p.auth, p.store = a, a.Store().(betterauth.TableStore)
	return nil
}

// rule is Better Auth's rate limit for /two-factor/*: 3 requests per 10 s.
var rule = betterauth.RateLimitRule{Window: 10 * time.Second, Max: 3}

// Routes are Better Auth's /two-factor/ endpoints: enable, disable,
// get-totp-uri and generate-backup-codes need a session; verify-totp,
// send-otp, verify-otp and verify-backup-code serve a challenged sign-in
// (its two_factor cookie) or a signed-in user.
func (p *Plugin) Routes() []betterauth.Route {
	r := func(path string, access betterauth.Access, h func(http.ResponseWriter, *http.Request, betterauth.RouteInput) error) betterauth.Route {
		rl := rule
		return betterauth.Route{Method: http.MethodPost, Path: "/two-factor/" + path, Access: access, RateLimit: &rl, Handle: h}
	}
	return []betterauth.Route{
		r("enable", betterauth.AccessSession, p.handleEnable),
		r("disable", betterauth.AccessSession, p.handleDisable),
		r("get-totp-uri", betterauth.AccessSession, p.handleGetTOTPURI),
		r("verify-totp", betterauth.AccessPublic, p.handleVerifyTOTP),
		r("send-otp", betterauth.AccessPublic, p.handleSendOTP),
		r("verify-otp", betterauth.AccessPublic, p.handleVerifyOTP),
		r("generate-backup-codes", betterauth.AccessSession, p.handleGenerateBackupCodes),
		r("verify-backup-code", betterauth.AccessPublic, p.handleVerifyBackupCode),
	}
}

// Enabled reports whether the user has two-factor on (twoFactorEnabled).
func Enabled(u *betterauth.User) bool {
	if u == nil {
		return false
	}
	b, _ := u.Additional[Field].(bool)
	return b
}
