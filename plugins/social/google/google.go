// Package google is Google as a plugins/social provider, as Better Auth's
// google provider: the scopes email, profile and openid, PKCE S256
// (mandatory), include_granted_scopes=true, the optional access_type,
// prompt, display and hd (hosted domain), the client authenticated with
// client_secret_post, and the user taken from the ID token (sub, email,
// email_verified, name, picture), which is verified against Google's keys
// (go-oidc) before it is read.
package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/internal/oauthx"
)

// Config is the Google OAuth client. ClientID and ClientSecret are
// required; the endpoints default to Google's and may be overridden
// (tests).
type Config struct {
	ClientID, ClientSecret string
	// Scopes are asked for after email, profile and openid.
	Scopes []string
	// DisableDefaultScope leaves email, profile and openid out.
	DisableDefaultScope bool
	// AccessType ("offline" for a refresh token), Prompt ("consent",
	// "select_account") and Display are sent when set.
	AccessType, Prompt, Display string
	// HostedDomain (hd) restricts sign-in to a Google Workspace domain ("*":
	// any Workspace domain); the ID token's hd claim must match.
	HostedDomain string
	// DisableIncludeGrantedScopes leaves include_granted_scopes=true out.
	DisableIncludeGrantedScopes bool
	// AuthorizationURL, TokenURL, JWKSURL and Issuer default to Google's.
	AuthorizationURL, TokenURL, JWKSURL, Issuer string
	// DisableSignUp, DisableImplicitSignUp and OverrideUserInfo are the
	// provider's sign-up and profile rules (social.Description).
	DisableSignUp, DisableImplicitSignUp, OverrideUserInfo bool
	// MapProfileToUser may change the user taken from the ID token.
	MapProfileToUser func(profile map[string]any, u *social.UserInfo) error
	// HTTPClient makes every request (default http.DefaultClient).
	HTTPClient *http.Client
	// Now is the clock ID tokens are checked against (default time.Now).
	Now func() time.Time
}

// Provider is Google; build it with New.
type Provider struct {
	cfg      Config
	verifier *oidc.IDTokenVerifier
}

// ErrConfig is what New's error wraps for an incomplete Config.
var ErrConfig = errors.New("google: invalid config")

// New checks cfg and fills the defaults.
func New(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("%w: ClientID and ClientSecret are required", ErrConfig)
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.AuthorizationURL, "https://accounts.google.com/o/oauth2/v2/auth")
	def(&cfg.TokenURL, "https://oauth2.googleapis.com/token")
	def(&cfg.JWKSURL, "https://www.googleapis.com/oauth2/v3/certs")
	def(&cfg.Issuer, "https://accounts.google.com")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), cfg.HTTPClient), cfg.JWKSURL)
	v := oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now, SupportedSigningAlgs: []string{oidc.RS256}})
	return &Provider{cfg: cfg, verifier: v}, nil
}

// ID is "google".
func (p *Provider) ID() string { return "google" }

// Describe tells the plugin Google's rules: no nonce and no iss check, as
// Better Auth's google provider.
func (p *Provider) Describe(context.Context) (social.Description, error) {
	return social.Description{
		DisableSignUp: p.cfg.DisableSignUp, DisableImplicitSignUp: p.cfg.DisableImplicitSignUp,
		OverrideUserInfoOnSignIn: p.cfg.OverrideUserInfo,
	}, nil
}

func (p *Provider) oauth2Config(redirectURI string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: redirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.cfg.AuthorizationURL, TokenURL: p.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
}

func (p *Provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.cfg.HTTPClient)
}

// ErrNoVerifier is AuthCodeURL's error without a PKCE verifier: Google
// needs one.
var ErrNoVerifier = errors.New("google: a PKCE code verifier is required")

// AuthCodeURL is Google's authorization URL.
func (p *Provider) AuthCodeURL(_ context.Context, req social.AuthRequest) (string, error) {
	if req.CodeVerifier == "" {
		return "", ErrNoVerifier
	}
	var scopes []string
	if !p.cfg.DisableDefaultScope {
		scopes = []string{"email", "profile", "openid"}
	}
	scopes = append(append(scopes, p.cfg.Scopes...), req.Scopes...)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(req.CodeVerifier)}
	for k, v := range map[string]string{"login_hint": req.LoginHint, "prompt": p.cfg.Prompt, "access_type": p.cfg.AccessType, "display": p.cfg.Display, "hd": p.cfg.HostedDomain} {
		if v != "" {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	if !p.cfg.DisableIncludeGrantedScopes {
		opts = append(opts, oauth2.SetAuthURLParam("include_granted_scopes", "true"))
	}
	return p.oauth2Config(req.RedirectURI, scopes).AuthCodeURL(req.State, opts...), nil
}

// Exchange trades the code (with the PKCE verifier) for tokens.
func (p *Provider) Exchange(ctx context.Context, req social.ExchangeRequest) (*social.Tokens, error) {
	tok, err := p.oauth2Config(req.RedirectURI, nil).Exchange(p.ctx(ctx), req.Code, oauth2.VerifierOption(req.CodeVerifier))
	if err != nil {
		return nil, oauthx.TokenError("google", err)
	}
	return oauthx.Tokens(tok), nil
}

// Refresh trades a refresh token for new tokens.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*social.Tokens, error) {
	tok, err := p.oauth2Config("", nil).TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, oauthx.TokenError("google", err)
	}
	return oauthx.Tokens(tok), nil
}

// VerifyIDToken verifies an ID token a client got from Google (a mobile
// app's sign-in): signature, issuer, audience, expiry, and the nonce when
// given.
func (p *Provider) VerifyIDToken(ctx context.Context, token, nonce string) error {
	idt, err := p.verifier.Verify(p.ctx(ctx), token)
	if err != nil {
		return fmt.Errorf("google: ID token: %w", err)
	}
	if nonce != "" && idt.Nonce != nonce {
		return errors.New("google: ID token: the nonce differs")
	}
	return nil
}

// UserInfo verifies the ID token and reads the user from it; a token
// outside HostedDomain is refused.
func (p *Provider) UserInfo(ctx context.Context, t *social.Tokens, nonce string) (*social.UserInfo, error) {
	if t.IDToken == "" {
		return nil, errors.New("google: no ID token")
	}
	idt, err := p.verifier.Verify(p.ctx(ctx), t.IDToken)
	if err != nil {
		return nil, fmt.Errorf("google: ID token: %w", err)
	}
	if nonce != "" && idt.Nonce != nonce {
		return nil, errors.New("google: ID token: the nonce differs")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("google: ID token claims: %w", err)
	}
	if hd := p.cfg.HostedDomain; hd != "" {
		got, _ := claims["hd"].(string)
		if got == "" || (hd != "*" && got != hd) {
			return nil, fmt.Errorf("google: the ID token's hosted domain %q is not %q", got, hd)
		}
	}
	u := &social.UserInfo{ID: idt.Subject, Profile: claims}
	u.Email, _ = claims["email"].(string)
	u.EmailVerified = claims["email_verified"] == true || claims["email_verified"] == "true"
	u.Name, _ = claims["name"].(string)
	u.Image, _ = claims["picture"].(string)
	if p.cfg.MapProfileToUser != nil {
		if err := p.cfg.MapProfileToUser(claims, u); err != nil {
			return nil, fmt.Errorf("google: MapProfileToUser: %w", err)
		}
	}
	return u, nil
}
