package memstore_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// meHandler is the application's code under test: a route behind
// RequireSession.
func meHandler(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello %s", betterauth.SessionFromContext(r.Context()).User.Name)
}

// newTestAuth is a helper for the application's unit tests: the same Auth
// as in production, on an empty in-memory store, so tests need no database.
// In a test, call t.Fatal instead of log.Fatal.
func newTestAuth() *betterauth.Auth {
	store, err := memstore.New(schema.Schema{}) // the production schema, if it has additional fields
	if err != nil {
		log.Fatal(err)
	}
	auth, err := betterauth.New(betterauth.Config{
		Store:   store,
		Secret:  "test-secret-0123456789abcdef0123456789",
		BaseURL: "http://localhost:8080",
	})
	if err != nil {
		log.Fatal(err)
	}
	return auth
}

// A unit test of the application's handler: sign a user up through the
// real API, then call the protected route with the session cookie.
func Example() {
	auth := newTestAuth()
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth.Handler())
	mux.Handle("GET /api/me", auth.RequireSession(http.HandlerFunc(meHandler)))

	req := httptest.NewRequest("POST", "/api/auth/sign-up/email",
		strings.NewReader(`{"name":"Ada","email":"ada@example.com","password":"correct-horse-1"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		log.Fatalf("sign-up: %d %s", rec.Code, rec.Body)
	}

	req = httptest.NewRequest("GET", "/api/me", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 hello Ada
}
