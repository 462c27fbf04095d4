// Command echo mounts betterauth on an Echo server: Better Auth's API under
// /api/auth/ and a group of routes that need a session.
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"

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
	log.Fatal(routes(auth).Start("localhost:8080"))
}

func routes(auth *betterauth.Auth) *echo.Echo {
	e := echo.New()
	e.Any("/api/auth/*", echo.WrapHandler(auth.Handler())) // the handler reads the full path
	api := e.Group("/api", echo.WrapMiddleware(auth.RequireSession))
	api.GET("/me", func(c echo.Context) error {
		sd := betterauth.SessionFromContext(c.Request().Context())
		return c.String(http.StatusOK, "hello "+sd.User.Name)
	})
	return e
}
