package jwtverify

import (
	"errors"
	"fmt"
)

// The errors of [Verifier.Verify] and [TokenFromRequest] wrap one of these;
// test them with errors.Is. Only [ErrJWKSUnavailable] says nothing about the
// token: the verifier could not get the keys to check it.
var (
	// ErrNoToken: the request carries no bearer token (nor the configured
	// cookie), or the token is empty. HTTP 401.
	ErrNoToken = errors.New("jwtverify: no token")

	// ErrInvalidToken: the token is malformed, uses an algorithm that is not
	// allowed, does not match its key, has a bad signature, lacks a required
	// claim, has the wrong issuer, audience or type, or is not valid yet
	// ("nbf" or "iat" in the future). HTTP 401.
	ErrInvalidToken = errors.New("jwtverify: invalid token")

	// ErrExpired: the token's "exp" (plus the leeway) has passed. HTTP 401.
	ErrExpired = errors.New("jwtverify: token expired")

	// ErrUnknownKey: the key set, fetched again if allowed, has no key with
	// the token's "kid" (or, for a token without a kid, not exactly one key
	// for its algorithm). HTTP 401.
	ErrUnknownKey = errors.New("jwtverify: unknown signing key")

	// ErrJWKSUnavailable: the key set could not be fetched (network error,
	// status other than 200, a body that is not a JSON Web Key Set) or the
	// caller's context ended while waiting for it. HTTP 503.
	ErrJWKSUnavailable = errors.New("jwtverify: JWKS unavailable")
)

// invalid is ErrInvalidToken with a reason. Reasons are fixed texts: never
// the token, nor a library's message that could quote part of it.
func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, reason)
}
