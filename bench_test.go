package betterauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

var benchUsers atomic.Int64

// benchSession signs a user up on st and returns a request carrying its cookie.
func benchSession(b *testing.B, st betterauth.Store) (*betterauth.Auth, *http.Request) {
	b.Helper()
	a, err := betterauth.New(betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, PasswordHasher: fastHasher,
		RateLimit: betterauth.RateLimitConfig{Enabled: new(false)}})
	require.NoError(b, err)
	email := fmt.Sprintf("bench-%d@example.com", benchUsers.Add(1))
	res, err := a.SignUpEmail(context.Background(), betterauth.SignUpInput{Name: "Bench", Email: email, Password: "correct-horse-1"})
	require.NoError(b, err)
	req := httptest.NewRequest("GET", "http://127.0.0.1:3005/api/auth/get-session", nil)
	req.Header.Set("Cookie", "better-auth.session_token="+pctEncode(betterauth.SignCookieValue(testSecret, res.Session.Token)))
	return a, req
}

func pctEncode(s string) string {
	r := ""
	for _, c := range s {
		switch c {
		case '+':
			r += "%2B"
		case '/':
			r += "%2F"
		case '=':
			r += "%3D"
		default:
			r += string(c)
		}
	}
	return r
}

func benchStores(b *testing.B) map[string]betterauth.Store {
	mem, err := memstore.New(schema.Schema{})
	require.NoError(b, err)
	pool := pgtest.NewPool(b)
	require.NoError(b, migrations.Up(context.Background(), pool, schema.Schema{}))
	pg, err := pgstore.New(pool, schema.Schema{})
	require.NoError(b, err)
	return map[string]betterauth.Store{"memstore": mem, "pgstore": pg}
}

// BenchmarkResolveSession measures what every authenticated request pays:
// cookie verification plus one store lookup (one SQL query on pgstore).
func BenchmarkResolveSession(b *testing.B) {
	for name, st := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			a, req := benchSession(b, st)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				sd, err := a.ResolveSession(context.Background(), req)
				if err != nil || sd == nil {
					b.Fatalf("no session: %v", err)
				}
			}
		})
	}
}

// BenchmarkGetSessionHTTP is GET /get-session through the handler, JSON included.
func BenchmarkGetSessionHTTP(b *testing.B) {
	for name, st := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			a, req := benchSession(b, st)
			h := a.Handler()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 || rec.Body.Len() < 10 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkResolveSessionParallel runs lookups from every core at once.
func BenchmarkResolveSessionParallel(b *testing.B) {
	for name, st := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			a, req := benchSession(b, st)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if sd, err := a.ResolveSession(context.Background(), req); err != nil || sd == nil {
						b.Errorf("no session: %v", err)
						return
					}
				}
			})
		})
	}
}
