package betterauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// benchCache returns the Handler with the cookie cache of strategy and a
// get-session request carrying a fresh cache, plus the answer's body.
func benchCache(b *testing.B, strategy betterauth.CookieCacheStrategy) (http.Handler, *http.Request, []byte) {
	b.Helper()
	st, err := memstore.New(schema.Schema{})
	require.NoError(b, err)
	a, err := betterauth.New(betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, PasswordHasher: fastHasher,
		RateLimit: betterauth.RateLimitConfig{Enabled: new(false)},
		Session:   betterauth.SessionConfig{CookieCache: betterauth.CookieCacheConfig{Enabled: true, Strategy: strategy}}})
	require.NoError(b, err)
	res, err := a.SignUpEmail(context.Background(), betterauth.SignUpInput{Name: "Bench", Email: "bench@example.com", Password: "correct-horse-1"})
	require.NoError(b, err)
	rec := httptest.NewRecorder()
	a.SetSessionCookie(rec, httptest.NewRequest("GET", "/", nil), res.Session, false)
	req := httptest.NewRequest("GET", "http://127.0.0.1:3005/api/auth/get-session", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	h := a.Handler()
	out := httptest.NewRecorder()
	h.ServeHTTP(out, req)
	require.Empty(b, out.Header().Values("Set-Cookie"), "a hit")
	return h, req, out.Body.Bytes()
}

// discard is a ResponseWriter that keeps nothing, so that the benchmarks
// measure the handlers.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// A cache hit against a bare net/http handler writing the same JSON.
func BenchmarkGetSessionCookieCache(b *testing.B) {
	for _, strategy := range []betterauth.CookieCacheStrategy{betterauth.CookieCacheCompact, betterauth.CookieCacheJWT, betterauth.CookieCacheJWE} {
		b.Run(string(strategy), func(b *testing.B) {
			h, req, _ := benchCache(b, strategy)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
	b.Run("bare", func(b *testing.B) {
		_, req, body := benchCache(b, betterauth.CookieCacheCompact)
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
		w := &discard{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
	})
}
