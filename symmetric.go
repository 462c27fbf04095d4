package betterauth

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// ErrDecrypt is what Decrypt's error wraps for a ciphertext it cannot open
// (not hex, too short, tampered with, made with another key, or a
// versioned "$ba$<version>$" envelope, which is not hex: it needs Better
// Auth's rotated secrets).
var ErrDecrypt = errors.New("betterauth: cannot decrypt")

// purposeSalt is Better Auth's HKDF salt for purpose keys.
const purposeSalt = "better-auth:oauth-encryption:v1"

// symmetricKey is Better Auth's key for symmetricEncrypt: SHA-256 of the
// secret (or, for a purpose, of hex(HKDF-SHA256(secret, salt,
// "better-auth:<purpose>:v1", 32)), as derivePurposeKey makes it).
func (a *Auth) symmetricKey(purpose string) ([]byte, error) {
	secret := a.secret
	if purpose != "" {
		k, err := hkdf.Key(sha256.New, []byte(a.secret), []byte(purposeSalt), "better-auth:"+purpose+":v1", 32)
		if err != nil {
			return nil, fmt.Errorf("betterauth: purpose key: %w", err)
		}
		secret = hex.EncodeToString(k)
	}
	sum := sha256.Sum256([]byte(secret))
	return sum[:], nil
}

// symmetricAEAD is XChaCha20-Poly1305 under the purpose's key.
func (a *Auth) symmetricAEAD(purpose string) (cipher.AEAD, error) {
	key, err := a.symmetricKey(purpose)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("betterauth: %w", err)
	}
	return aead, nil
}

// Encrypt is Better Auth's symmetricEncrypt with the Auth's secret:
// XChaCha20-Poly1305 under SHA-256(secret), a random 24-byte nonce
// prepended, as lowercase hex. A non-empty purpose uses Better Auth's
// purpose key instead ("oauth-state-cookie", "oauth-link-session-token"),
// so ciphertexts of one purpose cannot be passed off as another's. Better
// Auth opens what it makes with the same secret, and the reverse (the
// versioned "$ba$" envelope of rotated secrets is not made or read).
func (a *Auth) Encrypt(purpose, plaintext string) (string, error) {
	aead, err := a.symmetricAEAD(purpose)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("betterauth: nonce: %w", err)
	}
	return hex.EncodeToString(aead.Seal(nonce, nonce, []byte(plaintext), nil)), nil
}

// Decrypt opens what Encrypt (or Better Auth's symmetricDecrypt with the
// same secret and purpose) made. Failures wrap ErrDecrypt.
func (a *Auth) Decrypt(purpose, ciphertext string) (string, error) {
	raw, err := hex.DecodeString(ciphertext)
	if err != nil {
		return "", fmt.Errorf("%w: not hex", ErrDecrypt)
	}
	aead, err := a.symmetricAEAD(purpose)
	if err != nil {
		return "", err
	}
	if len(raw) < aead.NonceSize() {
		return "", fmt.Errorf("%w: too short", ErrDecrypt)
	}
	out, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], nil)
	if err != nil {
		return "", fmt.Errorf("%w: authentication failed", ErrDecrypt)
	}
	return string(out), nil
}

// VerifySignedValue checks a value signed with the Auth's secret, as the
// session cookie's ("<value>.<signature>", already percent-decoded, the
// signature in standard padded base64), and returns what was signed. See
// VerifyCookieValue.
func (a *Auth) VerifySignedValue(signed string) (value string, ok bool) {
	return VerifyCookieValue(a.secret, signed)
}

// SetSignedCookie sets a cookie whose value is signed with the secret, as
// Better Auth's setSignedCookie does, with the auth cookies' attributes
// (path /, HttpOnly, Secure, SameSite, Domain); name is used as given (use
// CookieName for the prefixed form). maxAge <= 0 makes a browser-session
// cookie. Read it back with SignedCookie.
func (a *Auth) SetSignedCookie(w http.ResponseWriter, name, value string, maxAge int) {
	c := a.cookies.make(name, encodeCookieValue(SignCookieValue(a.secret, value)))
	if maxAge > 0 {
		c.HasMaxAge, c.MaxAge = true, maxAge
	}
	addCookie(w, c)
}

// NewSignedCookie is SetSignedCookie's cookie as a value, for a Challenge
// or an AfterSignInHook to return.
func (a *Auth) NewSignedCookie(name, value string, maxAge int) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: encodeCookieValue(SignCookieValue(a.secret, value)), Path: "/", Domain: a.cookies.domain,
		HttpOnly: true, Secure: a.cookies.secure || strings.HasPrefix(name, "__Secure-"), MaxAge: maxAge,
	}
	switch strings.ToLower(a.cookies.sameSite) {
	case "strict":
		c.SameSite = http.SameSiteStrictMode
	case "none":
		c.SameSite = http.SameSiteNoneMode // New refuses None without Secure
	default:
		c.SameSite = http.SameSiteLaxMode
	}
	return c
}

// ExpireCookie expires the cookie name (as Better Auth's expireCookie:
// empty, Max-Age=0, the auth cookies' attributes).
func (a *Auth) ExpireCookie(w http.ResponseWriter, name string) { a.expireCookie(w, name) }

// DontRemember reports whether the request carries Better Auth's signed
// dont_remember marker (a rememberMe: false sign-in), whose sessions last a
// day and never slide.
func (a *Auth) DontRemember(r *http.Request) bool { return a.dontRemember(r) }

// SignedCookie returns the value of a cookie SetSignedCookie set, if it is
// present and validly signed.
func (a *Auth) SignedCookie(r *http.Request, name string) (string, bool) {
	v, ok := readCookie(r.Header, name)
	if !ok {
		return "", false
	}
	return VerifyCookieValue(a.secret, v)
}

// CookieName is Better Auth's name for a cookie of the library or a
// plugin: "<prefix>.<name>", with "__Secure-" in front when cookies are
// secure ("better-auth.two_factor").
func (a *Auth) CookieName(name string) string {
	pre := ""
	if a.cookies.secure {
		pre = "__Secure-"
	}
	return pre + a.cfg.Cookies.Prefix + "." + name
}

// SetSessionCookie sets the session cookie (and the dont_remember marker
// when dontRemember; SessionCookieHook plugins add their headers) for a session that
// CreateSession or SignIn returned, as the sign-in endpoints do. r is the
// request being answered (its dont_remember marker is cleared when the new
// session is remembered).
func (a *Auth) SetSessionCookie(w http.ResponseWriter, r *http.Request, s *Session, dontRemember bool) {
	a.setSessionCookies(w, r, &SessionData{Session: s}, dontRemember, a.dontRemember(r))
}
