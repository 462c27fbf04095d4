package bearer_test

import (
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/bearer"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// A client without cookies signs up, keeps the set-auth-token header and
// sends it back as a bearer.
func ExampleNew() {
	store, err := memstore.New(schema.Schema{})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := betterauth.New(betterauth.Config{
		Store: store, BaseURL: "http://localhost:8080", Secret: "a-long-random-secret-from-your-vault",
		Plugins: []betterauth.Plugin{bearer.New(bearer.Options{})},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := auth.Handler()

	req := httptest.NewRequest("POST", "http://localhost:8080/api/auth/sign-up/email",
		strings.NewReader(`{"name":"Ada","email":"ada@example.com","password":"correct-horse-battery"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	token := rec.Header().Get("Set-Auth-Token")

	req = httptest.NewRequest("GET", "http://localhost:8080/api/auth/get-session", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), `"email":"ada@example.com"`))
	// Output: 200 true
}
