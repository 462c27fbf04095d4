package betterauth_test

import (
	"fmt"

	"github.com/go-betterauth/betterauth"
)

// A layout created by Better Auth's Drizzle generator with usePlural: true.
func ExampleSchema_Layout() {
	s := betterauth.DrizzleSchema()
	s.UsePlural = true
	l, err := s.Layout()
	if err != nil {
		panic(err)
	}
	fmt.Println(l.User.Name, l.User.Col("emailVerified"), l.Session.Col("userId"), l.TimestampType)
	// Output: users email_verified user_id timestamp
}
