package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// RunRateLimit runs the conformance cases of betterauth.RateLimitStore
// against a store built with betterauth.RateLimitSchema (and a database
// migrated with it). The rows are read back through betterauth.TableStore.
// The store is shared by the cases, which use keys of their own.
func RunRateLimit(t *testing.T, st betterauth.Store) {
	rs, ok := st.(betterauth.RateLimitStore)
	require.True(t, ok, "the store is no betterauth.RateLimitStore")
	ts, ok := st.(betterauth.TableStore)
	require.True(t, ok, "the store is no betterauth.TableStore")
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 11, 9, 19, 882_000_000, time.UTC)
	rule := betterauth.RateLimitRule{Window: 10 * time.Second, Max: 3}
	consume := func(t *testing.T, key string, at time.Duration) (bool, time.Time) {
		t.Helper()
		ok, last, err := rs.ConsumeRateLimit(ctx, key, t0.Add(at), rule)
		require.NoError(t, err)
		return ok, last
	}
	row := func(t *testing.T, key string) (int64, int64) {
		t.Helper()
		r, err := ts.FindOne(ctx, betterauth.RateLimitModel, schema.Where{Field: "key", Value: key})
		require.NoError(t, err)
		return r["count"].(int64), r["lastRequest"].(int64)
	}

	t.Run("RateLimitBetterAuthRule", func(t *testing.T) {
		const key = "192.0.2.1|/sign-in/email"
		for i, at := range []time.Duration{0, 2 * time.Second, 4 * time.Second} {
			ok, _ := consume(t, key, at)
			require.True(t, ok, "request %d", i+1)
		}
		count, last := row(t, key)
		assert.EqualValues(t, 3, count)
		assert.Equal(t, t0.Add(4*time.Second).UnixMilli(), last, "lastRequest: the last allowed request, in ms")
		ok, last2 := consume(t, key, 13999*time.Millisecond)
		assert.False(t, ok, "over the max within the window")
		assert.True(t, last2.Equal(t0.Add(4*time.Second)), "the refusing row's lastRequest: %v", last2)
		count, last = row(t, key)
		assert.EqualValues(t, 3, count, "refused requests are not counted")
		assert.Equal(t, t0.Add(4*time.Second).UnixMilli(), last)
		ok, _ = consume(t, "192.0.2.2|/sign-in/email", 5*time.Second)
		assert.True(t, ok, "another key has its own row")
		ok, _ = consume(t, key, 14*time.Second)
		assert.True(t, ok, "a window after the last allowed request")
		count, last = row(t, key)
		assert.EqualValues(t, 1, count, "the count starts again")
		assert.Equal(t, t0.Add(14*time.Second).UnixMilli(), last)
	})

	t.Run("RateLimitDelete", func(t *testing.T) {
		consume(t, "192.0.2.3|/old", 100*time.Second)
		consume(t, "192.0.2.3|/new", 200*time.Second)
		n, err := rs.DeleteRateLimits(ctx, t0.Add(150*time.Second))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, int64(1))
		_, err = ts.FindOne(ctx, betterauth.RateLimitModel, schema.Where{Field: "key", Value: "192.0.2.3|/old"})
		assert.ErrorIs(t, err, betterauth.ErrNotFound)
		count, _ := row(t, "192.0.2.3|/new")
		assert.EqualValues(t, 1, count)
	})

	t.Run("RateLimitConcurrent", func(t *testing.T) {
		const key = "192.0.2.4|/sign-in/email"
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := rs.ConsumeRateLimit(ctx, key, t0.Add(300*time.Second), rule)
				assert.NoError(t, err)
				if ok {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.EqualValues(t, rule.Max, allowed.Load(), "exactly Max, however the requests interleave")
		count, _ := row(t, key)
		assert.EqualValues(t, rule.Max, count)
	})
}
