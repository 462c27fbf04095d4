package memory

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expired keys that are never read again are removed by later writes, at
// most sweepLimit per write, and the expiry heap stays in step with the map.
func TestSweepRemovesExpiredKeys(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }})
	const n = 1000
	for i := range n {
		require.NoError(t, s.Set(ctx, "old-"+strconv.Itoa(i), "v", time.Minute))
	}
	require.NoError(t, s.Set(ctx, "forever", "v", 0))
	require.NoError(t, s.Set(ctx, "later", "v", time.Hour))
	assert.Len(t, s.items, n+2)
	assert.Len(t, s.expiring, n+1, "keys without expiry are not in the heap")

	now = now.Add(2 * time.Minute)
	require.NoError(t, s.Set(ctx, "w0", "v", 0))
	assert.Len(t, s.items, n+3-sweepLimit, "one write removes at most sweepLimit expired keys")
	for i := 1; i < n/sweepLimit+1; i++ {
		require.NoError(t, s.Set(ctx, "w"+strconv.Itoa(i), "v", 0))
	}
	assert.Len(t, s.expiring, 1, "only the live key with an expiry is left")
	for k := range s.items {
		assert.NotContains(t, k, "old-")
	}
	checkHeap(t, s)
}

// Rewriting, deleting and taking keys keeps the heap exact: one entry per key
// with an expiry, at its index.
func TestHeapFollowsExpiryChanges(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }})
	for i := range 50 {
		k := "k" + strconv.Itoa(i%10)
		switch i % 5 {
		case 0:
			require.NoError(t, s.Set(ctx, k, "v", time.Duration(i+1)*time.Second))
		case 1:
			require.NoError(t, s.Set(ctx, k, "v", 0))
		case 2:
			require.NoError(t, s.Delete(ctx, k))
		case 3:
			_, _, err := s.GetAndDelete(ctx, k)
			require.NoError(t, err)
		case 4:
			_, _ = s.Increment(ctx, k, time.Duration(i)*time.Second)
		}
		checkHeap(t, s)
	}
}

func checkHeap(t *testing.T, s *Storage) {
	t.Helper()
	withExpiry := 0
	for k, it := range s.items {
		assert.Equal(t, k, it.key)
		if it.expires.IsZero() {
			assert.Equal(t, -1, it.index, "key %s without expiry is not in the heap", k)
			continue
		}
		withExpiry++
		require.GreaterOrEqual(t, it.index, 0, "key %s", k)
		assert.Same(t, it, s.expiring[it.index], "key %s", k)
	}
	assert.Len(t, s.expiring, withExpiry)
	for i := 1; i < len(s.expiring); i++ {
		assert.False(t, s.expiring[i].expires.Before(s.expiring[(i-1)/2].expires), "heap order")
	}
}
