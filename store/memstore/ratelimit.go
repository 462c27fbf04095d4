package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

var _ betterauth.RateLimitStore = (*Store)(nil)

// ConsumeRateLimit implements betterauth.RateLimitStore on the rateLimit
// table (the store must be built with betterauth.RateLimitSchema), under
// the store's lock. Finding the key scans the table: this store is for
// tests and single processes.
func (s *Store) ConsumeRateLimit(ctx context.Context, key string, now time.Time, rule betterauth.RateLimitRule) (bool, time.Time, error) {
	t, err := s.extTable("consume rate limit", betterauth.RateLimitModel)
	if err != nil {
		return false, time.Time{}, err
	}
	nowMS := now.UnixMilli()
	allowed, last := false, nowMS
	err = s.do(ctx, func(d *data) error {
		rows := d.ext[t.Model]
		for id, r := range rows {
			if r["key"] != key {
				continue
			}
			count, _ := r["count"].(int64)
			last, _ = r["lastRequest"].(int64)
			switch {
			case nowMS-last >= rule.Window.Milliseconds():
				count = 1
			case count < int64(rule.Max):
				count++
			default:
				return nil
			}
			allowed = true
			// Rows are never changed in place (a transaction may share them).
			rows[id] = schema.Record{"id": id, "key": key, "count": count, "lastRequest": nowMS}
			return nil
		}
		id, err := s.newID()
		if err != nil {
			return err
		}
		if rows == nil {
			rows = map[string]schema.Record{}
			d.ext[t.Model] = rows
		}
		rows[id] = schema.Record{"id": id, "key": key, "count": int64(1), "lastRequest": nowMS}
		allowed = true
		return nil
	})
	if err != nil {
		return false, time.Time{}, fmt.Errorf("memstore: consume rate limit: %w", err)
	}
	if allowed {
		last = nowMS
	}
	return allowed, time.UnixMilli(last).UTC(), nil
}

// DeleteRateLimits implements betterauth.RateLimitStore.
func (s *Store) DeleteRateLimits(ctx context.Context, before time.Time) (int64, error) {
	t, err := s.extTable("delete rate limits", betterauth.RateLimitModel)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.do(ctx, func(d *data) error {
		for id, r := range d.ext[t.Model] {
			if last, _ := r["lastRequest"].(int64); last < before.UnixMilli() {
				delete(d.ext[t.Model], id)
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("memstore: delete rate limits: %w", err)
	}
	return n, nil
}
