// Package oidc is a generic OpenID Connect provider for plugins/social,
// found by its discovery document, as Better Auth's genericOAuth entry
// {providerId, discoveryUrl, clientId, clientSecret} builds it: the scope
// "openid" alone unless more are asked for, PKCE S256, a nonce bound to the
// ID token, the client authenticated at the token endpoint with
// client_secret_post, the ID token verified against the provider's JWKS
// (go-oidc), and the claims taken from the ID token when it carries sub and
// email, else from the userinfo endpoint.
//
// Discovery runs on first use, and again on the next use after a failure,
// so a provider that is down when the service starts is found later.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/internal/oauthx"
)

// Config is one provider. ProviderID, ClientID and DiscoveryURL are
// required (or, without DiscoveryURL, AuthorizationURL and TokenURL).
type Config struct {
	// ProviderID names the provider: the callback is /callback/<ProviderID>
	// and accounts have providerId = ProviderID.
	ProviderID string
	// DiscoveryURL is the provider's
	// .well-known/openid-configuration document.
	DiscoveryURL string
	ClientID     string
	// ClientSecret authenticates the client at the token endpoint
	// (client_secret_post); "" makes a public client.
	ClientSecret string
	// Scopes are asked for after the sign-in's own; "openid" is added in
	// front when the provider signs ID tokens.
	Scopes []string
	// AuthorizationURL, TokenURL and UserInfoURL override (or, without
	// discovery, give) the endpoints.
	AuthorizationURL, TokenURL, UserInfoURL string
	// BasicAuth authenticates with client_secret_basic instead
	// (Better Auth's authentication: "basic").
	BasicAuth bool
	// DisablePKCE sends no code challenge (Better Auth's pkce: false).
	DisablePKCE bool
	// DisableNonce sends no nonce (disableIdTokenNonceBinding).
	DisableNonce bool
	// Prompt and AccessType are sent as prompt and access_type when set.
	Prompt, AccessType string
	// DisableSignUp, DisableImplicitSignUp and OverrideUserInfo are the
	// provider's sign-up and profile rules (see social.Description).
	DisableSignUp, DisableImplicitSignUp, OverrideUserInfo bool
	// MapProfileToUser may change the user taken from the claims.
	MapProfileToUser func(profile map[string]any, u *social.UserInfo) error
	// HTTPClient makes every request to the provider (default
	// http.DefaultClient).
	HTTPClient *http.Client
	// Now is the clock ID tokens are checked against (default time.Now).
	Now func() time.Time
}

// Provider is a generic OpenID provider; build it with New.
type Provider struct {
	cfg Config

	mu   sync.Mutex
	disc *discovered
}

// discovered is what discovery found.
type discovered struct {
	pc       oidc.ProviderConfig
	isOIDC   bool
	verifier *oidc.IDTokenVerifier
	op       *oidc.Provider
}

// ErrConfig is what New's error wraps for an incomplete Config.
var ErrConfig = errors.New("oidc: invalid config")

// New checks cfg and returns the provider; nothing is fetched yet.
func New(cfg Config) (*Provider, error) {
	switch {
	case cfg.ProviderID == "":
		return nil, fmt.Errorf("%w: ProviderID is required", ErrConfig)
	case cfg.ClientID == "":
		return nil, fmt.Errorf("%w: %s: ClientID is required", ErrConfig, cfg.ProviderID)
	case cfg.DiscoveryURL == "" && (cfg.AuthorizationURL == "" || cfg.TokenURL == ""):
		return nil, fmt.Errorf("%w: %s: DiscoveryURL, or AuthorizationURL and TokenURL, are required", ErrConfig, cfg.ProviderID)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg}, nil
}

// ID is Config.ProviderID.
func (p *Provider) ID() string { return p.cfg.ProviderID }

func (p *Provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.cfg.HTTPClient)
}

// discover fetches the discovery document once it succeeds.
func (p *Provider) discover(ctx context.Context) (*discovered, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.disc != nil {
		return p.disc, nil
	}
	var pc oidc.ProviderConfig
	if p.cfg.DiscoveryURL != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.DiscoveryURL, nil)
		if err != nil {
			return nil, fmt.Errorf("oidc: %s: discovery: %w", p.cfg.ProviderID, err)
		}
		req.Header.Set("Accept", "application/json")
		res, err := p.cfg.HTTPClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("oidc: %s: discovery: %w", p.cfg.ProviderID, err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("oidc: %s: discovery: %s", p.cfg.ProviderID, res.Status)
		}
		if err := json.NewDecoder(http.MaxBytesReader(nil, res.Body, 1<<20)).Decode(&pc); err != nil {
			return nil, fmt.Errorf("oidc: %s: discovery document: %w", p.cfg.ProviderID, err)
		}
	}
	pc.AuthURL = or(p.cfg.AuthorizationURL, pc.AuthURL)
	pc.TokenURL = or(p.cfg.TokenURL, pc.TokenURL)
	pc.UserInfoURL = or(p.cfg.UserInfoURL, pc.UserInfoURL)
	if pc.AuthURL == "" || pc.TokenURL == "" {
		return nil, fmt.Errorf("oidc: %s: discovery left no authorization or token endpoint", p.cfg.ProviderID)
	}
	d := &discovered{pc: pc, isOIDC: len(pc.Algorithms) > 0}
	d.op = pc.NewProvider(oidc.ClientContext(context.Background(), p.cfg.HTTPClient))
	if pc.JWKSURL != "" && pc.IssuerURL != "" {
		d.verifier = d.op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now, SupportedSigningAlgs: pc.Algorithms})
	}
	p.disc = d
	return d, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Describe discovers the provider: its issuer, and a nonce when ID tokens
// are verified.
func (p *Provider) Describe(ctx context.Context) (social.Description, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return social.Description{}, err
	}
	return social.Description{
		Issuer: d.pc.IssuerURL, RequiresNonce: d.verifier != nil && !p.cfg.DisableNonce,
		DisableSignUp: p.cfg.DisableSignUp, DisableImplicitSignUp: p.cfg.DisableImplicitSignUp,
		OverrideUserInfoOnSignIn: p.cfg.OverrideUserInfo,
	}, nil
}

func (p *Provider) oauth2Config(d *discovered, redirectURI string, scopes []string) *oauth2.Config {
	style := oauth2.AuthStyleInParams
	if p.cfg.BasicAuth {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: redirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: d.pc.AuthURL, TokenURL: d.pc.TokenURL, AuthStyle: style},
	}
}

// AuthCodeURL is the authorization URL: scopes (the sign-in's, then
// Config.Scopes, "openid" in front), PKCE S256, the nonce, login_hint.
func (p *Provider) AuthCodeURL(ctx context.Context, req social.AuthRequest) (string, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	scopes := append(slices.Clone(req.Scopes), p.cfg.Scopes...)
	if d.isOIDC && !slices.Contains(scopes, "openid") {
		scopes = append([]string{"openid"}, scopes...)
	}
	var opts []oauth2.AuthCodeOption
	if req.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", req.LoginHint))
	}
	if req.Nonce != "" {
		opts = append(opts, oidc.Nonce(req.Nonce))
	}
	if p.cfg.Prompt != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", p.cfg.Prompt))
	}
	if p.cfg.AccessType != "" {
		opts = append(opts, oauth2.SetAuthURLParam("access_type", p.cfg.AccessType))
	}
	if !p.cfg.DisablePKCE && req.CodeVerifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(req.CodeVerifier))
	}
	return p.oauth2Config(d, req.RedirectURI, scopes).AuthCodeURL(req.State, opts...), nil
}

// Exchange trades the code (with the PKCE verifier) for tokens.
func (p *Provider) Exchange(ctx context.Context, req social.ExchangeRequest) (*social.Tokens, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if !p.cfg.DisablePKCE && req.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := p.oauth2Config(d, req.RedirectURI, nil).Exchange(p.ctx(ctx), req.Code, opts...)
	if err != nil {
		return nil, oauthx.TokenError("oidc", err)
	}
	return oauthx.Tokens(tok), nil
}

// Refresh trades a refresh token for new tokens.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*social.Tokens, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := p.oauth2Config(d, "", nil).TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, oauthx.TokenError("oidc", err)
	}
	return oauthx.Tokens(tok), nil
}

// UserInfo verifies the ID token (signature, issuer, audience, expiry and
// the nonce) and takes the user from its claims when they carry sub and
// email, else from the userinfo endpoint, whose sub must then match.
func (p *Provider) UserInfo(ctx context.Context, t *social.Tokens, nonce string) (*social.UserInfo, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if t.IDToken != "" && d.verifier != nil {
		idt, err := d.verifier.Verify(p.ctx(ctx), t.IDToken)
		if err != nil {
			return nil, fmt.Errorf("oidc: %s: ID token: %w", p.cfg.ProviderID, err)
		}
		if nonce != "" && idt.Nonce != nonce {
			return nil, fmt.Errorf("oidc: %s: ID token: the nonce differs", p.cfg.ProviderID)
		}
		if err := idt.Claims(&claims); err != nil {
			return nil, fmt.Errorf("oidc: %s: ID token claims: %w", p.cfg.ProviderID, err)
		}
	}
	raw := claims
	if str(claims["sub"]) == "" || str(claims["email"]) == "" {
		if raw, err = p.userinfo(ctx, d, t); err != nil {
			return nil, err
		}
		if sub := str(claims["sub"]); sub != "" && str(raw["sub"]) != sub {
			return nil, fmt.Errorf("oidc: %s: userinfo is about another subject than the ID token", p.cfg.ProviderID)
		}
	}
	u := &social.UserInfo{
		Email: str(raw["email"]), EmailVerified: raw["email_verified"] == true || raw["email_verified"] == "true",
		Name: str(raw["name"]), Image: str(raw["picture"]), Profile: raw,
	}
	switch {
	case !d.isOIDC:
		u.ID = str(raw["id"])
	case claims != nil:
		u.ID = str(claims["sub"])
	default:
		u.ID = str(raw["sub"])
	}
	if p.cfg.MapProfileToUser != nil {
		if err := p.cfg.MapProfileToUser(raw, u); err != nil {
			return nil, fmt.Errorf("oidc: %s: MapProfileToUser: %w", p.cfg.ProviderID, err)
		}
	}
	return u, nil
}

// VerifyIDToken verifies an ID token the client got from the provider
// (the idToken form of /sign-in/social): signature against the JWKS,
// issuer, audience, expiry, and the nonce when given.
func (p *Provider) VerifyIDToken(ctx context.Context, token, nonce string) error {
	d, err := p.discover(ctx)
	if err != nil {
		return err
	}
	if d.verifier == nil {
		return social.ErrNoIDTokens
	}
	idt, err := d.verifier.Verify(p.ctx(ctx), token)
	if err != nil {
		return fmt.Errorf("oidc: %s: ID token: %w", p.cfg.ProviderID, err)
	}
	if nonce != "" && idt.Nonce != nonce {
		return fmt.Errorf("oidc: %s: ID token: the nonce differs", p.cfg.ProviderID)
	}
	return nil
}

// userinfo asks the userinfo endpoint with the access token.
func (p *Provider) userinfo(ctx context.Context, d *discovered, t *social.Tokens) (map[string]any, error) {
	if d.pc.UserInfoURL == "" || t.AccessToken == "" {
		return nil, fmt.Errorf("oidc: %s: no claims in the ID token and no userinfo endpoint or access token", p.cfg.ProviderID)
	}
	ui, err := d.op.UserInfo(p.ctx(ctx), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer"}))
	if err != nil {
		return nil, fmt.Errorf("oidc: %s: userinfo: %w", p.cfg.ProviderID, err)
	}
	var raw map[string]any
	if err := ui.Claims(&raw); err != nil {
		return nil, fmt.Errorf("oidc: %s: userinfo claims: %w", p.cfg.ProviderID, err)
	}
	return raw, nil
}

// str is a claim as a string: strings as they are, numbers in full.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	}
	return ""
}
