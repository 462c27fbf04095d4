package twofactor_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/twofactor"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// hookStore is memstore with hooks before Update and ConsumeVerification,
// to play what a concurrent request (or a failing database) does between
// a handler's read and its write.
type hookStore struct {
	*memstore.Store
	beforeUpdate  func(set schema.Record, where []schema.Where) error
	beforeConsume func(identifier string)
	// failUserUpdate makes UpdateUser fail.
	failUserUpdate bool
}

func (s *hookStore) Update(ctx context.Context, model string, set schema.Record, where ...schema.Where) (int64, error) {
	if h := s.beforeUpdate; h != nil && model == twofactor.Model {
		if err := h(set, where); err != nil {
			return 0, err
		}
	}
	return s.Store.Update(ctx, model, set, where...)
}

// InTx runs fn on the transaction wrapped with the same hooks.
func (s *hookStore) InTx(ctx context.Context, fn func(ctx context.Context, tx betterauth.Store) error) error {
	return s.Store.InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
		return fn(ctx, &hookStore{Store: tx.(*memstore.Store), beforeUpdate: s.beforeUpdate, beforeConsume: s.beforeConsume, failUserUpdate: s.failUserUpdate})
	})
}

func (s *hookStore) UpdateUser(ctx context.Context, id string, upd betterauth.UserUpdate) (*betterauth.User, error) {
	if s.failUserUpdate {
		return nil, errors.New("connection reset")
	}
	return s.Store.UpdateUser(ctx, id, upd)
}

func (s *hookStore) ConsumeVerification(ctx context.Context, identifier string) (*betterauth.Verification, error) {
	if h := s.beforeConsume; h != nil {
		h(identifier)
	}
	return s.Store.ConsumeVerification(ctx, identifier)
}

func newHookEnv(t *testing.T, o twofactor.Options) (*env, *hookStore) {
	var hs *hookStore
	e := newEnvOn(t, func(t *testing.T, exts []schema.Extension) betterauth.Store {
		ms, err := memstore.New(schema.Schema{}, exts...)
		require.NoError(t, err)
		hs = &hookStore{Store: ms}
		return hs
	}, o)
	return e, hs
}

func hasWhere(where []schema.Where, field string) bool {
	for _, w := range where {
		if w.Field == field {
			return true
		}
	}
	return false
}

// attempts reads the challenge's attempt count.
func attempts(t *testing.T, e *env, c *client) string {
	t.Helper()
	id := mustUnsign(t, e, c.cookies[challengeName])
	v, err := e.auth.FindVerification(context.Background(), "2fa-attempts-"+id)
	require.NoError(t, err)
	require.NotNil(t, v)
	return v.Value
}

// A challenge taken by another request between the check and the session:
// no second session.
func TestChallengeTakenMeanwhile(t *testing.T) {
	e, hs := newHookEnv(t, twofactor.Options{})
	secret, _ := e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	n := e.sessions("ada@example.com")
	hs.beforeConsume = func(id string) {
		if strings.HasPrefix(id, "2fa-") && !strings.HasPrefix(id, "2fa-attempts-") && !strings.HasPrefix(id, "2fa-otp-") {
			_, _ = hs.Store.ConsumeVerification(context.Background(), id)
		}
	}
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 401, "INVALID_TWO_FACTOR_COOKIE")
	assert.Equal(t, n, e.sessions("ada@example.com"))
	assert.Empty(t, c.cookies[challengeName])
}

// A backup code list changed by another request between the read and the
// write: 409, the code is not spent, the try is not counted.
func TestBackupCodeConflict(t *testing.T) {
	e, hs := newHookEnv(t, twofactor.Options{})
	_, backup := e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	other, err := e.auth.Encrypt("", `["zzzzz-zzzzz"]`)
	require.NoError(t, err)
	hs.beforeUpdate = func(set schema.Record, where []schema.Where) error {
		if hasWhere(where, "backupCodes") {
			_, err := hs.Store.Update(context.Background(), twofactor.Model, schema.Record{"backupCodes": other}, where[0])
			return err
		}
		return nil
	}
	r := c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0]})
	requireError(t, r, 409, "CONFLICT")
	assert.Equal(t, "Failed to verify backup code. Please try again.", r.str("message"))
	assert.Equal(t, "0", attempts(t, e, c), "the try is given back")
	assert.Empty(t, c.cookies[sessionCookie])
}

// A database failure while spending a backup code: 503, the try is given back.
func TestBackupCodeStoreFailure(t *testing.T) {
	e, hs := newHookEnv(t, twofactor.Options{})
	_, backup := e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	hs.beforeUpdate = func(set schema.Record, where []schema.Where) error {
		if hasWhere(where, "backupCodes") {
			return errors.New("connection reset")
		}
		return nil
	}
	requireError(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0]}), 503, "SERVICE_UNAVAILABLE")
	assert.Equal(t, "0", attempts(t, e, c))
	hs.beforeUpdate = nil
	requireOK(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": backup[0]}))
}

// A secret that cannot be opened (another server's secret): 500, and the
// try is given back.
func TestUnreadableSecretGivesTheTryBack(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	_, err := e.store.(betterauth.TableStore).Update(context.Background(), twofactor.Model, schema.Record{"secret": "00ff"},
		schema.Where{Field: "userId", Value: e.user("ada@example.com").ID})
	require.NoError(t, err)
	c := e.client()
	c.challenged("ada@example.com")
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "123456"}), 500, "INTERNAL_SERVER_ERROR")
	assert.Equal(t, "0", attempts(t, e, c))
}

// A row deleted (two-factor turned off) while a failure is counted: the
// answer is still the wrong code, not an outage.
func TestFailureCountOnADeletedRow(t *testing.T) {
	e, hs := newHookEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	hs.beforeUpdate = func(set schema.Record, where []schema.Where) error {
		if hasWhere(where, "failedVerificationCount") {
			_, err := hs.Store.Delete(context.Background(), twofactor.Model, where[0])
			return err
		}
		return nil
	}
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
}

// A user deleted while their sign-in waits: the challenge is void.
func TestChallengeOfADeletedUser(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	secret, _ := e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	require.NoError(t, e.store.DeleteUser(context.Background(), e.user("ada@example.com").ID))
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 401, "INVALID_TWO_FACTOR_COOKIE")
}

// After too many attempts the challenge itself is ended: keeping its
// cookie and asking for an OTP does not revive it.
func TestTooManyAttemptsEndsTheChallenge(t *testing.T) {
	e := newEnv(t, twofactor.Options{})
	e.client().enroll("ada@example.com")
	c := e.client()
	c.challenged("ada@example.com")
	kept := c.cookies[challengeName]
	for range 5 {
		requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 401, "INVALID_CODE")
	}
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "000000"}), 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
	c.cookies[challengeName] = kept
	requireError(t, c.post("/two-factor/send-otp", nil), 401, "INVALID_TWO_FACTOR_COOKIE")
}

// Turning two-factor on at the first code is one transaction: when the
// user cannot be updated, the enrolment stays unconfirmed (and the code may
// be sent again).
func TestFirstVerificationIsAtomic(t *testing.T) {
	e, hs := newHookEnv(t, twofactor.Options{})
	c := e.client()
	c.signUp("ada@example.com")
	r := c.post("/two-factor/enable", map[string]any{"password": password})
	requireOK(t, r)
	secret := uriSecret(t, r.str("totpURI"))
	hs.failUserUpdate = true
	requireError(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}), 503, "SERVICE_UNAVAILABLE")
	assert.Equal(t, false, e.row("ada@example.com")["verified"])
	hs.failUserUpdate = false
	requireOK(t, c.post("/two-factor/verify-totp", map[string]any{"code": e.totp(secret, 0)}))
	assert.True(t, twofactor.Enabled(e.user("ada@example.com")))
}

// Turning two-factor off is one transaction too.
func TestDisableIsAtomic(t *testing.T) {
	e, hs := newHookEnv(t, twofactor.Options{})
	c := e.client()
	c.enroll("ada@example.com")
	hs.failUserUpdate = true
	requireError(t, c.post("/two-factor/disable", map[string]any{"password": password}), 503, "SERVICE_UNAVAILABLE")
	hs.failUserUpdate = false
	assert.True(t, twofactor.Enabled(e.user("ada@example.com")))
	assert.NotNil(t, e.row("ada@example.com"), "the row is kept")
	e.client().challenged("ada@example.com")
}
