package passwordcheck_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/passwordcheck"
)

func sha1Hex(pw string) string {
	sum := sha1.Sum([]byte(pw))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// server answers every range query with body (status 200) or status.
func server(t *testing.T, status int, body string) (*passwordcheck.HaveIBeenPwned, *[]string) {
	t.Helper()
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return &passwordcheck.HaveIBeenPwned{BaseURL: srv.URL + "/", Client: srv.Client()}, &paths
}

// The range answer is read as Better Auth reads it.
// Mutations: the count check `n == 0` → always compromised on a suffix
// match (padding case fails); EqualFold → == (lower-case case fails); the
// malformed-count error removed; the status check removed; the 1 MiB bound
// removed.
func TestHaveIBeenPwnedReadsTheRange(t *testing.T) {
	const pw = "hunter2-but-longer"
	h := sha1Hex(pw)
	prefix, suffix := h[:5], h[5:]
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   int64
		err    string
	}{
		{"listed", 200, "0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n" + suffix + ":17\r\n", 17, ""},
		{"listed, lower case, LF", 200, "0018A45C4D1DEF81644B54AB7F969B88D65:3\n" + strings.ToLower(suffix) + ":5", 5, ""},
		{"padding line", 200, suffix + ":0\r\n", 0, ""},
		{"absent", 200, "0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n", 0, ""},
		{"empty", 200, "", 0, ""},
		{"malformed count", 200, suffix + ":12abc\r\n", 0, "malformed count"},
		{"negative count", 200, suffix + ":-1\r\n", 0, "malformed count"},
		{"server error", 500, suffix + ":9", 0, "status 500"},
		{"rate limited", 429, "", 0, "status 429"},
		{"too large", 200, strings.Repeat("0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n", 30000) + suffix + ":8", 0, "larger than 1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, paths := server(t, tc.status, tc.body)
			n, err := c.Count(context.Background(), pw)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				var ae *betterauth.APIError
				assert.False(t, errors.As(err, &ae), "a failed check is not a refusal")
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.want, n)
			}
			assert.Equal(t, []string{"/range/" + prefix}, *paths, "only the prefix is sent")
		})
	}
}

// CheckPassword turns a count into Better Auth's refusal (or the custom
// message, with the same code).
// Mutation: `if n == 0 { return nil }` → `if n < 100`.
func TestHaveIBeenPwnedCheckPassword(t *testing.T) {
	const pw = "hunter2-but-longer"
	c, _ := server(t, 200, sha1Hex(pw)[5:]+":1\r\n")
	err := c.CheckPassword(context.Background(), pw)
	assert.Same(t, betterauth.ErrPasswordCompromised, err)
	assert.NoError(t, c.CheckPassword(context.Background(), "something-else-entirely"))

	c.Message = "Choose another password."
	err = c.CheckPassword(context.Background(), pw)
	var ae *betterauth.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, betterauth.APIError{Status: 400, Code: "PASSWORD_COMPROMISED", Message: "Choose another password."}, *ae)
}

// A query that hangs ends at Timeout, with an error naming the deadline.
// Mutation: the context.WithTimeout removed (the server then answers after
// 10 s with an empty list, and no error comes).
func TestHaveIBeenPwnedTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	c := &passwordcheck.HaveIBeenPwned{BaseURL: srv.URL, Client: srv.Client(), Timeout: 100 * time.Millisecond}
	_, err := c.Count(context.Background(), "hunter2-but-longer")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// A transport error does not carry the URL, whose path holds five hex
// characters of the password's hash.
// Mutation: scrub returning its argument unchanged.
func TestHaveIBeenPwnedErrorsHoldNoHash(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there now
	c := &passwordcheck.HaveIBeenPwned{BaseURL: base}
	_, err := c.Count(context.Background(), "hunter2-but-longer")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), sha1Hex("hunter2-but-longer")[:5])
	assert.NotContains(t, err.Error(), "/range/")
}

// Common passwords score below the default bar of 3; passphrases pass;
// MinScore moves the bar.
// Mutations: the default MinScore 3 → 0; the `< s.minScore()` comparison
// → `<=`.
func TestStrength(t *testing.T) {
	var s passwordcheck.Strength
	for _, pw := range []string{"password123", "qwertyuiop", "a1b2c3d4", "Password1!", strings.Repeat("a", 128)} {
		assert.ErrorIs(t, s.CheckPassword(context.Background(), pw), betterauth.ErrPasswordTooWeak, pw)
	}
	for _, pw := range []string{"glacier-mortal-fennel-oxide-42", "correct horse battery staple", "kd9#Lq2!vPz_7mW"} {
		assert.NoError(t, s.CheckPassword(context.Background(), pw), pw)
	}
	lax := passwordcheck.Strength{MinScore: 1}
	assert.NoError(t, lax.CheckPassword(context.Background(), "Password1!"), "score 1 passes a bar of 1")
	site := passwordcheck.Strength{UserInputs: []string{"zorblaxcorp"}}
	assert.Less(t, site.Score("zorblaxcorp2026"), s.Score("zorblaxcorp2026"), "site words make a password weaker")
}

// The estimate reads the first 100 characters only (zxcvbn's cost grows
// faster than the length), and a cancelled context is a failed check, not
// a verdict.
// Mutations: the 100-character cut removed; the ctx.Err() check removed.
func TestStrengthBounds(t *testing.T) {
	var s passwordcheck.Strength
	weak := strings.Repeat("a", 100)
	assert.Equal(t, s.Score(weak), s.Score(weak+"kd9#Lq2!vPz_7mW-glacier-mortal"), "only the first 100 characters count")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.CheckPassword(ctx, "glacier-mortal-fennel-oxide-42")
	assert.ErrorIs(t, err, context.Canceled)
}
