// Package oidctest is an OpenID provider for tests: discovery, JWKS, an
// authorization endpoint that approves at once as a configured user, a token
// endpoint (authorization code with PKCE S256 verification, refresh tokens,
// client_secret_post and client_secret_basic) and userinfo, with ID tokens
// signed by a real key (ES256, go-jose). It runs on an httptest server and
// keeps every grant in memory. Tests drive its clock and can make it
// misbehave (forged signatures, another nonce, the issuer parameter).
//
// It exists because the OP libraries at hand either need a storage layer of
// their own (zitadel/oidc) or do not fit a compatibility test (mockoidc
// reports expires_in in nanoseconds, has no client_secret_basic and no
// locking).
package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// User is who the provider signs in as.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Picture       string
	// Extra claims, in the ID token and at userinfo ("hd", ...).
	Extra map[string]any
	// NoEmailVerified leaves the email_verified claim out.
	NoEmailVerified bool
}

// Config sets a Provider up. Zero values take the defaults noted.
type Config struct {
	// ClientID and ClientSecret are the one client's credentials
	// (default "client-id" and "client-secret").
	ClientID, ClientSecret string
	// Now is the provider's clock (default time.Now).
	Now func() time.Time
	// AccessTTL is expires_in (default one hour).
	AccessTTL time.Duration
	// RefreshTTL, when set, is sent as refresh_token_expires_in.
	RefreshTTL time.Duration
	// RS256 signs with an RSA key instead of ES256 (as Google does).
	RS256 bool
	// CheckSecret, when set, decides whether a client secret is right
	// instead of comparing it with ClientSecret (Apple's secret is a JWT).
	CheckSecret func(secret string) bool
	// AlwaysIDToken issues ID tokens whatever the scope (Apple's scope has
	// no "openid").
	AlwaysIDToken bool
}

// Request is what an authorization request asked for, as the provider saw it.
type Request struct {
	Query url.Values
}

// TokenCall is one call of the token endpoint, as the provider saw it.
type TokenCall struct {
	GrantType string
	// AuthMethod is "client_secret_post" or "client_secret_basic".
	AuthMethod string
	Form       url.Values
}

type grant struct {
	user          User
	scope         string
	nonce         string
	challenge     string
	redirectURI   string
	used          bool
	accessExpires time.Time
}

// Provider is a running test OpenID provider.
type Provider struct {
	srv *httptest.Server
	cfg Config
	key crypto.Signer
	alg jose.SignatureAlgorithm
	kid string

	mu       sync.Mutex
	user     User
	codes    map[string]*grant
	access   map[string]*grant
	refresh  map[string]*grant
	requests []Request
	tokens   []TokenCall
	// misbehaviour
	forge        bool
	nonce        *string
	sendIss      string
	idTokenEmail bool
	noIDToken    bool
	userinfoSub  string
	failDisc     bool
	discCalls    int
	issuer       string
}

// New starts a provider; it stops with the test.
func New(t interface {
	Helper()
	Cleanup(func())
	Fatalf(string, ...any)
}, cfg Config) *Provider {
	t.Helper()
	if cfg.ClientID == "" {
		cfg.ClientID = "client-id"
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "client-secret"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = time.Hour
	}
	alg := jose.ES256
	if cfg.RS256 {
		alg = jose.RS256
	}
	key, err := newKey(alg)
	if err != nil {
		t.Fatalf("oidctest: key: %v", err)
	}
	p := &Provider{
		cfg: cfg, key: key, alg: alg, kid: "k1", idTokenEmail: true,
		codes: map[string]*grant{}, access: map[string]*grant{}, refresh: map[string]*grant{},
		user: User{Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// Issuer is the provider's issuer URL: its own URL unless SetIssuer
// changed it.
func (p *Provider) Issuer() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.issuer != "" {
		return p.issuer
	}
	return p.srv.URL
}

// URL is where the provider listens (its endpoints are under it).
func (p *Provider) URL() string { return p.srv.URL }

// SetIssuer makes ID tokens and discovery name iss as their issuer (a
// provider behind another URL, or a multi-tenant one).
func (p *Provider) SetIssuer(iss string) { p.mu.Lock(); p.issuer = iss; p.mu.Unlock() }

// DiscoveryURL is the URL of the discovery document.
func (p *Provider) DiscoveryURL() string { return p.srv.URL + "/.well-known/openid-configuration" }

// endpoint is the URL of one of the provider's endpoints.
func (p *Provider) endpoint(path string) string { return p.srv.URL + path }

// Client is an HTTP client that reaches the provider.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

// ClientID and ClientSecret are the client's credentials.
func (p *Provider) ClientID() string { return p.cfg.ClientID }

// ClientSecret is the client's secret.
func (p *Provider) ClientSecret() string { return p.cfg.ClientSecret }

// SetUser makes the next authorizations sign in as u.
func (p *Provider) SetUser(u User) { p.mu.Lock(); p.user = u; p.mu.Unlock() }

// ForgeIDTokens makes ID tokens signed by a key the JWKS does not hold.
func (p *Provider) ForgeIDTokens(on bool) { p.mu.Lock(); p.forge = on; p.mu.Unlock() }

// SetNonce puts nonce in ID tokens instead of the requested one (nil:
// the requested one).
func (p *Provider) SetNonce(nonce *string) { p.mu.Lock(); p.nonce = nonce; p.mu.Unlock() }

// SendIssuer adds iss=<iss> to the authorization response (RFC 9207);
// "" sends none.
func (p *Provider) SendIssuer(iss string) { p.mu.Lock(); p.sendIss = iss; p.mu.Unlock() }

// ProfileInIDToken says whether ID tokens carry email, email_verified,
// name and picture (default true); without them the client must ask the
// userinfo endpoint.
func (p *Provider) ProfileInIDToken(on bool) { p.mu.Lock(); p.idTokenEmail = on; p.mu.Unlock() }

// OmitIDToken makes the token endpoint answer without an id_token.
func (p *Provider) OmitIDToken(on bool) { p.mu.Lock(); p.noIDToken = on; p.mu.Unlock() }

// UserinfoSubject makes userinfo answer another sub ("" : the user's).
func (p *Provider) UserinfoSubject(sub string) { p.mu.Lock(); p.userinfoSub = sub; p.mu.Unlock() }

// Requests are the authorization requests seen so far.
func (p *Provider) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// TokenCalls are the token endpoint calls seen so far.
func (p *Provider) TokenCalls() []TokenCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.tokens)
}

// FailDiscovery makes the discovery document answer 503.
func (p *Provider) FailDiscovery(on bool) { p.mu.Lock(); p.failDisc = on; p.mu.Unlock() }

// DiscoveryCalls is how often the discovery document was asked for.
func (p *Provider) DiscoveryCalls() int { p.mu.Lock(); defer p.mu.Unlock(); return p.discCalls }

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	p.discCalls++
	fail := p.failDisc
	p.mu.Unlock()
	if fail {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.Issuer(),
		"authorization_endpoint":                p.endpoint("/authorize"),
		"token_endpoint":                        p.endpoint("/token"),
		"userinfo_endpoint":                     p.endpoint("/userinfo"),
		"jwks_uri":                              p.endpoint("/jwks"),
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{string(p.alg)},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"scopes_supported":                      []string{"openid", "email", "profile", "offline_access"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: p.key.Public(), KeyID: p.kid, Algorithm: string(p.alg), Use: "sig"}}}
	writeJSON(w, http.StatusOK, set)
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.requests = append(p.requests, Request{Query: q})
	p.mu.Unlock()
	if (q.Get("response_type") != "code" && q.Get("response_type") != "code id_token") || q.Get("client_id") != p.cfg.ClientID || q.Get("redirect_uri") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if m := q.Get("code_challenge_method"); m != "" && m != "S256" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "S256 only"})
		return
	}
	code := random()
	p.mu.Lock()
	p.codes[code] = &grant{user: p.user, scope: q.Get("scope"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
	iss := p.sendIss
	p.mu.Unlock()
	to, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	rq := to.Query()
	rq.Set("code", code)
	if s := q.Get("state"); s != "" {
		rq.Set("state", s)
	}
	if iss != "" {
		rq.Set("iss", iss)
	}
	if q.Get("response_mode") == "form_post" {
		// The browser posts the answer to the redirect URI (as Apple does).
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<!DOCTYPE html><form method="post" action="` + html.EscapeString(q.Get("redirect_uri")) + `">`)
		for k := range rq {
			b.WriteString(`<input type="hidden" name="` + html.EscapeString(k) + `" value="` + html.EscapeString(rq.Get(k)) + `">`)
		}
		b.WriteString(`</form>`)
		_, _ = w.Write([]byte(b.String()))
		return
	}
	to.RawQuery = rq.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// tokenError answers an OAuth error.
func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "form")
		return
	}
	f := r.PostForm
	method, id, secret := "client_secret_post", f.Get("client_id"), f.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok {
		method = "client_secret_basic"
		id, _ = url.QueryUnescape(u)
		secret, _ = url.QueryUnescape(pw)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokens = append(p.tokens, TokenCall{GrantType: f.Get("grant_type"), AuthMethod: method, Form: f})
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(p.cfg.ClientSecret)) == 1
	if p.cfg.CheckSecret != nil {
		secretOK = p.cfg.CheckSecret(secret)
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(p.cfg.ClientID)) != 1 || !secretOK {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	var g *grant
	switch f.Get("grant_type") {
	case "authorization_code":
		g = p.codes[f.Get("code")]
		if g == nil || g.used {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
			return
		}
		g.used = true
		if f.Get("redirect_uri") != g.redirectURI {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs")
			return
		}
		if g.challenge != "" {
			sum := sha256.Sum256([]byte(f.Get("code_verifier")))
			if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
				tokenError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
				return
			}
		}
	case "refresh_token":
		g = p.refresh[f.Get("refresh_token")]
		if g == nil {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "unknown refresh token")
			return
		}
		delete(p.refresh, f.Get("refresh_token"))
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", f.Get("grant_type"))
		return
	}
	now := p.cfg.Now()
	at, rt := random(), random()
	ng := *g
	ng.accessExpires = now.Add(p.cfg.AccessTTL)
	p.access[at], p.refresh[rt] = &ng, &ng
	out := map[string]any{
		"access_token": at, "refresh_token": rt, "token_type": "Bearer",
		"expires_in": int(p.cfg.AccessTTL / time.Second), "scope": g.scope,
	}
	if p.cfg.RefreshTTL > 0 {
		out["refresh_token_expires_in"] = int(p.cfg.RefreshTTL / time.Second)
	}
	if (p.cfg.AlwaysIDToken || strings.Contains(" "+g.scope+" ", " openid ")) && !p.noIDToken {
		idt, err := p.idToken(g, now)
		if err != nil {
			tokenError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		out["id_token"] = idt
	}
	writeJSON(w, http.StatusOK, out)
}

// IssueIDToken signs an ID token for u, as the provider hands one to a
// mobile app that signs in with it directly (nonce "" puts none in).
func (p *Provider) IssueIDToken(u User, nonce string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idToken(&grant{user: u, nonce: nonce}, p.cfg.Now())
}

// idToken signs g's ID token; the caller holds mu.
func (p *Provider) idToken(g *grant, now time.Time) (string, error) {
	key := p.key
	if p.forge {
		k, err := newKey(p.alg)
		if err != nil {
			return "", err
		}
		key = k
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: p.alg, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), p.kid))
	if err != nil {
		return "", fmt.Errorf("oidctest: signer: %w", err)
	}
	iss := p.srv.URL
	if p.issuer != "" {
		iss = p.issuer
	}
	claims := map[string]any{
		"iss": iss, "sub": g.user.Subject, "aud": p.cfg.ClientID,
		"iat": now.Unix(), "exp": now.Add(p.cfg.AccessTTL).Unix(),
	}
	nonce := g.nonce
	if p.nonce != nil {
		nonce = *p.nonce
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if p.idTokenEmail {
		maps.Copy(claims, profile(g.user))
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	g := p.access[tok]
	sub := p.userinfoSub
	p.mu.Unlock()
	if !ok || g == nil || !p.cfg.Now().Before(g.accessExpires) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	out := map[string]any{"sub": g.user.Subject}
	if sub != "" {
		out["sub"] = sub
	}
	maps.Copy(out, profile(g.user))
	writeJSON(w, http.StatusOK, out)
}

// profile is the user's claims beyond sub; empty ones are left out.
func profile(u User) map[string]any {
	out := map[string]any{}
	if u.Email != "" {
		out["email"] = u.Email
		if !u.NoEmailVerified {
			out["email_verified"] = u.EmailVerified
		}
	}
	if u.Name != "" {
		out["name"] = u.Name
	}
	if u.Picture != "" {
		out["picture"] = u.Picture
	}
	maps.Copy(out, u.Extra)
	return out
}

// newKey makes a signing key for alg.
func newKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	if alg == jose.RS256 {
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
