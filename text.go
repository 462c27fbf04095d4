package betterauth

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on what a request may carry. PostgreSQL refuses NUL characters and
// invalid UTF-8 in text, and an index entry over about 2.7 kB; the library
// refuses them first, with a 400, so bad input never reaches the database
// (where it would be a 503) and nothing is half-written.
const (
	// MaxEmailLength is the longest email address accepted, in characters
	// (RFC 5321's 254 octets; addresses are ASCII here).
	MaxEmailLength = 254
	// MaxNameLength is the longest user name accepted at sign-up and
	// update-user, in UTF-16 code units (JavaScript's string length, as
	// Better Auth would count).
	MaxNameLength = 256
	// MaxUserAgentLength is how many bytes of the User-Agent header a
	// session records; the rest is cut (at a character boundary).
	MaxUserAgentLength = 512
)

// textProblem describes why s cannot be stored as text, or "".
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "contains a NUL character"
	}
	return ""
}

// checkText refuses, recursively, a decoded body or query value holding a
// string (member names included) that is not valid UTF-8 or contains NUL.
// path names the value in zod's style, such as "body.name".
func checkText(path string, v any) error {
	switch x := v.(type) {
	case string:
		if p := textProblem(x); p != "" {
			return validationError(fmt.Sprintf("[%s] Invalid input: %s", path, p))
		}
	case map[string]any:
		for k, e := range x {
			if p := textProblem(k); p != "" {
				return validationError(fmt.Sprintf("[%s] Invalid input: a member name %s", path, p))
			}
			if err := checkText(path+"."+k, e); err != nil {
				return err
			}
		}
	case body:
		return checkText(path, map[string]any(x))
	case []any:
		for i, e := range x {
			if err := checkText(fmt.Sprintf("%s.%d", path, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkName applies the rules for a user name: text PostgreSQL can store,
// at most MaxNameLength.
func checkName(name string) error {
	if err := checkText("body.name", name); err != nil {
		return err
	}
	if PasswordLength(name) > MaxNameLength {
		return validationError(fmt.Sprintf("[body.name] Too big: expected string to have <=%d characters", MaxNameLength))
	}
	return nil
}

// cleanHeader makes a header value storable: invalid UTF-8 becomes U+FFFD,
// NUL and other control characters are dropped, and it is cut to max
// bytes at a character boundary.
func cleanHeader(s string, max int) string {
	// strings.Map writes each invalid byte as U+FFFD (utf8.RuneError).
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
