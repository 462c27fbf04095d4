package betterauth_test

// Tests for rules that nothing else pins down: each fails when its rule is
// removed (the mutation each was checked against is named in its comment).

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// quickHasher is a PasswordHasher for tests where the hash format is not
// the point: one SHA-256, no cost. It counts its calls.
type quickHasher struct{ hashes, verifies atomic.Int64 }

func (h *quickHasher) Hash(_ context.Context, password string) (string, error) {
	h.hashes.Add(1)
	sum := sha256.Sum256([]byte(password))
	return "quick:" + hex.EncodeToString(sum[:]), nil
}

func (h *quickHasher) Verify(_ context.Context, hash, password string) (bool, error) {
	h.verifies.Add(1)
	if !strings.HasPrefix(hash, "quick:") {
		return false, betterauth.ErrInvalidPasswordHash
	}
	sum := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare([]byte(hash), []byte("quick:"+hex.EncodeToString(sum[:]))) == 1, nil
}

// calls is the number of Hash and Verify calls so far.
func (h *quickHasher) calls() int64 { return h.hashes.Load() + h.verifies.Load() }

// newQuickAuth is newAuth with a quickHasher.
func newQuickAuth(t *testing.T, st betterauth.Store, mod func(*betterauth.Config)) (*betterauth.Auth, *fakeClock, *quickHasher) {
	t.Helper()
	h := &quickHasher{}
	a, clock := newAuth(t, st, func(c *betterauth.Config) {
		c.PasswordHasher = h
		if mod != nil {
			mod(c)
		}
	})
	return a, clock, h
}

func memStore(t *testing.T) betterauth.Store { return backends[0].new(t, schema.Schema{}) }

func userID(t *testing.T, signUp map[string]any) string {
	t.Helper()
	return signUp["user"].(map[string]any)["id"].(string)
}

// Rule: passwords longer than MaxPasswordLength (128) are refused with 400
// PASSWORD_TOO_LONG wherever a password is taken; 128 is fine.
// Mutations: `n > Max` → `n > Max+1` in checkPasswordLength; each endpoint's
// checkPasswordLength/checkNewPassword call removed in turn.
func TestRuleMaxPasswordLength(t *testing.T) {
	mail := &mailbox{}
	a, _, _ := newQuickAuth(t, memStore(t), func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = mail.send
	})
	h := a.Handler()
	long, tooLong := strings.Repeat("p", 128), strings.Repeat("p", 129)
	const tooLongBody = `{"message":"Password too long","code":"PASSWORD_TOO_LONG"}`

	c := newClient(t, h)
	res := c.do("POST", "/sign-up/email", map[string]any{"name": "Lo", "email": "toolong@example.com", "password": tooLong})
	assert.Equal(t, 400, res.status)
	assert.Equal(t, tooLongBody, string(res.body), "sign-up")
	c.signUp("Lo", "long@example.com", long)

	anon := newClient(t, h)
	res = anon.do("POST", "/sign-in/email", map[string]any{"email": "long@example.com", "password": tooLong})
	assert.Equal(t, tooLongBody, string(res.body), "sign-in")
	res = anon.do("POST", "/sign-in/email", map[string]any{"email": "long@example.com", "password": long})
	assert.Equal(t, 200, res.status, "sign-in with 128: %s", res.body)

	res = c.do("POST", "/change-password", map[string]any{"currentPassword": long, "newPassword": tooLong})
	assert.Equal(t, tooLongBody, string(res.body), "change-password, new")
	res = c.do("POST", "/change-password", map[string]any{"currentPassword": tooLong, "newPassword": "correct-horse-1"})
	assert.Equal(t, tooLongBody, string(res.body), "change-password, current")
	res = c.do("POST", "/change-password", map[string]any{"currentPassword": long, "newPassword": strings.Repeat("q", 128)})
	assert.Equal(t, 200, res.status, "change-password to 128: %s", res.body)

	require.NoError(t, a.RequestPasswordReset(context.Background(), "long@example.com", ""))
	token := mail.last(t, a).Token
	res = anon.do("POST", "/reset-password", map[string]any{"token": token, "newPassword": tooLong})
	assert.Equal(t, tooLongBody, string(res.body), "reset-password")
	res = anon.do("POST", "/reset-password", map[string]any{"token": token, "newPassword": long})
	assert.Equal(t, `{"status":true}`, string(res.body), "reset-password to 128")
}

// Rule: sign-in of an unknown email (or of a user without a password)
// still runs the hasher once, so its time does not tell.
// Mutation: the dummy a.hasher.Hash in SignInEmail removed.
func TestRuleSignInUnknownEmailCostsAHash(t *testing.T) {
	st := memStore(t)
	a, _, hasher := newQuickAuth(t, st, nil)
	anon := newClient(t, a.Handler())

	before := hasher.calls()
	res := anon.do("POST", "/sign-in/email", map[string]any{"email": "nobody@example.com", "password": "correct-horse-1"})
	assert.Equal(t, 401, res.status)
	assert.EqualValues(t, 1, hasher.calls()-before, "an unknown email costs one hash")

	require.NoError(t, st.CreateUser(context.Background(), &betterauth.User{Name: "No", Email: "nopass@example.com"}))
	before = hasher.calls()
	res = anon.do("POST", "/sign-in/email", map[string]any{"email": "nopass@example.com", "password": "correct-horse-1"})
	assert.Equal(t, 401, res.status)
	assert.EqualValues(t, 1, hasher.calls()-before, "a user without password costs one hash")
}

// Rule: where sign-up of an existing email answers like a success
// (DisableAutoSignIn, RequireEmailVerification), it still hashes the
// password, as a real sign-up does.
// Mutation: the a.hasher.Hash in syntheticSignUp removed.
func TestRuleSyntheticSignUpHashes(t *testing.T) {
	for name, mod := range map[string]func(*betterauth.Config){
		"DisableAutoSignIn":        func(c *betterauth.Config) { c.EmailAndPassword.DisableAutoSignIn = true },
		"RequireEmailVerification": func(c *betterauth.Config) { c.EmailAndPassword.RequireEmailVerification = true },
	} {
		t.Run(name, func(t *testing.T) {
			a, _, hasher := newQuickAuth(t, memStore(t), mod)
			c := newClient(t, a.Handler())
			c.signUp("Sy", "sy@example.com", "correct-horse-1")
			before := hasher.hashes.Load()
			body := c.signUp("Sy", "sy@example.com", "correct-horse-2")
			assert.Nil(t, body["token"])
			assert.EqualValues(t, 1, hasher.hashes.Load()-before, "the synthetic sign-up hashes too")
		})
	}
}

// Rule: send-verification-email without a session answers after at least
// 500 ms, for unknown and known addresses alike (a lower bound only).
// Mutation: the 500 ms timer → 0 (and the wait removed).
func TestRuleSendVerificationEmailFloor(t *testing.T) {
	mail := &mailbox{}
	a, _, _ := newQuickAuth(t, memStore(t), func(c *betterauth.Config) {
		c.EmailVerification.SendVerificationEmail = mail.send
	})
	h := a.Handler()
	newClient(t, h).signUp("Fl", "floor@example.com", "correct-horse-1")
	anon := newClient(t, h)
	for _, email := range []string{"floor@example.com", "nobody@example.com"} {
		start := time.Now()
		res := anon.do("POST", "/send-verification-email", map[string]any{"email": email})
		took := time.Since(start)
		assert.Equal(t, `{"status":true}`, string(res.body), email)
		assert.GreaterOrEqual(t, took, 500*time.Millisecond, email)
	}
}

// Rule: a delete-account token deletes only the user it was issued to:
// user B's session cannot use user A's token, by link or by POST.
// Mutation: `|| v.Value != userID` removed in deleteUserWithToken.
func TestRuleDeleteTokenBoundToItsUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		mail := &mailbox{}
		st := b.new(t, schema.Schema{})
		a, _, _ := newQuickAuth(t, st, func(c *betterauth.Config) {
			c.User.DeleteUser.Enabled = true
			c.User.DeleteUser.SendDeleteAccountVerification = mail.send
		})
		h := a.Handler()
		alice, bob := newClient(t, h), newClient(t, h)
		aliceID := userID(t, alice.signUp("Al", "alice@example.com", "correct-horse-1"))
		bobID := userID(t, bob.signUp("Bo", "bob@example.com", "correct-horse-1"))
		res := alice.do("POST", "/delete-user", map[string]any{})
		require.Equal(t, `{"success":true,"message":"Verification email sent"}`, string(res.body))
		token := mail.last(t, a).Token

		res = bob.do("GET", "/delete-user/callback?token="+token, nil)
		assert.Equal(t, 404, res.status, "link: %s", res.body)
		assert.Contains(t, string(res.body), `"code":"INVALID_TOKEN"`)
		res = bob.do("POST", "/delete-user", map[string]any{"token": token})
		assert.Equal(t, 404, res.status, "POST: %s", res.body)
		for _, id := range []string{aliceID, bobID} {
			_, err := st.GetUserByID(context.Background(), id)
			assert.NoError(t, err, "nobody was deleted")
		}

		// The refused attempts did not use the token up.
		res = alice.do("GET", "/delete-user/callback?token="+token, nil)
		assert.Equal(t, `{"success":true,"message":"User deleted"}`, string(res.body))
		_, err := st.GetUserByID(context.Background(), aliceID)
		assert.ErrorIs(t, err, betterauth.ErrNotFound)
	})
}

// verificationJWT signs an email-verification token as Better Auth does.
func verificationJWT(t *testing.T, now time.Time, claims map[string]any) string {
	t.Helper()
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(time.Hour).Unix()
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	signing := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Rule: a verification token whose userId is not the id of the user with
// its email is refused, and verifies nothing.
// Mutation: `if userID != "" && userID != u.ID { return ErrInvalidToken }`
// removed in VerifyEmail.
func TestRuleVerifyEmailChecksUserID(t *testing.T) {
	st := memStore(t)
	a, clock, _ := newQuickAuth(t, st, nil)
	h := a.Handler()
	aliceID := userID(t, newClient(t, h).signUp("Al", "alice@example.com", "correct-horse-1"))
	bobID := userID(t, newClient(t, h).signUp("Bo", "bob@example.com", "correct-horse-1"))
	anon := newClient(t, h)

	res := anon.do("GET", "/verify-email?token="+verificationJWT(t, clock.Now(), map[string]any{"email": "alice@example.com", "userId": bobID}), nil)
	assert.Equal(t, 401, res.status)
	assert.Equal(t, `{"message":"Invalid token","code":"INVALID_TOKEN"}`, string(res.body))
	u, err := st.GetUserByID(context.Background(), aliceID)
	require.NoError(t, err)
	assert.False(t, u.EmailVerified)

	// The same token with the right id verifies: only the id was wrong.
	res = anon.do("GET", "/verify-email?token="+verificationJWT(t, clock.Now(), map[string]any{"email": "alice@example.com", "userId": aliceID}), nil)
	assert.Equal(t, `{"status":true,"user":null}`, string(res.body))
	u, err = st.GetUserByID(context.Background(), aliceID)
	require.NoError(t, err)
	assert.True(t, u.EmailVerified)
}

// Rule: LoadSession (like RequireSession) fails closed when the store
// fails: 503, and the next handler does not run as if anonymous.
// Mutation: LoadSession's `if err != nil { writeError; return }` replaced by
// passing the request on without a session.
func TestRuleMiddlewareFailsClosed(t *testing.T) {
	st := memStore(t)
	a, _, _ := newQuickAuth(t, st, nil)
	c := newClient(t, a.Handler())
	c.signUp("Mi", "mi@example.com", "correct-horse-1")
	down, _, _ := newQuickAuth(t, failingStore{st}, nil)
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("the next handler must not run") })
	for name, mw := range map[string]func(http.Handler) http.Handler{"LoadSession": down.LoadSession, "RequireSession": down.RequireSession} {
		req := newRequest(t, "GET", "/api/me", "")
		req.Header.Set("Cookie", c.cookieHeader())
		rec := serve(mw(next), req)
		assert.Equal(t, 503, rec.Code, name)
		assert.Equal(t, `{"message":"Service temporarily unavailable","code":"SERVICE_UNAVAILABLE"}`, rec.Body.String(), name)
	}
}

// Rule: a session read at exactly its expiresAt is no session (get-session
// answers null, the middleware 401); a millisecond before, it is one.
// Mutation: `!s.ExpiresAt.After(now)` → `s.ExpiresAt.Before(now)` in lookup.
func TestRuleSessionEndsAtExpiresAt(t *testing.T) {
	a, clock, _ := newQuickAuth(t, memStore(t), nil)
	h := a.Handler()
	c := newClient(t, h)
	c.signUp("Ex", "ex@example.com", "correct-horse-1")
	me := a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	call := func() int {
		req := newRequest(t, "GET", "/api/me", "")
		req.Header.Set("Cookie", c.cookieHeader())
		return serve(me, req).Code
	}
	clock.Advance(7*24*time.Hour - time.Millisecond)
	assert.Equal(t, 200, call(), "a millisecond before expiry")
	clock.Advance(time.Millisecond)
	assert.Equal(t, 401, call(), "at expiry")
	assert.Equal(t, "null", string(c.do("GET", "/get-session", nil).body))
}

// Rule: DisableSessionRefresh stops sliding: past UpdateAge, get-session
// leaves expiresAt alone and sets no cookie (the control shows it would
// slide otherwise).
// Mutation: `|| cfg.DisableSessionRefresh` removed in GetSession.
func TestRuleDisableSessionRefresh(t *testing.T) {
	for _, disabled := range []bool{true, false} {
		a, clock, _ := newQuickAuth(t, memStore(t), func(c *betterauth.Config) { c.Session.DisableSessionRefresh = disabled })
		c := newClient(t, a.Handler())
		c.signUp("Sl", "slide@example.com", "correct-horse-1")
		first := c.do("GET", "/get-session", nil).obj(t)["session"].(map[string]any)["expiresAt"]
		clock.Advance(25 * time.Hour)
		res := c.do("GET", "/get-session", nil)
		later := res.obj(t)["session"].(map[string]any)["expiresAt"]
		if disabled {
			assert.Equal(t, first, later, "expiresAt does not move")
			assert.Empty(t, res.setCookies)
		} else {
			assert.NotEqual(t, first, later, "control: the session slides")
			assert.NotEmpty(t, res.setCookies)
		}
	}
}

// Rule: a delete-account link past its expiry deletes nothing.
// Mutation: the expiry check in consumeVerification removed.
func TestRuleExpiredDeleteLinkDeletesNothing(t *testing.T) {
	mail := &mailbox{}
	st := memStore(t)
	a, clock, _ := newQuickAuth(t, st, func(c *betterauth.Config) {
		c.User.DeleteUser.Enabled = true
		c.User.DeleteUser.SendDeleteAccountVerification = mail.send
	})
	c := newClient(t, a.Handler())
	id := userID(t, c.signUp("De", "de@example.com", "correct-horse-1"))
	require.Equal(t, 200, c.do("POST", "/delete-user", map[string]any{}).status)
	token := mail.last(t, a).Token
	clock.Advance(24 * time.Hour) // DeleteTokenExpiresIn, exactly
	res := c.do("GET", "/delete-user/callback?token="+token, nil)
	assert.Equal(t, 404, res.status, "%s", res.body)
	assert.Contains(t, string(res.body), `"code":"INVALID_TOKEN"`)
	res = c.do("POST", "/delete-user", map[string]any{"token": token})
	assert.Equal(t, 404, res.status, "%s", res.body)
	_, err := st.GetUserByID(context.Background(), id)
	assert.NoError(t, err, "the user is still there")
}

// Rule: a reset link past its expiry is refused by the link itself (a
// redirect with error=INVALID_TOKEN) and by POST /reset-password.
// Mutations: the expiry check in findVerification removed (the link test
// fails); removed together with consumeVerification's (POST fails too;
// either check alone stops the POST).
func TestRuleExpiredResetLinkRefused(t *testing.T) {
	mail := &mailbox{}
	a, clock, _ := newQuickAuth(t, memStore(t), func(c *betterauth.Config) {
		c.EmailAndPassword.SendResetPassword = mail.send
	})
	h := a.Handler()
	newClient(t, h).signUp("Re", "re@example.com", "correct-horse-1")
	require.NoError(t, a.RequestPasswordReset(context.Background(), "re@example.com", "/reset"))
	token := mail.last(t, a).Token
	anon := newClient(t, h)
	clock.Advance(time.Hour) // ResetPasswordTokenExpiresIn, exactly
	res := anon.do("GET", "/reset-password/"+token+"?callbackURL=%2Freset", nil)
	assert.Equal(t, 302, res.status)
	assert.Equal(t, testOrigin+"/reset?error=INVALID_TOKEN", res.header.Get("Location"))
	res = anon.do("POST", "/reset-password", map[string]any{"token": token, "newPassword": "battery-staple-2"})
	assert.Equal(t, `{"message":"Invalid token","code":"INVALID_TOKEN"}`, string(res.body))
	assert.Equal(t, 200, anon.do("POST", "/sign-in/email", map[string]any{"email": "re@example.com", "password": "correct-horse-1"}).status, "the password is unchanged")
}

// Rule: update-user ignores emailVerified (as Better Auth does): the name
// changes, the user stays unverified, in memory and in PostgreSQL.
// Mutations: parseAdditionalInput passing keys that are not additional
// fields on (answer 400, test fails); that together with PrepareAdditional
// accepting core columns (PostgreSQL then writes emailVerified).
func TestRuleUpdateUserCannotVerifyEmail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, _, _ := newQuickAuth(t, st, nil)
		c := newClient(t, a.Handler())
		id := userID(t, c.signUp("Up", "up@example.com", "correct-horse-1"))
		res := c.do("POST", "/update-user", map[string]any{"name": "Upped", "emailVerified": true})
		assert.Equal(t, `{"status":true}`, string(res.body))
		res = c.do("POST", "/update-user", map[string]any{"emailVerified": true})
		assert.Equal(t, `{"message":"No fields to update"}`, string(res.body))
		u, err := st.GetUserByID(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, "Upped", u.Name)
		assert.False(t, u.EmailVerified)
		assert.Equal(t, false, c.do("GET", "/get-session", nil).obj(t)["user"].(map[string]any)["emailVerified"])
	})
}

// Rule: a verified user's change of email waits for confirmation even with
// UpdateEmailWithoutVerification, and the confirmation link (to the old
// address) does not switch the address: only the verification link (to the
// new one) does.
// Mutations: `immediate := !u.EmailVerified && ...` → without
// `!u.EmailVerified`; the "change-email-confirmation" case switching the
// address as the verification case does.
func TestRuleVerifiedEmailChangeWaitsForBothLinks(t *testing.T) {
	mail := &mailbox{}
	st := memStore(t)
	a, _, _ := newQuickAuth(t, st, func(c *betterauth.Config) {
		c.User.ChangeEmail.Enabled = true
		c.User.ChangeEmail.UpdateEmailWithoutVerification = true
		c.User.ChangeEmail.SendChangeEmailConfirmation = mail.send
		c.EmailVerification.SendVerificationEmail = mail.send
	})
	c := newClient(t, a.Handler())
	id := userID(t, c.signUp("Ch", "ch@example.com", "correct-horse-1"))
	verified := true
	_, err := st.UpdateUser(context.Background(), id, betterauth.UserUpdate{EmailVerified: &verified})
	require.NoError(t, err)
	email := func() string {
		u, err := st.GetUserByID(context.Background(), id)
		require.NoError(t, err)
		return u.Email
	}

	res := c.do("POST", "/change-email", map[string]any{"newEmail": "ch-new@example.com"})
	assert.Equal(t, `{"status":true}`, string(res.body))
	assert.Equal(t, "ch@example.com", email(), "not changed at once")
	confirm := mail.last(t, a)
	assert.Equal(t, "ch@example.com", confirm.To, "the confirmation goes to the old address")

	res = c.do("GET", "/verify-email?token="+confirm.Token, nil)
	assert.Equal(t, 200, res.status, "%s", res.body)
	assert.Equal(t, "ch@example.com", email(), "the confirmation link alone does not switch")
	verify := mail.last(t, a)
	require.Equal(t, "ch-new@example.com", verify.To)

	res = c.do("GET", "/verify-email?token="+verify.Token, nil)
	assert.Equal(t, 200, res.status, "%s", res.body)
	assert.Equal(t, "ch-new@example.com", email(), "the verification link switches")
}

// Rule: list-sessions does not list expired sessions.
// Mutation: ListSessions passing time.Time{} (no liveAt) to the store.
func TestRuleListSessionsHidesExpired(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, clock, _ := newQuickAuth(t, b.new(t, schema.Schema{}), nil)
		h := a.Handler()
		newClient(t, h).signUp("Li", "li@example.com", "correct-horse-1") // 7 days
		short := newClient(t, h)
		res := short.do("POST", "/sign-in/email", map[string]any{"email": "li@example.com", "password": "correct-horse-1", "rememberMe": false}) // 1 day
		require.Equal(t, 200, res.status)
		clock.Advance(24 * time.Hour)
		c := newClient(t, h)
		res = c.do("POST", "/sign-in/email", map[string]any{"email": "li@example.com", "password": "correct-horse-1"})
		require.Equal(t, 200, res.status)
		res = c.do("GET", "/list-sessions", nil)
		require.Equal(t, 200, res.status, "%s", res.body)
		list, ok := res.json(t).([]any)
		require.True(t, ok)
		assert.Len(t, list, 2, "the one-day session has expired: %s", res.body)
	})
}
