// Command chi mounts betterauth on a chi router: Better Auth's API under
// /api/auth/ and a group of routes that need a session.
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

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
	r := chi.NewRouter()
	r.Handle("/api/auth/*", auth.Handler()) // the handler reads the full path
	r.Group(func(r chi.Router) {
		r.Use(auth.RequireSession)
		r.Get("/api/me", func(w http.ResponseWriter, r *http.Request) {
			sd := betterauth.SessionFromContext(r.Context())
			w.Write([]byte("hello " + sd.User.Name))
		})
	})
	return r
}
