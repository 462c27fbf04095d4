// Package gitlab is GitLab (gitlab.com or a self-managed instance) as a
// plugins/social provider, as Better Auth's gitlab provider: the scope
// read_user, PKCE S256, client_secret_post, the account keyed by the user's
// numeric id, the profile of /api/v4/user (blocked or locked users are
// refused), email_verified as GitLab says.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/internal/oauthx"
)

// Config is the GitLab application. ClientID and ClientSecret are
// required.
type Config struct {
	ClientID, ClientSecret string
	// Issuer is the instance's base URL (default https://gitlab.com): the
	// endpoints are <Issuer>/oauth/authorize, /oauth/token and /api/v4/user.
	Issuer string
	// Scopes are asked for after read_user.
	Scopes []string
	// DisableDefaultScope leaves read_user out.
	DisableDefaultScope bool
	// DisableSignUp, DisableImplicitSignUp and OverrideUserInfo are the
	// provider's sign-up and profile rules (social.Description).
	DisableSignUp, DisableImplicitSignUp, OverrideUserInfo bool
	// MapProfileToUser may change the user taken from the profile.
	MapProfileToUser func(profile map[string]any, u *social.UserInfo) error
	// HTTPClient makes every request (default http.DefaultClient).
	HTTPClient *http.Client
}

// Provider is GitLab; build it with New.
type Provider struct{ cfg Config }

// ErrConfig is what New's error wraps for an incomplete Config.
var ErrConfig = errors.New("gitlab: invalid config")

// New checks cfg and fills the defaults.
func New(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("%w: ClientID and ClientSecret are required", ErrConfig)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "https://gitlab.com"
	}
	cfg.Issuer = strings.TrimRight(cfg.Issuer, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return &Provider{cfg: cfg}, nil
}

// ID is "gitlab".
func (p *Provider) ID() string { return "gitlab" }

// Describe tells the plugin GitLab's rules.
func (p *Provider) Describe(context.Context) (social.Description, error) {
	return social.Description{
		DisableSignUp: p.cfg.DisableSignUp, DisableImplicitSignUp: p.cfg.DisableImplicitSignUp,
		OverrideUserInfoOnSignIn: p.cfg.OverrideUserInfo,
	}, nil
}

func (p *Provider) oauth2Config(redirectURI string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: redirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.cfg.Issuer + "/oauth/authorize", TokenURL: p.cfg.Issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
	}
}

func (p *Provider) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.cfg.HTTPClient)
}

// AuthCodeURL is the instance's authorization URL with PKCE S256.
func (p *Provider) AuthCodeURL(_ context.Context, req social.AuthRequest) (string, error) {
	var scopes []string
	if !p.cfg.DisableDefaultScope {
		scopes = []string{"read_user"}
	}
	scopes = append(append(scopes, p.cfg.Scopes...), req.Scopes...)
	var opts []oauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(req.CodeVerifier))
	}
	if req.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", req.LoginHint))
	}
	return p.oauth2Config(req.RedirectURI, scopes).AuthCodeURL(req.State, opts...), nil
}

// Exchange trades the code (with the PKCE verifier) for tokens.
func (p *Provider) Exchange(ctx context.Context, req social.ExchangeRequest) (*social.Tokens, error) {
	var opts []oauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := p.oauth2Config(req.RedirectURI, nil).Exchange(p.ctx(ctx), req.Code, opts...)
	if err != nil {
		return nil, oauthx.TokenError("gitlab", err)
	}
	return oauthx.Tokens(tok), nil
}

// Refresh trades a refresh token for new tokens.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*social.Tokens, error) {
	tok, err := p.oauth2Config("", nil).TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, oauthx.TokenError("gitlab", err)
	}
	return oauthx.Tokens(tok), nil
}

// ErrInactive is UserInfo's error for a blocked or locked GitLab user.
var ErrInactive = errors.New("gitlab: the user is not active")

// UserInfo reads /api/v4/user.
func (p *Provider) UserInfo(ctx context.Context, t *social.Tokens, _ string) (*social.UserInfo, error) {
	var profile map[string]any
	if err := oauthx.GetJSON(ctx, p.cfg.HTTPClient, p.cfg.Issuer+"/api/v4/user", t.AccessToken, &profile); err != nil {
		return nil, fmt.Errorf("gitlab: %w", err)
	}
	if profile["state"] != "active" || profile["locked"] == true {
		return nil, ErrInactive
	}
	u := &social.UserInfo{ID: oauthx.String(profile["id"]), Profile: profile}
	u.Email, _ = profile["email"].(string)
	u.EmailVerified = profile["email_verified"] == true
	if name, ok := profile["name"].(string); ok { // name ?? username ?? ""
		u.Name = name
	} else {
		u.Name, _ = profile["username"].(string)
	}
	u.Image, _ = profile["avatar_url"].(string)
	if p.cfg.MapProfileToUser != nil {
		if err := p.cfg.MapProfileToUser(profile, u); err != nil {
			return nil, fmt.Errorf("gitlab: MapProfileToUser: %w", err)
		}
	}
	return u, nil
}
