// Package discord is Discord as a plugins/social provider, as Better
// Auth's discord provider: the scopes identify and email, prompt=none
// unless set, no PKCE, client_secret_post, the account keyed by the user's
// snowflake id, the email verified as Discord's "verified" says, the
// global name (or the username), and the avatar URL on Discord's CDN (the
// default avatar when there is none).
package discord

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/internal/oauthx"
)

// Config is the Discord application. ClientID and ClientSecret are
// required; the URLs default to Discord's.
type Config struct {
	ClientID, ClientSecret string
	// Scopes are asked for after identify and email.
	Scopes []string
	// DisableDefaultScope leaves identify and email out.
	DisableDefaultScope bool
	// Prompt defaults to "none" (Discord's "consent" asks every time).
	Prompt string
	// Permissions is sent with the bot scope.
	Permissions *int64
	// AuthorizationURL, TokenURL and APIURL default to
	// https://discord.com/api/oauth2/authorize, .../oauth2/token and
	// https://discord.com/api; CDNURL to https://cdn.discordapp.com.
	AuthorizationURL, TokenURL, APIURL, CDNURL string
	// DisableSignUp, DisableImplicitSignUp and OverrideUserInfo are the
	// provider's sign-up and profile rules (social.Description).
	DisableSignUp, DisableImplicitSignUp, OverrideUserInfo bool
	// MapProfileToUser may change the user taken from the profile.
	MapProfileToUser func(profile map[string]any, u *social.UserInfo) error
	// HTTPClient makes every request (default http.DefaultClient).
	HTTPClient *http.Client
}

// Provider is Discord; build it with New.
type Provider struct{ cfg Config }

// ErrConfig is what New's error wraps for an incomplete Config.
var ErrConfig = errors.New("discord: invalid config")

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
	def(&cfg.AuthorizationURL, "https://discord.com/api/oauth2/authorize")
	def(&cfg.TokenURL, "https://discord.com/api/oauth2/token")
	def(&cfg.APIURL, "https://discord.com/api")
	def(&cfg.CDNURL, "https://cdn.discordapp.com")
	def(&cfg.Prompt, "none")
	cfg.APIURL, cfg.CDNURL = strings.TrimRight(cfg.APIURL, "/"), strings.TrimRight(cfg.CDNURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return &Provider{cfg: cfg}, nil
}

// ID is "discord".
func (p *Provider) ID() string { return "discord" }

// Describe tells the plugin Discord's rules.
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

// AuthCodeURL is Discord's authorization URL (Better Auth sends Discord no
// PKCE challenge).
func (p *Provider) AuthCodeURL(_ context.Context, req social.AuthRequest) (string, error) {
	var scopes []string
	if !p.cfg.DisableDefaultScope {
		scopes = []string{"identify", "email"}
	}
	scopes = append(append(scopes, req.Scopes...), p.cfg.Scopes...)
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", p.cfg.Prompt)}
	if p.cfg.Permissions != nil && hasScope(scopes, "bot") {
		opts = append(opts, oauth2.SetAuthURLParam("permissions", strconv.FormatInt(*p.cfg.Permissions, 10)))
	}
	return p.oauth2Config(req.RedirectURI, scopes).AuthCodeURL(req.State, opts...), nil
}

func hasScope(scopes []string, s string) bool {
	for _, x := range scopes {
		if x == s {
			return true
		}
	}
	return false
}

// Exchange trades the code for tokens.
func (p *Provider) Exchange(ctx context.Context, req social.ExchangeRequest) (*social.Tokens, error) {
	tok, err := p.oauth2Config(req.RedirectURI, nil).Exchange(p.ctx(ctx), req.Code)
	if err != nil {
		return nil, oauthx.TokenError("discord", err)
	}
	return oauthx.Tokens(tok), nil
}

// Refresh trades a refresh token for new tokens.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*social.Tokens, error) {
	tok, err := p.oauth2Config("", nil).TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, oauthx.TokenError("discord", err)
	}
	return oauthx.Tokens(tok), nil
}

// UserInfo reads /users/@me.
func (p *Provider) UserInfo(ctx context.Context, t *social.Tokens, _ string) (*social.UserInfo, error) {
	var profile map[string]any
	if err := oauthx.GetJSON(ctx, p.cfg.HTTPClient, p.cfg.APIURL+"/users/@me", t.AccessToken, &profile); err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	id := oauthx.String(profile["id"])
	avatar, _ := profile["avatar"].(string)
	var image string
	if avatar == "" {
		image = fmt.Sprintf("%s/embed/avatars/%d.png", p.cfg.CDNURL, defaultAvatar(id, oauthx.String(profile["discriminator"])))
	} else {
		format := "png"
		if strings.HasPrefix(avatar, "a_") {
			format = "gif"
		}
		image = fmt.Sprintf("%s/avatars/%s/%s.%s", p.cfg.CDNURL, id, avatar, format)
	}
	profile["image_url"] = image
	u := &social.UserInfo{ID: id, Image: image, Profile: profile}
	u.Email, _ = profile["email"].(string)
	u.EmailVerified = profile["verified"] == true
	if u.Name, _ = profile["global_name"].(string); u.Name == "" {
		u.Name, _ = profile["username"].(string)
	}
	if p.cfg.MapProfileToUser != nil {
		if err := p.cfg.MapProfileToUser(profile, u); err != nil {
			return nil, fmt.Errorf("discord: MapProfileToUser: %w", err)
		}
	}
	return u, nil
}

// defaultAvatar is Discord's default avatar index: (id >> 22) % 6 for new
// usernames (discriminator "0"), discriminator % 5 for legacy ones.
func defaultAvatar(id, discriminator string) int64 {
	if discriminator == "0" || discriminator == "" {
		n, ok := new(big.Int).SetString(id, 10)
		if !ok {
			return 0
		}
		return new(big.Int).Mod(n.Rsh(n, 22), big.NewInt(6)).Int64()
	}
	d, _ := strconv.ParseInt(discriminator, 10, 64)
	return d % 5
}
