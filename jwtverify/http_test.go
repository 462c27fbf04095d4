package jwtverify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// whoami answers the subject of the claims in the context, or "anonymous".
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if c, ok := ClaimsFromContext(r.Context()); ok {
		_, _ = io.WriteString(w, c.Subject)
		return
	}
	_, _ = io.WriteString(w, "anonymous")
})

type answer struct {
	status  int
	body    string
	wwwAuth string
	errBody struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}
}

func serve(t *testing.T, h http.Handler, setup func(*http.Request)) answer {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	if setup != nil {
		setup(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	a := answer{status: w.Code, body: w.Body.String(), wwwAuth: w.Header().Get("WWW-Authenticate")}
	if w.Code != http.StatusOK {
		require.Equal(t, "application/json", w.Header().Get("Content-Type"))
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &a.errBody))
		require.NotEmpty(t, a.errBody.Message)
	}
	return a
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// Require: 401 with WWW-Authenticate and a JSON body without a valid token,
// the handler with the claims otherwise.
func TestRequire(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	clk := newClock(t0)
	v := newStatic(t, jwksJSON(t, key), clk)
	h := v.Require(whoami)
	tok := sign(t, key, claimsAt(t0))

	a := serve(t, h, bearer(tok))
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "user-ada", a.body)

	a = serve(t, h, nil)
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.Equal(t, "Bearer", a.wwwAuth)
	require.Equal(t, "UNAUTHORIZED", a.errBody.Code)

	a = serve(t, h, bearer("garbage.token.here"))
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.Contains(t, a.wwwAuth, `Bearer error="invalid_token"`)
	require.Equal(t, "INVALID_TOKEN", a.errBody.Code)

	a = serve(t, h, bearer(sign(t, newKey(t, "EdDSA", "other"), claimsAt(t0))))
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.Equal(t, "UNKNOWN_KEY", a.errBody.Code)

	clk.Advance(15*time.Minute + DefaultLeeway)
	a = serve(t, h, bearer(tok))
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.Equal(t, "TOKEN_EXPIRED", a.errBody.Code)
	require.Contains(t, a.wwwAuth, `error="invalid_token"`)
	require.NotContains(t, a.body, tok)

	// A nil handler is an error answer, not a panic.
	clk.Set(t0)
	require.Equal(t, http.StatusInternalServerError, serve(t, v.Require(nil), bearer(tok)).status)
}

// Middleware: claims for a valid token; anonymous otherwise, even with an
// invalid or expired token.
func TestMiddlewareOptional(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	clk := newClock(t0)
	v := newStatic(t, jwksJSON(t, key), clk)
	h := v.Middleware(whoami)
	tok := sign(t, key, claimsAt(t0))

	require.Equal(t, "user-ada", serve(t, h, bearer(tok)).body)
	require.Equal(t, "anonymous", serve(t, h, nil).body)
	require.Equal(t, "anonymous", serve(t, h, bearer("garbage")).body)
	clk.Advance(15*time.Minute + DefaultLeeway)
	a := serve(t, h, bearer(tok))
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "anonymous", a.body)
}

// When the key set cannot be fetched, both middlewares answer 503 for a
// request with a token; the optional one still serves anonymous requests.
func TestMiddlewareJWKSUnavailable(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	tok := sign(t, key, claimsAt(t0))
	for name, setup := range map[string]func(*jwksServer){
		"500":         func(s *jwksServer) { s.set(http.StatusInternalServerError, nil) },
		"bad JSON":    func(s *jwksServer) { s.set(http.StatusOK, []byte("{")) },
		"server down": func(s *jwksServer) { s.Close() },
	} {
		t.Run(name, func(t *testing.T) {
			srv := newJWKSServer(t, jwksJSON(t, key))
			setup(srv)
			v := newRemote(t, srv, newClock(t0))
			for _, h := range []http.Handler{v.Require(whoami), v.Middleware(whoami)} {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("Authorization", "Bearer "+tok)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				require.Equal(t, http.StatusServiceUnavailable, w.Code)
				require.Equal(t, "10", w.Header().Get("Retry-After"))
				require.Empty(t, w.Header().Get("WWW-Authenticate"))
				var body struct{ Code string }
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
				require.Equal(t, "JWKS_UNAVAILABLE", body.Code)
			}
			require.Equal(t, "anonymous", serve(t, v.Middleware(whoami), nil).body)
			require.Equal(t, http.StatusUnauthorized, serve(t, v.Require(whoami), nil).status)
		})
	}
}

// The token comes from "Authorization: Bearer" (any case of the scheme) or,
// without one, from the configured cookie.
func TestTokenSources(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	clk := newClock(t0)
	tok := sign(t, key, claimsAt(t0))
	v := newStatic(t, jwksJSON(t, key), clk, func(c *Config) { c.CookieName = "api_jwt" })
	h := v.Require(whoami)

	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		a := serve(t, h, func(r *http.Request) { r.Header.Set("Authorization", scheme+" "+tok) })
		require.Equal(t, "user-ada", a.body, scheme)
	}
	a := serve(t, h, func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "api_jwt", Value: tok}) })
	require.Equal(t, "user-ada", a.body)
	// The header wins over the cookie.
	a = serve(t, h, func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer not-a-token")
		r.AddCookie(&http.Cookie{Name: "api_jwt", Value: tok})
	})
	require.Equal(t, http.StatusUnauthorized, a.status)
	// Basic is not a bearer token: the cookie is used.
	a = serve(t, h, func(r *http.Request) {
		r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
		r.AddCookie(&http.Cookie{Name: "api_jwt", Value: tok})
	})
	require.Equal(t, "user-ada", a.body)
	// Without CookieName the cookie is not read.
	plain := newStatic(t, jwksJSON(t, key), clk)
	a = serve(t, plain.Require(whoami), func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "api_jwt", Value: tok}) })
	require.Equal(t, http.StatusUnauthorized, a.status)

	for in, want := range map[string]string{
		"Bearer abc":      "abc",
		"bearer abc":      "abc",
		"Bearer   abc  ":  "abc",
		"  Bearer abc":    "abc",
		"Bearer":          "",
		"Bearer ":         "",
		"Basic abc":       "",
		"Bearerabc":       "",
		"":                "",
		"Token abc":       "",
		"Bearer a.b.c d":  "a.b.c d",
		"BEARER x.y.z":    "x.y.z",
		"Bearer\tx.y.z":   "",
		"DPoP eyJhbGci..": "",
	} {
		got, ok := TokenFromHeader(in)
		require.Equal(t, want, got, "%q", in)
		require.Equal(t, want != "", ok, "%q", in)
	}
	require.Equal(t, "", TokenFromRequest(nil, "x"))
}

// Claims put in the context by one middleware are used by the next, and by
// ContextWithClaims in code that is not HTTP.
func TestClaimsContext(t *testing.T) {
	_, ok := ClaimsFromContext(context.Background())
	require.False(t, ok)
	_, ok = ClaimsFromContext(ContextWithClaims(context.Background(), nil))
	require.False(t, ok)
	c := &Claims{Subject: "u1"}
	got, ok := ClaimsFromContext(ContextWithClaims(context.Background(), c))
	require.True(t, ok)
	require.Same(t, c, got)

	key := newKey(t, "EdDSA", "k1")
	srv := newJWKSServer(t, jwksJSON(t, key))
	v := newRemote(t, srv, newClock(t0))
	// Middleware then Require: one verification.
	h := v.Middleware(v.Require(whoami))
	require.Equal(t, "user-ada", serve(t, h, bearer(sign(t, key, claimsAt(t0)))).body)
	// Claims already in the context (a test, another authenticator): Require
	// passes them on without a token.
	pre := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.Require(whoami).ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), c)))
	})
	require.Equal(t, "u1", serve(t, pre, nil).body)
}
