package redis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
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

// authOn is an Auth whose sessions live in the Redis of client.
func authOn(t *testing.T, st *secondaryredis.Storage) http.Handler {
	t.Helper()
	db, err := memstore.New(schema.Schema{})
	require.NoError(t, err)
	a, err := betterauth.New(betterauth.Config{
		Store: db, SecondaryStorage: st, Secret: "redis-auth-test-secret-0123456789abcdef",
		BaseURL: "http://localhost:3000", RateLimit: betterauth.RateLimitConfig{Enabled: new(false)},
		PasswordHasher: betterauth.NewScryptHasher(1), RequestTimeout: 2 * time.Second,
	})
	require.NoError(t, err)
	return a.Handler()
}

func call(t *testing.T, h http.Handler, method, path, cookie string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, "http://localhost:3000/api/auth"+path, rd)
	req.Header.Set("Origin", "http://localhost:3000")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Sessions in Redis, as @better-auth/redis-storage keeps them; Redis
// stopped: 503 with the cookies kept; started again: the service recovers
// by itself (the sessions were lost with the empty Redis, as they would be).
func TestAuthSessionsOnRedis(t *testing.T) {
	srv := redistest.NewServer(t)
	client := srv.NewClient(t)
	st, err := secondaryredis.New(client, secondaryredis.Options{})
	require.NoError(t, err)
	h := authOn(t, st)

	rec := call(t, h, "POST", "/sign-up/email", "", map[string]any{"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"})
	require.Equal(t, 200, rec.Code, rec.Body.String())
	var body struct{ Token string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	cookie := strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0]

	ctx := context.Background()
	raw, err := client.Get(ctx, "better-auth:"+body.Token).Result()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(raw, `{"session":{"id":"`), raw)
	ttl, err := client.TTL(ctx, "better-auth:"+body.Token).Result()
	require.NoError(t, err)
	assert.InDelta(t, (7 * 24 * time.Hour).Seconds(), ttl.Seconds(), 5)
	assert.Equal(t, 200, call(t, h, "GET", "/get-session", cookie, nil).Code)

	srv.Stop(t)
	rec = call(t, h, "GET", "/get-session", cookie, nil)
	assert.Equal(t, 503, rec.Code, rec.Body.String())
	assert.Empty(t, rec.Header().Values("Set-Cookie"), "nobody is signed out")

	srv.Start(t)
	require.Eventually(t, func() bool {
		return call(t, h, "POST", "/sign-in/email", "", map[string]any{"email": "ada@example.com", "password": "correct horse battery"}).Code == 200
	}, time.Minute, 50*time.Millisecond, "recovers once Redis is back")
}
