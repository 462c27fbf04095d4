package passwordcheck_test

import (
	"log"
	"net/http"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/passwordcheck"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// Refuse breached passwords (Better Auth's haveIBeenPwned check) and weak
// ones (a zxcvbn score below 3) at sign-up, change-password and
// reset-password. If the Pwned Passwords API cannot be reached, the request
// fails with 503, as in Better Auth; PasswordCheckFailOpen would accept the
// password instead.
func Example() {
	st, err := memstore.New(schema.Schema{})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := betterauth.New(betterauth.Config{
		Store:   st,
		Secret:  "a-real-secret-of-at-least-32-random-characters",
		BaseURL: "https://app.example.com",
		EmailAndPassword: betterauth.EmailAndPasswordConfig{
			PasswordCheckers: []betterauth.PasswordChecker{
				&passwordcheck.Strength{MinScore: 3, UserInputs: []string{"example"}},
				&passwordcheck.HaveIBeenPwned{Client: &http.Client{Timeout: 5 * time.Second}},
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/api/auth/", auth.Handler())
}
