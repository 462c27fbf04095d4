// Command nethttp mounts betterauth on net/http's ServeMux: Better Auth's
// API under /api/auth/ and a route that needs a session.
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

func main() {
	store, err := memstore.New(schema.Schema{}) // pgstore.New(pool, schema.Schema{}) in production
	if err != nil {
		log.Fatal(err)
	}
	auth, err := betterauth.New(betterauth.Config{
		Store:   store,
		Secret:  os.Getenv("BETTER_AUTH_SECRET"),
		BaseURL: "http://localhost:8080",
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("localhost:8080", routes(auth)))
}

func routes(auth *betterauth.Auth) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth.Handler())
	mux.Handle("GET /api/me", auth.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sd := betterauth.SessionFromContext(r.Context())
		w.Write([]byte("hello " + sd.User.Name))
	})))
	return mux
}
