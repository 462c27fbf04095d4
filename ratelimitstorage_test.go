package betterauth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/secondary"
	"github.com/go-betterauth/betterauth/secondary/memory"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

// rlBackends are stores with Better Auth's rateLimit table.
var rlBackends = []backend{
	{"memstore", func(t *testing.T, sch schema.Schema) betterauth.Store {
		st, err := memstore.New(sch, betterauth.RateLimitSchema())
		require.NoError(t, err)
		return st
	}},
	{"pgstore", func(t *testing.T, sch schema.Schema) betterauth.Store {
		pool := pgtest.NewPool(t)
		require.NoError(t, migrations.Up(context.Background(), pool, sch, betterauth.RateLimitSchema()))
		st, err := pgstore.New(pool, sch, betterauth.RateLimitSchema())
		require.NoError(t, err)
		return st
	}},
	{"pgstore-uuid", func(t *testing.T, sch schema.Schema) betterauth.Store {
		// uuid ids: the database makes the rateLimit row's id.
		sch.IDMode = schema.IDModeUUID
		pool := pgtest.NewPool(t)
		require.NoError(t, migrations.Up(context.Background(), pool, sch, betterauth.RateLimitSchema()))
		st, err := pgstore.New(pool, sch, betterauth.RateLimitSchema())
		require.NoError(t, err)
		return st
	}},
}

// replica is an Auth on st with rate limits on, on the shared clock: one of
// several replicas of a deployment.
func replica(t *testing.T, st betterauth.Store, clock *fakeClock, mod func(*betterauth.Config)) http.Handler {
	t.Helper()
	cfg := betterauth.Config{
		Store: st, Secret: testSecret, BaseURL: testOrigin, Now: clock.Now, PasswordHasher: fastHasher,
		RateLimit: betterauth.RateLimitConfig{Enabled: new(true)}, Logger: slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := betterauth.New(cfg)
	require.NoError(t, err)
	return a.Handler()
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 27, 11, 9, 19, 882_000_000, time.UTC)}
}

// signInFrom is a counted sign-in (400: no password is hashed) by client ip.
func signInFrom(t *testing.T, h http.Handler, ip string) *httptest.ResponseRecorder {
	t.Helper()
	return from(t, h, ip+":1234", "", "POST", "/sign-in/email", wrongSignIn)
}

func retryAfter(r *httptest.ResponseRecorder) string { return r.Header().Get("X-Retry-After") }

// rateRow reads the rateLimit row of key.
func rateRow(t *testing.T, st betterauth.Store, key string) (count, lastRequest int64) {
	t.Helper()
	r, err := st.(betterauth.TableStore).FindOne(context.Background(), betterauth.RateLimitModel, schema.Where{Field: "key", Value: key})
	require.NoError(t, err)
	return r["count"].(int64), r["lastRequest"].(int64)
}

func TestRateLimitStorageConfig(t *testing.T) {
	clock := newClock()
	plain := backends[0].new(t, schema.Schema{})
	withTable := rlBackends[0].new(t, schema.Schema{})
	plural := rlBackends[0].new(t, schema.Schema{UsePlural: true})
	ss := memory.New(memory.Options{Now: clock.Now})
	for _, tc := range []struct {
		name string
		st   betterauth.Store
		mod  func(*betterauth.Config)
		err  string
	}{
		{"unknown storage", plain, func(c *betterauth.Config) { c.RateLimit.Storage = "redis" }, `RateLimit.Storage "redis"`},
		{"secondary without secondary storage", plain, func(c *betterauth.Config) { c.RateLimit.Storage = betterauth.RateLimitStorageSecondary }, "needs Config.SecondaryStorage"},
		{"database without the table", plain, func(c *betterauth.Config) { c.RateLimit.Storage = betterauth.RateLimitStorageDatabase }, "RateLimitSchema"},
		{"database on a store without it", onlyStore{withTable}, func(c *betterauth.Config) { c.RateLimit.Storage = betterauth.RateLimitStorageDatabase }, "RateLimitStore"},
		{"database", withTable, func(c *betterauth.Config) { c.RateLimit.Storage = betterauth.RateLimitStorageDatabase }, ""},
		{"database, Config.Schema set", plural, func(c *betterauth.Config) {
			c.Schema, c.RateLimit.Storage = schema.Schema{UsePlural: true}, betterauth.RateLimitStorageDatabase
		}, ""},
		{"disabled: no storage needed", plain, func(c *betterauth.Config) {
			c.RateLimit.Storage, c.RateLimit.Enabled = betterauth.RateLimitStorageDatabase, new(false)
		}, ""},
		{"secondary", plain, func(c *betterauth.Config) { c.SecondaryStorage = ss }, ""},
		{"custom rule without a window", plain, func(c *betterauth.Config) {
			c.RateLimit.CustomRules = map[string]betterauth.RateLimitRule{"/sign-in/*": {Max: 5}}
		}, `CustomRules["/sign-in/*"] has Window 0s`},
		{"custom rule with a negative max", plain, func(c *betterauth.Config) {
			c.RateLimit.CustomRules = map[string]betterauth.RateLimitRule{"/sign-in/*": {Window: time.Second, Max: -1}}
		}, `Max -1`},
		{"route rule without a window", plain, func(c *betterauth.Config) {
			c.Plugins = []betterauth.Plugin{rulePlugin{Max: 1}}
		}, `route GET /own-rule has Window 0s`},
		{"route rule with a negative max", plain, func(c *betterauth.Config) {
			c.Plugins = []betterauth.Plugin{rulePlugin{Window: time.Second, Max: -1}}
		}, `route GET /own-rule has Window 1s and Max -1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := betterauth.Config{Store: tc.st, Secret: testSecret, BaseURL: testOrigin, Now: clock.Now, RateLimit: betterauth.RateLimitConfig{Enabled: new(true)}}
			tc.mod(&cfg)
			_, err := betterauth.New(cfg)
			if tc.err == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tc.err)
			}
		})
	}
}

// onlyStore hides every capability of a store but Store itself.
type onlyStore struct{ betterauth.Store }

// With secondary storage the limits are counted there by default, under
// Better Auth's keys; without it, in memory.
func TestRateLimitStorageDefault(t *testing.T) {
	clock := newClock()
	ss := &recordingStorage{Storage: memory.New(memory.Options{Now: clock.Now}), keys: map[string]bool{}}
	st := backends[0].new(t, schema.Schema{})
	h := replica(t, st, clock, func(c *betterauth.Config) { c.SecondaryStorage = ss })
	require.Equal(t, 400, signInFrom(t, h, "192.0.2.1").Code)
	v, ok := ss.get(t, "192.0.2.1|/sign-in/email")
	require.True(t, ok, "counted in secondary storage")
	assert.Equal(t, "1", v)

	// A client whose address is unknown (a unix socket) counts in Better
	// Auth's shared bucket.
	req := newRequest(t, "POST", "/sign-in/email", wrongSignIn)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", testOrigin)
	req.RemoteAddr = "@"
	require.Equal(t, 400, serve(h, req).Code)
	v, ok = ss.get(t, "no-trusted-ip|/sign-in/email")
	require.True(t, ok)
	assert.Equal(t, "1", v)

	// Without secondary storage: in memory (nothing in the store's tables).
	clock2 := newClock()
	h2 := replica(t, st, clock2, nil)
	for range 3 {
		require.Equal(t, 400, signInFrom(t, h2, "192.0.2.1").Code)
	}
	assert.Equal(t, 429, signInFrom(t, h2, "192.0.2.1").Code)
}

// The database storage: Better Auth's rule on its rateLimit table, shared
// by replicas: the window restarts at each allowed request, refused
// requests are not counted, Retry-After is what is left of the window.
func TestRateLimitDatabase(t *testing.T) {
	for _, b := range rlBackends {
		t.Run(b.name, func(t *testing.T) {
			st := b.new(t, schema.Schema{})
			clock := newClock()
			db := func(c *betterauth.Config) { c.RateLimit.Storage = betterauth.RateLimitStorageDatabase }
			r1, r2 := replica(t, st, clock, db), replica(t, st, clock, db)
			const key = "192.0.2.1|/sign-in/email"

			require.Equal(t, 400, signInFrom(t, r1, "192.0.2.1").Code)
			count, last := rateRow(t, st, key)
			assert.EqualValues(t, 1, count)
			assert.Equal(t, clock.Now().UnixMilli(), last)
			clock.Advance(2 * time.Second)
			require.Equal(t, 400, signInFrom(t, r2, "192.0.2.1").Code)
			clock.Advance(2 * time.Second)
			require.Equal(t, 400, signInFrom(t, r1, "192.0.2.1").Code)
			lastAllowed := clock.Now().UnixMilli()
			count, last = rateRow(t, st, key)
			assert.EqualValues(t, 3, count)
			assert.Equal(t, lastAllowed, last, "lastRequest is the last allowed request")

			clock.Advance(3500 * time.Millisecond)
			res := signInFrom(t, r2, "192.0.2.1")
			require.Equal(t, 429, res.Code, "the two replicas count as one")
			assert.Equal(t, "7", retryAfter(res), "10 s after the last allowed request, rounded up")
			res = signInFrom(t, r1, "192.0.2.1")
			require.Equal(t, 429, res.Code)
			count, last = rateRow(t, st, key)
			assert.EqualValues(t, 3, count, "refused requests are not counted")
			assert.Equal(t, lastAllowed, last, "nor do they move the window")
			require.Equal(t, 400, signInFrom(t, r1, "192.0.2.2").Code, "another client has its own bucket")

			clock.Advance(6499 * time.Millisecond)
			res = signInFrom(t, r1, "192.0.2.1")
			require.Equal(t, 429, res.Code, "1 ms before the window ends")
			assert.Equal(t, "1", retryAfter(res))
			clock.Advance(time.Millisecond)
			require.Equal(t, 400, signInFrom(t, r2, "192.0.2.1").Code, "a window after the last allowed request")
			count, last = rateRow(t, st, key)
			assert.EqualValues(t, 1, count, "the count starts again")
			assert.Equal(t, clock.Now().UnixMilli(), last)
		})
	}
}

// Rows that no window can count any more are deleted, once per the
// longest configured window (60 s here: Better Auth's mail rules), as
// Better Auth prunes them.
func TestRateLimitDatabasePrunes(t *testing.T) {
	for _, b := range rlBackends {
		t.Run(b.name, func(t *testing.T) {
			st := b.new(t, schema.Schema{})
			clock := newClock()
			h := replica(t, st, clock, func(c *betterauth.Config) {
				c.RateLimit.Storage = betterauth.RateLimitStorageDatabase
				c.RateLimit.MailPerAddress.Max = -1
			})
			keys := func() []string {
				rows, err := st.(betterauth.TableStore).FindMany(context.Background(), betterauth.RateLimitModel, schema.Query{})
				require.NoError(t, err)
				var out []string
				for _, r := range rows {
					out = append(out, strings.TrimSuffix(r["key"].(string), "|/sign-in/email"))
				}
				return out
			}
			require.Equal(t, 400, signInFrom(t, h, "192.0.2.1").Code) // the first call prunes
			clock.Advance(30 * time.Second)
			require.Equal(t, 400, signInFrom(t, h, "192.0.2.2").Code)
			assert.ElementsMatch(t, []string{"192.0.2.1", "192.0.2.2"}, keys(), "60 s have not passed since the last prune")
			clock.Advance(31 * time.Second)
			require.Equal(t, 400, signInFrom(t, h, "192.0.2.3").Code)
			assert.ElementsMatch(t, []string{"192.0.2.2", "192.0.2.3"}, keys(), "the row older than 60 s is gone")
		})
	}
}

// Secondary storage: Better Auth's fixed window, opened by the first
// request; refused requests count too; Retry-After is the whole window.
func TestRateLimitSecondaryStorage(t *testing.T) {
	clock := newClock()
	ss := &recordingStorage{Storage: memory.New(memory.Options{Now: clock.Now}), keys: map[string]bool{}}
	st := backends[0].new(t, schema.Schema{})
	mod := func(c *betterauth.Config) { c.SecondaryStorage = ss }
	r1, r2 := replica(t, st, clock, mod), replica(t, st, clock, mod)
	const key = "192.0.2.1|/sign-in/email"

	require.Equal(t, 400, signInFrom(t, r1, "192.0.2.1").Code)
	clock.Advance(4 * time.Second)
	require.Equal(t, 400, signInFrom(t, r2, "192.0.2.1").Code)
	require.Equal(t, 400, signInFrom(t, r1, "192.0.2.1").Code)
	res := signInFrom(t, r2, "192.0.2.1")
	require.Equal(t, 429, res.Code, "the replicas count as one")
	assert.Equal(t, "10", retryAfter(res), "the whole window, as Better Auth says")
	require.Equal(t, 429, signInFrom(t, r1, "192.0.2.1").Code)
	v, _ := ss.get(t, key)
	assert.Equal(t, "5", v, "refused requests are counted")

	clock.Advance(5999 * time.Millisecond)
	require.Equal(t, 429, signInFrom(t, r1, "192.0.2.1").Code, "the window is fixed by its first request")
	clock.Advance(time.Millisecond)
	require.Equal(t, 400, signInFrom(t, r2, "192.0.2.1").Code, "10 s after the first request: a new window")
	v, _ = ss.get(t, key)
	assert.Equal(t, "1", v)
}

// Under concurrency, every storage lets exactly Max requests through, the
// replicas together.
func TestRateLimitStorageConcurrent(t *testing.T) {
	type setup struct {
		name string
		mod  func(t *testing.T) (betterauth.Store, func(*betterauth.Config))
	}
	setups := []setup{
		{"memory", func(t *testing.T) (betterauth.Store, func(*betterauth.Config)) {
			return backends[0].new(t, schema.Schema{}), nil
		}},
		{"secondary-storage", func(t *testing.T) (betterauth.Store, func(*betterauth.Config)) {
			ss := memory.New(memory.Options{})
			return backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) { c.SecondaryStorage = ss }
		}},
	}
	for _, b := range rlBackends {
		setups = append(setups, setup{"database/" + b.name, func(t *testing.T) (betterauth.Store, func(*betterauth.Config)) {
			return b.new(t, schema.Schema{}), func(c *betterauth.Config) { c.RateLimit.Storage = betterauth.RateLimitStorageDatabase }
		}})
	}
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			st, mod := s.mod(t)
			clock := newClock()
			limit := func(c *betterauth.Config) {
				if mod != nil {
					mod(c)
				}
				c.RateLimit.CustomRules = map[string]betterauth.RateLimitRule{"/ok": {Window: time.Minute, Max: 7}}
			}
			replicas := []http.Handler{replica(t, st, clock, limit)}
			if s.name != "memory" {
				replicas = append(replicas, replica(t, st, clock, limit))
			}
			var passed, limited atomic.Int32
			var wg sync.WaitGroup
			for i := range 24 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req := newRequest(t, "GET", "/ok", "")
					req.RemoteAddr = "192.0.2.50:9"
					switch code := serve(replicas[i%len(replicas)], req).Code; code {
					case 429:
						limited.Add(1)
					case 200:
						passed.Add(1)
					default:
						t.Errorf("status %d", code)
					}
				}()
			}
			wg.Wait()
			assert.EqualValues(t, 7, passed.Load())
			assert.EqualValues(t, 17, limited.Load())
		})
	}
}

// failingRateStore is a memstore whose rate-limit calls fail like a
// database that is down.
type failingRateStore struct {
	*memstore.Store
	down atomic.Bool
}

func (s *failingRateStore) ConsumeRateLimit(ctx context.Context, key string, now time.Time, rule betterauth.RateLimitRule) (bool, time.Time, error) {
	if s.down.Load() {
		return false, time.Time{}, errors.New("pgstore: consume rate limit: dial tcp 127.0.0.1:5432: connection refused")
	}
	return s.Store.ConsumeRateLimit(ctx, key, now, rule)
}

// When the storage fails, the request is answered 503 in Better Auth's
// envelope and not served; cookies are kept.
func TestRateLimitStorageOutage(t *testing.T) {
	mem, err := memstore.New(schema.Schema{}, betterauth.RateLimitSchema())
	require.NoError(t, err)
	dbDown := &failingRateStore{Store: mem}
	dbDown.down.Store(true)
	ssDown := &recordingStorage{Storage: memory.New(memory.Options{}), keys: map[string]bool{}}
	ssDown.down.Store(true)
	for _, tc := range []struct {
		name string
		st   betterauth.Store
		mod  func(*betterauth.Config)
	}{
		{"database", dbDown, func(c *betterauth.Config) { c.RateLimit.Storage = betterauth.RateLimitStorageDatabase }},
		{"secondary-storage", backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
			// Sessions stay in the database, so that only the limiter needs Redis.
			c.SecondaryStorage = ssDown
			c.Session.StoreSessionInDatabase = true
			c.RateLimit.Storage = betterauth.RateLimitStorageSecondary
		}},
		{"custom", backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) { c.RateLimit.CustomStorage = failingCustom{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := replica(t, tc.st, newClock(), tc.mod)
			req := newRequest(t, "GET", "/ok", "")
			req.Header.Set("Cookie", "better-auth.session_token=abc.def")
			req.RemoteAddr = "192.0.2.1:1"
			rec := serve(h, req)
			assert.Equal(t, 503, rec.Code, "not served (it would be 200)")
			assert.JSONEq(t, `{"message":"Service temporarily unavailable","code":"SERVICE_UNAVAILABLE"}`, rec.Body.String())
			assert.Empty(t, rec.Header().Values("Set-Cookie"), "nobody is signed out")
		})
	}
}

type failingCustom struct{}

func (failingCustom) Consume(context.Context, string, betterauth.RateLimitRule) (bool, time.Duration, error) {
	return false, 0, fmt.Errorf("%w: custom storage down", betterauth.ErrUnavailable)
}

// A custom storage gets Better Auth's keys and the route's rule, and its
// answer is the limiter's.
func TestRateLimitCustomStorage(t *testing.T) {
	cs := &recordingCustom{refuse: map[string]time.Duration{}}
	h := replica(t, backends[0].new(t, schema.Schema{}), newClock(), func(c *betterauth.Config) { c.RateLimit.CustomStorage = cs })
	require.Equal(t, 400, signInFrom(t, h, "192.0.2.1").Code)
	assert.Equal(t, []string{"192.0.2.1|/sign-in/email 10s/3"}, cs.calls)
	cs.refuse["192.0.2.1|/sign-in/email"] = 1500 * time.Millisecond
	res := signInFrom(t, h, "192.0.2.1")
	require.Equal(t, 429, res.Code)
	assert.Equal(t, "2", retryAfter(res))
}

type recordingCustom struct {
	mu     sync.Mutex
	calls  []string
	refuse map[string]time.Duration
}

func (c *recordingCustom) Consume(_ context.Context, key string, rule betterauth.RateLimitRule) (bool, time.Duration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, fmt.Sprintf("%s %v/%d", key, rule.Window, rule.Max))
	if d, ok := c.refuse[key]; ok {
		return false, d, nil
	}
	return true, 0, nil
}

// The mail limit is counted in the shared storage, so replicas agree, under
// a key that does not show the address.
func TestMailLimitShared(t *testing.T) {
	clock := newClock()
	ss := &incrementKeys{Storage: memory.New(memory.Options{Now: clock.Now}), keys: map[string]bool{}}
	st := backends[0].new(t, schema.Schema{})
	var mu sync.Mutex
	var sent []string
	mod := func(c *betterauth.Config) {
		c.SecondaryStorage = ss
		c.Session.StoreSessionInDatabase = true
		c.RateLimit.MailPerAddress = betterauth.RateLimitRule{Window: time.Hour, Max: 2}
		c.RateLimit.CustomRules = map[string]betterauth.RateLimitRule{"/request-password-reset": {Window: time.Minute, Max: 100}}
		c.EmailAndPassword.SendResetPassword = func(_ context.Context, e betterauth.Email) error {
			mu.Lock()
			defer mu.Unlock()
			sent = append(sent, e.To)
			return nil
		}
	}
	var auths []*betterauth.Auth
	for range 2 {
		cfg := betterauth.Config{
			Store: st, Secret: testSecret, BaseURL: testOrigin, Now: clock.Now, PasswordHasher: fastHasher,
			RateLimit: betterauth.RateLimitConfig{Enabled: new(true)},
		}
		mod(&cfg)
		a, err := betterauth.New(cfg)
		require.NoError(t, err)
		auths = append(auths, a)
	}
	c := newClient(t, auths[0].Handler())
	require.Equal(t, 200, c.do("POST", "/sign-up/email", map[string]any{"name": "V", "email": "victim@example.com", "password": "correct horse battery"}).status)
	for i := range 4 {
		h := auths[i%2].Handler()
		rec := from(t, h, "192.0.2.1:1", "", "POST", "/request-password-reset", `{"email":"victim@example.com"}`)
		require.Equal(t, 200, rec.Code, rec.Body.String())
	}
	for _, a := range auths {
		require.NoError(t, a.Shutdown(context.Background()))
	}
	assert.Equal(t, []string{"victim@example.com", "victim@example.com"}, sent, "two mails across both replicas")
	var mailKeys int
	for k := range ss.keys {
		assert.NotContains(t, k, "victim", "no address in the keys")
		if strings.HasPrefix(k, "mail-per-address|") {
			mailKeys++
		}
	}
	assert.Equal(t, 1, mailKeys)
}

// incrementKeys is a secondary.Storage that remembers the keys counted.
type incrementKeys struct {
	secondary.Storage
	mu   sync.Mutex
	keys map[string]bool
}

func (s *incrementKeys) Increment(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	s.mu.Lock()
	s.keys[key] = true
	s.mu.Unlock()
	return s.Storage.Increment(ctx, key, ttl)
}

// mailDown is a custom storage whose mail counters fail.
type mailDown struct{}

func (mailDown) Consume(_ context.Context, key string, _ betterauth.RateLimitRule) (bool, time.Duration, error) {
	if strings.HasPrefix(key, "mail-per-address|") {
		return false, 0, fmt.Errorf("%w: redis down", betterauth.ErrUnavailable)
	}
	return true, 0, nil
}

// When the mail limit cannot be counted, no mail is sent: a mail the
// answer waits for is a 503, one sent in the background is dropped.
func TestMailLimitStorageOutage(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	send := func(_ context.Context, e betterauth.Email) error {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, e.URL)
		return nil
	}
	cfg := betterauth.Config{
		Store: backends[0].new(t, schema.Schema{}), Secret: testSecret, BaseURL: testOrigin, PasswordHasher: fastHasher,
		RateLimit: betterauth.RateLimitConfig{Enabled: new(true), CustomStorage: mailDown{}}, Logger: slog.New(slog.DiscardHandler),
	}
	cfg.EmailAndPassword.SendResetPassword = send
	cfg.EmailVerification.SendVerificationEmail = send
	a, err := betterauth.New(cfg)
	require.NoError(t, err)
	c := newClient(t, a.Handler())
	require.Equal(t, 200, c.do("POST", "/sign-up/email", map[string]any{"name": "V", "email": "v@example.com", "password": "correct horse battery"}).status)
	require.Equal(t, 200, c.do("POST", "/request-password-reset", map[string]any{"email": "v@example.com"}).status)
	res := c.do("POST", "/send-verification-email", map[string]any{"email": "v@example.com"})
	assert.Equal(t, 503, res.status, "%s", res.body)
	require.NoError(t, a.Shutdown(context.Background()))
	assert.Empty(t, sent)
}

// countingRateStore counts the prunes of a memstore.
type countingRateStore struct {
	*memstore.Store
	prunes atomic.Int32
}

func (s *countingRateStore) DeleteRateLimits(ctx context.Context, before time.Time) (int64, error) {
	s.prunes.Add(1)
	return s.Store.DeleteRateLimits(ctx, before)
}

// Old rows are pruned at most once per the longest window, not at every
// request.
func TestRateLimitDatabasePrunesOncePerWindow(t *testing.T) {
	mem, err := memstore.New(schema.Schema{}, betterauth.RateLimitSchema())
	require.NoError(t, err)
	st := &countingRateStore{Store: mem}
	clock := newClock()
	h := replica(t, st, clock, func(c *betterauth.Config) { c.RateLimit.Storage = betterauth.RateLimitStorageDatabase })
	for range 3 {
		require.Equal(t, 400, signInFrom(t, h, "192.0.2.1").Code)
		clock.Advance(time.Second)
	}
	assert.EqualValues(t, 1, st.prunes.Load())
}

// rulePlugin has a route with its own rule.
type rulePlugin betterauth.RateLimitRule

func (rulePlugin) ID() string { return "own-rule" }

func (p rulePlugin) Routes() []betterauth.Route {
	return []betterauth.Route{{Method: "GET", Path: "/own-rule", RateLimit: &betterauth.RateLimitRule{Window: p.Window, Max: p.Max},
		Handle: func(w http.ResponseWriter, _ *http.Request, _ betterauth.RouteInput) error { return nil }}}
}
