// Command gin mounts betterauth on a Gin engine: Better Auth's API under
// /api/auth/ and a group of routes that need a session.
package main

import (
	"errors"
	"log"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

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
	log.Fatal(routes(auth).Run("localhost:8080"))
}

// requireSession is Gin middleware that puts the session into the
// context (c.MustGet("session")), answers 401 without one and 503 when the
// database is down.
func requireSession(auth *betterauth.Auth) gin.HandlerFunc {
	return func(c *gin.Context) {
		sd, err := auth.ResolveSession(c.Request.Context(), c.Request)
		switch {
		case errors.Is(err, betterauth.ErrUnavailable):
			c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"message": "Service unavailable", "code": "SERVICE_UNAVAILABLE"})
		case err != nil || sd == nil:
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"message": "Unauthorized", "code": "UNAUTHORIZED"})
		default:
			c.Set("session", sd)
			c.Next()
		}
	}
}

func routes(auth *betterauth.Auth) *gin.Engine {
	r := gin.New()
	r.Any("/api/auth/*path", gin.WrapH(auth.Handler())) // the handler reads the full path
	api := r.Group("/api", requireSession(auth))
	api.GET("/me", func(c *gin.Context) {
		sd := c.MustGet("session").(*betterauth.SessionData)
		c.String(http.StatusOK, "hello "+sd.User.Name)
	})
	return r
}
