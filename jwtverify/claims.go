package jwtverify

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Claims are the claims of a verified token. The registered claims are
// parsed; everything else (Better Auth puts the whole user object in the
// token: id, name, email, emailVerified, image, createdAt, updatedAt and any
// additional fields) is in Raw, read with Decode.
type Claims struct {
	// Subject is "sub": the user id, for Better Auth's tokens.
	Subject string
	// Issuer is "iss".
	Issuer string
	// Audience is "aud", a one-element list when the token has a string.
	Audience []string
	// IssuedAt is "iat"; zero if absent.
	IssuedAt time.Time
	// ExpiresAt is "exp".
	ExpiresAt time.Time
	// NotBefore is "nbf"; zero if absent.
	NotBefore time.Time
	// Raw is the token's payload, the JSON object that was signed.
	Raw json.RawMessage
}

// Decode unmarshals all the claims (Raw) into dst, a pointer to a struct
// with JSON tags (see [User]) or to a map[string]any.
func (c *Claims) Decode(dst any) error {
	if c == nil || len(c.Raw) == 0 {
		return errors.New("jwtverify: Claims.Decode: no raw claims")
	}
	return json.Unmarshal(c.Raw, dst)
}

// User is the user object Better Auth's jwt plugin puts in its tokens by
// default (without jwt.definePayload), for [Claims.Decode]. Additional user
// fields can be read by a struct of your own that embeds User.
type User struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"emailVerified"`
	Image         string    `json:"image"` // "" when null
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

type claimsKey struct{}

// ContextWithClaims returns a copy of ctx that carries c, as
// [Verifier.Middleware] and [Verifier.Require] do for a verified request.
// Use it in gRPC interceptors, queue consumers and tests.
func ContextWithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFromContext returns the claims that [ContextWithClaims] (or the
// middleware) put in ctx, and false if there are none: an anonymous request
// behind [Verifier.Middleware].
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}
