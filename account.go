package betterauth

import "time"

// ProviderCredential is the provider id of the account that holds a user's
// password hash; its AccountID is the user id.
const ProviderCredential = "credential"

// Account is a row of Better Auth's account table. Optional text columns
// read NULL as "" and store "" as NULL.
type Account struct {
	ID string
	// AccountID is the user's id at the provider (the user id for "credential").
	AccountID string
	// ProviderID names the provider: "credential", "google", "github", ...
	ProviderID            string
	UserID                string
	AccessToken           string
	RefreshToken          string
	IDToken               string
	AccessTokenExpiresAt  *time.Time
	RefreshTokenExpiresAt *time.Time
	Scope                 string
	// Password is the password hash (Better Auth's "salt:key" scrypt format
	// by default) of a credential account.
	Password  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AccountUpdate names the account columns to change; nil fields are left
// alone, a pointer to "" (or to a zero time) stores NULL.
type AccountUpdate struct {
	AccessToken           *string
	RefreshToken          *string
	IDToken               *string
	AccessTokenExpiresAt  *time.Time
	RefreshTokenExpiresAt *time.Time
	Scope                 *string
	Password              *string
	// UpdatedAt is written as is; when zero the store writes now.
	UpdatedAt time.Time
}
