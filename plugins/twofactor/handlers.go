package twofactor

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/randid"
	"github.com/go-betterauth/betterauth/schema"
)

// checkPassword asks for the user's password, as Better Auth's enable,
// disable, get-totp-uri and generate-backup-codes do: 400
// INVALID_PASSWORD when it is missing or wrong. With AllowPasswordless a
// user without a password passes.
func (p *Plugin) checkPassword(ctx context.Context, userID string, body map[string]any) error {
	password, given, err := betterauth.BodyString(body, "password", !p.opts.AllowPasswordless)
	if err != nil {
		return err
	}
	if p.opts.AllowPasswordless {
		has, err := p.hasPassword(ctx, userID)
		if err != nil {
			return err
		}
		if !has {
			return nil
		}
	}
	if !given {
		return betterauth.ErrInvalidPassword
	}
	return p.auth.VerifyPassword(ctx, userID, password)
}

// hasPassword reports whether the user has a credential account with a
// password.
func (p *Plugin) hasPassword(ctx context.Context, userID string) (bool, error) {
	accts, err := p.auth.Store().ListAccounts(ctx, userID)
	if err != nil {
		return false, storeErr("list accounts", err)
	}
	for _, a := range accts {
		if a.ProviderID == "credential" && a.Password != "" {
			return true, nil
		}
	}
	return false, nil
}

// replaceSession swaps the caller's session for a new one (same client,
// same rememberMe choice) so that it carries the changed user, as Better
// Auth does when two-factor is turned on or off.
func (p *Plugin) replaceSession(ctx context.Context, w http.ResponseWriter, r *http.Request, sd *betterauth.SessionData) (*betterauth.Session, error) {
	dontRemember := p.auth.DontRemember(r)
	s, err := p.auth.CreateSession(ctx, sd.User.ID, betterauth.SessionOptions{
		DontRemember: dontRemember,
		Meta:         betterauth.RequestMeta{IPAddress: sd.Session.IPAddress, UserAgent: sd.Session.UserAgent},
	})
	if err != nil {
		return nil, err
	}
	p.auth.SetSessionCookie(w, r, s, dontRemember)
	if err := p.auth.RevokeSession(ctx, sd.User.ID, sd.Session.Token); err != nil {
		return nil, err
	}
	return s, nil
}

// handleEnable is POST /two-factor/enable {password, method?, issuer?}.
// method "totp" (the default) makes a new secret and backup codes and
// answers {method, totpURI, backupCodes}; two-factor is on after the first
// verify-totp (or at once with SkipVerificationOnEnable). method "otp"
// turns it on at once (SendOTP must be set) and answers {method}.
func (p *Plugin) handleEnable(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	ctx := r.Context()
	method, ok, err := betterauth.BodyString(in.Body, "method", false)
	if err != nil {
		return err
	}
	if !ok {
		method = "totp"
	}
	if method != "totp" && method != "otp" {
		return errInvalidMethod
	}
	issuer, _, err := betterauth.BodyString(in.Body, "issuer", false)
	if err != nil {
		return err
	}
	user := in.Session.User
	if err := p.checkPassword(ctx, user.ID, in.Body); err != nil {
		return err
	}
	if method == "otp" {
		if p.opts.SendOTP == nil {
			return ErrOTPNotConfigured
		}
		if _, err := p.setEnabled(ctx, p.auth.Store(), user.ID, true); err != nil {
			return err
		}
		if _, err := p.replaceSession(ctx, w, r, in.Session); err != nil {
			return err
		}
		betterauth.WriteJSON(w, http.StatusOK, struct {
			Method string `json:"method"`
		}{"otp"})
		return nil
	}
	if p.opts.DisableTOTP {
		return ErrTOTPNotConfigured
	}
	existing, err := p.findRow(ctx, p.store, user.ID)
	if err != nil {
		return err
	}
	if existing != nil && existing.verified {
		return ErrTOTPAlreadyEnabled
	}
	codes, storedCodes, err := p.newBackupCodes()
	if err != nil {
		return err
	}
	secret, err := newSecret()
	if err != nil {
		return err
	}
	storedSecret, err := p.auth.Encrypt("", secret)
	if err != nil {
		return err
	}
	skip := p.opts.SkipVerificationOnEnable
	data := schema.Record{"secret": storedSecret, "backupCodes": storedCodes, "verified": skip}
	err = p.auth.Store().InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
		ts := tx.(betterauth.TableStore)
		if existing != nil {
			if _, err := ts.Update(ctx, Model, data, schema.Where{Field: "id", Value: existing.id}); err != nil {
				return storeErr("update twoFactor row", err)
			}
		} else {
			data["userId"] = user.ID
			if _, err := ts.Insert(ctx, Model, data); err != nil {
				return storeErr("insert twoFactor row", err)
			}
		}
		if skip {
			_, err := p.setEnabled(ctx, tx, user.ID, true)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if skip {
		if _, err := p.replaceSession(ctx, w, r, in.Session); err != nil {
			return err
		}
	}
	if issuer == "" {
		issuer = p.opts.Issuer
	}
	betterauth.WriteJSON(w, http.StatusOK, struct {
		Method      string   `json:"method"`
		TOTPURI     string   `json:"totpURI"`
		BackupCodes []string `json:"backupCodes"`
	}{"totp", p.totpURI(secret, issuer, user.Email), codes})
	return nil
}

// handleDisable is POST /two-factor/disable {password}: two-factor off,
// the twoFactor row deleted, the session replaced, and this device's
// trust removed. Answers {status: true}.
func (p *Plugin) handleDisable(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	ctx := r.Context()
	user := in.Session.User
	if err := p.checkPassword(ctx, user.ID, in.Body); err != nil {
		return err
	}
	err := p.auth.Store().InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
		if _, err := p.setEnabled(ctx, tx, user.ID, false); err != nil {
			return err
		}
		if _, err := tx.(betterauth.TableStore).Delete(ctx, Model, schema.Where{Field: "userId", Value: user.ID}); err != nil {
			return storeErr("delete twoFactor row", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := p.replaceSession(ctx, w, r, in.Session); err != nil {
		return err
	}
	if val, ok := p.auth.SignedCookie(r, p.auth.CookieName(TrustDeviceCookie)); ok {
		if _, id, _ := strings.Cut(val, "!"); id != "" {
			if _, err := p.auth.ConsumeVerification(ctx, id); err != nil {
				return err
			}
		}
		p.auth.ExpireCookie(w, p.auth.CookieName(TrustDeviceCookie))
	}
	betterauth.WriteJSON(w, http.StatusOK, struct {
		Status bool `json:"status"`
	}{true})
	return nil
}

// handleGetTOTPURI is POST /two-factor/get-totp-uri {password}: the
// otpauth URI of the user's secret again (to show the QR code once more).
func (p *Plugin) handleGetTOTPURI(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	ctx := r.Context()
	if p.opts.DisableTOTP {
		return ErrTOTPNotConfigured
	}
	if _, _, err := betterauth.BodyString(in.Body, "password", !p.opts.AllowPasswordless); err != nil {
		return err
	}
	user := in.Session.User
	tf, err := p.findRow(ctx, p.store, user.ID)
	if err != nil {
		return err
	}
	if tf == nil {
		return ErrTOTPNotEnabled
	}
	secret, err := p.decryptSecret(tf)
	if err != nil {
		return err
	}
	if err := p.checkPassword(ctx, user.ID, in.Body); err != nil {
		return err
	}
	betterauth.WriteJSON(w, http.StatusOK, struct {
		TOTPURI string `json:"totpURI"`
	}{p.totpURI(secret, p.opts.Issuer, user.Email)})
	return nil
}

// codeBody reads {code, trustDevice?}.
func codeBody(body map[string]any) (code string, trustDevice bool, err error) {
	code, _, err = betterauth.BodyString(body, "code", true)
	if err != nil {
		return "", false, err
	}
	trustDevice, err = betterauth.BodyBool(body, "trustDevice")
	return code, trustDevice, err
}

// handleVerifyTOTP is POST /two-factor/verify-totp {code, trustDevice?}.
// It completes a challenged sign-in, or, for a signed-in user, checks a
// code; the first code after enable turns two-factor on (replacing the
// session). Answers {token, user}.
func (p *Plugin) handleVerifyTOTP(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	ctx := r.Context()
	if p.opts.DisableTOTP {
		return ErrTOTPNotConfigured
	}
	code, trustDevice, err := codeBody(in.Body)
	if err != nil {
		return err
	}
	v, err := p.begin(r)
	if err != nil {
		return err
	}
	tf, err := p.findRow(ctx, p.store, v.user.ID)
	if err != nil {
		return err
	}
	if tf == nil || (v.signIn() && !tf.verified) {
		return ErrTOTPNotEnabled
	}
	if v.signIn() {
		if err := p.assertNotLocked(ctx, tf); err != nil {
			return err
		}
	}
	att, err := p.beginAttempt(ctx, w, v)
	if err != nil {
		return err
	}
	ok, err := p.checkTOTP(ctx, tf, v.user.ID, code)
	if err != nil {
		return firstErr(err, att.restore(ctx))
	}
	if !ok {
		if err := att.failed(ctx); err != nil {
			return err
		}
		if v.signIn() {
			if err := p.recordFailure(ctx, tf); err != nil {
				return err
			}
		}
		p.auditFail(ctx, v, "totp")
		return ErrInvalidCode
	}
	if v.signIn() {
		if err := p.resetFailures(ctx, tf); err != nil {
			return err
		}
	}
	if !tf.verified {
		// The enrolment is confirmed; for a user without two-factor it is
		// now on (one transaction: never a verified row of a user left off).
		turnOn := !Enabled(v.user)
		var u *betterauth.User
		err := p.auth.Store().InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
			if _, err := tx.(betterauth.TableStore).Update(ctx, Model, schema.Record{"verified": true}, schema.Where{Field: "id", Value: tf.id}); err != nil {
				return storeErr("mark verified", err)
			}
			if turnOn {
				var err error
				u, err = p.setEnabled(ctx, tx, v.user.ID, true)
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		if turnOn {
			s, err := p.replaceSession(ctx, w, r, v.session)
			if err != nil {
				return err
			}
			return p.reply(w, s.Token, u)
		}
	}
	return p.complete(w, r, v, "totp", trustDevice)
}

// checkTOTP checks a code against the row's secret (and, with
// RejectReusedCodes, that it was not used before).
func (p *Plugin) checkTOTP(ctx context.Context, tf *row, userID, code string) (bool, error) {
	secret, err := p.decryptSecret(tf)
	if err != nil {
		return false, err
	}
	step, ok, err := p.matchTOTP(secret, code, p.auth.Now())
	if err != nil || !ok {
		return false, err
	}
	if p.opts.RejectReusedCodes {
		return p.claimStep(ctx, userID, step)
	}
	return true, nil
}

// handleSendOTP is POST /two-factor/send-otp: a new one-time code, stored
// as "2fa-otp-<key>" = "<code>:0" for OTPPeriod and handed to SendOTP.
func (p *Plugin) handleSendOTP(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	ctx := r.Context()
	if p.opts.SendOTP == nil {
		return ErrOTPNotConfigured
	}
	if _, err := betterauth.BodyBool(in.Body, "trustDevice"); err != nil {
		return err
	}
	v, err := p.begin(r)
	if err != nil {
		return err
	}
	code, err := randid.String(p.opts.OTPDigits, "0123456789")
	if err != nil {
		return err
	}
	stored, err := p.storeOTP(code)
	if err != nil {
		return err
	}
	if _, err := p.auth.CreateVerification(ctx, "2fa-otp-"+v.key(), stored+":0", p.opts.OTPPeriod); err != nil {
		return err
	}
	if err := p.opts.SendOTP(ctx, v.user, code); err != nil {
		p.auth.Logger().ErrorContext(ctx, "twofactor: sending a one-time code failed", "err", err)
		return betterauth.ErrSendEmail
	}
	betterauth.WriteJSON(w, http.StatusOK, struct {
		Status bool `json:"status"`
	}{true})
	return nil
}

// storeOTP is a code as OTPStorage keeps it.
func (p *Plugin) storeOTP(code string) (string, error) {
	switch p.opts.OTPStorage {
	case OTPHashed:
		return hashOTP(code), nil
	case OTPEncrypted:
		return p.auth.Encrypt("", code)
	}
	return code, nil
}

func hashOTP(code string) string {
	sum := sha256.Sum256([]byte(code))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// otpMatches compares a stored code with the one given, in constant time.
func (p *Plugin) otpMatches(stored, code string) bool {
	switch p.opts.OTPStorage {
	case OTPHashed:
		code = hashOTP(code)
	case OTPEncrypted:
		plain, err := p.auth.Decrypt("", stored)
		if err != nil {
			return false
		}
		stored = plain
	}
	return subtle.ConstantTimeCompare([]byte(stored), []byte(code)) == 1
}

// handleVerifyOTP is POST /two-factor/verify-otp {code, trustDevice?}:
// checks the code send-otp sent. A wrong code counts against the code
// (OTPAllowedAttempts), and in a sign-in against the account's lockout.
// For a signed-in user without two-factor it turns it on (replacing the
// session). Answers {token, user}.
func (p *Plugin) handleVerifyOTP(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	ctx := r.Context()
	code, trustDevice, err := codeBody(in.Body)
	if err != nil {
		return err
	}
	v, err := p.begin(r)
	if err != nil {
		return err
	}
	var tf *row
	if v.signIn() {
		if tf, err = p.findRow(ctx, p.store, v.user.ID); err != nil {
			return err
		}
		if tf != nil {
			if err := p.assertNotLocked(ctx, tf); err != nil {
				return err
			}
		}
	}
	id := "2fa-otp-" + v.key()
	got, err := p.auth.ConsumeVerification(ctx, id)
	if err != nil {
		return err
	}
	if got == nil {
		return ErrOTPHasExpired
	}
	stored, counter, _ := strings.Cut(got.Value, ":")
	tries, _ := strconv.Atoi(counter)
	if tries >= p.opts.OTPAllowedAttempts {
		return ErrTooManyAttempts
	}
	if !p.otpMatches(stored, code) {
		// The count keeps the code's expiry.
		if _, err := p.auth.CreateVerification(ctx, id, stored+":"+strconv.Itoa(tries+1), got.ExpiresAt.Sub(p.auth.Now())); err != nil {
			return err
		}
		if tf != nil {
			if err := p.recordFailure(ctx, tf); err != nil {
				return err
			}
		}
		p.auditFail(ctx, v, "otp")
		return ErrInvalidCode
	}
	if tf != nil {
		if err := p.resetFailures(ctx, tf); err != nil {
			return err
		}
	}
	if !Enabled(v.user) {
		if v.signIn() {
			return ErrFailedToCreateSession
		}
		u, err := p.setEnabled(ctx, p.auth.Store(), v.user.ID, true)
		if err != nil {
			return err
		}
		s, err := p.replaceSession(ctx, w, r, v.session)
		if err != nil {
			return err
		}
		return p.reply(w, s.Token, u)
	}
	return p.complete(w, r, v, "otp", trustDevice)
}

// handleGenerateBackupCodes is POST /two-factor/generate-backup-codes
// {password}: a new set replaces the old. Answers {status, backupCodes}.
func (p *Plugin) handleGenerateBackupCodes(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	ctx := r.Context()
	user := in.Session.User
	if _, _, err := betterauth.BodyString(in.Body, "password", !p.opts.AllowPasswordless); err != nil {
		return err
	}
	if !Enabled(user) {
		return ErrTwoFactorNotEnabled
	}
	if err := p.checkPassword(ctx, user.ID, in.Body); err != nil {
		return err
	}
	tf, err := p.findRow(ctx, p.store, user.ID)
	if err != nil {
		return err
	}
	if tf == nil {
		return ErrTwoFactorNotEnabled
	}
	codes, stored, err := p.newBackupCodes()
	if err != nil {
		return err
	}
	if _, err := p.store.Update(ctx, Model, schema.Record{"backupCodes": stored}, schema.Where{Field: "id", Value: tf.id}); err != nil {
		return storeErr("update backup codes", err)
	}
	betterauth.WriteJSON(w, http.StatusOK, struct {
		Status      bool     `json:"status"`
		BackupCodes []string `json:"backupCodes"`
	}{true, codes})
	return nil
}

// handleVerifyBackupCode is POST /two-factor/verify-backup-code {code,
// trustDevice?, disableSession?}: a backup code, used once, in place of a
// TOTP or OTP code. Answers {token, user}.
func (p *Plugin) handleVerifyBackupCode(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	ctx := r.Context()
	code, trustDevice, err := codeBody(in.Body)
	if err != nil {
		return err
	}
	disableSession, err := betterauth.BodyBool(in.Body, "disableSession")
	if err != nil {
		return err
	}
	v, err := p.begin(r)
	if err != nil {
		return err
	}
	tf, err := p.findRow(ctx, p.store, v.user.ID)
	if err != nil {
		return err
	}
	if tf == nil {
		return ErrBackupCodesNotEnabled
	}
	if v.signIn() {
		if err := p.assertNotLocked(ctx, tf); err != nil {
			return err
		}
	}
	att, err := p.beginAttempt(ctx, w, v)
	if err != nil {
		return err
	}
	rest, ok := useBackupCode(p.decodeBackupCodes(tf.backupCodes), code)
	if !ok {
		if err := att.failed(ctx); err != nil {
			return err
		}
		if v.signIn() {
			if err := p.recordFailure(ctx, tf); err != nil {
				return err
			}
		}
		p.auditFail(ctx, v, "backup_code")
		return ErrInvalidBackupCode
	}
	stored, err := p.encodeBackupCodes(rest)
	if err != nil {
		return err
	}
	// Compare-and-set on the list read: of two requests with one code, one
	// wins.
	n, err := p.store.Update(ctx, Model, schema.Record{"backupCodes": stored},
		schema.Where{Field: "id", Value: tf.id}, schema.Where{Field: "backupCodes", Value: tf.backupCodes})
	if err != nil {
		return firstErr(storeErr("use backup code", err), att.restore(ctx))
	}
	if n == 0 {
		return firstErr(ErrBackupCodeConflict, att.restore(ctx))
	}
	if v.signIn() {
		if err := p.resetFailures(ctx, tf); err != nil {
			return err
		}
	}
	if disableSession {
		token := ""
		if v.session != nil {
			token = v.session.Session.Token
		}
		return p.reply(w, token, v.user)
	}
	return p.complete(w, r, v, "backup_code", trustDevice)
}
