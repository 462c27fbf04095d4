package betterauth

import "time"

// Verification is a row of Better Auth's verification table: a value (such
// as a user id) stored under an identifier (such as "reset-password:<token>")
// until ExpiresAt.
type Verification struct {
	ID         string
	Identifier string
	Value      string
	ExpiresAt  time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
