package jwt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-betterauth/betterauth/plugins/jwt"
)

// benchEnv is newEnv for benchmarks (testing.TB has what newEnv needs).
func benchEnv(b *testing.B, opts jwt.Options) (*env, string) {
	e := newEnvTB(b, opts)
	cookie, _ := e.signInTB(b, "bench@example.com")
	return e, cookie
}

func serve(b *testing.B, h http.Handler, path, cookie string) {
	req := httptest.NewRequest("GET", testBaseURL+"/api/auth"+path, nil)
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
}

// BenchmarkToken is GET /token on the in-memory store: the session lookup
// and one EdDSA signature with the cached key.
func BenchmarkToken(b *testing.B) {
	e, cookie := benchEnv(b, jwt.Options{})
	b.ReportAllocs()
	for b.Loop() {
		serve(b, e.h, "/token", cookie)
	}
}

// BenchmarkGetSession is GET /get-session with and without the
// set-auth-jwt header (the in-memory store, so the difference is the
// plugin's cost: no database read once the key is cached).
func BenchmarkGetSession(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts jwt.Options
	}{{"with-set-auth-jwt", jwt.Options{}}, {"header-disabled", jwt.Options{DisableSettingJWTHeader: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			e, cookie := benchEnv(b, tc.opts)
			b.ReportAllocs()
			for b.Loop() {
				serve(b, e.h, "/get-session", cookie)
			}
		})
	}
}

// BenchmarkSign is Plugin.Sign per algorithm, the key cached.
func BenchmarkSign(b *testing.B) {
	for _, alg := range []jwt.Algorithm{jwt.EdDSA, jwt.ES256, jwt.RS256} {
		b.Run(string(alg), func(b *testing.B) {
			e, _ := benchEnv(b, jwt.Options{Algorithm: alg})
			ctx := context.Background()
			claims := map[string]any{"sub": "user-1"}
			if _, err := e.p.Sign(ctx, claims); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.p.Sign(ctx, claims); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
