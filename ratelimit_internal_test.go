package betterauth

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func (c *testClock) at(seconds int) {
	c.t = time.Date(2026, 1, 1, 0, 0, seconds, 0, time.UTC)
}

func (l *rateLimiter) keys() []string {
	return slices.Sorted(maps.Keys(l.entries))
}

// At its key cap the limiter forgets every expired entry first, then the
// live one closest to expiry; a request moves its entry back in line.
func TestRateLimiterEviction(t *testing.T) {
	clock := &testClock{}
	l := newRateLimiter(clock.now, 3)
	short := RateLimitRule{Window: 10 * time.Second, Max: 5}
	long := RateLimitRule{Window: time.Minute, Max: 5}
	allow := func(key string, rule RateLimitRule) {
		t.Helper()
		ok, _ := l.allow(key, rule)
		require.True(t, ok, key)
	}

	clock.at(0)
	allow("a", short) // until 10
	clock.at(1)
	allow("c", short) // until 11
	clock.at(2)
	allow("b", long) // until 62
	require.Equal(t, []string{"a", "b", "c"}, l.keys())

	clock.at(12)
	allow("d", short) // until 22
	assert.Equal(t, []string{"b", "d"}, l.keys(), "both expired entries are gone, the live one stays")

	allow("e", short) // until 22, behind d
	assert.Equal(t, []string{"b", "d", "e"}, l.keys(), "under the cap nothing is forgotten")

	clock.at(13)
	allow("d", short) // d now until 23: e is next to expire
	allow("f", short)
	assert.Equal(t, []string{"b", "d", "f"}, l.keys(), "at the cap, the entry closest to expiry goes")

	clock.at(14)
	allow("g", long) // until 74; d (23) is next
	assert.Equal(t, []string{"b", "f", "g"}, l.keys())

	clock.at(200)
	allow("h", short)
	assert.Equal(t, []string{"h"}, l.keys(), "everything expired is forgotten")
	assert.Len(t, l.queues, 1, "empty window lists are dropped")
}

// The mail limit counts an address whatever its case.
func TestMailLimitIgnoresCase(t *testing.T) {
	clock := &testClock{}
	a := &Auth{mailLimiter: memoryRateStorage{newRateLimiter(clock.now, maxRateKeys)}}
	a.cfg.RateLimit.MailPerAddress = RateLimitRule{Window: time.Hour, Max: 2}
	a.cfg.RequestTimeout = time.Minute
	ctx := context.Background()
	require.NoError(t, a.allowMail(ctx, "Victim@Example.com"))
	require.NoError(t, a.allowMail(ctx, "victim@example.com"))
	err := a.allowMail(ctx, " VICTIM@EXAMPLE.COM")
	assert.ErrorIs(t, err, ErrTooManyRequests)
	assert.NoError(t, a.allowMail(ctx, "other@example.com"))
}

// BenchmarkRateLimitNewKeyAtCap is a request from a new client while the
// limiter holds maxRateKeys live keys: the case that used to scan them all.
func BenchmarkRateLimitNewKeyAtCap(b *testing.B) {
	clock := &testClock{}
	l := newRateLimiter(clock.now, maxRateKeys)
	rule := RateLimitRule{Window: 10 * time.Second, Max: 100}
	for i := range maxRateKeys {
		l.allow("fill"+strconv.Itoa(i), rule)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.allow("new"+strconv.Itoa(i), rule)
	}
}
