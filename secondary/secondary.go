// Package secondary is Better Auth's secondaryStorage contract in Go: a small
// key-value store with expiry where Better Auth keeps sessions, verification
// values and rate-limit counters when one is configured, shared by every
// replica of a deployment (and by a Better Auth server beside it).
//
// Storage is the interface. Two implementations come with this module:
// secondary/memory (one process, tests) and secondary/redis (Redis, Valkey,
// Sentinel or Cluster through go-redis, with the key layout of
// @better-auth/redis-storage). Another backend implements the five methods
// and proves itself with the conformance suite in secondary/secondarytest.
//
// Keys passed to a Storage are logical: "<session token>",
// "active-sessions-<user id>", "verification:<identifier>", "<ip>|<path>".
// An implementation that shares its backend with other data adds its own
// prefix (the Redis one adds "better-auth:", as Better Auth does), so callers
// never include one. Values are text (Better Auth stores JSON and decimal
// numbers); keys and values are valid UTF-8 without NUL bytes.
//
// Errors: a missing or expired key is not an error (found is false). When the
// backend is down, unreachable or too slow for ctx, implementations return an
// error wrapping ErrUnavailable, so that the library answers 503 instead of
// treating the user as signed out. Error texts never contain values, and
// should not contain keys either: keys are often session tokens.
package secondary

import (
	"context"
	"errors"
	"time"
)

// ErrUnavailable is wrapped by a Storage's errors when the backend cannot
// answer: it is down, unreachable, refusing service for a while (loading,
// failing over), or did not answer before ctx was done. The operation may or
// may not have taken effect. Callers test it with errors.Is and answer 503
// (Service Unavailable); it never means "not found".
//
// When ctx is done, the error also wraps ctx.Err(), so errors.Is(err,
// context.DeadlineExceeded) tells a timeout from other outages.
var ErrUnavailable = errors.New("secondary storage unavailable")

// Storage is Better Auth's secondaryStorage (get, set, delete, getAndDelete,
// increment). Implementations are safe for concurrent use by many goroutines,
// and by many processes when their backend is shared.
//
// Every method honours ctx: called with a ctx that is already done, a method
// does nothing and returns an error wrapping both ErrUnavailable and
// ctx.Err(); a ctx that is done while the backend has not answered bounds the
// wait the same way (the operation may then have taken effect or not).
//
// Time to live: Better Auth passes whole seconds. An implementation may round
// a ttl up to whole seconds (the Redis one does); it never shortens it and
// never turns a positive ttl into "no expiry". An expired key behaves as a
// missing one in every method.
type Storage interface {
	// Get returns the value stored at key. A missing or expired key is
	// ("", false, nil); an empty value is ("", true, nil).
	Get(ctx context.Context, key string) (value string, found bool, err error)

	// Set stores value at key, replacing any value and any expiry the key had.
	// A ttl > 0 makes the key expire after ttl; ttl <= 0 stores it without
	// expiry (Better Auth's set(key, value) without ttlSeconds).
	Set(ctx context.Context, key, value string, ttl time.Duration) error

	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error

	// GetAndDelete returns the value at key and removes it in one atomic step
	// (GETDEL): of several concurrent callers for one key, exactly one gets
	// found == true. Better Auth consumes single-use verification values
	// (reset-password tokens, OTPs) with it.
	GetAndDelete(ctx context.Context, key string) (value string, found bool, err error)

	// Increment adds 1 to the integer at key, atomically, and returns the new
	// value. A missing or expired key counts as 0, so the first call returns
	// 1. When the result is 1 the key is given ttl as its expiry; otherwise
	// the expiry is left as it is, so a counter's window is fixed by the
	// request that opened it (Better Auth's rate limiter). ttl must be
	// positive. A value that is not a decimal int64, or an increment that
	// would overflow, is an error that leaves the value unchanged.
	Increment(ctx context.Context, key string, ttl time.Duration) (int64, error)
}
