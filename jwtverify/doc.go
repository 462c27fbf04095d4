// Package jwtverify verifies the JSON Web Tokens that a Better Auth server
// (or this module's Go port of it) issues with its jwt plugin, so that other
// services can authenticate its users with no database and no shared secret.
//
// A browser signed in at the auth server asks GET /api/auth/token for a
// short-lived JWT (15 minutes by default) and sends it to another service as
// "Authorization: Bearer <jwt>". That service builds one [Verifier] from the
// auth server's base URL and its key set, GET /api/auth/jwks:
//
//   - [New] fetches the JSON Web Key Set on first use, keeps it for
//     [Config.CacheTTL] and fetches it again when a token names a key id it
//     does not know (a rotated key), at most once per
//     [Config.MinRefreshInterval], with all concurrent callers sharing one
//     request. [NewFromJWKS] takes a fixed key set instead (tests, offline
//     use).
//   - [Verifier.Verify] checks a compact JWS token: the algorithm (one of
//     [Config.Algorithms]; "none" and the HMAC algorithms never), the key
//     (found by "kid", of the type the algorithm needs and published for
//     that algorithm), the signature, "exp" (required), "nbf" and "iat" with
//     [Config.Leeway], "iss", "aud" and "sub" (required). It returns the
//     [Claims]: the registered claims, and the user object Better Auth puts
//     in the token, raw and through [Claims.Decode] (see [User]).
//   - [Verifier.Require] is HTTP middleware that answers 401 for a request
//     without a valid token; [Verifier.Middleware] only adds the claims of a
//     valid token and lets anonymous requests through. Handlers read the
//     claims with [ClaimsFromContext]. Both answer 503 when a token cannot
//     be checked because the key set cannot be fetched: a service never
//     turns an outage of the auth server into anonymous or rejected users.
//   - [TokenFromRequest], [TokenFromHeader], [Verifier.Verify] and
//     [ContextWithClaims] are plain functions for other routers, gRPC
//     interceptors and queues.
//
// Errors are the sentinels [ErrNoToken], [ErrInvalidToken], [ErrExpired],
// [ErrUnknownKey] and [ErrJWKSUnavailable], wrapped with a reason; test them
// with errors.Is. The first four mean "401"; [ErrJWKSUnavailable] means
// "503, try again". No error text contains the token.
//
// The package depends on go-jose for all JOSE work and on nothing else of
// this module, so a service that only verifies tokens does not link the auth
// server. The Examples show each use with a fixed key set and clock.
package jwtverify
