// Package jwt is Better Auth's jwt() plugin for betterauth: a signed-in
// client asks GET /token for a short-lived JWT and calls other services
// with it; they verify it against the public keys at GET /jwks, with no
// database and no shared secret (the jwtverify package does that for Go
// services). Every successful get-session also carries the JWT in a
// set-auth-jwt header.
//
// It is data-compatible with Better Auth 1.7.25: the same jwks table, keys
// made on first use (Ed25519 by default), private keys encrypted with
// Better Auth's symmetricEncrypt under the shared secret, the same JWT
// header ({"alg","kid"}) and claims (iat, the user object, sub, exp, iss,
// aud). A Better Auth server and a Go one sharing a database use the same
// keys, and either's /jwks verifies either's tokens.
//
// Unlike Better Auth, keys are cached in memory: signing a token costs no
// database read once the key is known. The cache is read again after
// Options.KeyRefreshInterval, when the signing key expires (rotation), and
// on every GET /jwks, so keys another server made are published at once.
package jwt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// ID is the plugin's id, as Better Auth's.
const ID = "jwt"

// Model is the logical name of the plugin's table (Better Auth's "jwks");
// rename it with betterauth's Schema.Models["jwks"].
const Model = "jwks"

// Algorithm is a JWS algorithm the plugin makes keys for.
type Algorithm string

// The algorithms Better Auth's jwks.keyPairConfig offers.
const (
	EdDSA Algorithm = "EdDSA" // Ed25519; the default
	ES256 Algorithm = "ES256" // ECDSA P-256 with SHA-256
	ES512 Algorithm = "ES512" // ECDSA P-521 with SHA-512
	RS256 Algorithm = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256
	PS256 Algorithm = "PS256" // RSASSA-PSS with SHA-256
)

// Options configure the plugin; the zero value is Better Auth's jwt().
type Options struct {
	// Algorithm of the keys the plugin makes (jwks.keyPairConfig.alg);
	// default EdDSA. Keys of other algorithms already in the table are
	// still published and verified; new tokens use the newest live key of
	// this algorithm.
	Algorithm Algorithm
	// ModulusLength is the RSA key size in bits for RS256 and PS256
	// (jwks.keyPairConfig.modulusLength); default 2048, the least allowed.
	ModulusLength int
	// DisablePrivateKeyEncryption stores private keys as plain JWK JSON
	// (jwks.disablePrivateKeyEncryption). By default they are encrypted
	// with the Auth's secret exactly as Better Auth encrypts them.
	DisablePrivateKeyEncryption bool
	// RotationInterval makes keys expire this long after they are made; a
	// new key is made on the next use (jwks.rotationInterval). Default: keys
	// never expire.
	RotationInterval time.Duration
	// GracePeriod keeps an expired key published at /jwks, so that tokens
	// it signed still verify (jwks.gracePeriod); default 30 days.
	GracePeriod time.Duration
	// JWKSPath is where the key set is served, relative to the Auth's
	// BasePath (jwks.jwksPath); default "/jwks".
	JWKSPath string
	// Issuer is the iss claim (jwt.issuer); default the Auth's BaseURL.
	Issuer string
	// Audience is the aud claim (jwt.audience): one value is written as a
	// string, more as an array; default the Auth's BaseURL.
	Audience []string
	// ExpirationTime is how long a token lives (jwt.expirationTime);
	// default 15 minutes.
	ExpirationTime time.Duration
	// DefinePayload replaces the claims taken from the user object
	// (jwt.definePayload). iat, sub, exp, iss and aud are added unless it
	// sets them.
	DefinePayload func(ctx context.Context, sd *betterauth.SessionData) (map[string]any, error)
	// GetSubject returns the sub claim (jwt.getSubject); default the
	// user's id.
	GetSubject func(ctx context.Context, sd *betterauth.SessionData) (string, error)
	// DisableSettingJWTHeader leaves the set-auth-jwt header off
	// get-session answers (disableSettingJwtHeader).
	DisableSettingJWTHeader bool
	// SessionCookieCache signs the session cookie cache with the JWKS key
	// (Better Auth's jwt({ sessionCookieCache: true })): the cache JWT gets
	// the header typ "better-auth.session-cache+jwt" and the claims sid,
	// sub, iss (the Auth's BaseURL) and aud "better-auth:session-cache", so
	// other services can verify cached sessions from /jwks without the
	// secret. It needs betterauth.SessionConfig.CookieCache with Strategy
	// jwt (New refuses it otherwise). A reader refuses a cache whose iss is
	// not its own BaseURL.
	SessionCookieCache bool
	// KeyRefreshInterval is how long the keys read from the table are used
	// for signing before it is read again (to see keys another server
	// made); default 5 minutes. Better Auth reads the table on every token.
	KeyRefreshInterval time.Duration
}

// Plugin is the jwt plugin. Make it with New and list it in
// betterauth.Config.Plugins; build the store and run the migrations with
// betterauth.PluginSchemas(plugins...) so that the jwks table exists.
type Plugin struct {
	opts  Options
	auth  *betterauth.Auth
	store betterauth.TableStore

	// keys is the cached key set; sem is the one slot for reading the
	// table and making keys (a channel, so that waiting respects ctx).
	keys atomic.Pointer[keySet]
	sem  chan struct{}
}

// Errors Verify's error wraps; a store failure wraps
// betterauth.ErrUnavailable instead.
var (
	// ErrInvalidToken: the token is malformed, its signature or a claim
	// does not verify, or no key has its kid.
	ErrInvalidToken = errors.New("jwt: invalid token")
	// ErrNotInitialized: the plugin is used before betterauth.New set it up.
	ErrNotInitialized = errors.New("jwt: the plugin is not set up (list it in betterauth.Config.Plugins)")
)

// New returns the plugin with opts; New of betterauth reports invalid
// options.
func New(opts Options) *Plugin {
	if opts.Algorithm == "" {
		opts.Algorithm = EdDSA
	}
	if opts.ModulusLength == 0 {
		opts.ModulusLength = 2048
	}
	if opts.GracePeriod == 0 {
		opts.GracePeriod = 30 * 24 * time.Hour
	}
	if opts.JWKSPath == "" {
		opts.JWKSPath = "/jwks"
	}
	if opts.ExpirationTime == 0 {
		opts.ExpirationTime = 15 * time.Minute
	}
	if opts.KeyRefreshInterval == 0 {
		opts.KeyRefreshInterval = 5 * time.Minute
	}
	return &Plugin{opts: opts, sem: make(chan struct{}, 1)}
}

// ID returns "jwt".
func (p *Plugin) ID() string { return ID }

// Schema declares Better Auth's jwks table: id, publicKey, privateKey,
// createdAt (no default, as Better Auth makes it), expiresAt, alg, crv.
func (p *Plugin) Schema() schema.Extension {
	str := schema.AdditionalField{Type: schema.FieldString}
	optStr := schema.AdditionalField{Type: schema.FieldString, Optional: true}
	return schema.Extension{Tables: []schema.TableDef{{Model: Model, Fields: []schema.FieldDef{
		{Name: "publicKey", AdditionalField: str},
		{Name: "privateKey", AdditionalField: str},
		{Name: "createdAt", AdditionalField: schema.AdditionalField{Type: schema.FieldDate}},
		{Name: "expiresAt", AdditionalField: schema.AdditionalField{Type: schema.FieldDate, Optional: true}},
		{Name: "alg", AdditionalField: optStr},
		{Name: "crv", AdditionalField: optStr},
	}}}}
}

// Init checks the options and keeps the Auth.
func (p *Plugin) Init(a *betterauth.Auth) error {
	if _, err := newKeyParams(p.opts.Algorithm, p.opts.ModulusLength); err != nil {
		return err
	}
	if path := p.opts.JWKSPath; !strings.HasPrefix(path, "/") || strings.Contains(path, "..") {
		return fmt.Errorf("jwt: JWKSPath %q must start with '/' and not contain '..'", path)
	}
	if p.opts.ExpirationTime < 0 || p.opts.RotationInterval < 0 || p.opts.KeyRefreshInterval < 0 {
		return errors.New("jwt: ExpirationTime, RotationInterval and KeyRefreshInterval cannot be negative")
	}
	ts, ok := a.Store().(betterauth.TableStore)
	if !ok {
		return errors.New("jwt: the store cannot hold plugin tables")
	}
	p.auth, p.store = a, ts
	return nil
}

// Routes are GET /jwks (public) and GET /token (session).
func (p *Plugin) Routes() []betterauth.Route {
	return []betterauth.Route{
		{Method: http.MethodGet, Path: p.opts.JWKSPath, Access: betterauth.AccessPublic, Handle: p.handleJWKS},
		{Method: http.MethodGet, Path: "/token", Access: betterauth.AccessSession, Handle: p.handleToken},
	}
}

func (p *Plugin) handleJWKS(w http.ResponseWriter, r *http.Request, _ betterauth.RouteInput) error {
	body, err := p.JWKS(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
	return nil
}

func (p *Plugin) handleToken(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	tok, err := p.Token(r.Context(), in.Session)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(append([]byte(`{"token":`), quote(tok)...), '}'))
	return nil
}

// OnSessionReply adds set-auth-jwt (and exposes it to browsers' scripts)
// to a get-session answer with a session, unless DisableSettingJWTHeader.
func (p *Plugin) OnSessionReply(ctx context.Context, h http.Header, sd *betterauth.SessionData) error {
	if p.opts.DisableSettingJWTHeader || sd == nil {
		return nil
	}
	tok, err := p.Token(ctx, sd)
	if err != nil {
		return err
	}
	h.Set("Set-Auth-Jwt", tok)
	betterauth.ExposeHeader(h, "set-auth-jwt")
	return nil
}

// Token returns the JWT Better Auth's /token makes for a session: iat, the
// user object as the API shows it (or DefinePayload's claims), sub, exp,
// iss and aud, signed with the newest live key (made on first use).
func (p *Plugin) Token(ctx context.Context, sd *betterauth.SessionData) (string, error) {
	if p.auth == nil {
		return "", ErrNotInitialized
	}
	if sd == nil || sd.User == nil {
		return "", errors.New("jwt: no session")
	}
	pl := claims{{"iat", p.auth.Now().Unix()}}
	if p.opts.DefinePayload != nil {
		m, err := p.opts.DefinePayload(ctx, sd)
		if err != nil {
			return "", err
		}
		pl.merge(m)
	} else {
		user, err := p.auth.UserJSON(sd.User).MarshalJSON()
		if err != nil {
			return "", err
		}
		if err := pl.mergeJSON(user); err != nil {
			return "", err
		}
	}
	sub := sd.User.ID
	if p.opts.GetSubject != nil {
		s, err := p.opts.GetSubject(ctx, sd)
		if err != nil {
			return "", err
		}
		sub = s
	}
	pl.set("sub", sub)
	return p.sign(ctx, pl)
}

// Sign signs claims as Better Auth's signJWT does: exp defaults to iat (or
// now) plus ExpirationTime, iss to Issuer and aud to Audience.
func (p *Plugin) Sign(ctx context.Context, c map[string]any) (string, error) {
	if p.auth == nil {
		return "", ErrNotInitialized
	}
	var pl claims
	pl.merge(c)
	return p.sign(ctx, pl)
}

// sign completes the registered claims and signs pl with the current key.
func (p *Plugin) sign(ctx context.Context, pl claims) (string, error) {
	if _, ok := pl.get("exp"); !ok {
		base := p.auth.Now().Unix()
		if iat, ok := pl.get("iat"); ok {
			if n, ok := asInt(iat); ok {
				base = n
			}
		}
		pl.set("exp", base+int64(p.opts.ExpirationTime/time.Second))
	}
	if _, ok := pl.get("iss"); !ok {
		pl.set("iss", p.issuer())
	}
	if _, ok := pl.get("aud"); !ok {
		aud := p.audience()
		if len(aud) == 1 {
			pl.set("aud", aud[0])
		} else {
			pl.set("aud", aud)
		}
	}
	payload, err := pl.MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("jwt: claims: %w", err)
	}
	k, err := p.signingKey(ctx)
	if err != nil {
		return "", err
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("jwt: sign: %w", err)
	}
	return jws.CompactSerialize()
}

func (p *Plugin) issuer() string {
	if p.opts.Issuer != "" {
		return p.opts.Issuer
	}
	return p.auth.BaseURL()
}

func (p *Plugin) audience() []string {
	if len(p.opts.Audience) > 0 {
		return p.opts.Audience
	}
	return []string{p.auth.BaseURL()}
}
