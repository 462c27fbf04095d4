package twofactor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// row is a user's twoFactor row.
type row struct {
	id          string
	userID      string
	secret      string // encrypted, as stored
	backupCodes string // encrypted JSON list, as stored
	// verified is false only while a TOTP enrolment waits for its first
	// code (NULL, as Better Auth writes none, reads as verified).
	verified    bool
	failed      any // failedVerificationCount as stored (int64 or nil)
	lockedUntil any // time.Time or nil
}

func parseRow(r schema.Record) *row {
	out := &row{verified: true, failed: r["failedVerificationCount"], lockedUntil: r["lockedUntil"]}
	out.id, _ = r["id"].(string)
	out.userID, _ = r["userId"].(string)
	out.secret, _ = r["secret"].(string)
	out.backupCodes, _ = r["backupCodes"].(string)
	if v, ok := r["verified"].(bool); ok {
		out.verified = v
	}
	return out
}

// storeErr wraps a store failure as betterauth.ErrUnavailable (503).
func storeErr(op string, err error) error {
	if errors.Is(err, betterauth.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: twofactor: %s: %w", betterauth.ErrUnavailable, op, err)
}

// findRow returns the user's twoFactor row, or nil.
func (p *Plugin) findRow(ctx context.Context, st betterauth.TableStore, userID string) (*row, error) {
	r, err := st.FindOne(ctx, Model, schema.Where{Field: "userId", Value: userID})
	if errors.Is(err, betterauth.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeErr("find twoFactor row", err)
	}
	return parseRow(r), nil
}

// assertNotLocked refuses a sign-in verification while the account's
// second factor is locked, and clears a lock that has run out (only if it
// is still the one read, so that a lock set meanwhile stays).
func (p *Plugin) assertNotLocked(ctx context.Context, tf *row) error {
	if p.opts.DisableAccountLockout {
		return nil
	}
	until, ok := tf.lockedUntil.(time.Time)
	if !ok {
		return nil
	}
	if until.After(p.auth.Now()) {
		return ErrAccountTemporarilyLocked
	}
	_, err := p.store.Update(ctx, Model, schema.Record{"failedVerificationCount": int64(0), "lockedUntil": nil},
		schema.Where{Field: "id", Value: tf.id}, schema.Where{Field: "lockedUntil", Value: until})
	if err != nil {
		return storeErr("clear lock", err)
	}
	tf.failed, tf.lockedUntil = int64(0), nil
	return nil
}

// recordFailure counts a failed sign-in verification and locks the second
// factor once LockoutMaxFailedAttempts are reached, in one conditional
// write (retried when another request changed the count meanwhile), so
// that concurrent failures are all counted.
func (p *Plugin) recordFailure(ctx context.Context, tf *row) error {
	if p.opts.DisableAccountLockout {
		return nil
	}
	cur := tf.failed
	for range 20 {
		var n int64
		if v, ok := cur.(int64); ok {
			n = v
		}
		set := schema.Record{"failedVerificationCount": n + 1}
		if n+1 >= int64(p.opts.LockoutMaxFailedAttempts) {
			set["lockedUntil"] = p.auth.Now().Add(p.opts.LockoutDuration)
		}
		done, err := p.store.Update(ctx, Model, set, schema.Where{Field: "id", Value: tf.id}, schema.Where{Field: "failedVerificationCount", Value: cur})
		if err != nil {
			return storeErr("count failure", err)
		}
		if done > 0 {
			tf.failed = n + 1
			if _, locked := set["lockedUntil"]; locked {
				p.auth.Audit(ctx, slog.LevelWarn, betterauth.EventLoginLock, tf.userID, slog.String("reason", "two_factor"))
			}
			return nil
		}
		r, err := p.store.FindOne(ctx, Model, schema.Where{Field: "id", Value: tf.id})
		if errors.Is(err, betterauth.ErrNotFound) {
			return nil // disabled meanwhile
		}
		if err != nil {
			return storeErr("count failure", err)
		}
		cur = r["failedVerificationCount"]
	}
	return fmt.Errorf("%w: twofactor: counting a failure: too much contention", betterauth.ErrUnavailable)
}

// resetFailures clears the count after a successful verification.
func (p *Plugin) resetFailures(ctx context.Context, tf *row) error {
	if _, err := p.store.Update(ctx, Model, schema.Record{"failedVerificationCount": int64(0), "lockedUntil": nil},
		schema.Where{Field: "id", Value: tf.id}); err != nil {
		return storeErr("reset failures", err)
	}
	return nil
}

// setEnabled writes user.twoFactorEnabled.
func (p *Plugin) setEnabled(ctx context.Context, st betterauth.Store, userID string, on bool) (*betterauth.User, error) {
	u, err := st.UpdateUser(ctx, userID, betterauth.UserUpdate{Additional: map[string]any{Field: on}, UpdatedAt: p.auth.Now()})
	if err != nil {
		return nil, storeErr("update user", err)
	}
	reason := "two_factor_enabled"
	if !on {
		reason = "two_factor_disabled"
	}
	p.auth.Audit(ctx, slog.LevelInfo, betterauth.EventUserUpdated, userID, slog.String("reason", reason))
	return u, nil
}
