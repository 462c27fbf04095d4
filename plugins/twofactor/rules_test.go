package twofactor_test

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/twofactor"
	"github.com/go-betterauth/betterauth/schema"
)

// A trust cookie must name a live row of the same user, not only carry a
// valid binding.
func TestTrustRowMustNameTheUser(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	e.client().enroll("bob@example.com")
	ada, bob := e.user("ada@example.com"), e.user("bob@example.com")
	id := "trust-device-0123456789abcdefghijklmnopqrstuv"
	_, err := e.auth.CreateVerification(context.Background(), id, bob.ID, time.Hour)
	require.NoError(t, err)
	c := e.client()
	val := base64.RawURLEncoding.EncodeToString(e.auth.MAC(ada.ID+"!"+id)) + "!" + id
	c.cookies[trustName] = e.auth.NewSignedCookie(trustName, val, 60).Value
	c.challenged("ada@example.com")
	// The same cookie with a row of Ada's passes.
	_, err = e.auth.CreateVerification(context.Background(), id, ada.ID, time.Hour)
	require.NoError(t, err)
	c = e.client()
	c.cookies[trustName] = e.auth.NewSignedCookie(trustName, val, 60).Value
	requireOK(t, c.signIn("ada@example.com"))
	c.signedIn("ada@example.com")
}

// A user with two-factor on through OTP and a TOTP enrolment that was
// never verified: the challenge offers OTP only and refuses TOTP.
func TestUnverifiedTOTPIsNoMethod(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	requireOK(t, c.post("/two-factor/enable", map[string]any{"password": password, "method": "otp"}))
	en := c.post("/two-factor/enable", map[string]any{"password": password})
	requireOK(t, en)
	secret := uriSecret(t, en.str("totpURI"))
	s := e.client()
	ch := s.challenged("ada@example.com")
	assert.Equal(t, []any{"otp"}, ch.body["twoFactorMethods"])
	requireError(t, s.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 400, "TOTP_NOT_ENABLED")
}

// Without a twoFactor row (two-factor on through OTP), backup codes are
// not enabled, and new ones cannot be made.
func TestNoRowNoBackupCodes(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	requireOK(t, c.post("/two-factor/enable", map[string]any{"password": password, "method": "otp"}))
	requireError(t, c.post("/two-factor/generate-backup-codes", map[string]any{"password": password}), 400, "TWO_FACTOR_NOT_ENABLED")
	s := e.client()
	s.challenged("ada@example.com")
	requireError(t, s.post("/two-factor/verify-backup-code", map[string]any{"code": "aaaaa-aaaaa"}), 400, "BACKUP_CODES_NOT_ENABLED")
	requireError(t, s.post("/two-factor/verify-totp", map[string]any{"code": "123456"}), 400, "TOTP_NOT_ENABLED")
}

// A damaged attempt count ends the challenge rather than granting tries.
func TestGarbageAttemptCountEndsTheChallenge(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	secret, _ := e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	id := mustUnsign(t, e, c.cookies[challengeName])
	ctx := context.Background()
	_, err := e.auth.ConsumeVerification(ctx, "2fa-attempts-"+id)
	require.NoError(t, err)
	_, err = e.auth.CreateVerification(ctx, "2fa-attempts-"+id, "-1", time.Minute)
	require.NoError(t, err)
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
	// A missing count is no challenge.
	c.challenged("ada@example.com")
	id = mustUnsign(t, e, c.cookies[challengeName])
	_, err = e.auth.ConsumeVerification(ctx, "2fa-attempts-"+id)
	require.NoError(t, err)
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 401, "INVALID_TWO_FACTOR_COOKIE")
}

// The attempt count lives as long as its challenge.
func TestAttemptCountExpiresWithTheChallenge(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	id := mustUnsign(t, e, c.cookies[challengeName])
	e.clock.Add(4 * time.Minute)
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	v, err := e.auth.FindVerification(context.Background(), "2fa-attempts-"+id)
	require.NoError(t, err)
	assert.Equal(t, "1", v.Value)
	assert.Equal(t, e.clock.Now().Add(6*time.Minute), v.ExpiresAt)
}

// trustDevice after a rememberMe: false sign-in drops the dont_remember
// marker, as Better Auth does.
func TestTrustDeviceDropsDontRemember(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	secret, _ := e.client().enroll("ada@example.com")
	c := e.client()
	requireOK(t, c.post("/sign-in/email", map[string]any{"email": "ada@example.com", "password": password, "rememberMe": false}))
	require.NotEmpty(t, c.cookies["better-auth.dont_remember"])
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0), "trustDevice": true}))
	assert.Empty(t, c.cookies["better-auth.dont_remember"])
	assert.NotEmpty(t, c.cookies[trustName])
}

// With AllowPasswordless a user without a password manages two-factor
// without one; a user with one must still give it.
func TestAllowPasswordless(t *testing.T) {
	e := newEnv(t, twofactor.Options{AllowPasswordless: true})
	ctx := context.Background()
	now := e.clock.Now()
	u := &betterauth.User{Name: "Social", Email: "social@example.com", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, e.store.CreateUser(ctx, u))
	s, err := e.auth.CreateSession(ctx, u.ID, betterauth.SessionOptions{})
	require.NoError(t, err)
	c := e.client()
	c.cookies[sessionCookie] = e.auth.NewSignedCookie(sessionCookie, s.Token, 60).Value
	requireOK(t, c.post("/two-factor/enable", map[string]any{}))

	p := e.client()
	p.signUp("ada@example.com")
	requireError(t, p.post("/two-factor/enable", map[string]any{}), 400, "INVALID_PASSWORD")
	requireOK(t, p.post("/two-factor/enable", map[string]any{"password": password}))

	strict := newEnv(t, twofactor.Options{})
	q := strict.client()
	q.signUp("ada@example.com")
	requireError(t, q.post("/two-factor/enable", map[string]any{"password": ""}), 400, "INVALID_PASSWORD")
}

// A signed-in user's verifications neither count toward nor are stopped
// by the lockout: it guards the sign-in.
func TestSessionVerificationsAndTheLockout(t *testing.T) {
	e := newEnv(t, twofactor.Options{LockoutMaxFailedAttempts: 2})
	c := e.client()
	secret, _ := c.enroll("ada@example.com")
	for range 3 {
		requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	}
	assert.Nil(t, e.row("ada@example.com")["lockedUntil"])
	for range 2 {
		s := e.client()
		s.challenged("ada@example.com")
		requireError(t, s.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	}
	require.NotNil(t, e.row("ada@example.com")["lockedUntil"])
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
}

// A wrong OTP in a sign-in counts toward the lockout; a right one resets it.
func TestOTPFailuresCount(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	requireOK(t, c.post("/two-factor/send-otp", nil))
	requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": "x"}), 401, "INVALID_CODE")
	assert.EqualValues(t, 1, e.row("ada@example.com")["failedVerificationCount"])
	requireOK(t, c.post("/two-factor/verify-otp", map[string]any{"code": e.lastOTP("ada@example.com")}))
	assert.EqualValues(t, 0, e.row("ada@example.com")["failedVerificationCount"])
}

// Two-factor turned off while a sign-in waits: an OTP cannot complete it.
func TestOTPAfterDisableMakesNoSession(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	owner := e.client()
	owner.enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	requireOK(t, c.post("/two-factor/send-otp", nil))
	requireOK(t, owner.post("/two-factor/disable", map[string]any{"password": password}))
	requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": e.lastOTP("ada@example.com")}), 400, "FAILED_TO_CREATE_SESSION")
	assert.Empty(t, c.cookies[sessionCookie])
}

// A failing SendOTP is an error, not a success.
func TestSendOTPFailure(t *testing.T) {
	e := newEnv(t, twofactor.Options{SendOTP: func(context.Context, *betterauth.User, string) error {
		return errors.New("smtp: connection refused")
	}})
	c := e.client()
	c.signUp("ada@example.com")
	requireError(t, c.post("/two-factor/send-otp", nil), 500, "FAILED_TO_SEND_EMAIL")
}

// Secrets imported from another provider ("base32:<secret>") are decoded.
func TestImportedBase32Secret(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	requireOK(t, c.post("/two-factor/enable", map[string]any{"password": password, "method": "otp"}))
	const key = "JBSWY3DPEHPK3PXP"
	enc, err := e.auth.Encrypt("", "base32:"+key)
	require.NoError(t, err)
	codes, err := e.auth.Encrypt("", `[]`)
	require.NoError(t, err)
	_, err = e.store.(betterauth.TableStore).Insert(context.Background(), twofactor.Model, schema.Record{
		"secret": enc, "backupCodes": codes, "userId": e.user("ada@example.com").ID, "verified": true,
	})
	require.NoError(t, err)
	s := e.client()
	s.challenged("ada@example.com")
	code, err := totp.GenerateCodeCustom(key, e.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	requireOK(t, s.post("/two-factor/verify-totp", map[string]any{"code": code}))
	uri := c.post("/two-factor/get-totp-uri", map[string]any{"password": password})
	assert.Contains(t, uri.str("totpURI"), "secret="+key+"&")
}

// Backup codes of other amounts and lengths.
func TestBackupCodeShape(t *testing.T) {
	e := newEnv(t, twofactor.Options{BackupCodeAmount: 3, BackupCodeLength: 4})
	c := e.client()
	c.signUp("ada@example.com")
	r := c.post("/two-factor/enable", map[string]any{"password": password})
	requireOK(t, r)
	codes := r.body["backupCodes"].([]any)
	require.Len(t, codes, 3)
	assert.Regexp(t, `^[a-zA-Z0-9]{4}-$`, codes[0])
}

// A TOTP of other digits and period.
func TestTOTPDigitsAndPeriod(t *testing.T) {
	e := newEnv(t, twofactor.Options{Digits: 8, Period: 60 * time.Second})
	c := e.client()
	c.signUp("ada@example.com")
	r := c.post("/two-factor/enable", map[string]any{"password": password})
	requireOK(t, r)
	assert.Contains(t, r.str("totpURI"), "&digits=8&period=60")
	code, err := totp.GenerateCodeCustom(uriSecret(t, r.str("totpURI")), e.clock.Now().Add(-60*time.Second), totp.ValidateOpts{Period: 60, Digits: otp.DigitsEight, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": code}))
}

// Concurrent use: failures are all counted; a backup code works once.
func TestConcurrency(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(twofactor.Options) *env) {
		const n = 8
		e := newEnv(twofactor.Options{LockoutMaxFailedAttempts: 100})
		_, backup := e.client().enroll("ada@example.com")
		clients := make([]*client, n)
		for i := range clients {
			clients[i] = e.client()
			clients[i].challenged("ada@example.com")
		}
		run := func(fn func(c *client) response) []int {
			var wg sync.WaitGroup
			codes := make([]int, n)
			for i, c := range clients {
				wg.Go(func() { codes[i] = fn(c).Code })
			}
			wg.Wait()
			return codes
		}
		for _, code := range run(func(c *client) response {
			return c.post("/two-factor/verify-totp", map[string]any{"code": "000000"})
		}) {
			assert.Equal(t, http.StatusUnauthorized, code)
		}
		assert.EqualValues(t, n, e.row("ada@example.com")["failedVerificationCount"], "every failure counted")
		ok := 0
		for _, code := range run(func(c *client) response {
			return c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0]})
		}) {
			if code == http.StatusOK {
				ok++
			}
		}
		assert.Equal(t, 1, ok, "a backup code signs in once")
	})
}

// A trust cookie whose binding is not the user's does not pass, even with
// a live row of the user.
func TestTrustBindingIsChecked(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	ada := e.user("ada@example.com")
	id := "trust-device-0123456789abcdefghijklmnopqrstuv"
	_, err := e.auth.CreateVerification(context.Background(), id, ada.ID, time.Hour)
	require.NoError(t, err)
	c := e.client()
	bad := base64.RawURLEncoding.EncodeToString(e.auth.MAC("someone-else!"+id)) + "!" + id
	c.cookies[trustName] = e.auth.NewSignedCookie(trustName, bad, 60).Value
	c.challenged("ada@example.com")
}

// Bodies are checked as Better Auth's schemas check them.
func TestBodyValidation(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	_, backup := e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	requireError(t, c.post("/two-factor/send-otp", map[string]any{"trustDevice": "yes"}), 400, "VALIDATION_ERROR")
	requireError(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0], "disableSession": "yes"}), 400, "VALIDATION_ERROR")
	requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": 123456}), 400, "VALIDATION_ERROR")
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "123456", "trustDevice": 1}), 400, "VALIDATION_ERROR")
	s := e.client()
	s.signUp("bob@example.com")
	requireError(t, s.post("/two-factor/enable", map[string]any{"password": password, "issuer": 7}), 400, "VALIDATION_ERROR")
	requireError(t, s.post("/two-factor/enable", map[string]any{"password": password, "method": 1}), 400, "VALIDATION_ERROR")
}

// A signed-in user checking a backup code with disableSession gets its
// own session back; the code is spent.
func TestBackupCodeWhileSignedIn(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	_, backup := c.enroll("ada@example.com")
	token := strings.SplitN(unescape(t, c.cookies[sessionCookie]), ".", 2)[0]
	r := c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0], "disableSession": true})
	requireOK(t, r)
	assert.Equal(t, token, r.str("token"))
	requireError(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0]}), 401, "INVALID_BACKUP_CODE")
}

// A backup code resets the failure count.
func TestBackupCodeResetsFailures(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	_, backup := e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	assert.EqualValues(t, 1, e.row("ada@example.com")["failedVerificationCount"])
	requireOK(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0]}))
	assert.EqualValues(t, 0, e.row("ada@example.com")["failedVerificationCount"])
}

// New backup codes need two-factor on, not only a TOTP enrolment.
func TestGenerateBackupCodesBeforeVerification(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	requireOK(t, c.post("/two-factor/enable", map[string]any{"password": password}))
	requireError(t, c.post("/two-factor/generate-backup-codes", map[string]any{"password": password}), 400, "TWO_FACTOR_NOT_ENABLED")
}

// With TOTP turned off, a TOTP row (from before, or from another server)
// is no method.
func TestDisableTOTPHidesExistingRows(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	off := newEnvOn(t, func(*testing.T, []schema.Extension) betterauth.Store { return e.store }, twofactor.Options{DisableTOTP: true})
	ch := off.client().challenged("ada@example.com")
	assert.Equal(t, []any{"otp"}, ch.body["twoFactorMethods"])
}

// A trusted device of a user who turned two-factor off elsewhere signs in
// plainly: its trust is not renewed.
func TestTrustNotRenewedWithoutTwoFactor(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	owner := e.client()
	secret, _ := owner.enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0), "trustDevice": true}))
	requireOK(t, owner.post("/two-factor/disable", map[string]any{"password": password}))
	delete(c.cookies, sessionCookie)
	r := c.signIn("ada@example.com")
	requireOK(t, r)
	assert.Nil(t, r.setCookie(trustName))
}

// Imported secrets may be lower case and padded.
func TestImportedSecretForms(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	requireOK(t, c.post("/two-factor/enable", map[string]any{"password": password}))
	enc, err := e.auth.Encrypt("", "base32:nbuq====")
	require.NoError(t, err)
	_, err = e.store.(betterauth.TableStore).Update(context.Background(), twofactor.Model, schema.Record{"secret": enc},
		schema.Where{Field: "userId", Value: e.user("ada@example.com").ID})
	require.NoError(t, err)
	uri := c.post("/two-factor/get-totp-uri", map[string]any{"password": password}).str("totpURI")
	assert.Contains(t, uri, "?secret=NBUQ&")
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp("NBUQ", 0)}))
}

// A stored list that is not a list of strings holds no code.
func TestMalformedBackupList(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	bad, err := e.auth.Encrypt("", `["aaaaa-aaaaa", 1]`)
	require.NoError(t, err)
	_, err = e.store.(betterauth.TableStore).Update(context.Background(), twofactor.Model, schema.Record{"backupCodes": bad},
		schema.Where{Field: "userId", Value: e.user("ada@example.com").ID})
	require.NoError(t, err)
	c := e.client()
	c.challenged("ada@example.com")
	requireError(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": ""}), 401, "INVALID_BACKUP_CODE")
	requireError(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": "aaaaa-aaaaa"}), 401, "INVALID_BACKUP_CODE")
}

// Only a credential account's password counts for AllowPasswordless.
func TestAllowPasswordlessAccounts(t *testing.T) {
	e := newEnv(t, twofactor.Options{AllowPasswordless: true})
	ctx := context.Background()
	for i, acct := range []betterauth.Account{
		{ProviderID: "github", AccountID: "gh-1", Password: "not a credential"},
		{ProviderID: "credential", Password: ""},
	} {
		now := e.clock.Now()
		u := &betterauth.User{Name: "Social", Email: []string{"gh@example.com", "empty@example.com"}[i], CreatedAt: now, UpdatedAt: now}
		require.NoError(t, e.store.CreateUser(ctx, u))
		acct.UserID = u.ID
		if acct.AccountID == "" {
			acct.AccountID = u.ID
		}
		acct.CreatedAt, acct.UpdatedAt = now, now
		require.NoError(t, e.store.CreateAccount(ctx, &acct))
		s, err := e.auth.CreateSession(ctx, u.ID, betterauth.SessionOptions{})
		require.NoError(t, err)
		c := e.client()
		c.cookies[sessionCookie] = e.auth.NewSignedCookie(sessionCookie, s.Token, 60).Value
		requireOK(t, c.post("/two-factor/enable", map[string]any{}))
	}
}

// With the lockout off, failures are not written and a lock written by
// another server is not enforced.
func TestLockoutOffWritesAndEnforcesNothing(t *testing.T) {
	e := newEnv(t, twofactor.Options{DisableAccountLockout: true})
	secret, _ := e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	assert.EqualValues(t, 0, e.row("ada@example.com")["failedVerificationCount"])
	_, err := e.store.(betterauth.TableStore).Update(context.Background(), twofactor.Model,
		schema.Record{"lockedUntil": e.clock.Now().Add(time.Hour), "failedVerificationCount": int64(10)},
		schema.Where{Field: "userId", Value: e.user("ada@example.com").ID})
	require.NoError(t, err)
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
}

// Checklist ASVS 6.4.3: a password reset does not bypass the second
// factor: the next sign-in with the new password is still challenged.
func TestResetDoesNotBypassTheSecondFactor(t *testing.T) {
	var mu sync.Mutex
	var token string
	e := build(t, backends[0].new, twofactor.Options{}, true, func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = func(_ context.Context, m betterauth.Email) error {
			mu.Lock()
			defer mu.Unlock()
			token = m.Token
			return nil
		}
	})
	secret, _ := e.client().enroll("ada@example.com")
	c := e.client()
	requireOK(t, c.post("/request-password-reset", map[string]any{"email": "ada@example.com", "redirectTo": "/reset"}))
	require.NoError(t, e.auth.Shutdown(context.Background())) // the mail is sent in the background
	mu.Lock()
	tok := token
	mu.Unlock()
	require.NotEmpty(t, tok)
	requireOK(t, c.post("/reset-password", map[string]any{"token": tok, "newPassword": "a brand new password"}))
	assert.Empty(t, c.cookies[sessionCookie], "a reset signs nobody in")
	r := c.post("/sign-in/email", map[string]any{"email": "ada@example.com", "password": "a brand new password"})
	requireOK(t, r)
	assert.Equal(t, true, r.body["twoFactorRedirect"])
	assert.Empty(t, c.cookies[sessionCookie])
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
}

// The second step is in the audit log: failures, the lock, the success,
// turning two-factor on and off; never a code.
func TestAuditRecords(t *testing.T) {
	var mu sync.Mutex
	var buf strings.Builder
	e := build(t, backends[0].new, twofactor.Options{LockoutMaxFailedAttempts: 2}, true, func(c *betterauth.Config) {
		c.AuditLogger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return buf.Write(p)
		}), nil))
	})
	owner := e.client()
	secret, backup := owner.enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	requireOK(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0]}))
	for range 2 {
		s := e.client()
		s.challenged("ada@example.com")
		requireError(t, s.post("/two-factor/verify-backup-code", map[string]any{"code": "nope"}), 401, "INVALID_BACKUP_CODE")
	}
	requireOK(t, owner.post("/two-factor/disable", map[string]any{"password": password}))
	mu.Lock()
	log := buf.String()
	mu.Unlock()
	for _, want := range []string{
		`msg=user_updated user_id=\S+ ip=\S+ user_agent="" reason=two_factor_enabled`,
		`msg=authn_login_fail user_id=\S+ ip=\S+ user_agent="" reason=two_factor method=totp`,
		`msg=authn_login_success user_id=\S+ ip=\S+ user_agent="" reason=two_factor method=backup_code`,
		`msg=authn_login_fail user_id=\S+ ip=\S+ user_agent="" reason=two_factor method=backup_code`,
		`msg=authn_login_lock user_id=\S+ ip=\S+ user_agent="" reason=two_factor`,
		`msg=user_updated user_id=\S+ ip=\S+ user_agent="" reason=two_factor_disabled`,
	} {
		assert.Regexp(t, want, log)
	}
	assert.NotContains(t, log, backup[0])
	assert.NotContains(t, log, secret)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
