// Package redis is a secondary.Storage on Redis through go-redis's
// UniversalClient: a single node, Sentinel (a failover client) or Cluster, and
// Valkey the same way. It keeps keys exactly as Better Auth's
// @better-auth/redis-storage 1.7.5 does, so a Go service and a Better Auth
// server on the same Redis share sessions, verification values and rate-limit
// counters:
//
//   - every key is the prefix (default "better-auth:") followed by the logical key;
//   - Get is GET; Set is SETEX with the ttl in whole seconds when ttl > 0, else
//     a plain SET (which removes an expiry the key had); Delete is DEL;
//   - GetAndDelete is GETDEL, and on a server without GETDEL (Redis before
//     6.2), which answers "unknown command", the same Lua script as Better
//     Auth's (GET, then DEL if found), in one atomic EVAL from then on;
//   - Increment is Better Auth's Lua script in one EVAL: INCR, then EXPIRE
//     with the ttl when the result is 1.
//
// Better Auth passes whole seconds; a ttl that is not whole seconds is rounded
// up, never down.
//
// Errors: a missing key is not an error. Network errors, timeouts, a closed
// client or pool, and the replies of a server that is loading, failing over,
// read-only, busy or part of a cluster that is down wrap
// secondary.ErrUnavailable. Error texts name the operation and go-redis's
// error, never the key or the value.
//
// Deadlines: every operation returns when ctx is done, whatever the client's
// options. A client made with ContextTimeoutEnabled honours ctx itself; for
// one made without it (go-redis's default, which then waits for ReadTimeout),
// the command runs in a goroutine that is abandoned when ctx is done and ends
// within the client's own timeouts.
//
// The package name is that of go-redis; import one of them under another
// name, e.g. secondaryredis.
package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/go-betterauth/betterauth/secondary"
)

// DefaultKeyPrefix is @better-auth/redis-storage's default keyPrefix.
const DefaultKeyPrefix = "better-auth:"

// getAndDeleteScript and incrementScript are @better-auth/redis-storage
// 1.7.5's scripts, byte for byte.
const (
	getAndDeleteScript = `
local value = redis.call("GET", KEYS[1])
if value ~= false then
  redis.call("DEL", KEYS[1])
end
return value
`
	incrementScript = `
local value = redis.call("INCR", KEYS[1])
if value == 1 then
  redis.call("EXPIRE", KEYS[1], ARGV[1])
end
return value
`
)

// Options configures a Storage. The zero value is Better Auth's default.
type Options struct {
	// KeyPrefix is put before every key; empty means DefaultKeyPrefix. Use the
	// keyPrefix of the Better Auth server that shares the Redis.
	KeyPrefix string
}

// Storage is a secondary.Storage on a go-redis client, safe for concurrent use.
type Storage struct {
	client goredis.UniversalClient
	prefix string
	// guard: run commands in a goroutine so that ctx bounds them (the client
	// does not honour ctx deadlines itself).
	guard bool
	// noGetDel is set once the server has answered GETDEL with "unknown
	// command"; GetAndDelete then uses the script.
	noGetDel atomic.Bool
}

var _ secondary.Storage = (*Storage)(nil)

// ErrNilClient is New's error for a nil client.
var ErrNilClient = errors.New("secondary/redis: New needs a client")

// New returns a Storage on client, which the caller keeps and closes.
func New(client goredis.UniversalClient, opts Options) (*Storage, error) {
	if client == nil {
		return nil, ErrNilClient
	}
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	return &Storage{client: client, prefix: prefix, guard: !honoursContext(client)}, nil
}

// Key returns the Redis key that holds a logical key: the prefix and key.
func (s *Storage) Key(key string) string { return s.prefix + key }

// honoursContext reports whether the client bounds its network waits by ctx
// (go-redis's ContextTimeoutEnabled), for the client types whose options it
// can read.
func honoursContext(client goredis.UniversalClient) bool {
	switch c := client.(type) {
	case *goredis.Client:
		return c.Options().ContextTimeoutEnabled
	case *goredis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *goredis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

// Get implements secondary.Storage with GET.
func (s *Storage) Get(ctx context.Context, key string) (string, bool, error) {
	r, err := run(ctx, s, "get", func(ctx context.Context) (result, error) {
		return stringResult(s.client.Get(ctx, s.Key(key)).Result())
	})
	return r.value, r.found, err
}

// Set implements secondary.Storage with SETEX (ttl > 0) or SET.
func (s *Storage) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	_, err := run(ctx, s, "set", func(ctx context.Context) (struct{}, error) {
		if ttl > 0 {
			return struct{}{}, s.client.SetEx(ctx, s.Key(key), value, seconds(ttl)).Err()
		}
		return struct{}{}, s.client.Set(ctx, s.Key(key), value, 0).Err()
	})
	return err
}

// Delete implements secondary.Storage with DEL.
func (s *Storage) Delete(ctx context.Context, key string) error {
	_, err := run(ctx, s, "delete", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.client.Del(ctx, s.Key(key)).Err()
	})
	return err
}

// GetAndDelete implements secondary.Storage with GETDEL, or Better Auth's
// GET-and-DEL script where the server has no GETDEL.
func (s *Storage) GetAndDelete(ctx context.Context, key string) (string, bool, error) {
	r, err := run(ctx, s, "get and delete", func(ctx context.Context) (result, error) {
		k := s.Key(key)
		if !s.noGetDel.Load() {
			r, err := stringResult(s.client.GetDel(ctx, k).Result())
			if !isUnknownCommand(err) {
				return r, err
			}
			s.noGetDel.Store(true)
		}
		return stringResult(s.client.Eval(ctx, getAndDeleteScript, []string{k}).Text())
	})
	return r.value, r.found, err
}

// errInvalidTTL is Increment's error for a ttl that is not positive, as
// Better Auth's "ttl must be a positive integer".
var errInvalidTTL = errors.New("secondary/redis: increment: ttl must be positive")

// Increment implements secondary.Storage with Better Auth's script: INCR,
// then EXPIRE when the result is 1.
func (s *Storage) Increment(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if ttl <= 0 {
		return 0, errInvalidTTL
	}
	secs := int64(seconds(ttl) / time.Second)
	return run(ctx, s, "increment", func(ctx context.Context) (int64, error) {
		return s.client.Eval(ctx, incrementScript, []string{s.Key(key)}, secs).Int64()
	})
}

// result is a string reply: found is false for a nil reply.
type result struct {
	value string
	found bool
}

func stringResult(v string, err error) (result, error) {
	if errors.Is(err, goredis.Nil) {
		return result{}, nil
	}
	if err != nil {
		return result{}, err
	}
	return result{value: v, found: true}, nil
}

// seconds rounds ttl up to whole seconds.
func seconds(ttl time.Duration) time.Duration {
	if r := ttl % time.Second; r != 0 {
		ttl += time.Second - r
	}
	return ttl
}

// run runs one command for op, bounded by ctx, and maps its error. With a
// ctx that is already done it sends nothing.
func run[T any](ctx context.Context, s *Storage, op string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fail(ctx, op, err)
	}
	if !s.guard || ctx.Done() == nil {
		v, err := fn(ctx)
		if err != nil {
			return zero, fail(ctx, op, err)
		}
		return v, nil
	}
	type outcome struct {
		v   T
		err error
	}
	done := make(chan outcome, 1) // buffered: an abandoned command does not block
	go func() {
		v, err := fn(ctx)
		done <- outcome{v, err}
	}()
	select {
	case o := <-done:
		if o.err != nil {
			return zero, fail(ctx, op, o.err)
		}
		return o.v, nil
	case <-ctx.Done():
		return zero, fail(ctx, op, ctx.Err())
	}
}

// fail wraps a command's error for op: ErrUnavailable for an outage or a done
// ctx (and then ctx.Err() too). The text holds no key and no value.
func fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return fmt.Errorf("secondary/redis: %s: %w: %w", op, secondary.ErrUnavailable, err)
		}
		return fmt.Errorf("secondary/redis: %s: %w: %w: %w", op, secondary.ErrUnavailable, cerr, err)
	}
	if unavailable(err) {
		return fmt.Errorf("secondary/redis: %s: %w: %w", op, secondary.ErrUnavailable, err)
	}
	return fmt.Errorf("secondary/redis: %s: %w", op, err)
}

// unavailable reports whether err means that Redis cannot answer for now,
// rather than that it refused this command.
func unavailable(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &netErr),
		errors.Is(err, goredis.ErrClosed), errors.Is(err, goredis.ErrPoolTimeout),
		errors.Is(err, goredis.ErrPoolExhausted):
		return true
	case goredis.IsLoadingError(err), goredis.IsReadOnlyError(err), goredis.IsMasterDownError(err),
		goredis.IsClusterDownError(err), goredis.IsTryAgainError(err), goredis.IsMaxClientsError(err),
		goredis.IsNoReplicasError(err), goredis.HasErrorPrefix(err, "BUSY "):
		return true
	}
	// go-redis's own errors for a deployment with no reachable node.
	msg := err.Error()
	for _, s := range []string{
		"redis: all sentinels specified in configuration are unreachable",
		"redis: cluster has no nodes",
		"redis: all ring shards are down",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// isUnknownCommand reports whether err is the server's answer to a command it
// does not know, as @better-auth/redis-storage tests it.
func isUnknownCommand(err error) bool {
	var rErr goredis.Error
	return errors.As(err, &rErr) && strings.Contains(strings.ToLower(err.Error()), "unknown command")
}
