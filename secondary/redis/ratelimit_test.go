package redis_test

import (
	"context"
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
	"github.com/go-betterauth/betterauth/internal/redistest"
	"github.com/go-betterauth/betterauth/schema"
	secondaryredis "github.com/go-betterauth/betterauth/secondary/redis"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// limitedOn is an Auth with rate limits counted in the Redis of st (the
// default storage with secondary storage), its sessions in the database.
func limitedOn(t *testing.T, st *secondaryredis.Storage) http.Handler {
	t.Helper()
	db, err := memstore.New(schema.Schema{})
	require.NoError(t, err)
	a, err := betterauth.New(betterauth.Config{
		Store: db, SecondaryStorage: st, Secret: "redis-auth-test-secret-0123456789abcdef",
		BaseURL: "http://localhost:3000", RateLimit: betterauth.RateLimitConfig{Enabled: new(true)},
		Session: betterauth.SessionConfig{StoreSessionInDatabase: true}, RequestTimeout: 2 * time.Second,
	})
	require.NoError(t, err)
	return a.Handler()
}

func signInFrom(h http.Handler, ip string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "http://localhost:3000/api/auth/sign-in/email", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://localhost:3000")
	req.RemoteAddr = ip + ":1234"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Rate limits in Redis as Better Auth counts them with
// @better-auth/redis-storage: "better-auth:<ip>|<path>", the window's
// expiry set by the first request, refused requests counted, X-Retry-After
// the whole window; two replicas count as one.
func TestRateLimitOnRedis(t *testing.T) {
	client := redistest.NewClient(t)
	st, err := secondaryredis.New(client, secondaryredis.Options{})
	require.NoError(t, err)
	r1, r2 := limitedOn(t, st), limitedOn(t, st)
	ctx := context.Background()
	const key = "better-auth:192.0.2.1|/sign-in/email"

	require.Equal(t, 400, signInFrom(r1, "192.0.2.1").Code)
	ttl, err := client.TTL(ctx, key).Result()
	require.NoError(t, err)
	assert.True(t, ttl > 0 && ttl <= 10*time.Second, "the window's expiry: %v", ttl)
	require.Equal(t, 400, signInFrom(r2, "192.0.2.1").Code)
	require.Equal(t, 400, signInFrom(r1, "192.0.2.1").Code)
	rec := signInFrom(r2, "192.0.2.1")
	require.Equal(t, 429, rec.Code)
	assert.Equal(t, "10", rec.Header().Get("X-Retry-After"))
	assert.JSONEq(t, `{"message":"Too many requests. Please try again later."}`, rec.Body.String())
	require.Equal(t, 429, signInFrom(r1, "192.0.2.1").Code)
	v, err := client.Get(ctx, key).Result()
	require.NoError(t, err)
	assert.Equal(t, "5", v, "refused requests are counted")

	// IPv6 clients count by their /64, written out in full.
	require.Equal(t, 400, signInFrom(r1, "[2001:db8::1]").Code)
	n, err := client.Exists(ctx, "better-auth:2001:0db8:0000:0000:0000:0000:0000:0000|/sign-in/email").Result()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

// Concurrent requests to two replicas: exactly Max pass.
func TestRateLimitOnRedisConcurrent(t *testing.T) {
	st, err := secondaryredis.New(redistest.NewClient(t), secondaryredis.Options{})
	require.NoError(t, err)
	replicas := []http.Handler{limitedOn(t, st), limitedOn(t, st)}
	var passed, limited atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch code := signInFrom(replicas[i%2], "192.0.2.9").Code; code {
			case 400:
				passed.Add(1)
			case 429:
				limited.Add(1)
			default:
				t.Errorf("status %d", code)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 3, passed.Load())
	assert.EqualValues(t, 17, limited.Load())
}

// Redis stopped: the limited request answers 503 and is not served;
// started again: the limits work by themselves.
func TestRateLimitOnRedisOutage(t *testing.T) {
	srv := redistest.NewServer(t)
	st, err := secondaryredis.New(srv.NewClient(t), secondaryredis.Options{})
	require.NoError(t, err)
	h := limitedOn(t, st)
	srv.Stop(t)
	rec := signInFrom(h, "192.0.2.1")
	assert.Equal(t, 503, rec.Code, rec.Body.String())
	assert.JSONEq(t, `{"message":"Service temporarily unavailable","code":"SERVICE_UNAVAILABLE"}`, rec.Body.String())
	srv.Start(t)
	require.Eventually(t, func() bool { return signInFrom(h, "192.0.2.1").Code == 400 }, time.Minute, 50*time.Millisecond, "recovers once Redis is back")
}
