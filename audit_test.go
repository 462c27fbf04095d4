package betterauth_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// syncBuffer is a bytes.Buffer safe for the background mail goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// records parses JSON log lines.
func records(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		recs = append(recs, r)
	}
	return recs
}

// TestAuditTrail walks the flows a user goes through and expects each
// audit event with the user's id and the client address, on the audit
// logger only, and never a password, token or cookie.
func TestAuditTrail(t *testing.T) {
	var audit, plain syncBuffer
	mail := &mailbox{}
	a, clock := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&plain, nil))
		c.AuditLogger = slog.New(slog.NewJSONHandler(&audit, nil))
		c.EmailAndPassword.SendResetPassword = mail.send
		c.EmailAndPassword.MaxFailedSignIns = 2
		c.EmailVerification.SendVerificationEmail = mail.send
		c.User.ChangeEmail.Enabled = true
		c.User.ChangeEmail.UpdateEmailWithoutVerification = true
		c.User.DeleteUser.Enabled = true
		c.RateLimit.Enabled = new(true)
		c.RateLimit.CustomRules = map[string]betterauth.RateLimitRule{"/sign-in/email": {Window: 60e9, Max: 100}, "/sign-up/email": {Window: 60e9, Max: 100}}
	})
	h := a.Handler()
	c := newClient(t, h)
	up := c.signUp("Aud", "aud@example.com", "first-secret-pw-1")
	id := userID(t, up)
	sessionToken := up["token"].(string)

	fail := newClient(t, h).do("POST", "/sign-in/email", map[string]any{"email": "aud@example.com", "password": "wrong-secret-pw-1"})
	require.Equal(t, 401, fail.status)
	require.Equal(t, 200, newClient(t, h).do("POST", "/sign-in/email", map[string]any{"email": "aud@example.com", "password": "first-secret-pw-1"}).status)
	require.Equal(t, 400, c.do("POST", "/change-password", map[string]any{"currentPassword": "wrong-secret-pw-2", "newPassword": "second-secret-pw-2"}).status)
	require.Equal(t, 200, c.do("POST", "/change-password", map[string]any{"currentPassword": "first-secret-pw-1", "newPassword": "second-secret-pw-2"}).status)
	for range 3 {
		newClient(t, h).do("POST", "/sign-in/email", map[string]any{"email": "aud@example.com", "password": "wrong-secret-pw-3"})
	}
	require.Equal(t, 200, c.do("POST", "/request-password-reset", map[string]any{"email": "aud@example.com"}).status)
	resetToken := mail.last(t, a).Token
	require.Equal(t, 200, newClient(t, h).do("POST", "/reset-password", map[string]any{"token": resetToken, "newPassword": "third-secret-pw-3"}).status)
	c = newClient(t, h)
	require.Equal(t, 200, c.do("POST", "/sign-in/email", map[string]any{"email": "aud@example.com", "password": "third-secret-pw-3"}).status)
	require.Equal(t, 200, c.do("POST", "/change-email", map[string]any{"newEmail": "aud2@example.com"}).status)
	verify := mail.last(t, a)
	path := strings.TrimPrefix(verify.URL, testOrigin+"/api/auth")
	require.Equal(t, 302, c.do("GET", path, nil).status)
	require.Equal(t, 200, c.do("POST", "/revoke-other-sessions", nil).status)
	stale := newClient(t, h)
	require.Equal(t, 200, stale.do("POST", "/sign-in/email", map[string]any{"email": "aud2@example.com", "password": "third-secret-pw-3"}).status)
	clock.Advance(8 * 24 * time.Hour) // past the stale session's expiry: get-session deletes it
	require.Equal(t, "null", string(stale.do("GET", "/get-session", nil).body))
	c = newClient(t, h)
	require.Equal(t, 200, c.do("POST", "/sign-in/email", map[string]any{"email": "aud2@example.com", "password": "third-secret-pw-3"}).status)
	require.Equal(t, 200, c.do("POST", "/sign-out", nil).status)
	c = newClient(t, h)
	require.Equal(t, 200, c.do("POST", "/sign-in/email", map[string]any{"email": "aud2@example.com", "password": "third-secret-pw-3"}).status)
	require.Equal(t, 200, c.do("POST", "/delete-user", map[string]any{"password": "third-secret-pw-3"}).status)
	evil := newClient(t, h)
	evil.origin = "https://evil.test"
	evil.cookies = map[string]string{"better-auth.session_token": "x"}
	require.Equal(t, 403, evil.do("POST", "/sign-out", nil).status)
	require.Equal(t, 403, newClient(t, h).do("POST", "/sign-in/email", map[string]any{"email": "a@example.com", "password": "x", "callbackURL": "https://evil.test"}).status)
	for range 4 {
		newClient(t, h).do("POST", "/change-password", map[string]any{})
	}
	require.NoError(t, a.Shutdown(t.Context()))

	recs := records(t, audit.String())
	seen := map[string]int{}
	for _, r := range recs {
		ev := r["msg"].(string)
		seen[ev]++
		if ev == betterauth.EventRateLimitExceeded || ev == betterauth.EventCORSRefused || ev == betterauth.EventInputValidationFail {
			continue
		}
		assert.Equal(t, id, r["user_id"], "%s names the user", ev)
		assert.Equal(t, "192.0.2.1", r["ip"], "%s names the client address", ev)
	}
	for _, ev := range []string{
		betterauth.EventUserCreated, betterauth.EventLoginSuccess, betterauth.EventLoginFail, betterauth.EventLoginLock,
		betterauth.EventPasswordChangeFail, betterauth.EventPasswordChange, betterauth.EventTokenCreated,
		betterauth.EventUserUpdated, betterauth.EventSessionExpired, betterauth.EventUserDeleted,
		betterauth.EventCORSRefused, betterauth.EventInputValidationFail, betterauth.EventRateLimitExceeded,
	} {
		assert.NotZero(t, seen[ev], "no %s record in %s", ev, audit.String())
	}
	assert.Equal(t, 1, seen[betterauth.EventLoginLock], "a lock is reported once")
	assert.Equal(t, 1, seen[betterauth.EventUserCreated])
	assert.Equal(t, 1, seen[betterauth.EventUserDeleted])
	reasons := map[string]bool{}
	for _, r := range recs {
		if s, ok := r["reason"].(string); ok {
			reasons[r["msg"].(string)+"/"+s] = true
		}
	}
	for _, want := range []string{
		"authn_password_change/reset", "authn_password_change/change_password", "session_expired/logout", "session_expired/revoked", "session_expired/timeout",
		"user_updated/email_change", "user_updated/email_verified", "authn_token_created/reset_password",
	} {
		assert.True(t, reasons[want], "no %s", want)
	}

	// The application's own log got none of it, and nothing anywhere holds
	// a secret.
	assert.NotContains(t, plain.String(), betterauth.EventLoginSuccess)
	all := audit.String() + plain.String()
	for _, secret := range []string{
		"first-secret-pw-1", "wrong-secret-pw-1", "second-secret-pw-2", "third-secret-pw-3",
		sessionToken, resetToken, url.QueryEscape(resetToken), verify.Token, testSecret,
	} {
		assert.NotContains(t, all, secret)
	}
	for _, k := range c.cookies {
		assert.NotContains(t, all, k)
	}
}
