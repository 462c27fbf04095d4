package betterauth_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/go-betterauth/betterauth"
)

func TestAPIErrorIsComparesStatusAndCode(t *testing.T) {
	wrapped := fmt.Errorf("ctx: %w", &betterauth.APIError{Status: http.StatusUnauthorized, Code: "UNAUTHORIZED", Message: "other words"})
	assert.ErrorIs(t, wrapped, betterauth.ErrUnauthorized, "same status and code, another message")
	assert.False(t, errors.Is(&betterauth.APIError{Status: http.StatusForbidden, Code: "UNAUTHORIZED"}, betterauth.ErrUnauthorized), "another status")
	assert.False(t, errors.Is(&betterauth.APIError{Status: http.StatusUnauthorized, Code: "INVALID_TOKEN"}, betterauth.ErrUnauthorized), "another code")
	assert.False(t, errors.Is(&betterauth.APIError{Status: http.StatusNotFound}, betterauth.ErrNoFieldsToUpdate), "two code-less errors of different statuses")
	assert.False(t, errors.Is(betterauth.ErrUnauthorized, (*betterauth.APIError)(nil)))
}
