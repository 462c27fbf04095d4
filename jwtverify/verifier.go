package jwtverify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/sync/singleflight"
)

// Defaults of [Config].
const (
	// DefaultLeeway is the clock skew allowed on "exp", "nbf" and "iat":
	// enough for servers whose clocks are kept by NTP to disagree, small next
	// to the 15 minutes a Better Auth token lives.
	DefaultLeeway = 30 * time.Second

	// DefaultCacheTTL is how long a fetched key set is used before the next
	// verification fetches it again (so a key removed from the set stops
	// being accepted within this time).
	DefaultCacheTTL = 5 * time.Minute

	// DefaultMinRefreshInterval is the least time between two fetches of the
	// key set: tokens with unknown key ids cannot make the verifier fetch
	// more often than this.
	DefaultMinRefreshInterval = 10 * time.Second

	// defaultFetchTimeout bounds one fetch of the key set when the HTTP
	// client has no Timeout of its own.
	defaultFetchTimeout = 10 * time.Second

	// maxTokenBytes and maxJWKSBytes bound what is parsed.
	maxTokenBytes = 64 << 10
	maxJWKSBytes  = 1 << 20
)

// defaultAlgorithms are the key algorithms Better Auth's jwt plugin offers.
var defaultAlgorithms = []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"}

// supportedAlgorithms are the asymmetric JWS algorithms a Config may allow.
var supportedAlgorithms = map[string]bool{
	"EdDSA": true,
	"ES256": true, "ES384": true, "ES512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
}

// Config configures a [Verifier]. JWKSURL (for [New]) and Issuer are
// required; every other field has a default.
type Config struct {
	// JWKSURL is the auth server's key set, e.g.
	// "http://localhost:3000/api/auth/jwks" (Better Auth's /jwks endpoint
	// under its base path). Required by New; NewFromJWKS refuses it.
	JWKSURL string

	// Issuer is the "iss" every token must carry, exactly. Better Auth's is
	// its base URL ("http://localhost:3000") unless jwt.issuer is set.
	Issuer string

	// Audience lists accepted "aud" values; a token is accepted when one of
	// its audiences is in the list. Default: [Issuer], as Better Auth uses its
	// base URL for both unless jwt.audience is set.
	Audience []string

	// Algorithms lists the accepted JWS "alg" values. Default: the five
	// Better Auth offers, "EdDSA" (its default), "ES256", "ES512", "RS256"
	// and "PS256". ES384, RS384, RS512, PS384 and PS512 may be added; "none"
	// and the HMAC algorithms (HS256, ...) are refused by New: a verifier
	// holding only public keys must never accept them.
	Algorithms []string

	// Leeway is the clock skew allowed on "exp", "nbf" and "iat": a token is
	// accepted until exp+Leeway and from nbf-Leeway. Zero means
	// DefaultLeeway (30 s); a negative value means no leeway.
	Leeway time.Duration

	// HTTPClient fetches the key set. Default: a client with a 10 s timeout.
	HTTPClient *http.Client

	// CacheTTL is how long a fetched key set is used; the first verification
	// after it fetches the set again (no background goroutine). If that fetch
	// fails, the previous set stays in use and the fetch is tried again after
	// MinRefreshInterval. Zero means DefaultCacheTTL (5 min).
	CacheTTL time.Duration

	// MinRefreshInterval is the least time between two fetches, successful
	// or not. A token whose key id is not in the set makes the verifier fetch
	// the set again only if the last fetch is at least this old; otherwise it
	// is refused with ErrUnknownKey. After a failed fetch, verifications
	// answer ErrJWKSUnavailable (when there is no set to fall back on)
	// without asking again until this time has passed. Zero means
	// DefaultMinRefreshInterval (10 s).
	MinRefreshInterval time.Duration

	// CookieName, if set, is a cookie that Middleware and Require read the
	// token from when the request has no "Authorization: Bearer" header.
	CookieName string

	// Now is the clock (tests). Default: time.Now.
	Now func() time.Time
}

// A Verifier checks tokens against one issuer's key set. It is safe for
// concurrent use; make one per issuer and keep it (it caches the key set).
type Verifier struct {
	jwksURL    string
	issuer     string
	audience   jwt.Audience
	algs       []jose.SignatureAlgorithm
	leeway     time.Duration
	client     *http.Client
	cacheTTL   time.Duration
	minRefresh time.Duration
	cookieName string
	now        func() time.Time

	static bool // the set came from NewFromJWKS: never fetched

	sf singleflight.Group

	mu          sync.Mutex
	set         *keySet   // nil until a fetch succeeds
	fetchedAt   time.Time // when set was fetched
	lastAttempt time.Time // when the last fetch ended, successful or not
	attempts    uint64    // fetches ended; a fetch is skipped if this moved since the caller looked
	lastErr     error     // the last fetch's error, nil if it succeeded

	// onFetchWait, if set (tests), is called by each verification just
	// before it asks for (or joins) a fetch of the key set.
	onFetchWait func()
}

// New returns a Verifier that fetches its keys from cfg.JWKSURL when first
// needed. It returns an error (never panics) for a missing or non-HTTP(S)
// JWKS URL, a missing issuer, an empty audience, an algorithm that is not
// an asymmetric JWS algorithm, or a negative CacheTTL or MinRefreshInterval.
// It does no I/O.
func New(cfg Config) (*Verifier, error) {
	if cfg.JWKSURL == "" {
		return nil, errors.New("jwtverify: Config.JWKSURL is required (the auth server's /api/auth/jwks)")
	}
	u, err := url.Parse(cfg.JWKSURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("jwtverify: Config.JWKSURL %q is not an http(s) URL", cfg.JWKSURL)
	}
	v, err := newVerifier(cfg)
	if err != nil {
		return nil, err
	}
	v.jwksURL = cfg.JWKSURL
	return v, nil
}

// NewFromJWKS returns a Verifier that uses the key set jwks (the JSON of a
// JWKS endpoint's answer) and never fetches: a token whose key is not in it
// is refused with ErrUnknownKey. For tests and offline use. cfg is as for
// New, without JWKSURL (an error if set); HTTPClient, CacheTTL and
// MinRefreshInterval are not used. It returns an error for JSON that is not
// a key set or that holds no usable public key.
func NewFromJWKS(jwks []byte, cfg Config) (*Verifier, error) {
	if cfg.JWKSURL != "" {
		return nil, errors.New("jwtverify: NewFromJWKS takes the key set itself; Config.JWKSURL must be empty")
	}
	set, err := parseKeySet(jwks)
	if err != nil {
		return nil, fmt.Errorf("jwtverify: NewFromJWKS: %w", err)
	}
	if len(set.keys) == 0 {
		return nil, errors.New("jwtverify: NewFromJWKS: the key set holds no usable public signing key")
	}
	v, err := newVerifier(cfg)
	if err != nil {
		return nil, err
	}
	v.static = true
	v.set = set
	return v, nil
}

func newVerifier(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("jwtverify: Config.Issuer is required (Better Auth's base URL, e.g. http://localhost:3000)")
	}
	v := &Verifier{
		issuer:     cfg.Issuer,
		leeway:     cfg.Leeway,
		client:     cfg.HTTPClient,
		cacheTTL:   cfg.CacheTTL,
		minRefresh: cfg.MinRefreshInterval,
		cookieName: cfg.CookieName,
		now:        cfg.Now,
	}
	if len(cfg.Audience) == 0 {
		v.audience = jwt.Audience{cfg.Issuer}
	} else {
		for _, a := range cfg.Audience {
			if a == "" {
				return nil, errors.New("jwtverify: Config.Audience has an empty value")
			}
		}
		v.audience = append(jwt.Audience(nil), cfg.Audience...)
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = defaultAlgorithms
	}
	for _, a := range algs {
		if !supportedAlgorithms[a] {
			return nil, fmt.Errorf("jwtverify: Config.Algorithms: %q is not an asymmetric JWS algorithm (EdDSA, ES256/384/512, RS256/384/512, PS256/384/512)", a)
		}
		v.algs = append(v.algs, jose.SignatureAlgorithm(a))
	}
	switch {
	case v.leeway == 0:
		v.leeway = DefaultLeeway
	case v.leeway < 0:
		v.leeway = 0
	}
	if v.cacheTTL < 0 || v.minRefresh < 0 {
		return nil, errors.New("jwtverify: Config.CacheTTL and Config.MinRefreshInterval must not be negative")
	}
	if v.cacheTTL == 0 {
		v.cacheTTL = DefaultCacheTTL
	}
	if v.minRefresh == 0 {
		v.minRefresh = DefaultMinRefreshInterval
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: defaultFetchTimeout}
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// Verify checks token, a JWT in compact serialization, and returns its
// claims. The rules, in order:
//
//   - the token parses, and its "alg" is one of Config.Algorithms (so never
//     "none" nor an HMAC algorithm); a "typ" header, if present, is "JWT"
//     (Better Auth's tokens have none; this refuses other tokens signed with
//     the same keys, such as the session cookie cache's);
//   - the key: the one with the token's "kid". A token without a kid is
//     accepted only if the key set has exactly one key for its algorithm
//     (Better Auth always sets a kid). An unknown kid fetches the key set
//     again (see Config.MinRefreshInterval); still unknown, ErrUnknownKey;
//     if that fetch (or, within the interval, the last one) failed,
//     ErrJWKSUnavailable;
//   - the key's type fits the algorithm (Ed25519 for EdDSA, the curve of
//     ES256/384/512, RSA for RS and PS), and its "alg", if published, is the
//     token's (no algorithm confusion);
//   - the signature;
//   - "iss" is Config.Issuer; "aud" (a string or an array) shares a value
//     with Config.Audience; "sub" is present;
//   - "exp" is present and now < exp+Leeway (else ErrExpired); "nbf" and
//     "iat", if present, are not after now+Leeway.
//
// Errors wrap ErrNoToken (empty token), ErrInvalidToken, ErrExpired,
// ErrUnknownKey or ErrJWKSUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if v == nil {
		return nil, errors.New("jwtverify: Verify on a nil *Verifier")
	}
	if token == "" {
		return nil, ErrNoToken
	}
	if len(token) > maxTokenBytes {
		return nil, invalid("token too large")
	}
	tok, err := jwt.ParseSigned(token, v.algs)
	if err != nil {
		var unexpected *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &unexpected) {
			return nil, invalid("algorithm not allowed")
		}
		return nil, invalid("malformed token")
	}
	if len(tok.Headers) != 1 {
		return nil, invalid("malformed token")
	}
	h := tok.Headers[0]
	if typ, ok := h.ExtraHeaders[jose.HeaderType]; ok {
		s, _ := typ.(string)
		if !strings.EqualFold(s, "JWT") && !strings.EqualFold(s, "application/jwt") {
			return nil, invalid(`"typ" header is not JWT`)
		}
	}
	key, err := v.key(ctx, h.KeyID, h.Algorithm)
	if err != nil {
		return nil, err
	}
	var payload json.RawMessage
	if err := tok.Claims(key, &payload); err != nil {
		if errors.Is(err, jose.ErrCryptoFailure) {
			return nil, invalid("bad signature")
		}
		return nil, invalid("malformed claims")
	}
	var std jwt.Claims
	if err := json.Unmarshal(payload, &std); err != nil {
		return nil, invalid("malformed claims")
	}
	if std.Issuer != v.issuer {
		return nil, invalid("wrong issuer")
	}
	if len(std.Audience) == 0 {
		return nil, invalid(`no "aud" claim`)
	}
	audOK := false
	for _, a := range v.audience {
		if std.Audience.Contains(a) {
			audOK = true
			break
		}
	}
	if !audOK {
		return nil, invalid("wrong audience")
	}
	if std.Subject == "" {
		return nil, invalid(`no "sub" claim`)
	}
	if std.Expiry == nil {
		return nil, invalid(`no "exp" claim`)
	}
	now := v.now()
	if !now.Before(std.Expiry.Time().Add(v.leeway)) {
		return nil, ErrExpired
	}
	if std.NotBefore != nil && now.Add(v.leeway).Before(std.NotBefore.Time()) {
		return nil, invalid("not valid yet (nbf)")
	}
	if std.IssuedAt != nil && now.Add(v.leeway).Before(std.IssuedAt.Time()) {
		return nil, invalid("issued in the future (iat)")
	}
	c := &Claims{
		Subject:  std.Subject,
		Issuer:   std.Issuer,
		Audience: []string(std.Audience),
		Raw:      payload,
	}
	c.ExpiresAt = std.Expiry.Time().UTC()
	if std.IssuedAt != nil {
		c.IssuedAt = std.IssuedAt.Time().UTC()
	}
	if std.NotBefore != nil {
		c.NotBefore = std.NotBefore.Time().UTC()
	}
	return c, nil
}
