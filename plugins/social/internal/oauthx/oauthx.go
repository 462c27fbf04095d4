// Package oauthx holds what the provider packages of plugins/social share:
// token answers as social.Tokens, token-endpoint errors without their
// bodies, and JSON API reads with a bearer token.
package oauthx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/go-betterauth/betterauth/plugins/social"
)

// Tokens converts a token endpoint's answer: expires_in and
// refresh_token_expires_in as durations, scope split on spaces (as Better
// Auth splits it), the id_token.
func Tokens(t *oauth2.Token) *social.Tokens {
	out := &social.Tokens{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType,
		AccessTokenExpiresIn: time.Duration(t.ExpiresIn) * time.Second,
	}
	if s, ok := t.Extra("id_token").(string); ok {
		out.IDToken = s
	}
	if s, ok := t.Extra("scope").(string); ok {
		out.Scopes = strings.Fields(s)
	}
	if n := number(t.Extra("refresh_token_expires_in")); n > 0 {
		out.RefreshTokenExpiresIn = time.Duration(n) * time.Second
	}
	return out
}

// number reads a JSON number, or a string holding one.
func number(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// TokenError keeps a token endpoint's failure without its body, which may
// echo the code or a token: the status and the OAuth error code only.
func TokenError(pkg string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := ""
		if re.Response != nil {
			status = re.Response.Status
		}
		return fmt.Errorf("%s: token endpoint: %s %s", pkg, status, re.ErrorCode)
	}
	return fmt.Errorf("%s: token endpoint: %w", pkg, err)
}

// GetJSON reads url with the bearer token into v (numbers as json.Number,
// at most 1 MiB); a status other than 200 is an error naming it.
func GetJSON(ctx context.Context, c *http.Client, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "better-auth")
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, res.Status)
	}
	dec := json.NewDecoder(io.LimitReader(res.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	return nil
}

// String is a profile member as a string: strings as they are, numbers in
// full ("" otherwise).
func String(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
