package jwt_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/jwt"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// The plugin in an app: build the store (and, on PostgreSQL, run the
// migrations) with the plugins' schemas, list the plugin in Config.Plugins,
// mount the handler. GET /api/auth/jwks then serves the public keys.
func ExampleNew() {
	plugins := []betterauth.Plugin{jwt.New(jwt.Options{})}
	store, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(plugins...)...)
	if err != nil {
		log.Fatal(err)
	}
	auth, err := betterauth.New(betterauth.Config{
		Store: store, BaseURL: "http://localhost:8080", Secret: "a-long-random-secret-from-your-vault",
		Plugins: plugins,
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth.Handler())

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost:8080/api/auth/jwks", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output: 200 application/json
}

// Sign and Verify are Better Auth's server-only signJWT and verifyJWT: a
// token for a service call, checked with the same keys.
func ExamplePlugin_Sign() {
	p := jwt.New(jwt.Options{})
	store, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(p)...)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := betterauth.New(betterauth.Config{
		Store: store, BaseURL: "http://localhost:8080", Secret: "a-long-random-secret-from-your-vault",
		Plugins: []betterauth.Plugin{p},
	}); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	token, err := p.Sign(ctx, map[string]any{"sub": "billing-service", "scope": "invoices:read"})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := p.Verify(ctx, token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims["sub"], claims["scope"], claims["iss"])
	// Output: billing-service invoices:read http://localhost:8080
}
