package betterauth

import (
	"net/http"
)

// WriteJSON answers v as JSON with status, encoded as the library's own
// answers are (HTML-significant characters are not escaped, as in
// JavaScript's JSON.stringify). Routes of plugins use it for their replies.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// BodyString reads a string member of a RouteInput.Body. A required member
// that is absent, or a member that is not a string, is Better Auth's 400
// VALIDATION_ERROR ("[body.code] Invalid input: expected string, received
// undefined"); an absent optional member (or null) returns ok false.
func BodyString(b map[string]any, field string, required bool) (s string, ok bool, err error) {
	return body(b).str(field, required)
}

// BodyBool reads an optional boolean member of a RouteInput.Body: false
// when absent or null, 400 VALIDATION_ERROR when it is not a boolean.
func BodyBool(b map[string]any, field string) (bool, error) {
	v, err := body(b).boolean(field)
	if err != nil || v == nil {
		return false, err
	}
	return *v, nil
}

// MAC returns HMAC-SHA256 of data keyed with the Auth's secret, as Better
// Auth's createHMAC("SHA-256").sign(secret, data) (the two-factor plugin
// binds its trusted-device cookie with it). Plugins encode it as they need.
func (a *Auth) MAC(data string) []byte { return cookieSignature(a.secret, data) }
