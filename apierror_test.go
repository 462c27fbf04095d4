package betterauth_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

func TestAPIErrorIsComparesStatusAndCode(t *testing.T) {
	wrapped := fmt.Errorf("ctx: %w", &betterauth.APIError{Status: http.StatusUnauthorized, Code: "UNAUTHORIZED", Message: "other words"})
	assert.ErrorIs(t, wrapped, betterauth.ErrUnauthorized, "same status and code, another message")
	assert.False(t, errors.Is(&betterauth.APIError{Status: http.StatusForbidden, Code: "UNAUTHORIZED"}, betterauth.ErrUnauthorized), "another status")
	assert.False(t, errors.Is(&betterauth.APIError{Status: http.StatusUnauthorized, Code: "INVALID_TOKEN"}, betterauth.ErrUnauthorized), "another code")
	assert.False(t, errors.Is(&betterauth.APIError{Status: http.StatusNotFound}, betterauth.ErrNoFieldsToUpdate), "two code-less errors of different statuses")
	assert.False(t, errors.Is(betterauth.ErrUnauthorized, (*betterauth.APIError)(nil)))
}

// An importer that changes an exported error changes nothing the library
// answers: the library answers from its own values.
func TestSentinelsCannotBeChangedFromOutside(t *testing.T) {
	saved := *betterauth.ErrInvalidEmailOrPassword
	t.Cleanup(func() { *betterauth.ErrInvalidEmailOrPassword = saved })
	betterauth.ErrInvalidEmailOrPassword.Message = "changed by an importer"
	betterauth.ErrInvalidEmailOrPassword.Status = http.StatusTeapot

	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	res := newClient(t, a.Handler()).do("POST", "/sign-in/email", map[string]any{"email": "nobody@example.com", "password": "correct-horse-1"})
	assert.Equal(t, http.StatusUnauthorized, res.status)
	assert.Equal(t, `{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`, string(res.body))
}
