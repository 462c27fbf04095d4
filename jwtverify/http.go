package jwtverify

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// TokenFromHeader returns the token of an Authorization header value
// "Bearer <token>". The scheme is case-insensitive ("bearer" too, as Better
// Auth's bearer plugin accepts) and spaces around the token are ignored. It
// returns false for an empty value, another scheme (Basic) or an empty token.
func TokenFromHeader(authorization string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// TokenFromRequest returns the request's bearer token: the Authorization
// header's (see [TokenFromHeader]) or, when that holds no bearer token and
// cookieName is not empty, the value of the cookie cookieName. It returns ""
// when the request carries neither.
func TokenFromRequest(r *http.Request, cookieName string) string {
	if r == nil {
		return ""
	}
	if token, ok := TokenFromHeader(r.Header.Get("Authorization")); ok {
		return token
	}
	if cookieName != "" {
		if c, err := r.Cookie(cookieName); err == nil {
			return strings.TrimSpace(c.Value)
		}
	}
	return ""
}

// Middleware is the optional authentication: a request with a valid token
// reaches next with its claims in the context ([ClaimsFromContext]); a
// request without a token, or with one that is invalid, expired or signed by
// an unknown key, reaches next anonymous. If the key set cannot be fetched
// to check a token, it answers 503 (as Require does) rather than treat the
// user as anonymous. A request that already has claims in its context is
// passed on as it is.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	next = orMissing(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := ClaimsFromContext(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		token := TokenFromRequest(r, v.cookieName)
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		c, err := v.Verify(r.Context(), token)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), c)))
		case errors.Is(err, ErrJWKSUnavailable):
			v.writeError(w, err)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// Require is the required authentication: next is reached only with a valid
// token, whose claims are in the context. Otherwise it answers with a JSON
// body {"message": ..., "code": ...}:
//
//   - no token: 401, code UNAUTHORIZED, "WWW-Authenticate: Bearer";
//   - invalid, expired or unknown key: 401, code INVALID_TOKEN,
//     TOKEN_EXPIRED or UNKNOWN_KEY, `WWW-Authenticate: Bearer
//     error="invalid_token", error_description="..."`;
//   - key set unavailable: 503, code JWKS_UNAVAILABLE, with Retry-After.
//
// A request that already has claims in its context (Middleware ran first) is
// passed on without verifying again. Put a CORS handler outside Require: a
// browser's preflight OPTIONS request carries no token.
func (v *Verifier) Require(next http.Handler) http.Handler {
	next = orMissing(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := ClaimsFromContext(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		token := TokenFromRequest(r, v.cookieName)
		if token == "" {
			v.writeError(w, ErrNoToken)
			return
		}
		c, err := v.Verify(r.Context(), token)
		if err != nil {
			v.writeError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), c)))
	})
}

// orMissing replaces a nil handler by one that answers 500, so that a
// mistake in wiring is an error answer and not a panic.
func orMissing(next http.Handler) http.Handler {
	if next != nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "jwtverify: the middleware was given a nil handler")
	})
}

// writeError answers a request whose token was refused or could not be
// checked. The body names the kind of failure, never the reason's details.
func (v *Verifier) writeError(w http.ResponseWriter, err error) {
	status, code, message := http.StatusUnauthorized, "INVALID_TOKEN", "Invalid token"
	switch {
	case errors.Is(err, ErrJWKSUnavailable):
		status, code, message = http.StatusServiceUnavailable, "JWKS_UNAVAILABLE", "Tokens cannot be verified right now"
		secs := int((v.minRefresh + 999_999_999) / 1_000_000_000)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	case errors.Is(err, ErrNoToken):
		code, message = "UNAUTHORIZED", "Missing bearer token"
		w.Header().Set("WWW-Authenticate", "Bearer")
	case errors.Is(err, ErrExpired):
		code, message = "TOKEN_EXPIRED", "Token expired"
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The token expired"`)
	case errors.Is(err, ErrUnknownKey):
		code, message = "UNKNOWN_KEY", "Token signed by an unknown key"
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="Unknown signing key"`)
	default:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="Invalid token"`)
	}
	writeJSON(w, status, code, message)
}

// writeJSON writes Better Auth's error shape, {"message": ..., "code": ...}.
func writeJSON(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}{message, code})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
