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

// Error returns "betterauth: CODE: message".
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
	ErrInvalidEmailOrPassword        = errInvalidEmailOrPassword.clone()
	ErrInvalidPassword               = errInvalidPassword.clone()
	ErrInvalidEmail                  = errInvalidEmail.clone()
	ErrPasswordTooShort              = errPasswordTooShort.clone()
	ErrPasswordTooLong               = errPasswordTooLong.clone()
	ErrUserAlreadyExists             = errUserAlreadyExists.clone()
	ErrUserNotFound                  = errUserNotFound.clone()
	ErrFailedToGetSession            = errFailedToGetSession.clone()
	ErrUnauthorized                  = errUnauthorized.clone()
	ErrSessionNotFresh               = errSessionNotFresh.clone()
	ErrSessionExpired                = errSessionExpired.clone()
	ErrCredentialAccountNotFound     = errCredentialAccountNotFound.clone()
	ErrEmailCanNotBeUpdated          = errEmailCanNotBeUpdated.clone()
	ErrNoFieldsToUpdate              = errNoFieldsToUpdate.clone()
	ErrFieldNotAllowed               = errFieldNotAllowed.clone()
	ErrEmailPasswordSignUpDisabled   = errEmailPasswordSignUpDisabled.clone()
	ErrEmailPasswordDisabled         = errEmailPasswordDisabled.clone()
	ErrInvalidOrigin                 = errInvalidOrigin.clone()
	ErrMissingOrNullOrigin           = errMissingOrNullOrigin.clone()
	ErrInvalidCallbackURL            = errInvalidCallbackURL.clone()
	ErrInvalidRedirectURL            = errInvalidRedirectURL.clone()
	ErrInvalidErrorCallbackURL       = errInvalidErrorCallbackURL.clone()
	ErrInvalidNewUserCallbackURL     = errInvalidNewUserCallbackURL.clone()
	ErrCrossSiteNavigationBlocked    = errCrossSiteNavigationBlocked.clone()
	ErrDeleteUserDisabled            = errDeleteUserDisabled.clone()
	ErrMethodNotAllowedDeferRequired = errMethodNotAllowedDeferRequired.clone()
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

// The values the library answers with. The exported errors are copies of
// them, so an importer that changes one changes nothing the library sends.
var (
	errInvalidEmailOrPassword        = apiErr(http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
	errInvalidPassword               = apiErr(http.StatusBadRequest, "INVALID_PASSWORD", "Invalid password")
	errInvalidEmail                  = apiErr(http.StatusBadRequest, "INVALID_EMAIL", "Invalid email")
	errPasswordTooShort              = apiErr(http.StatusBadRequest, "PASSWORD_TOO_SHORT", "Password too short")
	errPasswordTooLong               = apiErr(http.StatusBadRequest, "PASSWORD_TOO_LONG", "Password too long")
	errUserAlreadyExists             = apiErr(http.StatusUnprocessableEntity, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.")
	errUserNotFound                  = apiErr(http.StatusBadRequest, "USER_NOT_FOUND", "User not found")
	errFailedToGetSession            = apiErr(http.StatusUnauthorized, "FAILED_TO_GET_SESSION", "Failed to get session")
	errUnauthorized                  = apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "Unauthorized")
	errSessionNotFresh               = apiErr(http.StatusForbidden, "SESSION_NOT_FRESH", "Session is not fresh")
	errSessionExpired                = apiErr(http.StatusBadRequest, "SESSION_EXPIRED", "Session expired. Re-authenticate to perform this action.")
	errCredentialAccountNotFound     = apiErr(http.StatusBadRequest, "CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found")
	errEmailCanNotBeUpdated          = apiErr(http.StatusBadRequest, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated")
	errNoFieldsToUpdate              = &APIError{Status: http.StatusBadRequest, Message: "No fields to update"}
	errFieldNotAllowed               = apiErr(http.StatusBadRequest, "FIELD_NOT_ALLOWED", "Field not allowed to be set")
	errEmailPasswordSignUpDisabled   = apiErr(http.StatusBadRequest, "EMAIL_PASSWORD_SIGN_UP_DISABLED", "Email and password sign up is not enabled")
	errEmailPasswordDisabled         = apiErr(http.StatusBadRequest, "EMAIL_PASSWORD_DISABLED", "Email and password is not enabled")
	errInvalidOrigin                 = apiErr(http.StatusForbidden, "INVALID_ORIGIN", "Invalid origin")
	errMissingOrNullOrigin           = apiErr(http.StatusForbidden, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
	errInvalidCallbackURL            = apiErr(http.StatusForbidden, "INVALID_CALLBACK_URL", "Invalid callbackURL")
	errInvalidRedirectURL            = apiErr(http.StatusForbidden, "INVALID_REDIRECT_URL", "Invalid redirectURL")
	errInvalidErrorCallbackURL       = apiErr(http.StatusForbidden, "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL")
	errInvalidNewUserCallbackURL     = apiErr(http.StatusForbidden, "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL")
	errCrossSiteNavigationBlocked    = apiErr(http.StatusForbidden, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked. This request appears to be a CSRF attack.")
	errDeleteUserDisabled            = apiErr(http.StatusNotFound, "NOT_FOUND", "Not Found")
	errMethodNotAllowedDeferRequired = apiErr(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", "POST method requires deferSessionRefresh to be enabled in session config")
)

// clone returns a copy of e.
func (e *APIError) clone() *APIError {
	c := *e
	return &c
}
