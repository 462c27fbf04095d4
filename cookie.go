package betterauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// signatureLen is the length of a standard, padded base64 HMAC-SHA256: 44
// characters, the last one '='.
const signatureLen = 44

// maxCookieMaxAge is the largest Max-Age better-call writes (400 days);
// browsers cap longer lifetimes to it anyway.
const maxCookieMaxAge = 400 * 24 * 60 * 60

// cookieSignature returns the raw HMAC-SHA256 of value keyed with the UTF-8
// bytes of secret.
func cookieSignature(secret, value string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(value))
	return mac.Sum(nil)
}

// SignCookieValue returns value + "." + base64(HMAC-SHA256(key=secret,
// msg=value)), with the standard, padded base64 alphabet: better-call's
// signed cookie value (as in Better Auth's session_token and dont_remember
// cookies) before percent-encoding. The signature is always 44 characters.
func SignCookieValue(secret, value string) string {
	return value + "." + base64.StdEncoding.EncodeToString(cookieSignature(secret, value))
}

// VerifyCookieValue checks a value made by SignCookieValue (already
// percent-decoded) and returns the part that was signed. Like better-call it
// splits at the last '.', requires the dot at index 1 or later and a
// signature of exactly 44 characters ending in '=', and compares the HMAC in
// constant time; ok is false otherwise.
//
// Unlike better-call (whose atob ignores the two unused bits of the last
// base64 digit) it accepts only the canonical encoding, so an accepted value
// always re-signs to exactly signed. Better Auth never produces any other.
func VerifyCookieValue(secret, signed string) (value string, ok bool) {
	dot := strings.LastIndexByte(signed, '.')
	if dot < 1 {
		return "", false
	}
	value, sig := signed[:dot], signed[dot+1:]
	if len(sig) != signatureLen || sig[signatureLen-1] != '=' {
		return "", false
	}
	mac, err := base64.StdEncoding.Strict().DecodeString(sig)
	if err != nil {
		return "", false
	}
	if !hmac.Equal(mac, cookieSignature(secret, value)) {
		return "", false
	}
	return value, true
}

// isUnreserved reports whether JavaScript's encodeURIComponent leaves c as
// is: A-Z a-z 0-9 - _ . ! ~ * ' ( ).
func isUnreserved(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.!~*'()", c) >= 0
}

// encodeCookieValue escapes s as JavaScript's encodeURIComponent does, which
// is how better-call writes every cookie value: each byte of the UTF-8
// encoding outside A-Z a-z 0-9 - _ . ! ~ * ' ( ) becomes %XX (uppercase hex).
// Invalid UTF-8 bytes are escaped one by one (JavaScript strings cannot hold
// them).
func encodeCookieValue(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

// decodeCookieValue reverses encodeCookieValue the way better-call reads
// cookies: values without '%' are returned as they are, others are decoded
// as decodeURIComponent does, and a value decodeURIComponent would reject is
// returned unchanged.
func decodeCookieValue(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if d, ok := decodeURIComponent(s); ok {
		return d
	}
	return s
}

// decodeURIComponent decodes every %XX escape of s, failing (ok=false) as
// JavaScript's decodeURIComponent throws: on a '%' not followed by two hex
// digits, or on escapes whose bytes are not valid UTF-8. '+' is left alone.
func decodeURIComponent(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != '%' {
			b.WriteByte(s[i])
			i++
			continue
		}
		// A run of consecutive escapes must decode to whole UTF-8
		// characters: JavaScript decodes a multi-byte character only from
		// escapes that follow each other.
		var run []byte
		for i < len(s) && s[i] == '%' {
			if i+2 >= len(s) {
				return "", false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			run = append(run, hi<<4|lo)
			i += 3
		}
		if !utf8.Valid(run) {
			return "", false
		}
		b.Write(run)
	}
	return b.String(), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// readCookie reads a cookie from the Cookie header(s) in h the way
// better-call does: each header is split on ';', names and values are
// trimmed of spaces, the first occurrence of a name wins (across headers, in
// order), a value wrapped in double quotes loses them, and the value is
// percent-decoded (decodeCookieValue). It returns the value of the first of
// names that is present.
func readCookie(h http.Header, names ...string) (string, bool) {
	if len(names) == 0 {
		return "", false
	}
	found := make([]string, len(names))
	seen := make([]bool, len(names))
	for _, line := range h.Values("Cookie") {
		for part := range strings.SplitSeq(line, ";") {
			name, value, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			name = strings.TrimSpace(name)
			i := slices.Index(names, name)
			if i < 0 || seen[i] {
				continue
			}
			value = strings.TrimSpace(value)
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			found[i], seen[i] = decodeCookieValue(value), true
			if seen[0] { // the most preferred name: nothing can beat it
				return found[0], true
			}
		}
	}
	for i := range names {
		if seen[i] {
			return found[i], true
		}
	}
	return "", false
}

// cookie is one Set-Cookie line, serialized by String as better-call does.
type cookie struct {
	// Name and Value are written as they are: the caller escapes Value
	// (encodeCookieValue).
	Name, Value string
	// MaxAge is the lifetime in seconds, used only when HasMaxAge; 0 (or
	// less) expires the cookie, more than 400 days is written as 400 days.
	MaxAge int
	// HasMaxAge false makes a browser-session cookie (no Max-Age).
	HasMaxAge bool
	// Domain is omitted when empty and for "__Host-" names.
	Domain string
	Path   string
	// Expires is omitted when zero.
	Expires time.Time
	// HTTPOnly, Secure and Partitioned add their flags. Secure is also
	// written for "__Secure-" and "__Host-" names, SameSite=None and
	// Partitioned cookies, as better-call forces it for them.
	HTTPOnly, Secure, Partitioned bool
	// SameSite is "Lax", "Strict", "None" or "" (omitted); the first letter
	// is upper-cased.
	SameSite string
}

// String returns the cookie in Better Auth's attribute order:
// name=value; Max-Age=N; Domain=…; Path=/; Expires=…; HttpOnly; Secure;
// SameSite=Lax; Partitioned.
func (c cookie) String() string {
	var b strings.Builder
	b.WriteString(c.Name)
	b.WriteByte('=')
	b.WriteString(c.Value)
	if c.HasMaxAge {
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.Itoa(min(max(c.MaxAge, 0), maxCookieMaxAge)))
	}
	if c.Domain != "" && !strings.HasPrefix(c.Name, "__Host-") {
		b.WriteString("; Domain=")
		b.WriteString(c.Domain)
	}
	if c.Path != "" {
		b.WriteString("; Path=")
		b.WriteString(c.Path)
	}
	if !c.Expires.IsZero() {
		b.WriteString("; Expires=")
		b.WriteString(c.Expires.UTC().Format(http.TimeFormat))
	}
	if c.HTTPOnly {
		b.WriteString("; HttpOnly")
	}
	sameSite := c.SameSite
	if sameSite != "" && 'a' <= sameSite[0] && sameSite[0] <= 'z' {
		sameSite = string(sameSite[0]-'a'+'A') + sameSite[1:]
	}
	if c.Secure || c.Partitioned || sameSite == "None" ||
		strings.HasPrefix(c.Name, "__Secure-") || strings.HasPrefix(c.Name, "__Host-") {
		b.WriteString("; Secure")
	}
	if sameSite != "" {
		b.WriteString("; SameSite=")
		b.WriteString(sameSite)
	}
	if c.Partitioned {
		b.WriteString("; Partitioned")
	}
	return b.String()
}
