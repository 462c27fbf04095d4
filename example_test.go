package betterauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// A layout created by Better Auth's Drizzle generator with usePlural: true.
func ExampleSchema_Layout() {
	s := schema.Drizzle()
	s.UsePlural = true
	l, err := s.Layout()
	if err != nil {
		panic(err)
	}
	fmt.Println(l.User.Name, l.User.Col("emailVerified"), l.Session.Col("userId"), l.TimestampType)
	// Output: users email_verified user_id timestamp
}

// New needs a store, a secret and the URL the app is served at; the
// secret and URL may come from BETTER_AUTH_SECRET and BETTER_AUTH_URL.
// The store here is in memory; pgstore.New(pool, schema) is PostgreSQL.
func ExampleNew() {
	store, err := memstore.New(schema.Schema{})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := betterauth.New(betterauth.Config{
		Store:   store,
		Secret:  "a-real-secret-of-at-least-32-random-characters",
		BaseURL: "http://localhost:8080",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(auth.Layout().User.Name)
	// Output: user
}

// Without a base URL, New says what to set rather than letting every
// request with a cookie fail later.
func ExampleNew_missingBaseURL() {
	store, _ := memstore.New(schema.Schema{})
	_, err := betterauth.New(betterauth.Config{Store: store, Secret: "a-real-secret-of-at-least-32-random-characters"})
	fmt.Println(err != nil && strings.Contains(err.Error(), "set Config.BaseURL or BETTER_AUTH_URL"))
	// Output: true
}

// newExampleAuth is what the examples below start from.
func newExampleAuth() *betterauth.Auth {
	store, err := memstore.New(schema.Schema{})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := betterauth.New(betterauth.Config{
		Store: store, Secret: "a-real-secret-of-at-least-32-random-characters", BaseURL: "http://localhost:8080",
	})
	if err != nil {
		log.Fatal(err)
	}
	return auth
}

// signUpCookie signs Ada up through h and returns her session cookie.
func signUpCookie(h http.Handler) *http.Cookie {
	req := httptest.NewRequest("POST", "/api/auth/sign-up/email",
		strings.NewReader(`{"name":"Ada","email":"ada@example.com","password":"correct-horse-1"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result().Cookies()[0]
}

// Handler serves Better Auth's HTTP API; mount it at BasePath (/api/auth).
// A browser sends Origin with every POST; it must be the BaseURL's origin
// or a trusted one.
func ExampleAuth_Handler() {
	auth := newExampleAuth()
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth.Handler())

	req := httptest.NewRequest("POST", "/api/auth/sign-up/email",
		strings.NewReader(`{"name":"Ada","email":"ada@example.com","password":"correct-horse-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://localhost:8080")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Result().Cookies()[0].Name)
	// Output: 200 better-auth.session_token
}

// RequireSession guards a route: 401 without a session, and the handler
// reads the session with SessionFromContext.
func ExampleAuth_RequireSession() {
	auth := newExampleAuth()
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth.Handler())
	mux.Handle("GET /api/me", auth.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", betterauth.SessionFromContext(r.Context()).User.Name)
	})))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/me", nil))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))

	req := httptest.NewRequest("GET", "/api/me", nil)
	req.AddCookie(signUpCookie(mux))
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 401 {"message":"Unauthorized","code":"UNAUTHORIZED"}
	// 200 hello Ada
}

// LoadSession serves everyone and tells the handler who is signed in.
func ExampleAuth_LoadSession() {
	auth := newExampleAuth()
	greet := auth.LoadSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sd := betterauth.SessionFromContext(r.Context()); sd != nil {
			fmt.Fprintf(w, "hello %s", sd.User.Name)
			return
		}
		fmt.Fprint(w, "hello guest")
	}))

	rec := httptest.NewRecorder()
	greet.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Body.String())

	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(signUpCookie(auth.Handler()))
	rec = httptest.NewRecorder()
	greet.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output:
	// hello guest
	// hello Ada
}

// A handler behind RequireSession reads the session from the context; in
// its unit test, WithSession puts one there without any store.
func ExampleSessionFromContext() {
	me := func(w http.ResponseWriter, r *http.Request) {
		sd := betterauth.SessionFromContext(r.Context())
		fmt.Fprintf(w, "%s <%s>", sd.User.Name, sd.User.Email)
	}

	req := httptest.NewRequest("GET", "/api/me", nil)
	req = req.WithContext(betterauth.WithSession(req.Context(), &betterauth.SessionData{
		User:    &betterauth.User{Name: "Ada", Email: "ada@example.com"},
		Session: &betterauth.Session{},
	}))
	rec := httptest.NewRecorder()
	me(rec, req)
	fmt.Println(rec.Body.String())
	// Output: Ada <ada@example.com>
}

// ResolveSession reads the session of any request, for routers and code
// that do not use the middleware; it writes nothing. A store failure is an
// error (answer 503), never "signed out".
func ExampleAuth_ResolveSession() {
	auth := newExampleAuth()
	cookie := signUpCookie(auth.Handler())

	for _, withCookie := range []bool{false, true} {
		req := httptest.NewRequest("GET", "/anything", nil)
		if withCookie {
			req.AddCookie(cookie)
		}
		sd, err := auth.ResolveSession(context.Background(), req)
		switch {
		case err != nil:
			fmt.Println("503:", err)
		case sd == nil:
			fmt.Println("signed out")
		default:
			fmt.Println("signed in as", sd.User.Email)
		}
	}
	// Output:
	// signed out
	// signed in as ada@example.com
}
