package betterauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

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

// Verification errors, as Better Auth words them.
var (
	ErrInvalidToken                = errInvalidToken.clone()
	ErrTokenExpired                = errTokenExpired.clone()
	ErrEmailNotVerified            = errEmailNotVerified.clone()
	ErrVerificationEmailNotEnabled = errVerificationEmailNotEnabled.clone()
	ErrEmailAlreadyVerified        = errEmailAlreadyVerified.clone()
	ErrEmailMismatch               = errEmailMismatch.clone()
	ErrResetPasswordDisabled       = errResetPasswordDisabled.clone()
	ErrChangeEmailDisabled         = errChangeEmailDisabled.clone()
	ErrEmailIsTheSame              = errEmailIsTheSame.clone()
	ErrInvalidUser                 = errInvalidUser.clone()
)

// storedIdentifier is the identifier as written to the table.
func (a *Auth) storedIdentifier(identifier string) string {
	if !a.cfg.Verification.StoreIdentifierHashed {
		return identifier
	}
	return sha256URL(identifier)
}

// createVerification stores value under identifier for ttl.
func (a *Auth) createVerification(ctx context.Context, st Store, identifier, value string, ttl time.Duration) (*Verification, error) {
	now := a.clock()
	v := &Verification{Identifier: a.storedIdentifier(identifier), Value: value, ExpiresAt: now.Add(ttl), CreatedAt: now, UpdatedAt: now}
	if err := st.CreateVerification(ctx, v); err != nil {
		return nil, unavailable("create verification", err)
	}
	return v, nil
}

// findVerification returns the live row under identifier (hashed form
// first, then plain), or nil: an expired row reads as absent.
func (a *Auth) findVerification(ctx context.Context, identifier string) (*Verification, error) {
	for _, id := range a.identifierForms(identifier) {
		v, err := a.store.GetVerification(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, unavailable("get verification", err)
		}
		if !v.ExpiresAt.After(a.clock()) {
			return nil, nil
		}
		return v, nil
	}
	return nil, nil
}

// consumeVerification atomically takes the row under identifier; nil when
// there is none or it has expired (it is deleted either way). Of concurrent
// callers, one gets it.
func (a *Auth) consumeVerification(ctx context.Context, st Store, identifier string) (*Verification, error) {
	for _, id := range a.identifierForms(identifier) {
		v, err := st.ConsumeVerification(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, unavailable("consume verification", err)
		}
		if !v.ExpiresAt.After(a.clock()) {
			return nil, nil
		}
		return v, nil
	}
	return nil, nil
}

// CreateVerification stores value under identifier in the verification
// table for ttl, as Better Auth's createVerificationValue (hashing the
// identifier when Verification.StoreIdentifierHashed). Plugins keep their
// one-time values there. A store failure wraps ErrUnavailable.
func (a *Auth) CreateVerification(ctx context.Context, identifier, value string, ttl time.Duration) (*Verification, error) {
	return a.createVerification(ctx, a.store, identifier, value, ttl)
}

// FindVerification returns the live row stored under identifier, or nil
// (an expired row reads as absent), as Better Auth's findVerificationValue.
func (a *Auth) FindVerification(ctx context.Context, identifier string) (*Verification, error) {
	return a.findVerification(ctx, identifier)
}

// ConsumeVerification atomically takes (and deletes) every row stored
// under identifier and returns the newest live one, or nil; of concurrent
// callers one gets it. It is also how a value is deleted.
func (a *Auth) ConsumeVerification(ctx context.Context, identifier string) (*Verification, error) {
	return a.consumeVerification(ctx, a.store, identifier)
}

func (a *Auth) identifierForms(identifier string) []string {
	if a.cfg.Verification.StoreIdentifierHashed {
		return []string{a.storedIdentifier(identifier), identifier}
	}
	return []string{identifier}
}

// link builds <baseURL><basePath><path>?<query>.
func (a *Auth) link(path string, query string) string {
	base := strings.TrimRight(a.baseURL.String(), "/")
	if a.baseURL.Path == "" || a.baseURL.Path == "/" {
		base += a.basePath
	}
	if query != "" {
		return base + path + "?" + query
	}
	return base + path
}

// encodeURIComponent escapes s as JavaScript's encodeURIComponent does.
func encodeURIComponent(s string) string { return encodeCookieValue(s) }

// The values the library answers with. The exported errors are copies of
// them, so an importer that changes one changes nothing the library sends.
var (
	errInvalidToken                = apiErr(http.StatusBadRequest, "INVALID_TOKEN", "Invalid token")
	errTokenExpired                = apiErr(http.StatusUnauthorized, "TOKEN_EXPIRED", "Token expired")
	errEmailNotVerified            = apiErr(http.StatusForbidden, "EMAIL_NOT_VERIFIED", "Email not verified")
	errVerificationEmailNotEnabled = apiErr(http.StatusBadRequest, "VERIFICATION_EMAIL_NOT_ENABLED", "Verification email isn't enabled")
	errEmailAlreadyVerified        = apiErr(http.StatusBadRequest, "EMAIL_ALREADY_VERIFIED", "Email is already verified")
	errEmailMismatch               = apiErr(http.StatusBadRequest, "EMAIL_MISMATCH", "Email mismatch")
	errResetPasswordDisabled       = apiErr(http.StatusBadRequest, "RESET_PASSWORD_DISABLED", "Reset password isn't enabled")
	errChangeEmailDisabled         = apiErr(http.StatusBadRequest, "CHANGE_EMAIL_DISABLED", "Change email is disabled")
	errEmailIsTheSame              = &APIError{Status: http.StatusBadRequest, Message: "Email is the same"}
	errInvalidUser                 = apiErr(http.StatusUnauthorized, "INVALID_USER", "Invalid user")
)
