package betterauth_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/passwordcheck"
)

// fakePwned serves the Pwned Passwords range API: the passwords in counts
// (a count of 0 is a padding line, as the real API adds) plus filler.
type fakePwned struct {
	srv  *httptest.Server
	down atomic.Bool
	mu   sync.Mutex
	reqs []*http.Request
}

func newFakePwned(t *testing.T, counts map[string]int) *fakePwned {
	f := &fakePwned{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Clone(context.Background()))
		f.mu.Unlock()
		if f.down.Load() {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		prefix, _ := strings.CutPrefix(r.URL.Path, "/range/")
		fmt.Fprint(w, "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0\r\n")
		for pw, n := range counts {
			sum := sha1.Sum([]byte(pw))
			h := strings.ToUpper(hex.EncodeToString(sum[:]))
			if h[:5] == prefix {
				fmt.Fprintf(w, "%s:%d\r\n", h[5:], n)
			}
		}
		fmt.Fprint(w, "FFFFF1E2D3C4B5A69788796A5B4C3D2E1F0:3")
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePwned) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

const compromisedBody = `{"message":"The password you entered has been compromised. Please choose a different password.","code":"PASSWORD_COMPROMISED"}`

// Better Auth's haveIBeenPwned check on every new password: sign-up,
// change-password and reset-password refuse a listed one with 400
// PASSWORD_COMPROMISED and change nothing; a padding line (count 0) is not
// a match; only five hex characters of the SHA-1 leave the process.
// Mutations: checkNewPassword's checker loop removed; each call site back to
// checkPasswordLength; the *APIError pass-through removed (503 instead);
// HaveIBeenPwned treating any suffix match as compromised; the Add-Padding
// header dropped.
func TestPasswordCheckersHaveIBeenPwned(t *testing.T) {
	const pwned, padded = "pwned-password-1", "padded-password-2"
	fake := newFakePwned(t, map[string]int{pwned: 42, padded: 0})
	mail := &mailbox{}
	st := memStore(t)
	a, _, _ := newQuickAuth(t, st, func(c *betterauth.Config) {
		c.EmailAndPassword.PasswordCheckers = []betterauth.PasswordChecker{&passwordcheck.HaveIBeenPwned{BaseURL: fake.srv.URL, Client: fake.srv.Client()}}
		c.EmailAndPassword.SendResetPassword = mail.send
	})
	h := a.Handler()

	c := newClient(t, h)
	res := c.do("POST", "/sign-up/email", map[string]any{"name": "Pw", "email": "pw@example.com", "password": pwned})
	assert.Equal(t, 400, res.status)
	assert.Equal(t, compromisedBody, string(res.body), "sign-up")
	_, err := st.GetUserByEmail(context.Background(), "pw@example.com")
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "nothing written")
	c.signUp("Pw", "pw@example.com", padded)

	res = c.do("POST", "/sign-up/email", map[string]any{"name": "Pw", "email": "pw@example.com", "password": pwned})
	assert.Equal(t, compromisedBody, string(res.body), "checked before the email is looked up")

	res = c.do("POST", "/change-password", map[string]any{"currentPassword": padded, "newPassword": pwned})
	assert.Equal(t, compromisedBody, string(res.body), "change-password")

	anon := newClient(t, h)
	require.NoError(t, a.RequestPasswordReset(context.Background(), "pw@example.com", ""))
	token := mail.last(t, a).Token
	res = anon.do("POST", "/reset-password", map[string]any{"token": token, "newPassword": pwned})
	assert.Equal(t, compromisedBody, string(res.body), "reset-password")
	assert.Equal(t, 200, anon.do("POST", "/sign-in/email", map[string]any{"email": "pw@example.com", "password": padded}).status, "the password is unchanged")
	res = anon.do("POST", "/reset-password", map[string]any{"token": token, "newPassword": "fresh-password-3"})
	assert.Equal(t, `{"status":true}`, string(res.body), "the refusal did not use the token up")

	reqs := fake.requests()
	require.Len(t, reqs, 6)
	for _, r := range reqs {
		assert.Equal(t, http.MethodGet, r.Method)
		assert.Regexp(t, `^/range/[0-9A-F]{5}$`, r.URL.Path)
		assert.Equal(t, "true", r.Header.Get("Add-Padding"))
		assert.NotEmpty(t, r.Header.Get("User-Agent"))
	}
}

// When the API cannot be asked, the default (Better Auth's) is to refuse
// the request, here with 503 and nothing written; PasswordCheckFailOpen
// accepts the password and logs the failure, without the password.
// Mutations: the fail-open condition inverted (both subtests fail); the
// fail-open branch removed (the second fails).
func TestPasswordCheckerDown(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		t.Run(fmt.Sprintf("failOpen=%v", failOpen), func(t *testing.T) {
			fake := newFakePwned(t, nil)
			fake.down.Store(true)
			logs := &lockedBuffer{}
			st := memStore(t)
			a, _, _ := newQuickAuth(t, st, func(c *betterauth.Config) {
				c.EmailAndPassword.PasswordCheckers = []betterauth.PasswordChecker{&passwordcheck.HaveIBeenPwned{BaseURL: fake.srv.URL, Client: fake.srv.Client()}}
				c.EmailAndPassword.PasswordCheckFailOpen = failOpen
				c.Logger = slog.New(slog.NewTextHandler(logs, nil))
			})
			const pw = "Marker-Password-444"
			res := newClient(t, a.Handler()).do("POST", "/sign-up/email", map[string]any{"name": "Do", "email": "down@example.com", "password": pw})
			_, err := st.GetUserByEmail(context.Background(), "down@example.com")
			if failOpen {
				assert.Equal(t, 200, res.status, "%s", res.body)
				assert.NoError(t, err)
				assert.Contains(t, logs.String(), "password check failed")
			} else {
				assert.Equal(t, 503, res.status)
				assert.Equal(t, `{"message":"Service temporarily unavailable","code":"SERVICE_UNAVAILABLE"}`, string(res.body))
				assert.ErrorIs(t, err, betterauth.ErrNotFound, "nothing written")
			}
			assert.NotContains(t, logs.String(), pw)
			assert.Contains(t, logs.String(), "status 503", "the failure is logged")
		})
	}
}

// The zxcvbn strength check at sign-up: common passwords are refused with
// our 400 PASSWORD_TOO_WEAK, a long random passphrase is accepted.
// Mutation: Strength's default MinScore 3 → 0.
func TestPasswordCheckerStrength(t *testing.T) {
	a, _, _ := newQuickAuth(t, memStore(t), func(c *betterauth.Config) {
		c.EmailAndPassword.PasswordCheckers = []betterauth.PasswordChecker{&passwordcheck.Strength{}}
	})
	c := newClient(t, a.Handler())
	for _, pw := range []string{"password123", "qwertyuiop", "a1b2c3d4"} {
		res := c.do("POST", "/sign-up/email", map[string]any{"name": "We", "email": "weak@example.com", "password": pw})
		assert.Equal(t, `{"message":"Password is too weak","code":"PASSWORD_TOO_WEAK"}`, string(res.body), pw)
	}
	c.signUp("St", "strong@example.com", "glacier-mortal-fennel-oxide-42")
}

// Checkers run in order and the first refusal is the answer, as the
// checker wrote it, even under PasswordCheckFailOpen (a refusal is not a
// failure to check); a nil checker is a configuration error.
// Mutations: the loop continuing past a refusal; the *APIError pass-through
// removed (the refusal is then taken for a failed check and let through);
// New's nil check removed.
func TestPasswordCheckersOrder(t *testing.T) {
	custom := &betterauth.APIError{Status: 400, Code: "PASSWORD_IN_HOUSE_LIST", Message: "Not that one"}
	var second atomic.Int32
	a, _, _ := newQuickAuth(t, memStore(t), func(c *betterauth.Config) {
		c.EmailAndPassword.PasswordCheckers = []betterauth.PasswordChecker{
			betterauth.PasswordCheckerFunc(func(_ context.Context, pw string) error {
				if pw == "company-name-2026" {
					return fmt.Errorf("house list: %w", custom)
				}
				return nil
			}),
			betterauth.PasswordCheckerFunc(func(context.Context, string) error {
				second.Add(1)
				return betterauth.ErrPasswordTooWeak
			}),
		}
		c.EmailAndPassword.PasswordCheckFailOpen = true
	})
	_, err := a.SignUpEmail(context.Background(), betterauth.SignUpInput{Name: "Or", Email: "order@example.com", Password: "company-name-2026"})
	assert.ErrorIs(t, err, custom)
	assert.NotErrorIs(t, err, betterauth.ErrUnavailable, "a refusal is not a dependency failure")
	res := newClient(t, a.Handler()).do("POST", "/sign-up/email", map[string]any{"name": "Or", "email": "order@example.com", "password": "company-name-2026"})
	assert.Equal(t, `{"message":"Not that one","code":"PASSWORD_IN_HOUSE_LIST"}`, string(res.body))
	assert.Zero(t, second.Load(), "the first refusal ends the checks")
	res = newClient(t, a.Handler()).do("POST", "/sign-up/email", map[string]any{"name": "Or", "email": "order@example.com", "password": "another-one-1"})
	assert.Equal(t, `{"message":"Password is too weak","code":"PASSWORD_TOO_WEAK"}`, string(res.body))

	_, err = betterauth.New(betterauth.Config{Store: memStore(t), Secret: testSecret, BaseURL: testOrigin, EmailAndPassword: betterauth.EmailAndPasswordConfig{
		PasswordCheckers: []betterauth.PasswordChecker{nil},
	}})
	assert.ErrorContains(t, err, "nil checker")
}

// A checker that fails because the request ran out of time is not failed
// open: the request fails (503) and nothing is written.
// Mutation: checkNewPassword's ctx.Err() branch removed.
func TestPasswordCheckNotFailedOpenOutOfTime(t *testing.T) {
	st := memStore(t)
	a, _, _ := newQuickAuth(t, st, func(c *betterauth.Config) {
		c.EmailAndPassword.PasswordCheckers = []betterauth.PasswordChecker{betterauth.PasswordCheckerFunc(func(ctx context.Context, _ string) error {
			return ctx.Err()
		})}
		c.EmailAndPassword.PasswordCheckFailOpen = true
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.SignUpEmail(ctx, betterauth.SignUpInput{Name: "Ti", Email: "time@example.com", Password: "correct-horse-1"})
	assert.ErrorIs(t, err, betterauth.ErrPasswordCheckUnavailable)
	assert.ErrorIs(t, err, betterauth.ErrUnavailable)
	_, err = st.GetUserByEmail(context.Background(), "time@example.com")
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "nothing written")
}
