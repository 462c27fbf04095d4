package betterauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// goldenCache is testdata/better-auth-cookiecache.json, made by a real
// Better Auth 1.7.25 with a fixed clock (interop/golden/cookiecache.mjs).
type goldenCache struct {
	Secret  string `json:"secret"`
	BaseURL string `json:"baseURL"`
	Now     string `json:"now"`
	Cases   []struct {
		Strategy   betterauth.CookieCacheStrategy `json:"strategy"`
		NameLength int                            `json:"nameLength"`
		SetCookies []string                       `json:"setCookies"`
		Cookie     string                         `json:"cookie"`
		GetSession json.RawMessage                `json:"getSession"`
	} `json:"cases"`
}

func loadGoldenCache(t *testing.T) goldenCache {
	t.Helper()
	raw, err := os.ReadFile("testdata/better-auth-cookiecache.json")
	require.NoError(t, err)
	var g goldenCache
	require.NoError(t, json.Unmarshal(raw, &g))
	require.Len(t, g.Cases, 4)
	return g
}

// Better Auth's caches are honoured without a store read, with Better
// Auth's answer; and the compact and jwt caches made here at the same
// instant from the same rows are Better Auth's very bytes.
func TestCookieCacheGoldenBetterAuth(t *testing.T) {
	g := loadGoldenCache(t)
	now, err := time.Parse(time.RFC3339Nano, g.Now)
	require.NoError(t, err)
	for _, gc := range g.Cases {
		t.Run(string(gc.Strategy)+"/"+strings.Repeat("n", min(gc.NameLength, 3)), func(t *testing.T) {
			st := &readCountStore{Store: backends[0].new(t, schema.Schema{})}
			clock := &fakeClock{t: now}
			a, err := betterauth.New(betterauth.Config{
				Store: st, Secret: g.Secret, BaseURL: g.BaseURL, Now: clock.Now, PasswordHasher: fastHasher,
				RateLimit: betterauth.RateLimitConfig{Enabled: new(false)},
				Session:   betterauth.SessionConfig{CookieCache: betterauth.CookieCacheConfig{Enabled: true, Strategy: gc.Strategy}},
			})
			require.NoError(t, err)

			req := newRequest(t, http.MethodGet, "/get-session", "")
			req.Header.Set("Cookie", gc.Cookie)
			rec := serve(a.Handler(), req)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.JSONEq(t, string(gc.GetSession), rec.Body.String())
			assert.Zero(t, st.reads.Load(), "no store read")
			assert.Empty(t, rec.Header().Values("Set-Cookie"))

			// Past maxAge it is refused (and the store has no session).
			clock.Advance(5*time.Minute + time.Millisecond)
			rec = serve(a.Handler(), req)
			assert.Equal(t, "null", rec.Body.String())
			clock.t = now

			if gc.Strategy == betterauth.CookieCacheJWE {
				return // random IV and jti
			}
			// The same rows, here: get-session writes the cache Better Auth wrote.
			var body struct {
				Session struct {
					ID, Token, UserID, IPAddress, UserAgent string
					ExpiresAt, CreatedAt, UpdatedAt         time.Time
				}
				User struct {
					ID, Name, Email      string
					EmailVerified        bool
					CreatedAt, UpdatedAt time.Time
				}
			}
			require.NoError(t, json.Unmarshal(gc.GetSession, &body))
			ctx := context.Background()
			require.NoError(t, st.CreateUser(ctx, &betterauth.User{ID: body.User.ID, Name: body.User.Name, Email: body.User.Email,
				CreatedAt: body.User.CreatedAt, UpdatedAt: body.User.UpdatedAt}))
			s := body.Session
			require.NoError(t, st.CreateSession(ctx, &betterauth.Session{ID: s.ID, Token: s.Token, UserID: s.UserID,
				ExpiresAt: s.ExpiresAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}))
			req = newRequest(t, http.MethodGet, "/get-session?disableCookieCache=true", "")
			req.Header.Set("Cookie", strings.Split(gc.Cookie, "; ")[0]) // the session cookie alone
			rec = serve(a.Handler(), req)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, gc.SetCookies[1:], rec.Header().Values("Set-Cookie"), "Better Auth's cache, byte for byte")
		})
	}
}
