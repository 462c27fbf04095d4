package betterauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// mailbox is a test mailer: it keeps every mail, or fails when told to.
type mailbox struct {
	mu   sync.Mutex
	sent []betterauth.Email
	fail atomic.Bool
}

func (m *mailbox) send(_ context.Context, e betterauth.Email) error {
	if m.fail.Load() {
		return errors.New("smtp: 451 try again later")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, e)
	return nil
}

// last waits for background mail and returns the newest one.
func (m *mailbox) last(t *testing.T, a *betterauth.Auth) betterauth.Email {
	t.Helper()
	require.NoError(t, a.Shutdown(context.Background()))
	m.mu.Lock()
	defer m.mu.Unlock()
	require.NotEmpty(t, m.sent, "no mail was sent")
	return m.sent[len(m.sent)-1]
}

func (m *mailbox) count(t *testing.T, a *betterauth.Auth) int {
	t.Helper()
	require.NoError(t, a.Shutdown(context.Background()))
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

// pathOf returns the link's path and query, relative to the test origin.
func pathOf(t *testing.T, link string) (string, url.Values) {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	require.Equal(t, testOrigin, u.Scheme+"://"+u.Host, "links use the base URL")
	return strings.TrimPrefix(u.Path, "/api/auth"), u.Query()
}

func TestEmailVerificationFlow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		mail := &mailbox{}
		st := b.new(t, schema.Schema{})
		a, clock := newAuth(t, st, func(c *betterauth.Config) {
			c.EmailAndPassword.RequireEmailVerification = true
			c.EmailVerification.SendVerificationEmail = mail.send
		})
		h := a.Handler()
		c := newClient(t, h)

		// Sign-up makes no session and mails a link.
		res := c.do("POST", "/sign-up/email", map[string]any{"name": "Vi", "email": "vi@example.com", "password": "correct-horse-1", "callbackURL": "/welcome"})
		require.Equal(t, 200, res.status, "%s", res.body)
		assert.Nil(t, res.obj(t)["token"])
		assert.Empty(t, res.setCookies)
		m := mail.last(t, a)
		assert.Equal(t, "vi@example.com", m.To)
		path, q := pathOf(t, m.URL)
		assert.Equal(t, "/verify-email", path)
		assert.Equal(t, "/welcome", q.Get("callbackURL"))
		assert.Equal(t, m.Token, q.Get("token"))

		// An existing email gets the same kind of answer and no second account.
		res = c.do("POST", "/sign-up/email", map[string]any{"name": "Vi2", "email": "VI@example.com", "password": "correct-horse-2"})
		assert.Equal(t, 200, res.status)
		assert.Nil(t, res.obj(t)["token"])
		assert.Equal(t, []string{"token", "user"}, keys(t, res.body))

		// Sign-in is refused until verified.
		res = c.do("POST", "/sign-in/email", map[string]any{"email": "vi@example.com", "password": "correct-horse-1"})
		assert.Equal(t, 403, res.status)
		assert.Equal(t, `{"message":"Email not verified","code":"EMAIL_NOT_VERIFIED"}`, string(res.body))

		// A forged or expired token is refused; with a callback, by redirect.
		res = c.do("GET", "/verify-email?token="+m.Token[:len(m.Token)-2]+"xx", nil)
		assert.Equal(t, 401, res.status)
		assert.Contains(t, string(res.body), `"code":"INVALID_TOKEN"`)
		clock.Advance(61 * time.Minute)
		res = c.do("GET", "/verify-email?token="+m.Token+"&callbackURL=%2Fwelcome", nil)
		assert.Equal(t, 302, res.status)
		assert.Equal(t, "/welcome?error=TOKEN_EXPIRED", res.header.Get("Location"))
		res = c.do("GET", "/verify-email?token="+m.Token+"&callbackURL=https%3A%2F%2Fevil.test", nil)
		assert.Equal(t, 403, res.status, "the callback must be trusted")

		// A fresh link (send-verification-email, no session) verifies.
		res = c.do("POST", "/send-verification-email", map[string]any{"email": "vi@example.com"})
		assert.Equal(t, `{"status":true}`, string(res.body))
		m = mail.last(t, a)
		path, q = pathOf(t, m.URL)
		res = c.do("GET", path+"?"+q.Encode(), nil)
		assert.Equal(t, 302, res.status)
		assert.Equal(t, "/", res.header.Get("Location"))
		res = c.do("GET", "/verify-email?token="+m.Token, nil)
		assert.Equal(t, `{"status":true,"user":null}`, string(res.body), "a token may be used again until it expires")

		res = c.do("POST", "/sign-in/email", map[string]any{"email": "vi@example.com", "password": "correct-horse-1"})
		assert.Equal(t, 200, res.status)
		res = c.do("POST", "/send-verification-email", map[string]any{"email": "vi@example.com"})
		assert.Equal(t, `{"message":"Email is already verified","code":"EMAIL_ALREADY_VERIFIED"}`, string(res.body))
		res = c.do("POST", "/send-verification-email", map[string]any{"email": "other@example.com"})
		assert.Equal(t, `{"message":"Email mismatch","code":"EMAIL_MISMATCH"}`, string(res.body))
	})
}

// Unknown emails get the same answer as unverified ones (and both wait out
// the same 500 ms floor, which the benchmarks show rather than assert).
func TestSendVerificationEmailIsEnumerationSafe(t *testing.T) {
	mail := &mailbox{}
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.EmailVerification.SendVerificationEmail = mail.send
	})
	h := a.Handler()
	c := newClient(t, h)
	c.signUp("Wu", "wu@example.com", "correct-horse-1")
	anon := newClient(t, h)
	var bodies []string
	for _, email := range []string{"wu@example.com", "nobody@example.com"} {
		res := anon.do("POST", "/send-verification-email", map[string]any{"email": email})
		bodies = append(bodies, string(res.body))
	}
	assert.Equal(t, bodies[0], bodies[1])
	assert.Equal(t, 1, mail.count(t, a), "mail only for the real, unverified account")
}

func TestAutoSignInAfterVerification(t *testing.T) {
	mail := &mailbox{}
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.EmailAndPassword.RequireEmailVerification = true
		c.EmailVerification.SendVerificationEmail = mail.send
		c.EmailVerification.AutoSignInAfterVerification = true
	})
	c := newClient(t, a.Handler())
	c.do("POST", "/sign-up/email", map[string]any{"name": "Xi", "email": "xi@example.com", "password": "correct-horse-1"})
	m := mail.last(t, a)
	res := c.do("GET", "/verify-email?token="+m.Token, nil)
	require.Len(t, res.setCookies, 1)
	assert.Regexp(t, sessionSet, res.setCookies[0])
	body := c.do("GET", "/get-session", nil).obj(t)
	assert.Equal(t, true, body["user"].(map[string]any)["emailVerified"])
}

// A verification token made by Better Auth (golden vector) verifies here.
func TestBetterAuthVerificationTokenVerifies(t *testing.T) {
	raw, err := os.ReadFile("testdata/better-auth-vectors.json")
	require.NoError(t, err)
	var v struct {
		Secret string `json:"secret"`
		JWT    []struct {
			Token string `json:"token"`
		} `json:"jwt"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, clock := newAuth(t, st, func(c *betterauth.Config) { c.Secret = v.Secret })
		clock.t = time.Unix(1795777847+60, 0).UTC()
		u := &betterauth.User{ID: "sArLNDLdu0SuD1ciNjxrAOzd89zOTaAn", Name: "Golden", Email: "user@example.com"}
		require.NoError(t, st.CreateUser(context.Background(), u))
		c := newClient(t, a.Handler())
		res := c.do("GET", "/verify-email?token="+v.JWT[0].Token, nil)
		require.Equal(t, 200, res.status, "%s", res.body)
		got, err := st.GetUserByID(context.Background(), u.ID)
		require.NoError(t, err)
		assert.True(t, got.EmailVerified)
	})
}

func TestPasswordResetFlow(t *testing.T) {
	for _, hashed := range []bool{false, true} {
		name := "plain identifiers"
		if hashed {
			name = "hashed identifiers"
		}
		t.Run(name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				mail := &mailbox{}
				st := b.new(t, schema.Schema{})
				a, clock := newAuth(t, st, func(c *betterauth.Config) {
					c.EmailAndPassword.SendResetPassword = mail.send
					c.Verification.StoreIdentifierHashed = hashed
				})
				h := a.Handler()
				c := newClient(t, h)
				c.signUp("Yu", "yu@example.com", "correct-horse-1")
				anon := newClient(t, h)

				// Known and unknown emails: the same answer.
				known := anon.do("POST", "/request-password-reset", map[string]any{"email": "yu@example.com", "redirectTo": "/reset"})
				unknown := anon.do("POST", "/request-password-reset", map[string]any{"email": "nobody@example.com", "redirectTo": "/reset"})
				assert.Equal(t, 200, known.status)
				assert.Equal(t, string(known.body), string(unknown.body))
				assert.Equal(t, `{"status":true,"message":"If this email exists in our system, check your email for the reset link"}`, string(known.body))
				m := mail.last(t, a)
				assert.Equal(t, 1, mail.count(t, a))
				assert.Regexp(t, `^[A-Za-z0-9]{24}$`, m.Token)
				path, q := pathOf(t, m.URL)
				assert.Equal(t, "/reset-password/"+m.Token, path)
				assert.Equal(t, "/reset", q.Get("callbackURL"))

				row, err := st.GetVerification(context.Background(), "reset-password:"+m.Token)
				if hashed {
					assert.ErrorIs(t, err, betterauth.ErrNotFound, "the identifier is stored hashed")
				} else {
					require.NoError(t, err)
					assert.WithinDuration(t, clock.Now().Add(time.Hour), row.ExpiresAt, time.Second)
				}

				// The link redirects with the token; a bad token with an error.
				res := anon.do("GET", path+"?"+q.Encode(), nil)
				assert.Equal(t, 302, res.status)
				assert.Equal(t, testOrigin+"/reset?token="+m.Token, res.header.Get("Location"))
				res = anon.do("GET", "/reset-password/nope?callbackURL=%2Freset", nil)
				assert.Equal(t, testOrigin+"/reset?error=INVALID_TOKEN", res.header.Get("Location"))

				res = anon.do("POST", "/reset-password", map[string]any{"token": m.Token, "newPassword": "short"})
				assert.Equal(t, `{"message":"Password too short","code":"PASSWORD_TOO_SHORT"}`, string(res.body))
				res = anon.do("POST", "/reset-password", map[string]any{"token": m.Token, "newPassword": "battery-staple-2"})
				require.Equal(t, `{"status":true}`, string(res.body))
				res = anon.do("POST", "/reset-password", map[string]any{"token": m.Token, "newPassword": "battery-staple-3"})
				assert.Equal(t, 400, res.status, "a used token cannot be replayed")
				assert.Equal(t, `{"message":"Invalid token","code":"INVALID_TOKEN"}`, string(res.body))

				assert.Equal(t, "null", string(c.do("GET", "/get-session", nil).body), "sessions are revoked")
				assert.Equal(t, 401, anon.do("POST", "/sign-in/email", map[string]any{"email": "yu@example.com", "password": "correct-horse-1"}).status)
				assert.Equal(t, 200, anon.do("POST", "/sign-in/email", map[string]any{"email": "yu@example.com", "password": "battery-staple-2"}).status)

				// Expiry at the edge: valid one second before, invalid at it.
				anon.do("POST", "/request-password-reset", map[string]any{"email": "yu@example.com"})
				m = mail.last(t, a)
				clock.Advance(time.Hour - time.Second)
				ok, err := a.CheckResetToken(context.Background(), m.Token)
				require.NoError(t, err)
				assert.True(t, ok)
				clock.Advance(time.Second)
				res = anon.do("POST", "/reset-password?token="+m.Token, map[string]any{"newPassword": "battery-staple-4"})
				assert.Equal(t, 400, res.status, "expired")
			})
		})
	}
}

func TestResetTokenUsedConcurrently(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		mail := &mailbox{}
		a, _ := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) { c.EmailAndPassword.SendResetPassword = mail.send })
		h := a.Handler()
		newClient(t, h).signUp("Zed", "zed@example.com", "correct-horse-1")
		require.NoError(t, a.RequestPasswordReset(context.Background(), "zed@example.com", ""))
		token := mail.last(t, a).Token
		var ok, bad atomic.Int32
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := a.ResetPassword(context.Background(), token, "new-password-"+string(rune('a'+i)))
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, betterauth.ErrInvalidToken):
					bad.Add(1)
				default:
					t.Errorf("unexpected: %v", err)
				}
			}()
		}
		wg.Wait()
		assert.EqualValues(t, 1, ok.Load(), "exactly one reset wins")
		assert.EqualValues(t, 9, bad.Load())
	})
}

// A token of one purpose is useless for another.
func TestTokensAreBoundToTheirPurpose(t *testing.T) {
	mail := &mailbox{}
	st := backends[0].new(t, schema.Schema{})
	a, _ := newAuth(t, st, func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = mail.send
		c.EmailVerification.SendVerificationEmail = mail.send
		c.User.DeleteUser.Enabled = true
		c.User.DeleteUser.SendDeleteAccountVerification = mail.send
	})
	c := newClient(t, a.Handler())
	c.signUp("Ab", "ab@example.com", "correct-horse-1")
	res := c.do("POST", "/delete-user", map[string]any{})
	assert.Equal(t, `{"success":true,"message":"Verification email sent"}`, string(res.body))
	del := mail.last(t, a)
	assert.Regexp(t, `^[0-9a-z]{32}$`, del.Token)
	res = c.do("POST", "/reset-password", map[string]any{"token": del.Token, "newPassword": "battery-staple-2"})
	assert.Equal(t, 400, res.status, "a delete token is not a reset token")

	require.NoError(t, a.RequestPasswordReset(context.Background(), "ab@example.com", ""))
	reset := mail.last(t, a)
	res = c.do("GET", "/delete-user/callback?token="+reset.Token, nil)
	assert.Equal(t, 404, res.status, "a reset token is not a delete token")
	res = c.do("GET", "/verify-email?token="+reset.Token, nil)
	assert.Equal(t, 401, res.status, "nor a verification token")

	// The real delete link works, with the user's session.
	path, q := pathOf(t, del.URL)
	res = c.do("GET", path+"?"+q.Encode(), nil)
	assert.Equal(t, 302, res.status, "%s", res.body)
	assert.Equal(t, "/", res.header.Get("Location"))
	assert.Equal(t, expireCookies, res.setCookies)
	_, err := st.GetUserByEmail(context.Background(), "ab@example.com")
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
}

func TestMailFailureLeavesNothingBehind(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		mail := &mailbox{}
		st := b.new(t, schema.Schema{})
		a, _ := newAuth(t, st, func(c *betterauth.Config) {
			c.EmailAndPassword.SendResetPassword = mail.send
			c.User.DeleteUser.Enabled = true
			c.User.DeleteUser.SendDeleteAccountVerification = mail.send
		})
		c := newClient(t, a.Handler())
		c.signUp("Bo", "bo@example.com", "correct-horse-1")
		mail.fail.Store(true)

		// Reset: the answer stays the same (no enumeration), and the unsent link is removed.
		res := c.do("POST", "/request-password-reset", map[string]any{"email": "bo@example.com"})
		assert.Equal(t, 200, res.status)
		require.NoError(t, a.Shutdown(context.Background()))
		res2, err := a.DeleteExpired(context.Background())
		require.NoError(t, err)
		assert.Zero(t, res2.Verifications)
		n, err := st.DeleteExpiredVerifications(context.Background(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 100)
		require.NoError(t, err)
		assert.Zero(t, n, "no verification row is left")

		// Delete with confirmation: the caller sees the failure; no token is left.
		res = c.do("POST", "/delete-user", map[string]any{})
		assert.Equal(t, 500, res.status)
		assert.Equal(t, `{"message":"Failed to send email","code":"FAILED_TO_SEND_EMAIL"}`, string(res.body))
		n, err = st.DeleteExpiredVerifications(context.Background(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 100)
		require.NoError(t, err)
		assert.Zero(t, n)
		_, err = st.GetUserByEmail(context.Background(), "bo@example.com")
		assert.NoError(t, err, "the user is still there")
	})
}

func TestRedirectTargetsAreChecked(t *testing.T) {
	mail := &mailbox{}
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) { c.EmailAndPassword.SendResetPassword = mail.send })
	c := newClient(t, a.Handler())
	res := c.do("POST", "/request-password-reset", map[string]any{"email": "x@example.com", "redirectTo": "https://evil.test/steal"})
	assert.Equal(t, 403, res.status)
	assert.Equal(t, `{"message":"Invalid redirectURL","code":"INVALID_REDIRECT_URL"}`, string(res.body))
	res = c.do("GET", "/reset-password/abc?callbackURL=https%3A%2F%2Fevil.test", nil)
	assert.Equal(t, 403, res.status)
	res = c.do("POST", "/request-password-reset", map[string]any{"email": "x@example.com"})
	assert.Equal(t, 200, res.status)
}

func TestResetCreatesCredentialAccount(t *testing.T) {
	mail := &mailbox{}
	st := backends[0].new(t, schema.Schema{})
	a, _ := newAuth(t, st, func(c *betterauth.Config) { c.EmailAndPassword.SendResetPassword = mail.send })
	u := &betterauth.User{Name: "Social", Email: "social@example.com", EmailVerified: true}
	require.NoError(t, st.CreateUser(context.Background(), u))
	require.NoError(t, a.RequestPasswordReset(context.Background(), "social@example.com", ""))
	require.NoError(t, a.ResetPassword(context.Background(), mail.last(t, a).Token, "first-password-1"))
	acct, err := st.GetAccount(context.Background(), betterauth.ProviderCredential, u.ID)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{32}:[0-9a-f]{128}$`, acct.Password)
	c := newClient(t, a.Handler())
	assert.Equal(t, 200, c.do("POST", "/sign-in/email", map[string]any{"email": "social@example.com", "password": "first-password-1"}).status)
}

func TestChangeEmail(t *testing.T) {
	t.Run("disabled", func(t *testing.T) {
		a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
		c := newClient(t, a.Handler())
		c.signUp("Ca", "ca@example.com", "correct-horse-1")
		res := c.do("POST", "/change-email", map[string]any{"newEmail": "new@example.com"})
		assert.Equal(t, `{"message":"Change email is disabled","code":"CHANGE_EMAIL_DISABLED"}`, string(res.body))
	})
	t.Run("immediate for unverified users", func(t *testing.T) {
		mail := &mailbox{}
		a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
			c.User.ChangeEmail.Enabled = true
			c.User.ChangeEmail.UpdateEmailWithoutVerification = true
			c.EmailVerification.SendVerificationEmail = mail.send
		})
		c := newClient(t, a.Handler())
		c.signUp("Cb", "cb@example.com", "correct-horse-1")
		res := c.do("POST", "/change-email", map[string]any{"newEmail": "CB2@example.com"})
		assert.Equal(t, `{"status":true}`, string(res.body))
		assert.Len(t, res.setCookies, 1)
		user := c.do("GET", "/get-session", nil).obj(t)["user"].(map[string]any)
		assert.Equal(t, "cb2@example.com", user["email"])
		assert.Equal(t, "cb2@example.com", mail.last(t, a).To, "a verification link goes to the new address")
		res = c.do("POST", "/change-email", map[string]any{"newEmail": "cb2@example.com"})
		assert.Equal(t, `{"message":"Email is the same"}`, string(res.body))
	})
	t.Run("verified users confirm on the old address, then verify the new", func(t *testing.T) {
		forEachBackend(t, func(t *testing.T, b backend) {
			mail := &mailbox{}
			st := b.new(t, schema.Schema{})
			a, _ := newAuth(t, st, func(c *betterauth.Config) {
				c.User.ChangeEmail.Enabled = true
				c.User.ChangeEmail.SendChangeEmailConfirmation = mail.send
				c.EmailVerification.SendVerificationEmail = mail.send
			})
			c := newClient(t, a.Handler())
			id := c.signUp("Cc", "cc@example.com", "correct-horse-1")["user"].(map[string]any)["id"].(string)
			verified := true
			_, err := st.UpdateUser(context.Background(), id, betterauth.UserUpdate{EmailVerified: &verified})
			require.NoError(t, err)
			newClient(t, a.Handler()).signUp("Taken", "taken@example.com", "correct-horse-1")

			before := mail.count(t, a)
			res := c.do("POST", "/change-email", map[string]any{"newEmail": "taken@example.com"})
			assert.Equal(t, `{"status":true}`, string(res.body), "an address in use gets the same answer")
			assert.Equal(t, before, mail.count(t, a), "and no mail")

			res = c.do("POST", "/change-email", map[string]any{"newEmail": "cc-new@example.com", "callbackURL": "/settings"})
			assert.Equal(t, `{"status":true}`, string(res.body))
			confirm := mail.last(t, a)
			assert.Equal(t, "cc@example.com", confirm.To)
			assert.Equal(t, "cc-new@example.com", confirm.NewEmail)

			path, q := pathOf(t, confirm.URL)
			res = c.do("GET", path+"?"+q.Encode(), nil)
			assert.Equal(t, 302, res.status)
			verify := mail.last(t, a)
			assert.Equal(t, "cc-new@example.com", verify.To)
			path, q = pathOf(t, verify.URL)
			res = c.do("GET", path+"?"+q.Encode(), nil)
			assert.Equal(t, 302, res.status)
			assert.Equal(t, "/settings", res.header.Get("Location"))
			got, err := st.GetUserByID(context.Background(), id)
			require.NoError(t, err)
			assert.Equal(t, "cc-new@example.com", got.Email)
			assert.True(t, got.EmailVerified)

			// Another user's session cannot apply someone's change link.
			other := newClient(t, a.Handler())
			other.signUp("Dd", "dd@example.com", "correct-horse-1")
			res = other.do("GET", "/verify-email?token="+verify.Token, nil)
			assert.Equal(t, 401, res.status)
		})
	})
}

func TestDeleteExpired(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		mail := &mailbox{}
		st := b.new(t, schema.Schema{})
		a, clock := newAuth(t, st, func(c *betterauth.Config) { c.EmailAndPassword.SendResetPassword = mail.send })
		h := a.Handler()
		for i := range 3 {
			newClient(t, h).signUp("E", "e"+string(rune('a'+i))+"@example.com", "correct-horse-1")
		}
		require.NoError(t, a.RequestPasswordReset(context.Background(), "ea@example.com", ""))
		require.NoError(t, a.Shutdown(context.Background()))
		res, err := a.DeleteExpired(context.Background())
		require.NoError(t, err)
		assert.Equal(t, betterauth.CleanupResult{}, res)
		clock.Advance(8 * 24 * time.Hour)
		res, err = a.DeleteExpired(context.Background())
		require.NoError(t, err)
		assert.Equal(t, betterauth.CleanupResult{Sessions: 3, Verifications: 1}, res)

		stop := a.StartCleanup(time.Millisecond)
		stop()
		stop()
	})
}

// Hashed identifiers are Better Auth's format: base64url(SHA-256(identifier)), no padding.
func TestHashedIdentifierFormat(t *testing.T) {
	mail := &mailbox{}
	st := backends[0].new(t, schema.Schema{})
	a, _ := newAuth(t, st, func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = mail.send
		c.Verification.StoreIdentifierHashed = true
	})
	newClient(t, a.Handler()).signUp("Ha", "ha@example.com", "correct-horse-1")
	require.NoError(t, a.RequestPasswordReset(context.Background(), "ha@example.com", ""))
	token := mail.last(t, a).Token
	sum := sha256.Sum256([]byte("reset-password:" + token))
	row, err := st.GetVerification(context.Background(), base64.RawURLEncoding.EncodeToString(sum[:]))
	require.NoError(t, err)
	assert.NotContains(t, row.Identifier, token)

	// A row written plain (before the switch, or by a Better Auth without it) still works.
	u, err := st.GetUserByEmail(context.Background(), "ha@example.com")
	require.NoError(t, err)
	require.NoError(t, st.CreateVerification(context.Background(), &betterauth.Verification{Identifier: "reset-password:plainTOKEN0000000000000000", Value: u.ID, ExpiresAt: time.Now().Add(time.Hour)}))
	require.NoError(t, a.ResetPassword(context.Background(), "plainTOKEN0000000000000000", "battery-staple-2"))
}
