// Package secondarytest is the conformance suite every secondary.Storage must
// pass: an implementation's tests call Run (its doc has an example).
//
// Expiry is checked in one of three ways, best first. WithClock: the storages
// read a clock the suite moves forward (secondary/memory's Options.Now), so
// no case waits. WithTTL: the suite reads the backend's remaining time to live
// of a key (Redis's PTTL) and checks ranges, never elapsed time. With neither,
// the expiry cases set keys with a one-second ttl and wait, with a generous
// deadline, until they are gone; they compare keys with each other, never with
// the clock, so a slow machine makes them slower but not wrong.
package secondarytest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/randid"
	"github.com/go-betterauth/betterauth/secondary"
)

// Option changes how Run checks expiry.
type Option func(*config)

// WithClock tells the suite that the storages measure time with a clock that
// advance moves forward by d (and nothing else moves). Expiry is then checked
// by moving the clock, without waiting.
func WithClock(advance func(d time.Duration)) Option {
	return func(c *config) { c.advance = advance }
}

// TTLFunc reports the time to live the backend holds for a logical key (as
// passed to the Storage): found is false when there is no such key, and ttl
// is negative for a key without expiry.
type TTLFunc func(ctx context.Context, key string) (ttl time.Duration, found bool, err error)

// WithTTL gives the suite a way to read a key's remaining time to live in the
// backend, for storages whose clock it cannot move (Redis: PTTL of the
// prefixed key).
func WithTTL(ttl TTLFunc) Option {
	return func(c *config) { c.ttl = ttl }
}

type config struct {
	advance func(time.Duration)
	ttl     TTLFunc
}

// Run runs every case against storages made by newStorage, which may return a
// fresh storage for each case or the same one: the cases use fresh random keys
// and do not assume an empty storage. An implementation's test:
//
//	func TestConformance(t *testing.T) {
//		secondarytest.Run(t, func(t *testing.T) secondary.Storage {
//			return mystorage.New(...) // your storage's constructor
//		})
//	}
func Run(t *testing.T, newStorage func(t *testing.T) secondary.Storage, opts ...Option) {
	s := &suite{newStorage: newStorage}
	for _, o := range opts {
		o(&s.config)
	}
	cases := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"SetGet", s.setGet},
		{"Delete", s.delete},
		{"EmptyValue", s.emptyValue},
		{"LargeValue", s.largeValue},
		{"UnicodeKeysAndValues", s.unicode},
		{"KeysAreDistinct", s.distinctKeys},
		{"GetAndDelete", s.getAndDelete},
		{"GetAndDeleteSingleUseConcurrent", s.getAndDeleteConcurrent},
		{"Increment", s.increment},
		{"IncrementErrors", s.incrementErrors},
		{"IncrementConcurrent", s.incrementConcurrent},
		{"TTL", s.ttls},
		{"Expiry", s.expiry},
		{"SetReplacesExpiry", s.setReplacesExpiry},
		{"IncrementTTLOnCreateOnly", s.incrementTTLOnce},
		{"IncrementTTLOnCreateOnlyConcurrent", s.incrementTTLOnceConcurrent},
		{"IncrementTTLWhenResultIsOne", s.incrementTTLWhenOne},
		{"ContextCanceled", s.contextCanceled},
		{"ContextDeadline", s.contextDeadline},
	}
	for _, c := range cases {
		t.Run(c.name, c.fn)
	}
}

type suite struct {
	config
	newStorage func(t *testing.T) secondary.Storage
}

// goroutines is how many goroutines race in the concurrent cases.
const goroutines = 16

// realTTL is the ttl of keys that the suite waits to expire (neither WithClock
// nor WithTTL), and waitExpiry how long it waits at most.
const (
	realTTL    = time.Second
	waitExpiry = 30 * time.Second
)

// key returns a fresh logical key with a Better Auth-like shape.
func key(t *testing.T, kind string) string {
	t.Helper()
	v, err := randid.ID()
	require.NoError(t, err)
	return kind + v
}

func get(t *testing.T, st secondary.Storage, k string) (string, bool) {
	t.Helper()
	v, ok, err := st.Get(t.Context(), k)
	require.NoError(t, err)
	if !ok {
		require.Empty(t, v, "a missing key has no value")
	}
	return v, ok
}

func set(t *testing.T, st secondary.Storage, k, v string, ttl time.Duration) {
	t.Helper()
	require.NoError(t, st.Set(t.Context(), k, v, ttl))
}

func incr(t *testing.T, st secondary.Storage, k string, ttl time.Duration) int64 {
	t.Helper()
	n, err := st.Increment(t.Context(), k, ttl)
	require.NoError(t, err)
	return n
}

func (s *suite) setGet(t *testing.T) {
	st := s.newStorage(t)
	k := key(t, "")
	_, ok := get(t, st, k)
	assert.False(t, ok, "a key never set is missing")

	value := `{"session":{"id":"s1","token":"` + k + `"},"user":{"id":"u1","name":"A \"quoted\" name"}}`
	set(t, st, k, value, 0)
	v, ok := get(t, st, k)
	assert.True(t, ok)
	assert.Equal(t, value, v)

	set(t, st, k, "second", time.Hour)
	v, ok = get(t, st, k)
	assert.True(t, ok)
	assert.Equal(t, "second", v, "Set replaces the value")

	set(t, st, k, "third", -time.Second)
	v, _ = get(t, st, k)
	assert.Equal(t, "third", v, "a negative ttl stores without expiry")
}

func (s *suite) delete(t *testing.T) {
	st := s.newStorage(t)
	k, other := key(t, ""), key(t, "")
	set(t, st, k, "v", time.Hour)
	set(t, st, other, "w", 0)
	require.NoError(t, st.Delete(t.Context(), k))
	_, ok := get(t, st, k)
	assert.False(t, ok)
	require.NoError(t, st.Delete(t.Context(), k), "deleting a missing key is not an error")
	v, ok := get(t, st, other)
	assert.True(t, ok, "Delete removes only its key")
	assert.Equal(t, "w", v)
}

func (s *suite) emptyValue(t *testing.T) {
	st := s.newStorage(t)
	k := key(t, "")
	set(t, st, k, "", time.Hour)
	v, ok := get(t, st, k)
	assert.True(t, ok, "an empty value is found")
	assert.Empty(t, v)
	v, ok, err := st.GetAndDelete(t.Context(), k)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Empty(t, v)
	_, ok = get(t, st, k)
	assert.False(t, ok)
}

func (s *suite) largeValue(t *testing.T) {
	st := s.newStorage(t)
	k := key(t, "")
	// 1 MiB of JSON-ish text with multi-byte characters, far beyond a session.
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, `{"i":%d,"n":"Zoë ✓ 名前 🙂"},`, i)
	}
	large := b.String()
	set(t, st, k, large, time.Hour)
	v, ok := get(t, st, k)
	require.True(t, ok)
	require.Len(t, v, len(large))
	require.Equal(t, large, v)
	v, ok, err := st.GetAndDelete(t.Context(), k)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, large, v)

	long := strings.Repeat("k", 1024) + key(t, "") // a long key
	set(t, st, long, "v", time.Hour)
	v, _ = get(t, st, long)
	assert.Equal(t, "v", v)
}

func (s *suite) unicode(t *testing.T) {
	st := s.newStorage(t)
	id := key(t, "")
	keys := []string{
		"ключ-" + id,
		"鍵-" + id,
		"🙂-" + id,
		"Zoë " + id + " with spaces",
		"line\nbreak\r\n" + id,
		"tab\t" + id,
		`quote"'\` + id,
		"glob*?[a-z]" + id,
		"verification:reset-password:" + id,
		"active-sessions-" + id,
		"revoked-sessions-before-" + id,
		"203.0.113.7|/sign-in/email" + id,
		"2001:db8:85a3:8d3::|/sign-up/email" + id,
	}
	for i, k := range keys {
		set(t, st, k, fmt.Sprintf("value %d: ünïcödé ✓ %q", i, k), time.Hour)
	}
	for i, k := range keys {
		v, ok := get(t, st, k)
		assert.True(t, ok, "key %q", k)
		assert.Equal(t, fmt.Sprintf("value %d: ünïcödé ✓ %q", i, k), v, "key %q", k)
	}
	for _, k := range keys {
		_, ok, err := st.GetAndDelete(t.Context(), k)
		require.NoError(t, err)
		assert.True(t, ok, "key %q", k)
	}
}

// Keys that are prefixes of each other, or differ only in case, are different keys.
func (s *suite) distinctKeys(t *testing.T) {
	st := s.newStorage(t)
	base := key(t, "k")
	keys := []string{base, base + "x", base + ":", strings.ToUpper(base), base + " "}
	for i, k := range keys {
		set(t, st, k, strconv.Itoa(i), 0)
	}
	for i, k := range keys {
		v, ok := get(t, st, k)
		assert.True(t, ok, "key %q", k)
		assert.Equal(t, strconv.Itoa(i), v, "key %q", k)
	}
	require.NoError(t, st.Delete(t.Context(), base))
	for _, k := range keys[1:] {
		_, ok := get(t, st, k)
		assert.True(t, ok, "deleting %q left %q", base, k)
	}
}

func (s *suite) getAndDelete(t *testing.T) {
	st := s.newStorage(t)
	k := key(t, "verification:reset-password:")
	v, ok, err := st.GetAndDelete(t.Context(), k)
	require.NoError(t, err, "a missing key is not an error")
	assert.False(t, ok)
	assert.Empty(t, v)

	value := `{"value":"user-1","identifier":"reset-password:x","expiresAt":"2026-01-01T00:00:00.000Z"}`
	set(t, st, k, value, time.Hour)
	v, ok, err = st.GetAndDelete(t.Context(), k)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, value, v)

	v, ok, err = st.GetAndDelete(t.Context(), k)
	require.NoError(t, err)
	assert.False(t, ok, "a value is taken once")
	assert.Empty(t, v)
	_, ok = get(t, st, k)
	assert.False(t, ok, "GetAndDelete removes the key")
}

// Of goroutines racing to take one value, exactly one gets it; repeated so
// that a get-then-delete without atomicity shows.
func (s *suite) getAndDeleteConcurrent(t *testing.T) {
	st := s.newStorage(t)
	for round := range 20 {
		k := key(t, "verification:")
		value := "single-use-" + strconv.Itoa(round)
		set(t, st, k, value, time.Hour)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			wins  int
			start = make(chan struct{})
		)
		for range goroutines {
			wg.Go(func() {
				<-start
				v, ok, err := st.GetAndDelete(context.Background(), k)
				if err != nil {
					t.Errorf("get and delete: %v", err)
					return
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
					if v != value {
						t.Errorf("winner got %q, want %q", v, value)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		require.Equal(t, 1, wins, "round %d: exactly one caller takes the value", round)
	}
}

func (s *suite) increment(t *testing.T) {
	st := s.newStorage(t)
	k := key(t, "203.0.113.7|/sign-in/email")
	for want := int64(1); want <= 3; want++ {
		assert.Equal(t, want, incr(t, st, k, 10*time.Second))
	}
	v, ok := get(t, st, k)
	assert.True(t, ok)
	assert.Equal(t, "3", v, "the counter is stored as decimal text")

	k2 := key(t, "")
	set(t, st, k2, "41", time.Hour)
	assert.EqualValues(t, 42, incr(t, st, k2, time.Minute), "Increment continues from a Set number")
	k3 := key(t, "")
	set(t, st, k3, "-5", 0)
	assert.EqualValues(t, -4, incr(t, st, k3, time.Minute))
	k4 := key(t, "")
	set(t, st, k4, "1000000000", 0) // larger counts than Better Auth makes; Lua numbers are exact to 2^53
	assert.EqualValues(t, 1000000001, incr(t, st, k4, time.Minute))
}

func (s *suite) incrementErrors(t *testing.T) {
	st := s.newStorage(t)
	ctx := t.Context()
	k := key(t, "")
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := st.Increment(ctx, k, ttl)
		require.Error(t, err, "ttl %v", ttl)
		assert.NotErrorIs(t, err, secondary.ErrUnavailable)
	}
	_, ok := get(t, st, k)
	assert.False(t, ok, "a refused increment creates no key")

	secretKey, secretValue := key(t, "secret-key-"), "not-a-number-"+key(t, "secret-value-")
	set(t, st, secretKey, secretValue, 0)
	_, err := st.Increment(ctx, secretKey, time.Minute)
	require.Error(t, err, "a value that is not an integer")
	assert.NotErrorIs(t, err, secondary.ErrUnavailable)
	assert.NotContains(t, err.Error(), secretValue, "error texts never contain values")
	assert.NotContains(t, err.Error(), secretKey, "error texts do not contain keys")
	v, _ := get(t, st, secretKey)
	assert.Equal(t, secretValue, v, "a failed increment leaves the value")

	maxKey := key(t, "")
	set(t, st, maxKey, strconv.FormatInt(math.MaxInt64, 10), 0)
	_, err = st.Increment(ctx, maxKey, time.Minute)
	require.Error(t, err, "an increment that would overflow")
	assert.NotErrorIs(t, err, secondary.ErrUnavailable)
	v, _ = get(t, st, maxKey)
	assert.Equal(t, strconv.FormatInt(math.MaxInt64, 10), v)
}

// Concurrent increments of one key each see a different count, and none is lost.
func (s *suite) incrementConcurrent(t *testing.T) {
	st := s.newStorage(t)
	k := key(t, "198.51.100.1|/sign-in/email")
	const each = 25
	got := make([][]int64, goroutines)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for range each {
				n, err := st.Increment(context.Background(), k, time.Hour)
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
				got[g] = append(got[g], n)
			}
		})
	}
	close(start)
	wg.Wait()
	all := slices.Concat(got...)
	slices.Sort(all)
	want := make([]int64, goroutines*each)
	for i := range want {
		want[i] = int64(i + 1)
	}
	require.Equal(t, want, all, "every increment saw a distinct count")
	v, _ := get(t, st, k)
	assert.Equal(t, strconv.Itoa(goroutines*each), v)
}

// ttl returns the backend's time to live of k (WithTTL).
func (s *suite) ttl(t *testing.T, k string) (time.Duration, bool) {
	t.Helper()
	d, ok, err := s.config.ttl(t.Context(), k)
	require.NoError(t, err)
	return d, ok
}

// assertTTL checks that k expires after more than 0 and at most max.
func (s *suite) assertTTL(t *testing.T, k string, maxTTL time.Duration, msg string) {
	t.Helper()
	d, ok := s.ttl(t, k)
	require.True(t, ok, "%s: the key exists", msg)
	assert.Greater(t, d, time.Duration(0), "%s: the key expires", msg)
	assert.LessOrEqual(t, d, maxTTL, "%s: ttl at most %v", msg, maxTTL)
}

func (s *suite) assertNoExpiry(t *testing.T, k string, msg string) {
	t.Helper()
	d, ok := s.ttl(t, k)
	require.True(t, ok, "%s: the key exists", msg)
	assert.Less(t, d, time.Duration(0), "%s: the key has no expiry", msg)
}

// The backend holds the ttl it was given (WithTTL).
func (s *suite) ttls(t *testing.T) {
	if s.config.ttl == nil {
		t.Skip("needs WithTTL")
	}
	st := s.newStorage(t)
	k := key(t, "")
	set(t, st, k, "v", time.Hour)
	s.assertTTL(t, k, time.Hour, "Set with 1h")
	// A ttl that is not whole seconds is never shortened: at most rounded up.
	k2 := key(t, "")
	set(t, st, k2, "v", 1500*time.Millisecond)
	s.assertTTL(t, k2, 2*time.Second, "Set with 1.5s")
	k3 := key(t, "")
	set(t, st, k3, "v", 0)
	s.assertNoExpiry(t, k3, "Set with 0")
	k4 := key(t, "")
	incr(t, st, k4, 10*time.Second)
	s.assertTTL(t, k4, 10*time.Second, "Increment creating the key")
	_, ok := s.ttl(t, key(t, ""))
	assert.False(t, ok, "the TTL function reports a missing key")
}

// A key expires after its ttl, in every method.
func (s *suite) expiry(t *testing.T) {
	st := s.newStorage(t)
	switch {
	case s.advance != nil:
		k, taken, counter := key(t, ""), key(t, ""), key(t, "")
		set(t, st, k, "v", time.Hour)
		set(t, st, taken, "v", time.Hour)
		assert.EqualValues(t, 1, incr(t, st, counter, time.Hour))
		s.advance(59 * time.Minute)
		_, ok := get(t, st, k)
		assert.True(t, ok, "not expired before its ttl")
		s.advance(2 * time.Minute)
		_, ok = get(t, st, k)
		assert.False(t, ok, "expired after its ttl")
		_, ok, err := st.GetAndDelete(t.Context(), taken)
		require.NoError(t, err)
		assert.False(t, ok, "GetAndDelete does not take an expired value")
		assert.EqualValues(t, 1, incr(t, st, counter, time.Hour), "an expired counter starts again")
		s.advance(59 * time.Minute)
		assert.EqualValues(t, 2, incr(t, st, counter, time.Hour))
		s.advance(2 * time.Minute)
		assert.EqualValues(t, 1, incr(t, st, counter, time.Hour), "the new counter has the new window")
		require.NoError(t, st.Delete(t.Context(), counter))
	case s.config.ttl != nil:
		t.Skip("the backend's own expiry; the TTL case checks what it is given")
	default:
		k, taken := key(t, ""), key(t, "")
		set(t, st, taken, "v", realTTL) // first: it expires no later than k
		set(t, st, k, "v", realTTL)
		s.eventuallyGone(t, st, k)
		_, ok, err := st.GetAndDelete(t.Context(), taken)
		require.NoError(t, err)
		assert.False(t, ok, "GetAndDelete does not take a value set before an expired one with the same ttl")
	}
}

// eventuallyGone waits until k is missing (with neither WithClock nor WithTTL).
func (s *suite) eventuallyGone(t *testing.T, st secondary.Storage, k string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, ok, err := st.Get(context.Background(), k)
		return err == nil && !ok
	}, waitExpiry, 20*time.Millisecond, "the key expires")
}

// Set without ttl removes an expiry the key had; Set with a ttl gives one.
func (s *suite) setReplacesExpiry(t *testing.T) {
	st := s.newStorage(t)
	k, k2 := key(t, ""), key(t, "")
	switch {
	case s.advance != nil:
		set(t, st, k, "v1", time.Hour)
		set(t, st, k, "v2", 0)
		set(t, st, k2, "v1", 0)
		set(t, st, k2, "v2", time.Hour)
		s.advance(2 * time.Hour)
		v, ok := get(t, st, k)
		assert.True(t, ok, "Set without ttl removed the expiry")
		assert.Equal(t, "v2", v)
		_, ok = get(t, st, k2)
		assert.False(t, ok, "Set with ttl added an expiry")
	case s.config.ttl != nil:
		set(t, st, k, "v1", time.Hour)
		set(t, st, k, "v2", 0)
		s.assertNoExpiry(t, k, "Set without ttl after Set with ttl")
		set(t, st, k2, "v1", 0)
		set(t, st, k2, "v2", time.Hour)
		s.assertTTL(t, k2, time.Hour, "Set with ttl after Set without")
	default:
		set(t, st, k, "v1", realTTL)
		set(t, st, k, "v2", 0)
		marker := key(t, "")
		set(t, st, marker, "m", realTTL) // set after k's first expiry would have started
		s.eventuallyGone(t, st, marker)
		v, ok := get(t, st, k)
		assert.True(t, ok, "Set without ttl removed the expiry")
		assert.Equal(t, "v2", v)
	}
}

// Increment sets the ttl when it creates the key, and later calls leave it.
func (s *suite) incrementTTLOnce(t *testing.T) {
	st := s.newStorage(t)
	switch {
	case s.advance != nil:
		k := key(t, "")
		assert.EqualValues(t, 1, incr(t, st, k, time.Hour))
		s.advance(50 * time.Minute)
		assert.EqualValues(t, 2, incr(t, st, k, 10*time.Hour))
		s.advance(11 * time.Minute)
		_, ok := get(t, st, k)
		assert.False(t, ok, "the window opened by the first increment ends")
	case s.config.ttl != nil:
		k := key(t, "")
		assert.EqualValues(t, 1, incr(t, st, k, time.Hour))
		assert.EqualValues(t, 2, incr(t, st, k, 10*time.Hour))
		s.assertTTL(t, k, time.Hour, "after a second increment with a longer ttl")
	default:
		for attempt := range 5 {
			k := key(t, "")
			assert.EqualValues(t, 1, incr(t, st, k, realTTL))
			if incr(t, st, k, time.Hour) != 2 {
				t.Logf("attempt %d: the first window ended before the second increment; again", attempt)
				continue // the machine stalled for a second: no conclusion
			}
			s.eventuallyGone(t, st, k)
			return
		}
		t.Fatal("no two increments within one second in 5 attempts")
	}
}

// Racing increments with different ttls: the expiry is the ttl of the
// increment that returned 1.
func (s *suite) incrementTTLOnceConcurrent(t *testing.T) {
	if s.advance == nil && s.config.ttl == nil {
		t.Skip("needs WithClock or WithTTL")
	}
	st := s.newStorage(t)
	k := key(t, "")
	ttlOf := func(g int) time.Duration { return time.Hour + time.Duration(g)*time.Minute }
	first := -1
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for range 5 {
				n, err := st.Increment(context.Background(), k, ttlOf(g))
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
				if n == 1 {
					mu.Lock()
					first = g
					mu.Unlock()
				}
			}
		})
	}
	close(start)
	wg.Wait()
	require.GreaterOrEqual(t, first, 0, "one increment returned 1")
	want := ttlOf(first)
	if s.advance != nil {
		s.advance(want - time.Second)
		v, ok := get(t, st, k)
		assert.True(t, ok, "alive until the first increment's ttl")
		assert.Equal(t, strconv.Itoa(goroutines*5), v)
		s.advance(2 * time.Second)
		_, ok = get(t, st, k)
		assert.False(t, ok, "gone after the first increment's ttl (%v)", want)
		return
	}
	s.assertTTL(t, k, want, "after racing increments")
}

// Better Auth's redis-storage sets the expiry when INCR returns 1, also for a
// key that existed with "0" and no expiry; any other result leaves it.
func (s *suite) incrementTTLWhenOne(t *testing.T) {
	st := s.newStorage(t)
	ttl := time.Hour
	if s.advance == nil && s.config.ttl == nil {
		ttl = realTTL
	}
	k2 := key(t, "")
	set(t, st, k2, "5", 0)
	assert.EqualValues(t, 6, incr(t, st, k2, ttl))
	k := key(t, "")
	set(t, st, k, "0", 0)
	assert.EqualValues(t, 1, incr(t, st, k, ttl))
	switch {
	case s.advance != nil:
		s.advance(2 * time.Hour)
		_, ok := get(t, st, k)
		assert.False(t, ok, "the result 1 set the expiry")
	case s.config.ttl != nil:
		s.assertTTL(t, k, time.Hour, "the result 1 set the expiry")
		s.assertNoExpiry(t, k2, "a result other than 1 leaves the key without expiry")
		return
	default:
		s.eventuallyGone(t, st, k) // k2's ttl, had it been set, was set before k's
	}
	_, ok := get(t, st, k2)
	assert.True(t, ok, "a result other than 1 leaves the key without expiry")
}

// assertCtxErr checks an operation's error for a done ctx.
func assertCtxErr(t *testing.T, err error, want error, op string, secrets ...string) {
	t.Helper()
	require.Error(t, err, op)
	assert.ErrorIs(t, err, secondary.ErrUnavailable, op)
	assert.ErrorIs(t, err, want, op)
	for _, sec := range secrets {
		assert.NotContains(t, err.Error(), sec, "%s: error texts contain neither keys nor values", op)
	}
}

// doneCtx runs every operation with ctx, which is done, and checks that each
// fails with want and changes nothing.
func (s *suite) doneCtx(t *testing.T, ctx context.Context, want error) {
	st := s.newStorage(t)
	k, taken, counter, deleted := key(t, ""), key(t, ""), key(t, ""), key(t, "")
	value := key(t, "value-")
	set(t, st, taken, value, time.Hour)
	set(t, st, counter, "7", time.Hour)
	set(t, st, deleted, value, time.Hour)

	_, _, err := st.Get(ctx, taken)
	assertCtxErr(t, err, want, "Get", taken, value)
	err = st.Set(ctx, k, value, time.Hour)
	assertCtxErr(t, err, want, "Set", k, value)
	err = st.Delete(ctx, deleted)
	assertCtxErr(t, err, want, "Delete", deleted)
	_, _, err = st.GetAndDelete(ctx, taken)
	assertCtxErr(t, err, want, "GetAndDelete", taken, value)
	_, err = st.Increment(ctx, counter, time.Hour)
	assertCtxErr(t, err, want, "Increment", counter)

	_, ok := get(t, st, k)
	assert.False(t, ok, "Set with a done ctx stored nothing")
	v, ok := get(t, st, taken)
	assert.True(t, ok, "GetAndDelete with a done ctx took nothing")
	assert.Equal(t, value, v)
	_, ok = get(t, st, deleted)
	assert.True(t, ok, "Delete with a done ctx deleted nothing")
	v, _ = get(t, st, counter)
	assert.Equal(t, "7", v, "Increment with a done ctx counted nothing")
}

func (s *suite) contextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s.doneCtx(t, ctx, context.Canceled)
}

func (s *suite) contextDeadline(t *testing.T) {
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("a deadline in the past")
	}
	s.doneCtx(t, ctx, context.DeadlineExceeded)
}
