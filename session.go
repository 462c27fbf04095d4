package betterauth

import "time"

// Session is a row of Better Auth's session table.
type Session struct {
	ID string
	// Token is the secret the session cookie carries (signed). Unique.
	Token     string
	UserID    string
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// IPAddress and UserAgent are "" when unknown, as Better Auth writes them.
	// NULL reads as "".
	IPAddress string
	UserAgent string
	// Additional holds the values of the schema's additional session fields.
	Additional map[string]any
}

// SessionUpdate names the session columns to change; zero fields are left alone.
type SessionUpdate struct {
	ExpiresAt  time.Time
	Additional map[string]any
	// UpdatedAt is written as is; when zero the store writes now.
	UpdatedAt time.Time
}
