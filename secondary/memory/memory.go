// Package memory is an in-memory secondary.Storage for tests and single-process
// apps. Data lives in the process and is lost when it exits; replicas do not
// share it.
//
// Expiry is measured against Options.Now (time.Now by default), so tests can
// move time forward. An expired key is removed when it is next touched, and
// every write also removes a bounded number of keys whose expiry has passed,
// soonest first, so memory does not grow with keys that are never read again.
// No goroutine is started, so there is nothing to close.
package memory

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/go-betterauth/betterauth/secondary"
)

// sweepLimit bounds how many expired keys one write removes besides its own.
// Each write adds at most one key with an expiry, so removing up to this many
// keeps up with any rate of writes without making one write slow.
const sweepLimit = 64

// Options configures a Storage. The zero value is ready to use.
type Options struct {
	// Now returns the current time; nil means time.Now. Tests inject a clock
	// they control to expire keys without waiting.
	Now func() time.Time
}

// Storage is an in-memory secondary.Storage, safe for concurrent use.
type Storage struct {
	now func() time.Time

	mu       sync.Mutex
	items    map[string]*item
	expiring expiryHeap // the items with an expiry, soonest first
}

var _ secondary.Storage = (*Storage)(nil)

type item struct {
	key     string
	value   string
	expires time.Time // zero: no expiry
	index   int       // position in Storage.expiring, -1 when not in it
}

// New returns an empty Storage.
func New(opts Options) *Storage {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Storage{now: now, items: map[string]*item{}}
}

// Get implements secondary.Storage.
func (s *Storage) Get(ctx context.Context, key string) (string, bool, error) {
	if err := ctxErr(ctx, "get"); err != nil {
		return "", false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.live(key, s.now())
	if it == nil {
		return "", false, nil
	}
	return it.value, true, nil
}

// Set implements secondary.Storage.
func (s *Storage) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := ctxErr(ctx, "set"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	it := s.items[key]
	if it == nil {
		it = &item{key: key, index: -1}
		s.items[key] = it
	}
	it.value = value
	var expires time.Time
	if ttl > 0 {
		expires = now.Add(ttl)
	}
	s.setExpiry(it, expires)
	return nil
}

// Delete implements secondary.Storage.
func (s *Storage) Delete(ctx context.Context, key string) error {
	if err := ctxErr(ctx, "delete"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.now())
	if it := s.items[key]; it != nil {
		s.remove(it)
	}
	return nil
}

// GetAndDelete implements secondary.Storage.
func (s *Storage) GetAndDelete(ctx context.Context, key string) (string, bool, error) {
	if err := ctxErr(ctx, "get and delete"); err != nil {
		return "", false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	it := s.live(key, now)
	if it == nil {
		return "", false, nil
	}
	s.remove(it)
	return it.value, true, nil
}

// errInvalidTTL is returned by Increment for a ttl that is not positive.
var errInvalidTTL = errors.New("secondary/memory: increment: ttl must be positive")

// Increment implements secondary.Storage.
func (s *Storage) Increment(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if err := ctxErr(ctx, "increment"); err != nil {
		return 0, err
	}
	if ttl <= 0 {
		return 0, errInvalidTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	it := s.live(key, now)
	var n int64
	if it != nil {
		v, err := strconv.ParseInt(it.value, 10, 64)
		if err != nil {
			return 0, errors.New("secondary/memory: increment: the value is not an integer")
		}
		if v == math.MaxInt64 {
			return 0, errors.New("secondary/memory: increment: the value would overflow")
		}
		n = v + 1
	} else {
		n = 1
		it = &item{key: key, index: -1}
		s.items[key] = it
	}
	it.value = strconv.FormatInt(n, 10)
	if n == 1 { // as @better-auth/redis-storage: INCR, then EXPIRE when the result is 1
		s.setExpiry(it, now.Add(ttl))
	}
	return n, nil
}

// live returns key's item, or nil if it is missing or expired (and then
// removes it). Callers hold mu.
func (s *Storage) live(key string, now time.Time) *item {
	it := s.items[key]
	if it == nil {
		return nil
	}
	if expired(it, now) {
		s.remove(it)
		return nil
	}
	return it
}

func expired(it *item, now time.Time) bool {
	return !it.expires.IsZero() && !now.Before(it.expires)
}

// setExpiry gives it a new expiry (zero: none), keeping the heap in step.
func (s *Storage) setExpiry(it *item, expires time.Time) {
	it.expires = expires
	switch {
	case expires.IsZero() && it.index >= 0:
		heap.Remove(&s.expiring, it.index)
	case expires.IsZero():
	case it.index >= 0:
		heap.Fix(&s.expiring, it.index)
	default:
		heap.Push(&s.expiring, it)
	}
}

// remove deletes it from the map and the heap.
func (s *Storage) remove(it *item) {
	delete(s.items, it.key)
	if it.index >= 0 {
		heap.Remove(&s.expiring, it.index)
	}
}

// sweep removes up to sweepLimit expired items, soonest expiry first.
func (s *Storage) sweep(now time.Time) {
	for range sweepLimit {
		if len(s.expiring) == 0 || !expired(s.expiring[0], now) {
			return
		}
		s.remove(s.expiring[0])
	}
}

// ctxErr returns the error for a done ctx, wrapping ErrUnavailable and ctx.Err().
func ctxErr(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("secondary/memory: %s: %w: %w", op, secondary.ErrUnavailable, err)
	}
	return nil
}

// expiryHeap is a min-heap of items by expiry (container/heap).
type expiryHeap []*item

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *expiryHeap) Push(x any) {
	it := x.(*item)
	it.index = len(*h)
	*h = append(*h, it)
}

func (h *expiryHeap) Pop() any {
	old := *h
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	it.index = -1
	*h = old[:n-1]
	return it
}
