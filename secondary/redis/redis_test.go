package redis_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/redistest"
	"github.com/go-betterauth/betterauth/secondary"
	secondaryredis "github.com/go-betterauth/betterauth/secondary/redis"
	"github.com/go-betterauth/betterauth/secondary/secondarytest"
)

func TestMain(m *testing.M) {
	os.Exit(redistest.Main(m))
}

// pttl is the suite's TTLFunc: PTTL of the prefixed key.
func pttl(client goredis.UniversalClient, st *secondaryredis.Storage) secondarytest.TTLFunc {
	return func(ctx context.Context, key string) (time.Duration, bool, error) {
		n, err := client.Do(ctx, "pttl", st.Key(key)).Int64()
		switch {
		case err != nil:
			return 0, false, err
		case n == -2:
			return 0, false, nil
		case n == -1:
			return -1, true, nil
		}
		return time.Duration(n) * time.Millisecond, true, nil
	}
}

func TestConformance(t *testing.T) {
	variants := map[string]struct {
		client func(t *testing.T) goredis.UniversalClient
		opts   secondaryredis.Options
	}{
		"default": {
			client: func(t *testing.T) goredis.UniversalClient { return redistest.NewClient(t) },
		},
		"prefix": {
			client: func(t *testing.T) goredis.UniversalClient { return redistest.NewClient(t) },
			opts:   secondaryredis.Options{KeyPrefix: "app-1:"},
		},
		// go-redis's default options: ctx deadlines are enforced by the Storage.
		"withoutContextTimeout": {
			client: func(t *testing.T) goredis.UniversalClient {
				opts, err := goredis.ParseURL(redistest.NewURL(t))
				require.NoError(t, err)
				require.False(t, opts.ContextTimeoutEnabled)
				c := goredis.NewClient(opts)
				t.Cleanup(func() { _ = c.Close() })
				return c
			},
		},
		"universalClient": {
			client: func(t *testing.T) goredis.UniversalClient {
				opts, err := goredis.ParseURL(redistest.NewURL(t))
				require.NoError(t, err)
				c := goredis.NewUniversalClient(&goredis.UniversalOptions{
					Addrs: []string{opts.Addr},
					DB:    opts.DB,
					Dialer: func(ctx context.Context, _, addr string) (net.Conn, error) {
						var d net.Dialer
						return d.DialContext(ctx, "unix", addr)
					},
					ContextTimeoutEnabled: true,
				})
				t.Cleanup(func() { _ = c.Close() })
				return c
			},
		},
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			client := v.client(t)
			st := mustNew(t, client, v.opts)
			secondarytest.Run(t, func(t *testing.T) secondary.Storage { return st },
				secondarytest.WithTTL(pttl(client, st)))
		})
	}
}

// recorder is a go-redis hook that records the commands sent, and can
// answer some of them with an error instead of sending them.
type recorder struct {
	mu     sync.Mutex
	cmds   [][]any
	refuse map[string]error // command name → error returned instead
}

func (r *recorder) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (r *recorder) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

func (r *recorder) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		r.mu.Lock()
		switch cmd.Name() {
		case "hello", "client", "select", "auth", "ping": // go-redis setting up a connection
		default:
			r.cmds = append(r.cmds, cmd.Args())
		}
		err := r.refuse[cmd.Name()]
		r.mu.Unlock()
		if err != nil {
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

// take returns the commands recorded since the last call.
func (r *recorder) take() [][]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	cmds := r.cmds
	r.cmds = nil
	return cmds
}

func recorded(t *testing.T, opts secondaryredis.Options) (*secondaryredis.Storage, *recorder, *goredis.Client) {
	client := redistest.NewClient(t)
	rec := &recorder{refuse: map[string]error{}}
	client.AddHook(rec)
	raw := goredis.NewClient(client.Options()) // the same database, unrecorded
	t.Cleanup(func() { _ = raw.Close() })
	return mustNew(t, client, opts), rec, raw
}

// The commands and keys are @better-auth/redis-storage 1.7.5's.
func TestCommandsAsBetterAuth(t *testing.T) {
	ctx := t.Context()
	st, rec, raw := recorded(t, secondaryredis.Options{})
	const incrementScript = "\nlocal value = redis.call(\"INCR\", KEYS[1])\nif value == 1 then\n" +
		"  redis.call(\"EXPIRE\", KEYS[1], ARGV[1])\nend\nreturn value\n"

	require.NoError(t, st.Set(ctx, "tok", `{"session":{}}`, 604800*time.Second))
	require.NoError(t, st.Set(ctx, "plain", "v", 0))
	require.NoError(t, st.Set(ctx, "rounded", "v", 1500*time.Millisecond))
	_, _, err := st.Get(ctx, "tok")
	require.NoError(t, err)
	_, _, err = st.GetAndDelete(ctx, "verification:reset-password:x")
	require.NoError(t, err)
	require.NoError(t, st.Delete(ctx, "active-sessions-u1"))
	_, err = st.Increment(ctx, "127.0.0.1|/sign-in/email", 10*time.Second)
	require.NoError(t, err)
	_, err = st.Increment(ctx, "127.0.0.1|/x", 2500*time.Millisecond)
	require.NoError(t, err)

	assert.Equal(t, [][]any{
		{"setex", "better-auth:tok", int64(604800), `{"session":{}}`},
		{"set", "better-auth:plain", "v"},
		{"setex", "better-auth:rounded", int64(2), "v"}, // rounded up
		{"get", "better-auth:tok"},
		{"getdel", "better-auth:verification:reset-password:x"},
		{"del", "better-auth:active-sessions-u1"},
		{"eval", incrementScript, 1, "better-auth:127.0.0.1|/sign-in/email", int64(10)},
		{"eval", incrementScript, 1, "better-auth:127.0.0.1|/x", int64(3)},
	}, rec.take())

	// What Better Auth wrote is read, and the other way round.
	require.NoError(t, raw.Set(ctx, "better-auth:from-better-auth", "hello", 0).Err())
	v, ok, err := st.Get(ctx, "from-better-auth")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "hello", v)
	v, err = raw.Get(ctx, "better-auth:tok").Result()
	require.NoError(t, err)
	assert.Equal(t, `{"session":{}}`, v)
	n, err := raw.Exists(ctx, "tok").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "no key without the prefix")
}

func TestKeyPrefix(t *testing.T) {
	ctx := t.Context()
	st, rec, raw := recorded(t, secondaryredis.Options{KeyPrefix: "myapp:"})
	assert.Equal(t, "myapp:k", st.Key("k"))
	assert.Equal(t, "better-auth:k", mustNew(t, raw, secondaryredis.Options{}).Key("k"))

	require.NoError(t, st.Set(ctx, "k", "v", time.Minute))
	_, _, err := st.Get(ctx, "k")
	require.NoError(t, err)
	_, err = st.Increment(ctx, "c", time.Minute)
	require.NoError(t, err)
	_, _, err = st.GetAndDelete(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, st.Delete(ctx, "c"))
	for _, cmd := range rec.take() {
		keyAt := 1
		if cmd[0] == "eval" {
			keyAt = 3
		}
		assert.True(t, strings.HasPrefix(cmd[keyAt].(string), "myapp:"), "%v", cmd)
	}

	// Another prefix is another namespace.
	require.NoError(t, raw.Set(ctx, "better-auth:k", "other app", 0).Err())
	_, ok, err := st.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, ok)
}

// redisError is a server error reply, as go-redis reports them.
type redisError string

func (e redisError) Error() string { return string(e) }
func (redisError) RedisError()     {}

// A server without GETDEL (Redis < 6.2): Better Auth's script, atomic, and
// GETDEL is not tried again.
func TestGetAndDeleteWithoutGetDel(t *testing.T) {
	ctx := t.Context()
	st, rec, raw := recorded(t, secondaryredis.Options{})
	rec.refuse["getdel"] = redisError("ERR unknown command 'GETDEL', with args beginning with: 'better-auth:k' ")

	require.NoError(t, st.Set(ctx, "k", "v", time.Hour))
	rec.take()
	v, ok, err := st.GetAndDelete(ctx, "k")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "v", v)
	_, ok, err = st.GetAndDelete(ctx, "k")
	require.NoError(t, err)
	assert.False(t, ok, "taken once")
	cmds := rec.take()
	require.Len(t, cmds, 3)
	assert.Equal(t, "getdel", cmds[0][0])
	assert.Equal(t, "eval", cmds[1][0])
	assert.Equal(t, "eval", cmds[2][0], "GETDEL is not tried again")
	assert.Equal(t, "\nlocal value = redis.call(\"GET\", KEYS[1])\nif value ~= false then\n"+
		"  redis.call(\"DEL\", KEYS[1])\nend\nreturn value\n", cmds[1][1])

	// The script is single use under concurrency too.
	secondarytest.Run(t, func(t *testing.T) secondary.Storage { return st }, secondarytest.WithTTL(pttl(raw, st)))
}

// Another error from GETDEL is returned, not taken for a missing command.
func TestGetDelOtherErrorKept(t *testing.T) {
	st, rec, _ := recorded(t, secondaryredis.Options{})
	rec.refuse["getdel"] = redisError("WRONGTYPE Operation against a key holding the wrong kind of value")
	_, _, err := st.GetAndDelete(t.Context(), "k")
	require.Error(t, err)
	assert.NotErrorIs(t, err, secondary.ErrUnavailable)
	delete(rec.refuse, "getdel")
	rec.take()
	_, _, err = st.GetAndDelete(t.Context(), "k")
	require.NoError(t, err)
	assert.Equal(t, "getdel", rec.take()[0][0], "GETDEL is still used")
}

// A key that Redis has expired is missing for every method; a counter starts again.
func TestExpiredKey(t *testing.T) {
	ctx := t.Context()
	st, _, raw := recorded(t, secondaryredis.Options{})
	expire := func(k string) {
		t.Helper()
		require.NoError(t, raw.PExpireAt(ctx, st.Key(k), time.UnixMilli(1)).Err()) // in the past
	}
	require.NoError(t, st.Set(ctx, "a", "v", time.Hour))
	require.NoError(t, st.Set(ctx, "b", "v", time.Hour))
	_, err := st.Increment(ctx, "c", time.Hour)
	require.NoError(t, err)
	_, err = st.Increment(ctx, "c", time.Hour)
	require.NoError(t, err)
	for _, k := range []string{"a", "b", "c"} {
		expire(k)
	}
	_, ok, err := st.Get(ctx, "a")
	require.NoError(t, err)
	assert.False(t, ok)
	_, ok, err = st.GetAndDelete(ctx, "b")
	require.NoError(t, err)
	assert.False(t, ok)
	n, err := st.Increment(ctx, "c", time.Minute)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "the counter starts again")
	ttl, err := raw.PTTL(ctx, st.Key("c")).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, time.Duration(0))
	assert.LessOrEqual(t, ttl, time.Minute, "with the new window")
}

// Redis stopped: every method fails with ErrUnavailable before its deadline;
// Redis back on the same address: the same Storage and client work again.
func TestRedisDownThenBack(t *testing.T) {
	for _, contextTimeout := range []bool{true, false} {
		name := map[bool]string{true: "ContextTimeoutEnabled", false: "default options"}[contextTimeout]
		t.Run(name, func(t *testing.T) {
			srv := redistest.NewServer(t)
			opts := srv.Options()
			opts.ContextTimeoutEnabled = contextTimeout
			client := goredis.NewClient(opts)
			t.Cleanup(func() { _ = client.Close() })
			st := mustNew(t, client, secondaryredis.Options{})
			ctx := t.Context()
			const secretKey, secretValue = "session-token-SECRETKEY", "session-value-SECRETVALUE"
			require.NoError(t, st.Set(ctx, secretKey, secretValue, time.Hour))

			srv.Stop(t)
			ops := map[string]func(ctx context.Context) error{
				"Get":    func(ctx context.Context) error { _, _, err := st.Get(ctx, secretKey); return err },
				"Set":    func(ctx context.Context) error { return st.Set(ctx, secretKey, secretValue, time.Hour) },
				"Delete": func(ctx context.Context) error { return st.Delete(ctx, secretKey) },
				"GetAndDelete": func(ctx context.Context) error {
					_, _, err := st.GetAndDelete(ctx, secretKey)
					return err
				},
				"Increment": func(ctx context.Context) error { _, err := st.Increment(ctx, secretKey, time.Minute); return err },
			}
			// At once: each waits through go-redis's retries (MaxRetries, dial attempts).
			errs := make(map[string]error, len(ops))
			var mu sync.Mutex
			var wg sync.WaitGroup
			for name, op := range ops {
				wg.Go(func() {
					opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
					defer cancel()
					err := op(opCtx)
					mu.Lock()
					errs[name] = err
					mu.Unlock()
				})
			}
			wg.Wait()
			for name, err := range errs {
				require.Error(t, err, name)
				assert.ErrorIs(t, err, secondary.ErrUnavailable, name)
				assert.NotContains(t, err.Error(), "SECRET", "%s: %v", name, err)
			}

			srv.Start(t)
			require.Eventually(t, func() bool {
				opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				return st.Set(opCtx, "k", "back", time.Minute) == nil
			}, time.Minute, 20*time.Millisecond, "the storage recovers by itself")
			v, ok, err := st.Get(ctx, "k")
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "back", v)
			n, err := st.Increment(ctx, "n", time.Minute)
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
		})
	}
}

// A Redis that hangs: each method returns once ctx's deadline has passed, with
// an error wrapping ErrUnavailable and context.DeadlineExceeded, whether or
// not the client honours ctx itself.
func TestRedisHangsDeadline(t *testing.T) {
	for _, contextTimeout := range []bool{true, false} {
		name := map[bool]string{true: "ContextTimeoutEnabled", false: "default options"}[contextTimeout]
		t.Run(name, func(t *testing.T) {
			srv := redistest.NewServer(t)
			opts := srv.Options()
			opts.ContextTimeoutEnabled = contextTimeout
			opts.ReadTimeout = time.Hour // were the deadline ignored, the test would time out
			opts.WriteTimeout = time.Hour
			client := goredis.NewClient(opts)
			t.Cleanup(func() { _ = client.Close() })
			st := mustNew(t, client, secondaryredis.Options{})
			ctx := t.Context()
			require.NoError(t, st.Set(ctx, "k", "v", time.Hour))

			srv.Pause(t)
			t.Cleanup(func() { srv.Resume(t) }) // runs before the server's removal
			ops := []func(ctx context.Context) error{
				func(ctx context.Context) error { _, _, err := st.Get(ctx, "k"); return err },
				func(ctx context.Context) error { return st.Set(ctx, "k", "w", time.Hour) },
				func(ctx context.Context) error { return st.Delete(ctx, "k") },
				func(ctx context.Context) error { _, _, err := st.GetAndDelete(ctx, "k"); return err },
				func(ctx context.Context) error { _, err := st.Increment(ctx, "n", time.Minute); return err },
			}
			for i, op := range ops {
				opCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				errc := make(chan error, 1)
				go func() { errc <- op(opCtx) }()
				var err error
				select {
				case err = <-errc:
				case <-time.After(time.Minute): // not a timing check: it does not return at all
					t.Fatalf("op %d did not return a minute after its deadline", i)
				}
				cancel()
				require.Error(t, err, "op %d", i)
				assert.ErrorIs(t, err, secondary.ErrUnavailable, "op %d", i)
				assert.ErrorIs(t, err, context.DeadlineExceeded, "op %d", i)
			}
		})
	}
}

func TestNewNilClient(t *testing.T) {
	_, err := secondaryredis.New(nil, secondaryredis.Options{})
	assert.ErrorIs(t, err, secondaryredis.ErrNilClient)
}

// mustNew is New for a client that is not nil.
func mustNew(t testing.TB, client goredis.UniversalClient, opts secondaryredis.Options) *secondaryredis.Storage {
	t.Helper()
	st, err := secondaryredis.New(client, opts)
	require.NoError(t, err)
	return st
}

// fakeClient is a UniversalClient whose commands all fail with err.
type fakeClient struct {
	goredis.UniversalClient
	err error
}

func (f fakeClient) Get(ctx context.Context, _ string) *goredis.StringCmd {
	cmd := goredis.NewStringCmd(ctx)
	cmd.SetErr(f.err)
	return cmd
}

// With a ctx already done nothing is sent: the recording hook, which sees
// commands before go-redis looks at ctx, sees none.
func TestDoneCtxSendsNothing(t *testing.T) {
	st, rec, _ := recorded(t, secondaryredis.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := st.Set(ctx, "k", "v", 0)
	assert.ErrorIs(t, err, secondary.ErrUnavailable)
	assert.ErrorIs(t, err, context.Canceled)
	_, _, err = st.Get(ctx, "k")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = st.Increment(ctx, "n", time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, rec.take())
	require.NoError(t, st.Set(t.Context(), "k", "v", 0))
	assert.Len(t, rec.take(), 1)
}

// Which go-redis errors mean "unavailable".
func TestErrorMapping(t *testing.T) {
	opErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	unavailable := map[string]error{
		"dial":             opErr,
		"eof":              fmt.Errorf("read: %w", io.EOF),
		"unexpected eof":   io.ErrUnexpectedEOF,
		"deadline":         fmt.Errorf("wait: %w", context.DeadlineExceeded),
		"canceled":         context.Canceled,
		"closed":           goredis.ErrClosed,
		"pool timeout":     goredis.ErrPoolTimeout,
		"pool exhausted":   goredis.ErrPoolExhausted,
		"loading":          redisError("LOADING Redis is loading the dataset in memory"),
		"readonly":         redisError("READONLY You can't write against a read only replica."),
		"masterdown":       redisError("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."),
		"clusterdown":      redisError("CLUSTERDOWN The cluster is down"),
		"tryagain":         redisError("TRYAGAIN Multiple keys request during rehashing of slot"),
		"max clients":      redisError("ERR max number of clients reached"),
		"busy":             redisError("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT."),
		"sentinels":        errors.New("redis: all sentinels specified in configuration are unreachable"),
		"cluster no nodes": errors.New("redis: cluster has no nodes"),
		"timeout":          &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded},
	}
	refused := map[string]error{
		"wrongtype":  redisError("WRONGTYPE Operation against a key holding the wrong kind of value"),
		"not an int": redisError("ERR value is not an integer or out of range"),
		"noauth":     redisError("NOAUTH Authentication required."),
		"oom":        redisError("OOM command not allowed when used memory > 'maxmemory'."),
	}
	check := func(name string, in error, want bool) {
		st := mustNew(t, fakeClient{err: in}, secondaryredis.Options{})
		_, _, err := st.Get(t.Context(), "secret-key")
		require.Error(t, err, name)
		assert.ErrorIs(t, err, in, "%s: the cause is kept", name)
		assert.Equal(t, want, errors.Is(err, secondary.ErrUnavailable), "%s: %v", name, err)
		assert.NotContains(t, err.Error(), "secret-key", name)
	}
	for name, in := range unavailable {
		check(name, in, true)
	}
	for name, in := range refused {
		check(name, in, false)
	}
	// redis.Nil is "not found", not an error.
	st := mustNew(t, fakeClient{err: goredis.Nil}, secondaryredis.Options{})
	v, ok, err := st.Get(t.Context(), "k")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Empty(t, v)
}

// timeoutHook fails every command with a network timeout, after running onCmd.
type timeoutHook struct{ onCmd func() }

func (h timeoutHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (h timeoutHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

func (h timeoutHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.onCmd()
		err := &net.OpError{Op: "read", Net: "unix", Err: os.ErrDeadlineExceeded}
		cmd.SetErr(err)
		return err
	}
}

// A command that fails once ctx is done reports ctx's error, whatever error
// the client gives.
func TestDoneDuringCommandWrapsCtxErr(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	client := redistest.NewClient(t) // honours ctx itself: no goroutine in between
	client.AddHook(timeoutHook{onCmd: cancel})
	_, _, err := mustNew(t, client, secondaryredis.Options{}).Get(ctx, "k")
	require.Error(t, err)
	assert.ErrorIs(t, err, secondary.ErrUnavailable)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "the client's error is kept")
}
