// Package bearer is Better Auth's bearer() plugin for betterauth: clients
// that cannot keep cookies send the session in an Authorization header.
//
// Responses that set the session cookie also carry it in a set-auth-token
// header (exposed to browsers' scripts), whose value is the cookie's,
// percent-decoded: "<token>.<signature>". Requests may then send
// "Authorization: Bearer <that value>" — also percent-encoded, with the
// signature in base64url or unpadded, or, unless Options.RequireSignature,
// the raw session token — with a scheme of any case, as Better Auth 1.7.25
// accepts it. A valid bearer wins over the session cookie; one whose
// signature is wrong is ignored (the cookie, if any, decides).
package bearer

import (
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
// in any case; any other scheme is ignored) and checks the credential with
// Verify.
func (p *Plugin) ReadSessionToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < len("bearer ") || !strings.EqualFold(h[:len("bearer ")], "bearer ") {
		return "", false
	}
	return p.Verify(strings.TrimSpace(h[len("bearer "):]))
}

// signatureLen is the length of an HMAC-SHA256 in padded base64.
const signatureLen = 44

// Verify checks a bearer credential as Better Auth's bearer plugin does and
// returns the session token; credential is what follows the "Bearer "
// scheme.
//
// A credential containing a '.' is "token.signature": percent-decoded first
// if it contains '%' (refused if that fails, as decodeURIComponent would
// throw), split at the last '.', and the signature, in standard or URL-safe
// base64, padded or not, must be the HMAC-SHA256 of the token under the
// secret (canonical encoding only, compared in constant time). This is the
// set-auth-token header's value or the session cookie's, raw or escaped.
//
// A credential without '.' is the raw session token, accepted only when
// RequireSignature is off (Better Auth signs it itself and then verifies
// it; one containing '%' fails there, so it is refused here).
func (p *Plugin) Verify(credential string) (token string, ok bool) {
	if p.auth == nil {
		return "", false
	}
	x := credential
	if x == "" {
		return "", false
	}
	if !strings.Contains(x, ".") {
		if p.opts.RequireSignature || strings.Contains(x, "%") {
			return "", false
		}
		return x, true
	}
	if strings.Contains(x, "%") {
		d, err := url.PathUnescape(x)
		if err != nil || !utf8.ValidString(d) {
			return "", false
		}
		x = d
	}
	dot := strings.LastIndexByte(x, '.')
	token, sig := x[:dot], x[dot+1:]
	// Fold both base64 alphabets, padded or not, into the cookie's form:
	// standard alphabet, 43 digits and one '='.
	if len(sig) == signatureLen && sig[signatureLen-1] == '=' {
		sig = sig[:signatureLen-1]
	}
	sig = strings.NewReplacer("-", "+", "_", "/").Replace(sig) + "="
	return p.auth.VerifySignedValue(token + "." + sig)
}
