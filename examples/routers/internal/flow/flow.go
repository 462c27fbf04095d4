// Package flow drives a router example through sign-up, the protected
// route and sign-out, as a browser would.
package flow

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// Origin is the BaseURL of the Auth that NewAuth makes.
const Origin = "http://localhost:8080"

// NewAuth returns an Auth on an empty memstore, as the examples make it.
func NewAuth(t *testing.T) *betterauth.Auth {
	t.Helper()
	store, err := memstore.New(schema.Schema{})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := betterauth.New(betterauth.Config{Store: store, Secret: "router-example-test-secret-0123456789", BaseURL: Origin})
	if err != nil {
		t.Fatal(err)
	}
	return auth
}

// Run signs up through h, reads /api/me with the cookie, signs out and
// checks that /api/me then answers 401.
func Run(t *testing.T, h http.Handler) {
	t.Helper()
	cookie := ""
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(method, Origin+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", Origin)
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			if c.Name == "better-auth.session_token" {
				cookie = c.Name + "=" + c.Value
			}
		}
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	if code, body := do("GET", "/api/me", ""); code != 401 {
		t.Fatalf("GET /api/me without a session: %d %s, want 401", code, body)
	}
	if code, body := do("POST", "/api/auth/sign-up/email", `{"name":"Ada","email":"ada@example.com","password":"correct-horse-1"}`); code != 200 {
		t.Fatalf("sign-up: %d %s", code, body)
	}
	if code, body := do("GET", "/api/me", ""); code != 200 || body != "hello Ada" {
		t.Fatalf("GET /api/me: %d %q, want 200 \"hello Ada\"", code, body)
	}
	if code, body := do("POST", "/api/auth/sign-out", `{}`); code != 200 {
		t.Fatalf("sign-out: %d %s", code, body)
	}
	if code, _ := do("GET", "/api/me", ""); code != 401 {
		t.Fatalf("GET /api/me after sign-out: %d, want 401", code)
	}
}
