package betterauth

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// CookieCacheStrategy is how the session_data cookie is encoded (Better
// Auth's session.cookieCache.strategy).
type CookieCacheStrategy string

// The cookie cache strategies of Better Auth 1.7.25.
const (
	// CookieCacheCompact is base64url JSON signed with HMAC-SHA256 of the
	// secret: the smallest, and Better Auth's default.
	CookieCacheCompact CookieCacheStrategy = "compact"
	// CookieCacheJWT is an HS256 JWT signed with the secret, or, with a
	// CookieCacheSigner plugin (the jwt plugin's SessionCookieCache), a JWT
	// signed with its JWKS key that other services can verify from /jwks.
	CookieCacheJWT CookieCacheStrategy = "jwt"
	// CookieCacheJWE is a JWE (dir, A256CBC-HS512) encrypted with a key
	// derived from the secret: the browser cannot read the cached user.
	CookieCacheJWE CookieCacheStrategy = "jwe"
)

// CookieCacheConfig configures the cookie cache (Better Auth's
// session.cookieCache): get-session answers from a signed copy of the
// session and user kept in the session_data cookie, without reading the
// store, for MaxAge after it was written. The cache is written on sign-in
// and sign-up, whenever the session cookie is set again (update-user,
// change-password, ...) and by every get-session that read the store; it
// is expired on sign-out and revocation of the session in hand.
//
// Trade-off: a session revoked elsewhere (another device's revoke-sessions,
// an admin, another replica) keeps being served from a cache made before,
// until that cache is MaxAge old; so does a changed user. Better Auth
// behaves the same; keep MaxAge short. The session middleware and the
// routes that need a session (update-user, change-password, ...) always
// read the store.
type CookieCacheConfig struct {
	// Enabled turns the cache on; off by default, as in Better Auth.
	Enabled bool
	// MaxAge is how long a cache is honoured and the cookie's Max-Age,
	// in whole seconds; default 5 minutes.
	MaxAge time.Duration
	// Strategy is the encoding; default CookieCacheCompact. Servers that
	// share caches must use the same strategy and secret.
	Strategy CookieCacheStrategy
	// Version is written into each cache; a cache of another version is
	// refused (change it to drop every cache at once after a change to the
	// user's shape); default "1".
	Version string
}

func (c *CookieCacheConfig) withDefaults() error {
	if c.MaxAge == 0 {
		c.MaxAge = 5 * time.Minute
	}
	if c.MaxAge < time.Second || c.MaxAge > maxCookieMaxAge*time.Second {
		return fmt.Errorf("betterauth: Session.CookieCache.MaxAge %s: want 1 s to 400 days", c.MaxAge)
	}
	switch c.Strategy {
	case "":
		c.Strategy = CookieCacheCompact
	case CookieCacheCompact, CookieCacheJWT, CookieCacheJWE:
	default:
		return fmt.Errorf("betterauth: Session.CookieCache.Strategy %q: want compact, jwt or jwe", c.Strategy)
	}
	if c.Version == "" {
		c.Version = "1"
	}
	return nil
}

// CookieCacheSigner is a Plugin that signs and verifies the jwt-strategy
// cookie cache with keys of its own, as Better Auth's
// jwt({sessionCookieCache: true}) does with its JWKS keys. New uses the
// first plugin whose CookieCacheSigner returns non-nil, and refuses one
// unless Session.CookieCache.Strategy is CookieCacheJWT.
type CookieCacheSigner interface {
	// SignCookieCache signs claims (a JSON object) with the header
	// {alg, kid, typ: CookieCacheJWTType}.
	SignCookieCache(ctx context.Context, claims []byte) (string, error)
	// VerifyCookieCache checks token's typ header and signature and returns
	// its claims; the Auth checks the claims.
	VerifyCookieCache(ctx context.Context, token string) (claims []byte, err error)
}

// CookieCacheSignerProvider is a Plugin that may sign the cookie cache; it
// returns nil when that option is off.
type CookieCacheSignerProvider interface {
	// CookieCacheSigner returns the signer, or nil when the plugin's
	// option for it is off.
	CookieCacheSigner() CookieCacheSigner
}

// The header type and audience of a cookie cache signed by a
// CookieCacheSigner, as Better Auth writes them.
const (
	CookieCacheJWTType     = "better-auth.session-cache+jwt"
	CookieCacheJWTAudience = "better-auth:session-cache"
)

// Cookie cache limits of Better Auth's session store.
const (
	// maxCookieSize is the largest Set-Cookie line (name, value and
	// attributes) written as one cookie; longer values are chunked.
	maxCookieSize = 4050
	// maxCookieChunks is the most chunks a value is split into; a larger
	// cache is not written.
	maxCookieChunks = 100
	// jwtClockTolerance is the leeway of Better Auth's JWE and JWKS-signed
	// cache checks (the HS256 one has none).
	jwtClockTolerance = 15
	// dontRememberCacheAge is the compact cache's lifetime for a
	// rememberMe: false session (whose cookie has no Max-Age); the JWT and
	// JWE ones then last 300 s, as Better Auth writes them.
	dontRememberCacheAge = 60
	dontRememberTokenAge = 300
	// jweSalt and jweInfo derive the JWE key, as Better Auth's
	// symmetricEncodeJWT does.
	jweSalt = "better-auth-session"
	jweInfo = "BetterAuth.js Generated Encryption Key"
)

// errCookieCache is why a cache is not honoured; never shown to clients.
var errCookieCache = errors.New("betterauth: invalid cookie cache")

// cookieCache is the configured cache: nil when it is off.
type cookieCache struct {
	cfg    CookieCacheConfig
	secret []byte
	// jweKey and jweKID are the JWE strategy's key and its RFC 7638
	// thumbprint (the kid header).
	jweKey []byte
	jweKID string
	signer CookieCacheSigner
	// issuer is the iss a CookieCacheSigner's cache carries: BaseURL.
	issuer string
}

func newCookieCache(cfg CookieCacheConfig, secret, baseURL string) (*cookieCache, error) {
	c := &cookieCache{cfg: cfg, secret: []byte(secret), issuer: baseURL}
	if c.issuer == "" {
		c.issuer = CookieCacheJWTAudience
	}
	if cfg.Strategy == CookieCacheJWE {
		k, err := hkdf.Key(sha256.New, []byte(secret), []byte(jweSalt), jweInfo, 64)
		if err != nil {
			return nil, fmt.Errorf("betterauth: cookie cache key: %w", err)
		}
		// The kid is the key's RFC 7638 thumbprint, as jose's
		// calculateJwkThumbprint makes it (go-jose has none for oct keys):
		// SHA-256 of its required members in lexical order.
		tp := sha256.Sum256([]byte(`{"k":"` + base64.RawURLEncoding.EncodeToString(k) + `","kty":"oct"}`))
		c.jweKey, c.jweKID = k, base64.RawURLEncoding.EncodeToString(tp[:])
	}
	return c, nil
}

// cachedSession is a verified cache.
type cachedSession struct {
	// session and user are the raw JSON objects of the cache (the API
	// shapes), answered as they are on a hit.
	session, user []byte
	// token, sessionExpiresAt and userID are read from them.
	token            string
	sessionExpiresAt time.Time
	// expiresAt is when the cache ends (unix ms).
	expiresAt int64
	version   string
}

// encodeCookieCache returns the session_data value for sd, made at now.
// dontRemember is a rememberMe: false session.
func (a *Auth) encodeCookieCache(ctx context.Context, sd *SessionData, dontRemember bool) (string, error) {
	c := a.cache
	now := a.clock()
	p, err := marshalJS(object{
		{"session", a.SessionJSON(sd.Session)}, {"user", a.UserJSON(sd.User)},
		{"updatedAt", now.UnixMilli()}, {"version", c.cfg.Version},
	})
	if err != nil {
		return "", fmt.Errorf("betterauth: cookie cache: %w", err)
	}
	p = jsLineSeparators(p)
	age := int64(c.cfg.MaxAge / time.Second)
	switch c.cfg.Strategy {
	case CookieCacheJWT, CookieCacheJWE:
		if dontRemember {
			age = dontRememberTokenAge
		}
		iat := now.Unix()
		claims := appendMember(p, "iat", strconv.AppendInt(nil, iat, 10))
		claims = appendMember(claims, "exp", strconv.AppendInt(nil, iat+age, 10))
		if c.cfg.Strategy == CookieCacheJWE {
			claims = appendMember(claims, "jti", quoteJS(rand.Text()))
			return c.encrypt(claims)
		}
		if c.signer != nil {
			claims = appendMember(claims, "sid", quoteJS(sd.Session.Token))
			claims = appendMember(claims, "iss", quoteJS(c.issuer))
			claims = appendMember(claims, "aud", quoteJS(CookieCacheJWTAudience))
			claims = appendMember(claims, "sub", quoteJS(sd.User.ID))
			return c.signer.SignCookieCache(ctx, claims)
		}
		return c.signHS256(claims)
	}
	if dontRemember {
		age = dontRememberCacheAge
	}
	e := strconv.AppendInt(nil, now.UnixMilli()+age*1000, 10)
	mac := hmac.New(sha256.New, c.secret)
	mac.Write(appendMember(slices.Clip(p), "expiresAt", e))
	var b bytes.Buffer
	b.Grow(len(p) + 100)
	b.WriteString(`{"session":`)
	b.Write(p)
	b.WriteString(`,"expiresAt":`)
	b.Write(e)
	b.WriteString(`,"signature":"`)
	b.WriteString(base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
	b.WriteString(`"}`)
	return base64.RawURLEncoding.EncodeToString(b.Bytes()), nil
}

// appendMember returns obj (a JSON object) with "name":value added last.
func appendMember(obj []byte, name string, value []byte) []byte {
	out := make([]byte, 0, len(obj)+len(name)+len(value)+4)
	out = append(out, obj[:len(obj)-1]...)
	out = append(out, ',', '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	out = append(out, value...)
	return append(out, '}')
}

func quoteJS(s string) []byte {
	b, _ := marshalJS(s) // a string always encodes
	return jsLineSeparators(b)
}

// jsLineSeparators writes U+2028 and U+2029 as themselves, as
// JSON.stringify does (Go's encoder escapes them), so that Better Auth's
// re-serialization of a compact cache matches what was signed.
func jsLineSeparators(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u202`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			if b[i+1] == 'u' && i+5 < len(b) && string(b[i+2:i+5]) == "202" && (b[i+5] == '8' || b[i+5] == '9') {
				out = append(out, 0xe2, 0x80, 0xa8+b[i+5]-'8') // U+2028 is E2 80 A8, U+2029 E2 80 A9
				i += 5
				continue
			}
			out = append(out, b[i], b[i+1]) // an escape: copy it whole
			i++
			continue
		}
		out = append(out, b[i])
	}
	return out
}

var hs256Header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`))

// signHS256 makes Better Auth's signJWT: header {"alg":"HS256"}.
func (c *cookieCache) signHS256(claims []byte) (string, error) {
	n := len(hs256Header) + 1 + base64.RawURLEncoding.EncodedLen(len(claims))
	buf := make([]byte, 0, n+1+43)
	buf = append(buf, hs256Header...)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, claims)
	mac := hmac.New(sha256.New, c.secret)
	mac.Write(buf)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, mac.Sum(nil))
	return string(buf), nil
}

func (c *cookieCache) encrypt(claims []byte) (string, error) {
	enc, err := jose.NewEncrypter(jose.A256CBC_HS512,
		jose.Recipient{Algorithm: jose.DIRECT, Key: c.jweKey, KeyID: c.jweKID}, nil)
	if err != nil {
		return "", fmt.Errorf("betterauth: cookie cache: %w", err)
	}
	obj, err := enc.Encrypt(claims)
	if err != nil {
		return "", fmt.Errorf("betterauth: cookie cache: %w", err)
	}
	return obj.CompactSerialize()
}

// decodeCookieCache verifies a session_data value and returns the cache.
// It checks the signature (or decrypts) and the JWT times; the caller
// checks token, version and expiry.
func (a *Auth) decodeCookieCache(ctx context.Context, value string) (*cachedSession, error) {
	c := a.cache
	switch c.cfg.Strategy {
	case CookieCacheJWT, CookieCacheJWE:
		var claims []byte
		var err error
		tolerance := int64(jwtClockTolerance)
		switch {
		case c.cfg.Strategy == CookieCacheJWE:
			claims, err = c.decrypt(value)
		case c.signer != nil:
			claims, err = c.signer.VerifyCookieCache(ctx, value)
		default:
			claims, err = c.verifyHS256(value)
			tolerance = 0
		}
		if err != nil {
			return nil, err
		}
		return a.parseCachePayload(claims, nil, tolerance)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(value, "="))
	if err != nil {
		return nil, errCookieCache
	}
	p, e, sigText, ok := splitCompact(raw)
	if !ok {
		return nil, errCookieCache
	}
	sig, err := base64.RawURLEncoding.DecodeString(sigText)
	if err != nil {
		return nil, errCookieCache
	}
	// The signed text is the session member with ,"expiresAt":E before its
	// closing brace, as JSON.stringify({...session, expiresAt}) writes it.
	mac := hmac.New(sha256.New, c.secret)
	mac.Write(appendMember(p, "expiresAt", e))
	if !hmac.Equal(mac.Sum(nil), sig) {
		return nil, errCookieCache
	}
	exp, err := strconv.ParseFloat(string(e), 64)
	if err != nil || math.IsNaN(exp) || math.IsInf(exp, 0) {
		return nil, errCookieCache
	}
	return a.parseCachePayload(p, &exp, 0)
}

// splitCompact finds the members of a compact cache's outer object
// {"session":P,"expiresAt":E,"signature":S}: directly when it is laid out
// as JSON.stringify writes it (as Better Auth and this library do),
// otherwise by decoding it.
func splitCompact(raw []byte) (p, e []byte, sig string, ok bool) {
	const head, mid, tail = `{"session":`, `,"signature":"`, `"}`
	if bytes.HasPrefix(raw, []byte(head)) && bytes.HasSuffix(raw, []byte(tail)) {
		if i := bytes.LastIndex(raw, []byte(mid)); i > 0 {
			sig := raw[i+len(mid) : len(raw)-len(tail)]
			if j := bytes.LastIndex(raw[:i], []byte(`,"expiresAt":`)); j > len(head) && bytes.IndexByte(sig, '"') < 0 {
				p, e := raw[len(head):j], raw[j+len(`,"expiresAt":`):i]
				if len(p) >= 2 && p[0] == '{' && p[len(p)-1] == '}' && isJSNumber(e) {
					return p, e, string(sig), true
				}
			}
		}
	}
	var outer struct {
		Session   json.RawMessage `json:"session"`
		ExpiresAt json.Number     `json:"expiresAt"`
		Signature string          `json:"signature"`
	}
	if err := json.Unmarshal(raw, &outer); err != nil || outer.ExpiresAt == "" {
		return nil, nil, "", false
	}
	p = bytes.TrimSpace(outer.Session)
	if len(p) < 2 || p[0] != '{' || p[len(p)-1] != '}' {
		return nil, nil, "", false
	}
	return p, []byte(outer.ExpiresAt), outer.Signature, true
}

// isJSNumber reports whether b is a plain integer or decimal as
// JSON.stringify writes an epoch in ms.
func isJSNumber(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i, c := range b {
		if !('0' <= c && c <= '9') && !(c == '-' && i == 0) && c != '.' {
			return false
		}
	}
	return true
}

func (c *cookieCache) verifyHS256(token string) ([]byte, error) {
	h, rest, ok1 := strings.Cut(token, ".")
	body, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 {
		return nil, errCookieCache
	}
	hdr, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil, errCookieCache
	}
	var head struct {
		Alg  string   `json:"alg"`
		Crit []string `json:"crit"`
	}
	if json.Unmarshal(hdr, &head) != nil || head.Alg != "HS256" || head.Crit != nil {
		return nil, errCookieCache
	}
	want, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return nil, errCookieCache
	}
	mac := hmac.New(sha256.New, c.secret)
	mac.Write([]byte(token[:len(h)+1+len(body)]))
	if !hmac.Equal(mac.Sum(nil), want) {
		return nil, errCookieCache
	}
	claims, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, errCookieCache
	}
	return claims, nil
}

func (c *cookieCache) decrypt(token string) ([]byte, error) {
	obj, err := jose.ParseEncrypted(token, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256CBC_HS512})
	if err != nil {
		return nil, errCookieCache
	}
	if kid := obj.Header.KeyID; kid != "" && subtle.ConstantTimeCompare([]byte(kid), []byte(c.jweKID)) != 1 {
		return nil, errCookieCache
	}
	claims, err := obj.Decrypt(c.jweKey)
	if err != nil {
		return nil, errCookieCache
	}
	return claims, nil
}

// parseCachePayload reads P ({session, user, updatedAt, version}, plus the
// JWT claims for the JWT and JWE strategies). compactExp is the compact
// cache's expiresAt (ms); without it the JWT's exp becomes the expiry. It
// reads only what the checks need: the session and user are kept as they
// are, for the answer.
func (a *Auth) parseCachePayload(p []byte, compactExp *float64, tolerance int64) (*cachedSession, error) {
	var v struct {
		Session, User, Aud  []byte
		UpdatedAt, Exp, Nbf *float64
		Version, Iss, Sub   *string
		Sid                 *string
		bad                 bool
	}
	num := func(raw []byte) *float64 {
		f, ok := jsonNumber(raw)
		if !ok {
			v.bad = true
			return nil
		}
		return &f
	}
	str := func(raw []byte) *string {
		s, ok := jsonString(raw)
		if !ok {
			v.bad = true
			return nil
		}
		return &s
	}
	// null members read as absent, as encoding/json reads them into pointers.
	ok := jsonMembers(p, func(name, raw []byte) {
		isNull := string(raw) == "null"
		switch string(name) {
		case "session":
			v.Session = raw
		case "user":
			v.User = raw
		case "aud":
			v.Aud = raw
		case "updatedAt", "exp", "nbf":
			var f *float64
			if !isNull {
				f = num(raw)
			}
			switch string(name) {
			case "updatedAt":
				v.UpdatedAt = f
			case "exp":
				v.Exp = f
			default:
				v.Nbf = f
			}
		case "version", "iss", "sub", "sid":
			var x *string
			if !isNull {
				x = str(raw)
			}
			switch string(name) {
			case "version":
				v.Version = x
			case "iss":
				v.Iss = x
			case "sub":
				v.Sub = x
			default:
				v.Sid = x
			}
		}
	})
	if !ok || v.bad || !isObject(v.Session) || !isObject(v.User) || v.UpdatedAt == nil {
		return nil, errCookieCache
	}
	// Better Auth's payload schema: the session's and user's ids, token and
	// expiry (the other fields are answered as they are).
	var sess struct {
		ID, Token, UserID, ExpiresAt string
	}
	var u struct{ ID string }
	set := func(dst *string, raw []byte) {
		*dst, _ = jsonString(raw) // not a string: ""
	}
	if !jsonMembers(v.Session, func(name, raw []byte) {
		switch string(name) {
		case "id":
			set(&sess.ID, raw)
		case "token":
			set(&sess.Token, raw)
		case "userId":
			set(&sess.UserID, raw)
		case "expiresAt":
			set(&sess.ExpiresAt, raw)
		}
	}) || !jsonMembers(v.User, func(name, raw []byte) {
		if string(name) == "id" {
			set(&u.ID, raw)
		}
	}) || sess.ID == "" || sess.Token == "" || sess.UserID == "" || u.ID == "" {
		return nil, errCookieCache
	}
	expires, err := time.Parse(time.RFC3339Nano, sess.ExpiresAt)
	if err != nil {
		return nil, errCookieCache
	}
	cs := &cachedSession{session: v.Session, user: v.User, token: sess.Token, sessionExpiresAt: expires, version: "1"}
	if v.Version != nil && *v.Version != "" {
		cs.version = *v.Version
	}
	if compactExp != nil {
		cs.expiresAt = int64(*compactExp)
		return cs, nil
	}
	// Better Auth takes a JWT without exp for one that ends now, which
	// never ends; one is required here. exp itself is checked by the
	// caller, without leeway, as Better Auth's get-session does.
	if v.Exp == nil {
		return nil, errCookieCache
	}
	if now := a.now().Unix(); v.Nbf != nil && *v.Nbf > float64(now+tolerance) {
		return nil, errCookieCache
	}
	if a.cache.signer != nil && a.cache.cfg.Strategy == CookieCacheJWT {
		// Better Auth's parseSessionCookieJwtPayload and jwtVerify's
		// issuer and audience checks.
		if v.Iss == nil || *v.Iss != a.cache.issuer || !audienceHas(v.Aud, CookieCacheJWTAudience) ||
			v.Sub == nil || *v.Sub != u.ID || v.Sid == nil || *v.Sid != sess.Token {
			return nil, errCookieCache
		}
	}
	cs.expiresAt = int64(*v.Exp * 1000)
	return cs, nil
}

func isObject(raw json.RawMessage) bool { return len(raw) >= 2 && raw[0] == '{' }

// sessionData decodes the cache's session and user, for hooks that need
// them.
func (a *Auth) sessionData(cs *cachedSession) (*SessionData, error) {
	var sm, um map[string]json.RawMessage
	if json.Unmarshal(cs.session, &sm) != nil || json.Unmarshal(cs.user, &um) != nil {
		return nil, errCookieCache
	}
	s, u, err := a.decodeCachedRows(sm, um)
	if err != nil {
		return nil, err
	}
	return &SessionData{Session: s, User: u}, nil
}

func audienceHas(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	return json.Unmarshal(raw, &many) == nil && slices.Contains(many, want)
}

// decodeCachedRows reads the session and user of a cache (the API shapes,
// dates as ISO strings).
func (a *Auth) decodeCachedRows(sm, um map[string]json.RawMessage) (*Session, *User, error) {
	r := fieldReader{}
	sess := &Session{
		ID: r.str(sm, "id"), Token: r.str(sm, "token"), UserID: r.str(sm, "userId"),
		ExpiresAt: r.date(sm, "expiresAt"), CreatedAt: r.date(sm, "createdAt"), UpdatedAt: r.date(sm, "updatedAt"),
		IPAddress: r.str(sm, "ipAddress"), UserAgent: r.str(sm, "userAgent"),
		Additional: r.additional(a.layout.Session, sm),
	}
	u := &User{
		ID: r.str(um, "id"), Name: r.str(um, "name"), Email: r.str(um, "email"),
		EmailVerified: r.boolean(um, "emailVerified"),
		CreatedAt:     r.date(um, "createdAt"), UpdatedAt: r.date(um, "updatedAt"),
		Additional: r.additional(a.layout.User, um),
	}
	if img := r.str(um, "image"); img != "" {
		u.Image = &img
	}
	if r.err != nil {
		return nil, nil, r.err
	}
	if sess.ID == "" || sess.Token == "" || sess.UserID == "" || u.ID == "" || sess.ExpiresAt.IsZero() {
		return nil, nil, errCookieCache
	}
	return sess, u, nil
}

// cookieCacheHit returns the cached session when the request's
// session_data is valid for token: signature (or decryption), same token,
// same version, neither the cache nor the session expired. bad reports a
// cache that is present but not honoured (it is then expired).
func (a *Auth) cookieCacheHit(r *http.Request, token string) (cs *cachedSession, bad bool) {
	value, ok := a.readChunked(r.Header, a.cookies.sessionData)
	if !ok {
		return nil, false
	}
	cs, err := a.decodeCookieCache(r.Context(), value)
	if err != nil {
		return nil, true
	}
	now := a.clock()
	if subtle.ConstantTimeCompare([]byte(cs.token), []byte(token)) != 1 ||
		cs.version != a.cache.cfg.Version ||
		cs.expiresAt < now.UnixMilli() || cs.sessionExpiresAt.Before(now) {
		return nil, true
	}
	return cs, false
}

// writeCachedSession answers a cache hit: the cached session and user as
// they are, after the SessionReplyHooks.
func (a *Auth) writeCachedSession(w http.ResponseWriter, r *http.Request, cs *cachedSession) error {
	if len(a.hooks.sessionReply) > 0 {
		sd, err := a.sessionData(cs)
		if err != nil {
			return err
		}
		return a.writeSessionReply(w, r, sd)
	}
	b := make([]byte, 0, len(cs.session)+len(cs.user)+21)
	b = append(b, `{"session":`...)
	b = append(b, cs.session...)
	b = append(b, `,"user":`...)
	b = append(b, cs.user...)
	b = append(b, '}')
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// setCookieCache writes session_data for sd, as Better Auth's
// setCookieCache: Max-Age=MaxAge (none for a rememberMe: false session),
// chunked into session_data.0, .1, ... when the Set-Cookie line would pass
// 4050 bytes, and the request's other session_data cookies expired.
func (a *Auth) setCookieCache(w http.ResponseWriter, r *http.Request, sd *SessionData, dontRemember bool) {
	if a.cache == nil {
		return
	}
	value, err := a.encodeCookieCache(r.Context(), sd, dontRemember)
	if err != nil {
		// No cache is always safe: get-session reads the store instead.
		a.logger.WarnContext(r.Context(), "betterauth: writing the cookie cache failed", "err", err)
		a.cleanCookieCache(w, r)
		return
	}
	base := a.cookies.make(a.cookies.sessionData, "")
	if !dontRemember {
		base.HasMaxAge, base.MaxAge = true, int(a.cache.cfg.MaxAge/time.Second)
	}
	// Better Auth's session store: the request's session_data cookies are
	// expired, then overwritten by the ones written now (same order).
	var names []string
	out := map[string]cookie{}
	for _, n := range a.cacheCookieNames(r.Header) {
		c := a.cookies.make(n, "")
		c.HasMaxAge, c.MaxAge = true, 0
		names, out[n] = append(names, n), c
	}
	put := func(c cookie) {
		if _, ok := out[c.Name]; !ok {
			names = append(names, c.Name)
		}
		out[c.Name] = c
	}
	overhead := len(cookie{Name: base.Name + ".99", HasMaxAge: base.HasMaxAge, MaxAge: base.MaxAge,
		Domain: base.Domain, Path: base.Path, HTTPOnly: base.HTTPOnly, Secure: base.Secure, SameSite: base.SameSite}.String())
	size := maxCookieSize - overhead
	n := (len(value) + size - 1) / size
	switch {
	case n <= 1:
		base.Value = value
		put(base)
	case n > maxCookieChunks:
		a.logger.WarnContext(r.Context(), "betterauth: the cookie cache is too large even after chunking; not written")
	default:
		for i := range n {
			c := base
			c.Name = base.Name + "." + strconv.Itoa(i)
			c.Value = value[i*size : min((i+1)*size, len(value))]
			put(c)
		}
	}
	for _, n := range names {
		addCookie(w, out[n])
	}
}

// cleanCookieCache expires every session_data cookie the request carries
// (Better Auth's sessionStore.clean).
func (a *Auth) cleanCookieCache(w http.ResponseWriter, r *http.Request) {
	for _, n := range a.cacheCookieNames(r.Header) {
		a.expireCookie(w, n)
	}
}

// cacheCookieNames lists the request's session_data cookie and its chunks,
// in the order they come.
func (a *Auth) cacheCookieNames(h http.Header) []string {
	var names []string
	a.eachCacheCookie(h, func(name string, _ int, _ string) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	})
	return names
}

// eachCacheCookie calls fn for each cookie named session_data (index -1)
// or session_data.<n> (index n, written canonically) in h.
func (a *Auth) eachCacheCookie(h http.Header, fn func(name string, index int, value string)) {
	base := a.cookies.sessionData
	for _, line := range h.Values("Cookie") {
		for part := range strings.SplitSeq(line, ";") {
			name, value, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			name = strings.TrimSpace(name)
			rest, ok := strings.CutPrefix(name, base)
			if !ok {
				continue
			}
			idx := -1
			if rest != "" {
				digits, ok := strings.CutPrefix(rest, ".")
				n, err := strconv.Atoi(digits)
				if !ok || err != nil || n < 0 || strconv.Itoa(n) != digits {
					continue
				}
				idx = n
			}
			fn(name, idx, value)
		}
	}
}

// readChunked reads a cookie as Better Auth's getChunkedCookie: the cookie
// itself when present and not empty, else its chunks joined in index order.
func (a *Auth) readChunked(h http.Header, name string) (string, bool) {
	if v, ok := readCookie(h, name); ok && v != "" {
		return v, true
	}
	type chunk struct {
		i int
		v string
	}
	var chunks []chunk
	seen := map[string]bool{}
	a.eachCacheCookie(h, func(n string, i int, v string) {
		if i < 0 || seen[n] {
			return
		}
		seen[n] = true
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		chunks = append(chunks, chunk{i, decodeCookieValue(v)})
	})
	if len(chunks) == 0 {
		return "", false
	}
	slices.SortStableFunc(chunks, func(x, y chunk) int { return x.i - y.i })
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString(c.v)
	}
	return b.String(), true
}

// findCookieCacheSigner takes the first plugin that signs the cookie cache.
func (a *Auth) findCookieCacheSigner() error {
	for _, p := range a.cfg.Plugins {
		sp, ok := p.(CookieCacheSignerProvider)
		if !ok {
			continue
		}
		s := sp.CookieCacheSigner()
		if s == nil {
			continue
		}
		if a.cache == nil || a.cache.cfg.Strategy != CookieCacheJWT {
			return fmt.Errorf("betterauth: plugin %q signs the cookie cache: it needs Session.CookieCache enabled with Strategy jwt", p.ID())
		}
		a.cache.signer = s
		return nil
	}
	return nil
}
