package betterauth

import "time"

// User is a row of Better Auth's user table.
type User struct {
	// ID is the primary key: 32 characters of [A-Za-z0-9] by default, a uuid
	// in IDModeUUID.
	ID string
	// Name is the display name. Layouts where the column is nullable read
	// NULL as "".
	Name string
	// Email is stored in lower case and is unique.
	Email string
	// EmailVerified reports whether the user proved they own Email.
	EmailVerified bool
	// Image is a URL of the user's picture, or nil.
	Image *string
	// CreatedAt and UpdatedAt are UTC.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Additional holds the values of the schema's additional user fields,
	// keyed by their logical name. See AdditionalField for the Go types.
	Additional map[string]any
}

// UserUpdate names the user columns to change; nil fields are left alone.
type UserUpdate struct {
	Name          *string
	Email         *string
	EmailVerified *bool
	// Image sets the picture URL; a pointer to "" stores NULL.
	Image *string
	// Additional sets additional fields by logical name; a nil value stores NULL.
	Additional map[string]any
	// UpdatedAt is written as is; when zero the store writes now.
	UpdatedAt time.Time
}
