// Package bearer is Better Auth's bearer() plugin for betterauth: clients
// that cannot keep cookies send the session in an Authorization header.
//
// Responses that set the session cookie also carry it in a set-auth-token
// header (exposed to browsers' scripts), whose value is the cookie's,
// percent-decoded: "<token>.<signature>". Requests may then send
// "Authorization: Bearer <that value>" — also percent-encoded, or, unless
// Options.RequireSignature, the raw session token — with a scheme of any
// case, exactly as Better Auth 1.7.25 accepts it (see ReadSessionToken). A
// valid bearer wins over the session cookie; one whose signature is wrong is
// ignored (the cookie, if any, decides).
package bearer

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/go-betterauth/betterauth"
)

// ID is the plugin's id, as Better Auth's.
const ID = "bearer"

// Options configure the plugin; the zero value is Better Auth's bearer().
type Options struct {
	// RequireSignature accepts only the signed form "<token>.<signature>"
	// (Better Auth's requireSignature).
	RequireSignature bool
}

// Plugin is the bearer plugin; make it with New and list it in
// betterauth.Config.Plugins.
type Plugin struct {
	opts Options
	auth *betterauth.Auth
}

// New returns the plugin.
func New(opts Options) *Plugin { return &Plugin{opts: opts} }

// ID returns "bearer".
func (p *Plugin) ID() string { return ID }

// Init keeps the Auth, whose secret checks signatures.
func (p *Plugin) Init(a *betterauth.Auth) error {
	p.auth = a
	return nil
}

// OnSessionCookie sets set-auth-token to the session cookie's value and
// exposes it to scripts.
func (p *Plugin) OnSessionCookie(h http.Header, signedToken string) {
	h.Set("Set-Auth-Token", signedToken)
	betterauth.ExposeHeader(h, "set-auth-token")
}

// ReadSessionToken reads "Authorization: Bearer <credential>" (the scheme
// in any case; any other scheme is ignored) as Better Auth 1.7.25 does, in
// two steps:
//
// First the credential is checked loosely, as Better Auth's bearer hook
// does: a raw token (no '.') is signed with the secret (unless
// RequireSignature); a signed one is percent-decoded when it contains '%'
// (kept as is when that fails), split at its first '.', and the HMAC of the
// first part must match the second, in either base64 alphabet, padded or
// not. A credential that fails is ignored: the session cookie decides.
//
// One that passes replaces the session cookie, which is then read as any
// cookie is: "<token>.<signature>" split at the last '.', the signature in
// standard padded base64. A credential that passed the first step but not
// this one (a URL-safe or unpadded signature, a third ".segment") is no
// session at all, whatever cookie came with it: found with an empty token.
func (p *Plugin) ReadSessionToken(r *http.Request) (token string, found bool) {
	if p.auth == nil {
		return "", false
	}
	h := r.Header.Get("Authorization")
	if len(h) < len("bearer ") || !strings.EqualFold(h[:len("bearer ")], "bearer ") {
		return "", false
	}
	x := strings.TrimSpace(h[len("bearer "):])
	if x == "" {
		return "", false
	}
	if !strings.Contains(x, ".") {
		if p.opts.RequireSignature {
			return "", false
		}
		return x, true // Better Auth signs it itself: it passes both steps
	}
	if strings.Contains(x, "%") {
		if d, err := url.PathUnescape(x); err == nil && utf8.ValidString(d) {
			x = d
		}
	}
	parts := strings.Split(x, ".")
	if !p.looseHMAC(parts[0], parts[1]) {
		return "", false
	}
	token, _ = p.auth.VerifySignedValue(x)
	return token, true
}

// looseHMAC is Better Auth's bearer check: sig, in either base64 alphabet
// with or without padding, is the HMAC-SHA256 of value under the secret.
func (p *Plugin) looseHMAC(value, sig string) bool {
	raw, err := base64.RawStdEncoding.DecodeString(strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimRight(sig, "=")))
	if err != nil {
		return false
	}
	_, ok := p.auth.VerifySignedValue(value + "." + base64.StdEncoding.EncodeToString(raw))
	return ok
}
