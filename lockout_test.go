package betterauth_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// gateHasher is a cheap test hasher ("plain:" + password) that counts
// Verify calls. Armed with arm(n), every Verify waits until n callers are
// accounted for — waiting in Verify or reported done() — so that parallel
// attempts all reach the password check together when the code lets them,
// without depending on timing. After that it lets everything through.
type gateHasher struct {
	mu       sync.Mutex
	hashes   int
	verifies int
	n        int // armed: callers to wait for; 0 when open
	waiting  int
	finished int
	open     chan struct{}
}

func (h *gateHasher) Hash(_ context.Context, password string) (string, error) {
	h.mu.Lock()
	h.hashes++
	h.mu.Unlock()
	return "plain:" + password, nil
}

func (h *gateHasher) Verify(ctx context.Context, hash, password string) (bool, error) {
	h.mu.Lock()
	h.verifies++
	var wait chan struct{}
	if h.n > 0 {
		h.waiting++
		wait = h.open
		h.releaseLocked()
	}
	h.mu.Unlock()
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	stored, ok := strings.CutPrefix(hash, "plain:")
	if !ok {
		return false, betterauth.ErrInvalidPasswordHash
	}
	return stored == password, nil
}

// arm makes the next Verify calls wait for n callers.
func (h *gateHasher) arm(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n, h.waiting, h.finished, h.open = n, 0, 0, make(chan struct{})
}

// done reports that one of the n callers finished without (or after) Verify.
func (h *gateHasher) done() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n > 0 {
		h.finished++
		h.releaseLocked()
	}
}

func (h *gateHasher) releaseLocked() {
	if h.waiting+h.finished >= h.n {
		close(h.open)
		h.n = 0
	}
}

// counts returns how many Hash and Verify calls there were.
func (h *gateHasher) counts() (hashes, verifies int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hashes, h.verifies
}

// Thirty parallel wrong passwords cannot get past a cap of five: the count
// is taken atomically before the password is checked, so at most five
// checks run, and the right password afterwards is refused.
func TestFailedSignInCapHoldsInParallel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		hasher := &gateHasher{}
		a, _ := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) {
			c.PasswordHasher = hasher
			c.EmailAndPassword.MaxFailedSignIns = 5
		})
		h := a.Handler()
		newClient(t, h).signUp("Pa", "parallel@example.com", "correct-horse-1")
		signIn := func(pw string) *response {
			return newClient(t, h).do("POST", "/sign-in/email", map[string]any{"email": "parallel@example.com", "password": pw})
		}

		const n = 30
		hasher.arm(n)
		hashes0, verifies0 := hasher.counts()
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				defer hasher.done()
				statuses[i] = signIn("wrong-horse-" + string(rune('a'+i))).status
			})
		}
		wg.Wait()
		for i, s := range statuses {
			assert.Equal(t, 401, s, "attempt %d", i)
		}
		hashes, verifies := hasher.counts()
		assert.LessOrEqual(t, verifies-verifies0, 5, "at most the cap's worth of password checks")
		assert.Equal(t, n, hashes-hashes0+verifies-verifies0, "a refused attempt spends a hash instead, so timing does not show the lock")
		res := signIn("correct-horse-1")
		assert.Equal(t, 401, res.status, "the right password after the cap is refused")
		assert.Equal(t, `{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`, string(res.body))
	})
}

const invalidPassword = `{"message":"Invalid password","code":"INVALID_PASSWORD"}`

// Wrong passwords at verify-password, change-password and delete-user count
// toward the cap like wrong sign-ins, and a locked account is refused there
// too, with each endpoint's ordinary wrong-password answer.
func TestFailedSignInCapCountsEveryPasswordCheck(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, schema.Schema{})
		a, clock := newAuth(t, st, func(c *betterauth.Config) {
			c.PasswordHasher = &gateHasher{}
			c.EmailAndPassword.MaxFailedSignIns = 3
			c.User.DeleteUser.Enabled = true
		})
		h := a.Handler()
		c := newClient(t, h)
		id := c.signUp("Ev", "every@example.com", "correct-horse-1")["user"].(map[string]any)["id"].(string)
		signIn := func(pw string) *response {
			return newClient(t, h).do("POST", "/sign-in/email", map[string]any{"email": "every@example.com", "password": pw})
		}

		res := c.do("POST", "/verify-password", map[string]any{"password": "wrong-horse-1"})
		assert.Equal(t, invalidPassword, string(res.body))
		res = c.do("POST", "/change-password", map[string]any{"currentPassword": "wrong-horse-2", "newPassword": "battery-staple-2"})
		assert.Equal(t, invalidPassword, string(res.body))
		res = c.do("POST", "/delete-user", map[string]any{"password": "wrong-horse-3"})
		assert.Equal(t, invalidPassword, string(res.body))
		assert.Equal(t, 401, signIn("correct-horse-1").status, "three wrong passwords, one at each endpoint, lock the account")

		res = c.do("POST", "/verify-password", map[string]any{"password": "correct-horse-1"})
		assert.Equal(t, invalidPassword, string(res.body), "locked: verify-password refuses the right password")
		res = c.do("POST", "/change-password", map[string]any{"currentPassword": "correct-horse-1", "newPassword": "battery-staple-2"})
		assert.Equal(t, invalidPassword, string(res.body), "locked: change-password refuses")
		res = c.do("POST", "/delete-user", map[string]any{"password": "correct-horse-1"})
		assert.Equal(t, invalidPassword, string(res.body), "locked: delete-user refuses")
		_, err := st.GetUserByID(context.Background(), id)
		require.NoError(t, err, "the user is still there")

		clock.Advance(16 * time.Minute)
		assert.Equal(t, 200, signIn("correct-horse-1").status, "the lock ends with the window; the password is unchanged")
	})
}

// A right password before the cap clears the count, at sign-in and at
// verify-password alike.
func TestFailedSignInCountClearedByRightPassword(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, _ := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) {
			c.PasswordHasher = &gateHasher{}
			c.EmailAndPassword.MaxFailedSignIns = 3
		})
		h := a.Handler()
		c := newClient(t, h)
		c.signUp("Cl", "clear@example.com", "correct-horse-1")
		signIn := func(pw string) int {
			return newClient(t, h).do("POST", "/sign-in/email", map[string]any{"email": "clear@example.com", "password": pw}).status
		}
		assert.Equal(t, 401, signIn("wrong-horse-1"))
		assert.Equal(t, 401, signIn("wrong-horse-2"))
		assert.Equal(t, 200, signIn("correct-horse-1"))
		assert.Equal(t, 401, signIn("wrong-horse-3"))
		assert.Equal(t, 401, signIn("wrong-horse-4"))
		assert.Equal(t, 200, signIn("correct-horse-1"), "the count started again at the right password")
		assert.Equal(t, 401, signIn("wrong-horse-5"))
		assert.Equal(t, 401, signIn("wrong-horse-6"))
		assert.Equal(t, 200, c.do("POST", "/verify-password", map[string]any{"password": "correct-horse-1"}).status)
		assert.Equal(t, 401, signIn("wrong-horse-7"))
		assert.Equal(t, 200, signIn("correct-horse-1"), "verify-password with the right password cleared it too")
	})
}

// auditLog keeps the audit records.
type auditLog struct {
	mu      sync.Mutex
	records []string // "level event key=value ..."
}

func (l *auditLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *auditLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *auditLog) WithGroup(string) slog.Handler            { return l }
func (l *auditLog) Handle(_ context.Context, r slog.Record) error {
	line := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "reason" || a.Key == "endpoint" || a.Key == "failures" {
			line += " " + a.String()
		}
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, line)
	return nil
}

func (l *auditLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.records
	l.records = nil
	return out
}

// Sign-in and the password endpoints write audit records; the attempt that
// locks the account writes authn_login_lock, once.
func TestFailedSignInAudit(t *testing.T) {
	log := &auditLog{}
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.PasswordHasher = &gateHasher{}
		c.EmailAndPassword.MaxFailedSignIns = 2
		c.AuditLogger = slog.New(log)
	})
	h := a.Handler()
	c := newClient(t, h)
	c.signUp("Au", "audit@example.com", "correct-horse-1")
	log.take()
	signIn := func(email, pw string) {
		newClient(t, h).do("POST", "/sign-in/email", map[string]any{"email": email, "password": pw})
	}
	signIn("nobody@example.com", "correct-horse-1")
	signIn("audit@example.com", "correct-horse-1")
	signIn("audit@example.com", "wrong-horse-1")
	c.do("POST", "/verify-password", map[string]any{"password": "wrong-horse-2"})
	signIn("audit@example.com", "correct-horse-1")
	c.do("POST", "/change-password", map[string]any{"currentPassword": "correct-horse-1", "newPassword": "battery-staple-2"})
	assert.Equal(t, []string{
		"WARN authn_login_fail reason=unknown_user",
		"INFO authn_login_success",
		"WARN authn_login_fail reason=wrong_password",
		"WARN authn_login_lock failures=2",
		"WARN authn_password_change_fail reason=wrong_password endpoint=verify_password",
		"WARN authn_login_fail reason=locked",
		"WARN authn_password_change_fail reason=locked endpoint=change_password",
	}, log.take())
}

// Using one reset link kills the user's other links (not other users').
// With hashed identifiers, which say nothing of their purpose, every row
// holding the user's id goes, a pending delete-account link too.
func TestResetLinkKillsTheUsersOtherLinks(t *testing.T) {
	for _, hashed := range []bool{false, true} {
		name := "plain identifiers"
		if hashed {
			name = "hashed identifiers"
		}
		t.Run(name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				mail := &mailbox{}
				a, _ := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) {
					c.PasswordHasher = &gateHasher{}
					c.EmailAndPassword.SendResetPassword = mail.send
					c.User.DeleteUser.Enabled = true
					c.User.DeleteUser.SendDeleteAccountVerification = mail.send
					c.Verification.StoreIdentifierHashed = hashed
				})
				ctx := context.Background()
				h := a.Handler()
				c := newClient(t, h)
				id := c.signUp("Tw", "two@example.com", "correct-horse-1")["user"].(map[string]any)["id"].(string)
				newClient(t, h).signUp("Ot", "other@example.com", "correct-horse-1")
				require.Equal(t, 200, c.do("POST", "/delete-user", map[string]any{}).status)
				del := mail.last(t, a).Token

				require.NoError(t, a.RequestPasswordReset(ctx, "other@example.com", ""))
				other := mail.last(t, a).Token
				require.NoError(t, a.RequestPasswordReset(ctx, "two@example.com", ""))
				first := mail.last(t, a).Token
				require.NoError(t, a.RequestPasswordReset(ctx, "two@example.com", ""))
				second := mail.last(t, a).Token

				require.NoError(t, a.ResetPassword(ctx, second, "battery-staple-2"))
				ok, err := a.CheckResetToken(ctx, first)
				require.NoError(t, err)
				assert.False(t, ok, "the first link died with the second's use")
				assert.ErrorIs(t, a.ResetPassword(ctx, first, "battery-staple-3"), betterauth.ErrInvalidToken)
				ok, err = a.CheckResetToken(ctx, other)
				require.NoError(t, err)
				assert.True(t, ok, "another user's link lives")

				err = a.DeleteUserWithToken(ctx, id, del)
				if hashed {
					var ae *betterauth.APIError
					require.ErrorAs(t, err, &ae)
					assert.Equal(t, "INVALID_TOKEN", ae.Code, "hashed: the pending delete link went too")
				} else {
					assert.NoError(t, err, "plain: the delete link is not a reset link and lives")
				}
			})
		})
	}
}

// A reset signs the user out everywhere by default (Better Auth keeps the
// sessions unless told otherwise); RevokeSessionsOnPasswordReset = false
// keeps them.
func TestResetRevokesSessionsByDefault(t *testing.T) {
	for _, keep := range []bool{false, true} {
		name := "default"
		if keep {
			name = "kept"
		}
		t.Run(name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				mail := &mailbox{}
				a, _ := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) {
					c.PasswordHasher = &gateHasher{}
					c.EmailAndPassword.SendResetPassword = mail.send
					if keep {
						c.EmailAndPassword.RevokeSessionsOnPasswordReset = new(bool)
					}
				})
				ctx := context.Background()
				c := newClient(t, a.Handler())
				c.signUp("Se", "sessions@example.com", "correct-horse-1")
				require.NotEqual(t, "null", string(c.do("GET", "/get-session", nil).body))
				require.NoError(t, a.RequestPasswordReset(ctx, "sessions@example.com", ""))
				require.NoError(t, a.ResetPassword(ctx, mail.last(t, a).Token, "battery-staple-2"))
				body := string(c.do("GET", "/get-session", nil).body)
				if keep {
					assert.NotEqual(t, "null", body, "kept on request")
				} else {
					assert.Equal(t, "null", body, "revoked by default")
				}
			})
		})
	}
}

// countDownStore fails to count, as when the database goes down between
// reading the user and counting the attempt.
type countDownStore struct{ betterauth.Store }

func (countDownStore) IncrementVerification(context.Context, string, time.Time, time.Time) (int64, error) {
	return 0, errDown
}

// When the attempt cannot be counted the answer is 503 and the password is
// not checked: an uncounted check would be a free guess.
func TestFailedSignInCapStoreDownIs503(t *testing.T) {
	hasher := &gateHasher{}
	st := backends[0].new(t, schema.Schema{})
	a, _ := newAuth(t, countDownStore{st}, func(c *betterauth.Config) {
		c.PasswordHasher = hasher
		c.EmailAndPassword.MaxFailedSignIns = 5
	})
	c := newClient(t, a.Handler())
	c.signUp("Do", "down@example.com", "correct-horse-1")
	_, verifies0 := hasher.counts()
	res := newClient(t, a.Handler()).do("POST", "/sign-in/email", map[string]any{"email": "down@example.com", "password": "correct-horse-1"})
	assert.Equal(t, 503, res.status)
	assert.Empty(t, res.setCookies)
	res = c.do("POST", "/verify-password", map[string]any{"password": "correct-horse-1"})
	assert.Equal(t, 503, res.status)
	_, verifies := hasher.counts()
	assert.Equal(t, verifies0, verifies, "no password was checked")
}
