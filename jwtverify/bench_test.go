package jwtverify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMiddleware: one EdDSA token (Better Auth's default) through
// Require, the key set fetched once beforehand and cached.
func BenchmarkMiddleware(b *testing.B) {
	key := newKey(b, "EdDSA", "k1")
	srv := newJWKSServer(b, jwksJSON(b, key))
	clk := newClock(t0)
	v := newRemote(b, srv, clk)
	tok := sign(b, key, claimsAt(t0))
	h := v.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := ClaimsFromContext(r.Context()); !ok {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || srv.count() != 1 {
		b.Fatalf("warm-up: status %d, %d fetches", w.Code, srv.count())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkVerify: Verify per algorithm, key set cached.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range allAlgs {
		b.Run(alg, func(b *testing.B) {
			key := newKey(b, alg, "k1")
			clk := newClock(t0)
			v := newStatic(b, jwksJSON(b, key), clk)
			tok := sign(b, key, claimsAt(t0))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
