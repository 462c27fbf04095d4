// Package github is GitHub as a plugins/social provider, as Better Auth's
// github provider: the scopes read:user and user:email, PKCE S256, the
// client authenticated with client_secret_post, the account keyed by
// GitHub's numeric user id, the email from the profile or (when the
// profile hides it) the primary one of /user/emails, verified as
// /user/emails says, the name (or the login) and the avatar.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/internal/oauthx"
)

// Config is the GitHub OAuth app. ClientID and ClientSecret are required;
// the URLs default to github.com's and may be overridden (GitHub
// Enterprise, tests).
type Config struct {
	ClientID, ClientSecret string
	// Scopes are asked for after read:user and user:email.
	Scopes []string
	// DisableDefaultScope leaves read:user and user:email out.
	DisableDefaultScope bool
	// Prompt is sent as prompt when set ("select_account").
	Prompt string
	// AuthorizationURL, TokenURL and APIURL default to
	// https://github.com/login/oauth/authorize,
	// https://github.com/login/oauth/access_token and https://api.github.com.
	AuthorizationURL, TokenURL, APIURL string
	// DisableSignUp, DisableImplicitSignUp and OverrideUserInfo are the
	// provider's sign-up and profile rules (social.Description).
	DisableSignUp, DisableImplicitSignUp, OverrideUserInfo bool
	// MapProfileToUser may change the user taken from the profile.
	MapProfileToUser func(profile map[string]any, u *social.UserInfo) error
	// HTTPClient makes every request (default http.DefaultClient).
	HTTPClient *http.Client
}

// Provider is GitHub; build it with New.
type Provider struct{ cfg Config }

// ErrConfig is what New's error wraps for an incomplete Config.
var ErrConfig = errors.New("github: invalid config")

// New checks cfg and fills the defaults.
func New(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("%w: ClientID and ClientSecret are required", ErrConfig)
	}
	if cfg.AuthorizationURL == "" {
		cfg.AuthorizationURL = "https://github.com/login/oauth/authorize"
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = "https://github.com/login/oauth/access_token"
	}
	if cfg.APIURL == "" {
		cfg.APIURL = "https://api.github.com"
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return &Provider{cfg: cfg}, nil
}

// ID is "github".
func (p *Provider) ID() string { return "github" }

// Describe tells the plugin GitHub's rules: no issuer, no nonce.
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
	return context.WithValue(ctx, oauth2.HTTPClient, p.cfg.HTTPClient)
}

// AuthCodeURL is GitHub's authorization URL with PKCE S256.
func (p *Provider) AuthCodeURL(_ context.Context, req social.AuthRequest) (string, error) {
	var scopes []string
	if !p.cfg.DisableDefaultScope {
		scopes = []string{"read:user", "user:email"}
	}
	scopes = append(append(scopes, p.cfg.Scopes...), req.Scopes...)
	var opts []oauth2.AuthCodeOption
	if req.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", req.LoginHint))
	}
	if p.cfg.Prompt != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", p.cfg.Prompt))
	}
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(req.CodeVerifier))
	}
	return p.oauth2Config(req.RedirectURI, scopes).AuthCodeURL(req.State, opts...), nil
}

// Exchange trades the code for tokens.
func (p *Provider) Exchange(ctx context.Context, req social.ExchangeRequest) (*social.Tokens, error) {
	var opts []oauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := p.oauth2Config(req.RedirectURI, nil).Exchange(p.ctx(ctx), req.Code, opts...)
	if err != nil {
		return nil, oauthx.TokenError("github", err)
	}
	return oauthx.Tokens(tok), nil
}

// Refresh trades a refresh token (GitHub apps with expiring tokens) for
// new tokens.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*social.Tokens, error) {
	tok, err := p.oauth2Config("", nil).TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, oauthx.TokenError("github", err)
	}
	return oauthx.Tokens(tok), nil
}

// get fetches an API path as JSON into v.
func (p *Provider) get(ctx context.Context, path, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.APIURL+path, nil)
	if err != nil {
		return fmt.Errorf("github: %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "better-auth")
	req.Header.Set("Accept", "application/vnd.github+json")
	res, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("github: %s: %w", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("github: %s: %s", path, res.Status)
	}
	dec := json.NewDecoder(io.LimitReader(res.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("github: %s: %w", path, err)
	}
	return nil
}

type email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// UserInfo reads /user and /user/emails.
func (p *Provider) UserInfo(ctx context.Context, t *social.Tokens, _ string) (*social.UserInfo, error) {
	var profile map[string]any
	if err := p.get(ctx, "/user", t.AccessToken, &profile); err != nil {
		return nil, err
	}
	var emails []email
	if err := p.get(ctx, "/user/emails", t.AccessToken, &emails); err != nil {
		emails = nil // Better Auth goes on without them
	}
	addr, _ := profile["email"].(string)
	if addr == "" && len(emails) > 0 {
		i := slices.IndexFunc(emails, func(e email) bool { return e.Primary })
		if i < 0 {
			i = 0
		}
		addr = emails[i].Email
		profile["email"] = addr
	}
	u := &social.UserInfo{Email: addr, Profile: profile}
	if i := slices.IndexFunc(emails, func(e email) bool { return e.Email == addr }); i >= 0 {
		u.EmailVerified = emails[i].Verified
	}
	if id, ok := profile["id"].(json.Number); ok {
		u.ID = id.String()
	} else if s, ok := profile["id"].(string); ok {
		u.ID = s
	}
	u.Name, _ = profile["name"].(string)
	if u.Name == "" {
		u.Name, _ = profile["login"].(string)
	}
	u.Image, _ = profile["avatar_url"].(string)
	if p.cfg.MapProfileToUser != nil {
		if err := p.cfg.MapProfileToUser(profile, u); err != nil {
			return nil, fmt.Errorf("github: MapProfileToUser: %w", err)
		}
	}
	return u, nil
}
