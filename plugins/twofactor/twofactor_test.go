package twofactor_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/twofactor"
	"github.com/go-betterauth/betterauth/schema"
)

func TestEnableAndFirstVerification(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(twofactor.Options) *env) {
		e := newEnv(twofactor.Options{})
		c := e.client()
		c.signUp("ada@example.com")
		oldSession := c.cookies[sessionCookie]

		r := c.post("/two-factor/enable", map[string]any{"password": password})
		requireOK(t, r)
		assert.Equal(t, "totp", r.str("method"))
		uri := r.str("totpURI")
		assert.Regexp(t, `^otpauth://totp/Better%20Auth:ada%40example\.com\?secret=[A-Z2-7]{52}&issuer=Better\+Auth&digits=6&period=30$`, uri)
		codes := r.body["backupCodes"].([]any)
		require.Len(t, codes, 10)
		for _, code := range codes {
			assert.Regexp(t, `^[a-zA-Z0-9]{5}-[a-zA-Z0-9]{5}$`, code)
		}

		// Stored encrypted (bare hex), not yet verified, not yet on.
		row := e.row("ada@example.com")
		assert.Regexp(t, `^[0-9a-f]+$`, row["secret"])
		assert.Equal(t, false, row["verified"])
		secret, err := e.auth.Decrypt("", row["secret"].(string))
		require.NoError(t, err)
		assert.Len(t, secret, 32)
		assert.Contains(t, uri, "secret="+strings.TrimRight(b32(secret), "="))
		list, err := e.auth.Decrypt("", row["backupCodes"].(string))
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(list, `["`+codes[0].(string)+`"`), list)
		assert.False(t, twofactor.Enabled(e.user("ada@example.com")))
		// Not on yet: a sign-in is not challenged.
		c2 := e.client()
		requireOK(t, c2.signIn("ada@example.com"))
		require.NotEmpty(t, c2.cookies[sessionCookie])

		// A wrong first code changes nothing.
		requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
		assert.False(t, twofactor.Enabled(e.user("ada@example.com")))

		v := c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(uriSecret(t, uri), 0)})
		requireOK(t, v)
		assert.True(t, twofactor.Enabled(e.user("ada@example.com")))
		assert.Equal(t, true, e.row("ada@example.com")["verified"])
		// The session was replaced: the new token is answered and set, the old one is gone.
		assert.NotEqual(t, oldSession, c.cookies[sessionCookie])
		assert.True(t, strings.HasPrefix(c.cookies[sessionCookie], v.str("token")+"."), "answered token is the new session's")
		assert.Equal(t, true, v.body["user"].(map[string]any)["twoFactorEnabled"])
		old := e.client()
		old.cookies[sessionCookie] = oldSession
		assert.Nil(t, old.do(http.MethodGet, "/get-session", nil).body)
		c.signedIn("ada@example.com")

		// Enabling again is refused.
		requireError(t, c.post("/two-factor/enable", map[string]any{"password": password}), 400, "TOTP_ALREADY_ENABLED")
	})
}

func TestEnableNeedsThePassword(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	requireError(t, c.post("/two-factor/enable", map[string]any{"password": "wrong password"}), 400, "INVALID_PASSWORD")
	r := c.post("/two-factor/enable", map[string]any{})
	requireError(t, r, 400, "VALIDATION_ERROR")
	assert.Equal(t, "[body.password] Invalid input: expected string, received undefined", r.str("message"))
	requireError(t, c.post("/two-factor/enable", map[string]any{"password": password, "method": "sms"}), 400, "VALIDATION_ERROR")
	_, err := e.store.(betterauth.TableStore).FindOne(context.Background(), twofactor.Model, schema.Where{Field: "userId", Value: e.user("ada@example.com").ID})
	require.ErrorIs(t, err, betterauth.ErrNotFound, "nothing was written")
	// Without a session: 401.
	requireError(t, e.client().post("/two-factor/enable", map[string]any{"password": password}), 401, "UNAUTHORIZED")
	// The client cannot set the field itself.
	requireError(t, c.post("/update-user", map[string]any{"twoFactorEnabled": true}), 400, "FIELD_NOT_ALLOWED")
}

func TestEnableAgainBeforeVerifyingReplacesTheSecret(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	first := uriSecret(t, c.post("/two-factor/enable", map[string]any{"password": password}).str("totpURI"))
	second := uriSecret(t, c.post("/two-factor/enable", map[string]any{"password": password}).str("totpURI"))
	require.NotEqual(t, first, second)
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(first, 0)}), 401, "INVALID_CODE")
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(second, 0)}))
}

func TestSkipVerificationOnEnable(t *testing.T) {
	e := newEnv(t, twofactor.Options{SkipVerificationOnEnable: true})
	c := e.client()
	c.signUp("ada@example.com")
	before := c.cookies[sessionCookie]
	requireOK(t, c.post("/two-factor/enable", map[string]any{"password": password}))
	assert.True(t, twofactor.Enabled(e.user("ada@example.com")))
	assert.Equal(t, true, e.row("ada@example.com")["verified"])
	assert.NotEqual(t, before, c.cookies[sessionCookie], "session replaced")
	c.signedIn("ada@example.com")
	e.client().challenged("ada@example.com")
}

func TestEnableWithOTP(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	r := c.post("/two-factor/enable", map[string]any{"password": password, "method": "otp"})
	requireOK(t, r)
	assert.Equal(t, `{"method":"otp"}`, r.Body.String())
	assert.True(t, twofactor.Enabled(e.user("ada@example.com")))
	ch := e.client().challenged("ada@example.com")
	assert.Equal(t, []any{"otp"}, ch.body["twoFactorMethods"], "no TOTP row: OTP only")
}

func TestChallengedSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(twofactor.Options) *env) {
		e := newEnv(twofactor.Options{})
		secret, _ := e.client().enroll("ada@example.com")
		sessions := e.sessions("ada@example.com")

		c := e.client()
		r := c.signIn("ada@example.com")
		requireOK(t, r)
		assert.Equal(t, `{"twoFactorRedirect":true,"twoFactorMethods":["totp","otp"]}`, r.Body.String())
		assert.Equal(t, sessions, e.sessions("ada@example.com"), "no session was created")
		tok := r.setCookie(sessionCookie)
		require.NotNil(t, tok, "the session cookie is expired")
		assert.Equal(t, "", tok.Value)
		ck := r.setCookie(challengeName)
		require.NotNil(t, ck)
		assert.Equal(t, 600, ck.MaxAge)
		assert.True(t, ck.HttpOnly)
		id, ok := e.auth.VerifySignedValue(unescape(t, ck.Value))
		require.True(t, ok)
		assert.Regexp(t, `^2fa-[A-Za-z0-9_-]{20}$`, id)
		v, err := e.auth.FindVerification(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, e.user("ada@example.com").ID, v.Value)
		assert.Equal(t, e.clock.Now().Add(10*time.Minute), v.ExpiresAt)
		a, err := e.auth.FindVerification(context.Background(), "2fa-attempts-"+id)
		require.NoError(t, err)
		assert.Equal(t, "0", a.Value)

		// The second step makes the session.
		v2 := c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)})
		requireOK(t, v2)
		assert.NotEmpty(t, v2.str("token"))
		assert.Equal(t, "ada@example.com", v2.body["user"].(map[string]any)["email"])
		assert.Empty(t, c.cookies[challengeName], "challenge cookie expired")
		c.signedIn("ada@example.com")
		assert.Equal(t, sessions+1, e.sessions("ada@example.com"))
		// One challenge makes one session.
		c.cookies[challengeName] = ck.Value
		delete(c.cookies, sessionCookie)
		requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 401, "INVALID_TWO_FACTOR_COOKIE")
	})
}

func TestChallengeWithoutCookieOrExpired(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	secret, _ := e.client().enroll("ada@example.com")
	requireError(t, e.client().post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 401, "INVALID_TWO_FACTOR_COOKIE")
	c := e.client()
	c.challenged("ada@example.com")
	forged := c.cookies[challengeName]
	c.cookies[challengeName] = forged[:len(forged)-4] + "abcd"
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 401, "INVALID_TWO_FACTOR_COOKIE")
	c.cookies[challengeName] = forged
	e.clock.Add(10*time.Minute + time.Second)
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 401, "INVALID_TWO_FACTOR_COOKIE")
}

func TestTOTPWindow(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	secret, _ := e.client().enroll("ada@example.com")
	for _, tc := range []struct {
		offset time.Duration
		ok     bool
	}{{-60 * time.Second, false}, {-30 * time.Second, true}, {0, true}, {30 * time.Second, true}, {60 * time.Second, false}} {
		c := e.client()
		c.challenged("ada@example.com")
		r := c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, tc.offset)})
		if tc.ok {
			requireOK(t, r)
		} else {
			requireError(t, r, 401, "INVALID_CODE")
		}
	}
	// A code of another length, or no code, is no code.
	c := e.client()
	c.challenged("ada@example.com")
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0) + "0"}), 401, "INVALID_CODE")
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{}), 400, "VALIDATION_ERROR")
}

func TestAttemptsPerChallenge(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(twofactor.Options) *env) {
		e := newEnv(twofactor.Options{})
		secret, backup := e.client().enroll("ada@example.com")
		c := e.client()
		c.challenged("ada@example.com")
		for i := range 5 {
			if i%2 == 0 {
				requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
			} else {
				requireError(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": "aaaaa-aaaaa"}), 401, "INVALID_BACKUP_CODE")
			}
		}
		r := c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)})
		requireError(t, r, 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
		assert.Empty(t, c.cookies[challengeName], "the challenge cookie is expired")
		// The challenge is over, whatever the code.
		requireError(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0]}), 401, "INVALID_TWO_FACTOR_COOKIE")
		// A new sign-in is a new challenge.
		c.challenged("ada@example.com")
		requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
	})
}

func TestAccountLockout(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(twofactor.Options) *env) {
		e := newEnv(twofactor.Options{})
		secret, _ := e.client().enroll("ada@example.com")
		fail := func(n int) {
			t.Helper()
			for i := 0; i < n; i++ {
				c := e.client()
				c.challenged("ada@example.com")
				requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
			}
		}
		// Failures count across challenges; a success starts the count again.
		fail(9)
		c := e.client()
		c.challenged("ada@example.com")
		requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
		assert.EqualValues(t, 0, e.row("ada@example.com")["failedVerificationCount"])
		fail(10)
		assert.EqualValues(t, 10, e.row("ada@example.com")["failedVerificationCount"])
		assert.Equal(t, e.clock.Now().Add(15*time.Minute), e.row("ada@example.com")["lockedUntil"])
		// Locked: even the right code is refused, by every method.
		c = e.client()
		c.challenged("ada@example.com")
		requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 429, "ACCOUNT_TEMPORARILY_LOCKED")
		requireOK(t, c.post("/two-factor/send-otp", nil))
		requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": e.lastOTP("ada@example.com")}), 429, "ACCOUNT_TEMPORARILY_LOCKED")
		requireError(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": "aaaaa-aaaaa"}), 429, "ACCOUNT_TEMPORARILY_LOCKED")
		e.clock.Add(15*time.Minute - time.Second)
		c = e.client()
		c.challenged("ada@example.com")
		requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 429, "ACCOUNT_TEMPORARILY_LOCKED")
		e.clock.Add(time.Second)
		requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
		assert.Nil(t, e.row("ada@example.com")["lockedUntil"])
	})
}

func TestLockoutAfterExpiryCountsAgain(t *testing.T) {
	e := newEnv(t, twofactor.Options{LockoutMaxFailedAttempts: 2, LockoutDuration: time.Minute})
	secret, _ := e.client().enroll("ada@example.com")
	for range 2 {
		c := e.client()
		c.challenged("ada@example.com")
		requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	}
	e.clock.Add(time.Minute)
	// The lock ran out: it is cleared and failures count from zero.
	c := e.client()
	c.challenged("ada@example.com")
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
}

func TestLockoutDisabled(t *testing.T) {
	e := newEnv(t, twofactor.Options{DisableAccountLockout: true, LockoutMaxFailedAttempts: 1})
	secret, _ := e.client().enroll("ada@example.com")
	for range 3 {
		c := e.client()
		c.challenged("ada@example.com")
		requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	}
	c := e.client()
	c.challenged("ada@example.com")
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
}

func TestBackupCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(twofactor.Options) *env) {
		e := newEnv(twofactor.Options{})
		_, backup := e.client().enroll("ada@example.com")
		c := e.client()
		c.challenged("ada@example.com")
		r := c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[3]})
		requireOK(t, r)
		assert.NotEmpty(t, r.str("token"))
		c.signedIn("ada@example.com")
		list, err := e.auth.Decrypt("", e.row("ada@example.com")["backupCodes"].(string))
		require.NoError(t, err)
		assert.NotContains(t, list, backup[3])
		assert.Contains(t, list, backup[4])

		// Each code once.
		c2 := e.client()
		c2.challenged("ada@example.com")
		requireError(t, c2.post("/two-factor/verify-backup-code", map[string]any{"code": backup[3]}), 401, "INVALID_BACKUP_CODE")
		requireOK(t, c2.post("/two-factor/verify-backup-code", map[string]any{"code": backup[4]}))

		// New codes replace the old ones.
		g := c.post("/two-factor/generate-backup-codes", map[string]any{"password": password})
		requireOK(t, g)
		assert.Equal(t, true, g.body["status"])
		fresh := g.body["backupCodes"].([]any)
		require.Len(t, fresh, 10)
		c3 := e.client()
		c3.challenged("ada@example.com")
		requireError(t, c3.post("/two-factor/verify-backup-code", map[string]any{"code": backup[5]}), 401, "INVALID_BACKUP_CODE")
		requireOK(t, c3.post("/two-factor/verify-backup-code", map[string]any{"code": fresh[0]}))
		requireError(t, c.post("/two-factor/generate-backup-codes", map[string]any{"password": "nope nope nope"}), 400, "INVALID_PASSWORD")
	})
}

func TestBackupCodeDisableSession(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	_, backup := e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	r := c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0], "disableSession": true})
	requireOK(t, r)
	assert.Empty(t, r.str("token"))
	assert.Empty(t, c.cookies[sessionCookie])
	assert.NotEmpty(t, c.cookies[challengeName], "the challenge is still open")
}

func TestGenerateBackupCodesNeedsTwoFactor(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	requireError(t, c.post("/two-factor/generate-backup-codes", map[string]any{"password": password}), 400, "TWO_FACTOR_NOT_ENABLED")
}

func TestOTP(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(twofactor.Options) *env) {
		e := newEnv(twofactor.Options{})
		e.client().enroll("ada@example.com")
		c := e.client()
		c.challenged("ada@example.com")
		requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": "123456"}), 400, "OTP_HAS_EXPIRED")
		r := c.post("/two-factor/send-otp", nil)
		requireOK(t, r)
		assert.Equal(t, `{"status":true}`, r.Body.String())
		code := e.lastOTP("ada@example.com")
		assert.Regexp(t, `^[0-9]{6}$`, code)
		id, _ := e.auth.VerifySignedValue(unescape(t, c.cookies[challengeName]))
		v, err := e.auth.FindVerification(context.Background(), "2fa-otp-"+id)
		require.NoError(t, err)
		assert.Equal(t, code+":0", v.Value)
		assert.Equal(t, e.clock.Now().Add(3*time.Minute), v.ExpiresAt)

		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": wrong}), 401, "INVALID_CODE")
		v, err = e.auth.FindVerification(context.Background(), "2fa-otp-"+id)
		require.NoError(t, err)
		assert.Equal(t, code+":1", v.Value)
		requireOK(t, c.post("/two-factor/verify-otp", map[string]any{"code": code}))
		c.signedIn("ada@example.com")
	})
}

func TestOTPAttemptsAndExpiry(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	requireOK(t, c.post("/two-factor/send-otp", nil))
	code := e.lastOTP("ada@example.com")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range 5 {
		requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": wrong}), 401, "INVALID_CODE")
	}
	requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": code}), 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
	// A new code: expiry.
	requireOK(t, c.post("/two-factor/send-otp", nil))
	e.clock.Add(3 * time.Minute)
	requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": e.lastOTP("ada@example.com")}), 400, "OTP_HAS_EXPIRED")
	requireOK(t, c.post("/two-factor/send-otp", nil))
	e.clock.Add(3*time.Minute - time.Second)
	requireOK(t, c.post("/two-factor/verify-otp", map[string]any{"code": e.lastOTP("ada@example.com")}))
}

func TestOTPStorage(t *testing.T) {
	for _, st := range []twofactor.OTPStorage{twofactor.OTPHashed, twofactor.OTPEncrypted} {
		t.Run(string(st), func(t *testing.T) {
			e := newEnv(t, twofactor.Options{OTPStorage: st})
			e.client().enroll("ada@example.com")
			c := e.client()
			c.challenged("ada@example.com")
			requireOK(t, c.post("/two-factor/send-otp", nil))
			code := e.lastOTP("ada@example.com")
			id, _ := e.auth.VerifySignedValue(unescape(t, c.cookies[challengeName]))
			v, err := e.auth.FindVerification(context.Background(), "2fa-otp-"+id)
			require.NoError(t, err)
			stored, _, _ := strings.Cut(v.Value, ":")
			assert.NotContains(t, stored, code)
			if st == twofactor.OTPHashed {
				assert.Equal(t, hashed(code), stored)
			}
			requireError(t, c.post("/two-factor/verify-otp", map[string]any{"code": stored}), 401, "INVALID_CODE")
			requireOK(t, c.post("/two-factor/verify-otp", map[string]any{"code": code}))
		})
	}
}

func TestOTPForSignedInUserTurnsTwoFactorOn(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	before := c.cookies[sessionCookie]
	requireOK(t, c.post("/two-factor/send-otp", nil))
	r := c.post("/two-factor/verify-otp", map[string]any{"code": e.lastOTP("ada@example.com")})
	requireOK(t, r)
	assert.True(t, twofactor.Enabled(e.user("ada@example.com")))
	assert.NotEqual(t, before, c.cookies[sessionCookie])
	assert.Equal(t, true, r.body["user"].(map[string]any)["twoFactorEnabled"])
	c.signedIn("ada@example.com")
}

func TestOTPNotConfigured(t *testing.T) {
	e := newEnvNoOTP(t)
	c := e.client()
	c.signUp("ada@example.com")
	requireError(t, c.post("/two-factor/enable", map[string]any{"password": password, "method": "otp"}), 400, "OTP_NOT_CONFIGURED")
	requireError(t, c.post("/two-factor/send-otp", nil), 400, "OTP_NOT_CONFIGURED")
	assert.False(t, twofactor.Enabled(e.user("ada@example.com")))
	// Without OTP the challenge offers TOTP only.
	e.client().enroll("bob@example.com")
	ch := e.client().challenged("bob@example.com")
	assert.Equal(t, []any{"totp"}, ch.body["twoFactorMethods"])
}

func TestTrustDevice(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(twofactor.Options) *env) {
		e := newEnv(twofactor.Options{})
		secret, _ := e.client().enroll("ada@example.com")
		c := e.client()
		c.challenged("ada@example.com")
		r := c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0), "trustDevice": true})
		requireOK(t, r)
		tc := r.setCookie(trustName)
		require.NotNil(t, tc)
		assert.Equal(t, 30*24*3600, tc.MaxAge)
		val, ok := e.auth.VerifySignedValue(unescape(t, tc.Value))
		require.True(t, ok)
		assert.Regexp(t, `^[A-Za-z0-9_-]{43}!trust-device-[A-Za-z0-9_-]{32}$`, val)
		_, trustID, _ := strings.Cut(val, "!")
		row, err := e.auth.FindVerification(context.Background(), trustID)
		require.NoError(t, err)
		assert.Equal(t, e.user("ada@example.com").ID, row.Value)

		// The next sign-in skips the second factor and renews the trust.
		delete(c.cookies, sessionCookie)
		s := c.signIn("ada@example.com")
		requireOK(t, s)
		assert.Nil(t, s.body["twoFactorRedirect"])
		c.signedIn("ada@example.com")
		renewed := s.setCookie(trustName)
		require.NotNil(t, renewed, "the trust is rotated")
		assert.NotEqual(t, tc.Value, renewed.Value)
		gone, err := e.auth.FindVerification(context.Background(), trustID)
		require.NoError(t, err)
		assert.Nil(t, gone, "the old trust id is spent")
		// The old cookie no longer passes, and is expired.
		old := e.client()
		old.cookies[trustName] = tc.Value
		ch := old.challenged("ada@example.com")
		assert.NotNil(t, ch.setCookie(trustName))
		assert.Empty(t, old.cookies[trustName])

		// Another user's trust cookie does not pass.
		e.client().enroll("bob@example.com")
		bob := e.client()
		bob.cookies[trustName] = c.cookies[trustName]
		bob.challenged("bob@example.com")

		// Trust ends after 30 days.
		e.clock.Add(30*24*time.Hour + time.Second)
		delete(c.cookies, sessionCookie)
		c.challenged("ada@example.com")
	})
}

func TestTrustDeviceKeepsRememberMeOff(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	secret, _ := e.client().enroll("ada@example.com")
	c := e.client()
	r := c.post("/sign-in/email", map[string]any{"email": "ada@example.com", "password": password, "rememberMe": false})
	requireOK(t, r)
	require.Equal(t, true, r.body["twoFactorRedirect"])
	require.NotEmpty(t, c.cookies["better-auth.dont_remember"])
	v := c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)})
	requireOK(t, v)
	sc := v.setCookie(sessionCookie)
	require.NotNil(t, sc)
	assert.Equal(t, 0, sc.MaxAge, "a browser-session cookie, as the sign-in asked")
	s, _, err := e.store.GetSessionByToken(context.Background(), v.str("token"))
	require.NoError(t, err)
	assert.Equal(t, e.clock.Now().Add(24*time.Hour), s.ExpiresAt)
}

func TestDisable(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(twofactor.Options) *env) {
		e := newEnv(twofactor.Options{})
		secret, _ := e.client().enroll("ada@example.com")
		c := e.client()
		c.challenged("ada@example.com")
		requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0), "trustDevice": true}))
		_, trustID, _ := strings.Cut(mustUnsign(t, e, c.cookies[trustName]), "!")
		requireError(t, c.post("/two-factor/disable", map[string]any{"password": "wrong password"}), 400, "INVALID_PASSWORD")
		before := c.cookies[sessionCookie]
		r := c.post("/two-factor/disable", map[string]any{"password": password})
		requireOK(t, r)
		assert.Equal(t, `{"status":true}`, r.Body.String())
		assert.False(t, twofactor.Enabled(e.user("ada@example.com")))
		_, err := e.store.(betterauth.TableStore).FindOne(context.Background(), twofactor.Model, schema.Where{Field: "userId", Value: e.user("ada@example.com").ID})
		require.ErrorIs(t, err, betterauth.ErrNotFound)
		assert.NotEqual(t, before, c.cookies[sessionCookie], "session replaced")
		assert.Empty(t, c.cookies[trustName], "trust cookie expired")
		v, err := e.auth.FindVerification(context.Background(), trustID)
		require.NoError(t, err)
		assert.Nil(t, v, "trust row deleted")
		c.signedIn("ada@example.com")
		// No more challenge.
		c2 := e.client()
		requireOK(t, c2.signIn("ada@example.com"))
		assert.NotEmpty(t, c2.cookies[sessionCookie])
	})
}

func TestGetTOTPURI(t *testing.T) {
	e := newEnv(t, twofactor.Options{Issuer: "My App"})
	c := e.client()
	c.signUp("ada@example.com")
	requireError(t, c.post("/two-factor/get-totp-uri", map[string]any{"password": password}), 400, "TOTP_NOT_ENABLED")
	en := c.post("/two-factor/enable", map[string]any{"password": password})
	requireOK(t, en)
	assert.True(t, strings.HasPrefix(en.str("totpURI"), "otpauth://totp/My%20App:ada%40example.com?"), en.str("totpURI"))
	assert.Contains(t, en.str("totpURI"), "&issuer=My+App&")
	r := c.post("/two-factor/get-totp-uri", map[string]any{"password": password})
	requireOK(t, r)
	assert.Equal(t, en.str("totpURI"), r.str("totpURI"))
	requireError(t, c.post("/two-factor/get-totp-uri", map[string]any{"password": "wrong password"}), 400, "INVALID_PASSWORD")
	// The enable request may name its own issuer.
	c2 := e.client()
	c2.signUp("bob@example.com")
	own := c2.post("/two-factor/enable", map[string]any{"password": password, "issuer": "Other Co"})
	assert.True(t, strings.HasPrefix(own.str("totpURI"), "otpauth://totp/Other%20Co:bob%40example.com?"))
}

func TestRejectReusedCodes(t *testing.T) {
	for _, reject := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[reject], func(t *testing.T) {
			e := newEnv(t, twofactor.Options{RejectReusedCodes: reject})
			secret, _ := e.client().enroll("ada@example.com")
			e.clock.Add(30 * time.Second) // past the enrolment's code
			code := e.totp(secret, 0)
			c := e.client()
			c.challenged("ada@example.com")
			requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": code}))
			c2 := e.client()
			c2.challenged("ada@example.com")
			r := c2.post("/two-factor/verify-totp", map[string]any{"code": code})
			if reject {
				requireError(t, r, 401, "INVALID_CODE")
				// The next step's code still works.
				e.clock.Add(30 * time.Second)
				requireOK(t, c2.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
			} else {
				requireOK(t, r)
			}
		})
	}
}

func TestDisableTOTP(t *testing.T) {
	e := newEnv(t, twofactor.Options{DisableTOTP: true})
	c := e.client()
	c.signUp("ada@example.com")
	requireError(t, c.post("/two-factor/enable", map[string]any{"password": password}), 400, "TOTP_NOT_CONFIGURED")
	requireError(t, c.post("/two-factor/get-totp-uri", map[string]any{"password": password}), 400, "TOTP_NOT_CONFIGURED")
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "123456"}), 400, "TOTP_NOT_CONFIGURED")
	requireOK(t, c.post("/two-factor/enable", map[string]any{"password": password, "method": "otp"}))
	ch := e.client().challenged("ada@example.com")
	assert.Equal(t, []any{"otp"}, ch.body["twoFactorMethods"])
}

func TestSignInMethods(t *testing.T) {
	// Only the listed sign-in methods are challenged.
	e := newEnv(t, twofactor.Options{SignInMethods: []string{"magic-link"}})
	e.client().enroll("ada@example.com")
	c := e.client()
	requireOK(t, c.signIn("ada@example.com"))
	assert.NotEmpty(t, c.cookies[sessionCookie], "email sign-in not challenged")
	u := e.user("ada@example.com")
	res, err := e.auth.SignIn(context.Background(), betterauth.SignIn{User: u, Method: "magic-link"})
	require.NoError(t, err)
	require.NotNil(t, res.Challenge)
	assert.Nil(t, res.Session)
}

func TestRoutesAndRateLimit(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	var paths []string
	for _, r := range e.auth.Routes() {
		if r.Plugin == twofactor.ID {
			paths = append(paths, r.Method+" "+r.Path+" "+r.Access.String())
			assert.Equal(t, betterauth.RateLimitRule{Window: 10 * time.Second, Max: 3}, r.RateLimit, r.Path)
		}
	}
	assert.Equal(t, []string{
		"POST /two-factor/enable session", "POST /two-factor/disable session", "POST /two-factor/get-totp-uri session",
		"POST /two-factor/verify-totp public", "POST /two-factor/send-otp public", "POST /two-factor/verify-otp public",
		"POST /two-factor/generate-backup-codes session", "POST /two-factor/verify-backup-code public",
	}, paths)
}

func TestOptionsAreChecked(t *testing.T) {
	for name, o := range map[string]twofactor.Options{
		"digits":  {Digits: 9},
		"period":  {Period: 1500 * time.Millisecond},
		"backup":  {BackupCodeLength: 1},
		"storage": {OTPStorage: "rot13"},
		"otp":     {OTPAllowedAttempts: -1},
		"trust":   {TrustDeviceMaxAge: -time.Hour},
	} {
		t.Run(name, func(t *testing.T) {
			ms := newEnv(t, twofactor.Options{}).store
			_, err := betterauth.New(betterauth.Config{Store: ms, Secret: testSecret, BaseURL: testBaseURL, Plugins: []betterauth.Plugin{twofactor.New(o)}})
			require.Error(t, err)
		})
	}
}
