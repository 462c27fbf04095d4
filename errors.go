package betterauth

import (
	"errors"
	"net/http"
)

// APIError is an error with Better Auth's HTTP shape: a status and the
// {"message", "code"} envelope. The Auth methods return these for every
// outcome a client should see; test for one with errors.Is against the
// exported values below (or errors.As for the code).
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return "betterauth: " + e.Code + ": " + e.Message }

// Is matches another *APIError with the same status and code, so that
// errors.Is works for values that were copied with a different message
// (and two code-less errors of different statuses are not "equal").
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t != nil && t.Status == e.Status && t.Code == e.Code
}

func apiErr(status int, code, message string) *APIError {
	return &APIError{Status: status, Code: code, Message: message}
}

// Better Auth 1.7.25's error codes and messages, with the status its
// endpoints answer them with.
var (
	ErrInvalidEmailOrPassword        = apiErr(http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
	ErrInvalidPassword               = apiErr(http.StatusBadRequest, "INVALID_PASSWORD", "Invalid password")
	ErrInvalidEmail                  = apiErr(http.StatusBadRequest, "INVALID_EMAIL", "Invalid email")
	ErrPasswordTooShort              = apiErr(http.StatusBadRequest, "PASSWORD_TOO_SHORT", "Password too short")
	ErrPasswordTooLong               = apiErr(http.StatusBadRequest, "PASSWORD_TOO_LONG", "Password too long")
	ErrUserAlreadyExists             = apiErr(http.StatusUnprocessableEntity, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.")
	ErrUserNotFound                  = apiErr(http.StatusBadRequest, "USER_NOT_FOUND", "User not found")
	ErrFailedToCreateUser            = apiErr(http.StatusUnprocessableEntity, "FAILED_TO_CREATE_USER", "Failed to create user")
	ErrFailedToCreateSession         = apiErr(http.StatusInternalServerError, "FAILED_TO_CREATE_SESSION", "Failed to create session")
	ErrFailedToGetSession            = apiErr(http.StatusUnauthorized, "FAILED_TO_GET_SESSION", "Failed to get session")
	ErrUnauthorized                  = apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "Unauthorized")
	ErrSessionNotFresh               = apiErr(http.StatusForbidden, "SESSION_NOT_FRESH", "Session is not fresh")
	ErrSessionExpired                = apiErr(http.StatusBadRequest, "SESSION_EXPIRED", "Session expired. Re-authenticate to perform this action.")
	ErrCredentialAccountNotFound     = apiErr(http.StatusBadRequest, "CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found")
	ErrEmailCanNotBeUpdated          = apiErr(http.StatusBadRequest, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated")
	ErrNoFieldsToUpdate              = &APIError{Status: http.StatusBadRequest, Message: "No fields to update"}
	ErrFieldNotAllowed               = apiErr(http.StatusBadRequest, "FIELD_NOT_ALLOWED", "Field not allowed to be set")
	ErrEmailPasswordSignUpDisabled   = apiErr(http.StatusBadRequest, "EMAIL_PASSWORD_SIGN_UP_DISABLED", "Email and password sign up is not enabled")
	ErrEmailPasswordDisabled         = apiErr(http.StatusBadRequest, "EMAIL_PASSWORD_DISABLED", "Email and password is not enabled")
	ErrInvalidOrigin                 = apiErr(http.StatusForbidden, "INVALID_ORIGIN", "Invalid origin")
	ErrMissingOrNullOrigin           = apiErr(http.StatusForbidden, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
	ErrInvalidCallbackURL            = apiErr(http.StatusForbidden, "INVALID_CALLBACK_URL", "Invalid callbackURL")
	ErrInvalidRedirectURL            = apiErr(http.StatusForbidden, "INVALID_REDIRECT_URL", "Invalid redirectURL")
	ErrInvalidErrorCallbackURL       = apiErr(http.StatusForbidden, "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL")
	ErrInvalidNewUserCallbackURL     = apiErr(http.StatusForbidden, "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL")
	ErrCrossSiteNavigationBlocked    = apiErr(http.StatusForbidden, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked. This request appears to be a CSRF attack.")
	ErrDeleteUserDisabled            = apiErr(http.StatusNotFound, "NOT_FOUND", "Not Found")
	ErrMethodNotAllowedDeferRequired = apiErr(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", "POST method requires deferSessionRefresh to be enabled in session config")
)

// ErrUnavailable reports that the store failed (the database is down or
// timing out). It is never "no session": the HTTP layer answers 503 and
// leaves cookies alone, so a database outage does not log anybody out.
var ErrUnavailable = errors.New("betterauth: store unavailable")

// validationError builds Better Auth's schema-validation answer, such as
// "[body.email] Invalid email address".
func validationError(message string) *APIError {
	return apiErr(http.StatusBadRequest, "VALIDATION_ERROR", message)
}
