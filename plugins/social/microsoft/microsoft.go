// Package microsoft is Microsoft Entra ID as a plugins/social provider, as
// Better Auth's microsoft provider: a tenant ("common" by default, or
// "organizations", "consumers", a tenant id), the scopes openid profile
// email User.Read offline_access, PKCE S256, client_secret_post, the account
// keyed by the oid claim, the user from the ID token (verified against the
// tenant's keys, its issuer the token's own tenant's), email_verified or
// else the verified_primary_email / verified_secondary_email claims, and
// the profile photo from Microsoft Graph as a data URL.
package microsoft

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/internal/oauthx"
)

// consumerTenant is the tenant id of personal Microsoft accounts.
const consumerTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

// Config is the Entra ID app registration. ClientID and ClientSecret are
// required.
type Config struct {
	ClientID, ClientSecret string
	// TenantID is "common" (default), "organizations", "consumers" or a
	// tenant id.
	TenantID string
	// Authority defaults to https://login.microsoftonline.com.
	Authority string
	// GraphURL defaults to https://graph.microsoft.com (the profile photo).
	GraphURL string
	// Scopes are asked for after the defaults.
	Scopes []string
	// DisableDefaultScope leaves openid profile email User.Read
	// offline_access out.
	DisableDefaultScope bool
	// Prompt is sent when set.
	Prompt string
	// DisableProfilePhoto skips the Graph photo; ProfilePhotoSize is its
	// size (default 48).
	DisableProfilePhoto bool
	ProfilePhotoSize    int
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

// Provider is Microsoft Entra ID; build it with New.
type Provider struct {
	cfg      Config
	verifier *oidc.IDTokenVerifier
}

// ErrConfig is what New's error wraps for an incomplete Config.
var ErrConfig = errors.New("microsoft: invalid config")

// New checks cfg and fills the defaults.
func New(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("%w: ClientID and ClientSecret are required", ErrConfig)
	}
	if cfg.TenantID == "" {
		cfg.TenantID = "common"
	}
	if cfg.Authority == "" {
		cfg.Authority = "https://login.microsoftonline.com"
	}
	cfg.Authority = strings.TrimRight(cfg.Authority, "/")
	if cfg.GraphURL == "" {
		cfg.GraphURL = "https://graph.microsoft.com"
	}
	cfg.GraphURL = strings.TrimRight(cfg.GraphURL, "/")
	if cfg.ProfilePhotoSize == 0 {
		cfg.ProfilePhotoSize = 48
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), cfg.HTTPClient), cfg.Authority+"/"+cfg.TenantID+"/discovery/v2.0/keys")
	// The issuer names the user's own tenant: checked in UserInfo.
	v := oidc.NewVerifier("", keys, &oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now, SupportedSigningAlgs: []string{oidc.RS256}, SkipIssuerCheck: true})
	return &Provider{cfg: cfg, verifier: v}, nil
}

// ID is "microsoft".
func (p *Provider) ID() string { return "microsoft" }

// Describe tells the plugin the provider's rules (no nonce, no iss
// parameter check, as Better Auth's).
func (p *Provider) Describe(context.Context) (social.Description, error) {
	return social.Description{
		DisableSignUp: p.cfg.DisableSignUp, DisableImplicitSignUp: p.cfg.DisableImplicitSignUp,
		OverrideUserInfoOnSignIn: p.cfg.OverrideUserInfo,
	}, nil
}

func (p *Provider) scopes() []string {
	var s []string
	if !p.cfg.DisableDefaultScope {
		s = []string{"openid", "profile", "email", "User.Read", "offline_access"}
	}
	return append(s, p.cfg.Scopes...)
}

func (p *Provider) oauth2Config(redirectURI string, scopes []string) *oauth2.Config {
	base := p.cfg.Authority + "/" + p.cfg.TenantID + "/oauth2/v2.0"
	return &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: redirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: base + "/authorize", TokenURL: base + "/token", AuthStyle: oauth2.AuthStyleInParams},
	}
}

func (p *Provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.cfg.HTTPClient)
}

// AuthCodeURL is the tenant's authorization URL with PKCE S256.
func (p *Provider) AuthCodeURL(_ context.Context, req social.AuthRequest) (string, error) {
	var opts []oauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(req.CodeVerifier))
	}
	if req.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", req.LoginHint))
	}
	if p.cfg.Prompt != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", p.cfg.Prompt))
	}
	return p.oauth2Config(req.RedirectURI, append(p.scopes(), req.Scopes...)).AuthCodeURL(req.State, opts...), nil
}

// Exchange trades the code (with the PKCE verifier) for tokens.
func (p *Provider) Exchange(ctx context.Context, req social.ExchangeRequest) (*social.Tokens, error) {
	var opts []oauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := p.oauth2Config(req.RedirectURI, nil).Exchange(p.ctx(ctx), req.Code, opts...)
	if err != nil {
		return nil, oauthx.TokenError("microsoft", err)
	}
	return oauthx.Tokens(tok), nil
}

// Refresh trades a refresh token for new tokens, asking for the same
// scopes, as Better Auth does.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*social.Tokens, error) {
	tok, err := p.oauth2Config("", p.scopes()).TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, oauthx.TokenError("microsoft", err)
	}
	return oauthx.Tokens(tok), nil
}

// verify checks an ID token: signature, audience, expiry, and an issuer
// that is the token's own tenant's under the authority, within the
// configured tenant kind.
func (p *Provider) verify(ctx context.Context, token string) (*oidc.IDToken, map[string]any, error) {
	idt, err := p.verifier.Verify(p.ctx(ctx), token)
	if err != nil {
		return nil, nil, fmt.Errorf("microsoft: ID token: %w", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, nil, fmt.Errorf("microsoft: ID token claims: %w", err)
	}
	tid, _ := claims["tid"].(string)
	switch t := p.cfg.TenantID; {
	case tid == "" || idt.Issuer != p.cfg.Authority+"/"+tid+"/v2.0":
		return nil, nil, fmt.Errorf("microsoft: ID token: issuer %q is not its tenant's", idt.Issuer)
	case t == "organizations" && tid == consumerTenant, t == "consumers" && tid != consumerTenant:
		return nil, nil, fmt.Errorf("microsoft: ID token: tenant %q is not of kind %q", tid, t)
	case t != "common" && t != "organizations" && t != "consumers" && tid != t:
		return nil, nil, fmt.Errorf("microsoft: ID token: tenant %q is not %q", tid, t)
	}
	return idt, claims, nil
}

// VerifyIDToken verifies an ID token a client got from Entra ID directly.
func (p *Provider) VerifyIDToken(ctx context.Context, token, nonce string) error {
	idt, _, err := p.verify(ctx, token)
	if err != nil {
		return err
	}
	if nonce != "" && idt.Nonce != nonce {
		return errors.New("microsoft: ID token: the nonce differs")
	}
	return nil
}

// UserInfo reads the user from the verified ID token (oid as the account)
// and, unless disabled, the Graph profile photo.
func (p *Provider) UserInfo(ctx context.Context, t *social.Tokens, nonce string) (*social.UserInfo, error) {
	if t.IDToken == "" {
		return nil, errors.New("microsoft: no ID token")
	}
	idt, claims, err := p.verify(ctx, t.IDToken)
	if err != nil {
		return nil, err
	}
	if nonce != "" && idt.Nonce != nonce {
		return nil, errors.New("microsoft: ID token: the nonce differs")
	}
	oid, _ := claims["oid"].(string) // none: the plugin refuses a user without a subject
	u := &social.UserInfo{ID: oid, Profile: claims}
	u.Email, _ = claims["email"].(string)
	u.Name, _ = claims["name"].(string)
	if ev, ok := claims["email_verified"]; ok {
		u.EmailVerified = ev == true || ev == "true"
	} else if u.Email != "" {
		u.EmailVerified = listed(claims["verified_primary_email"], u.Email) || listed(claims["verified_secondary_email"], u.Email)
	}
	if !p.cfg.DisableProfilePhoto && t.AccessToken != "" {
		if pic := p.photo(ctx, t.AccessToken); pic != "" {
			u.Image = pic
			claims["picture"] = pic
		}
	}
	if p.cfg.MapProfileToUser != nil {
		if err := p.cfg.MapProfileToUser(claims, u); err != nil {
			return nil, fmt.Errorf("microsoft: MapProfileToUser: %w", err)
		}
	}
	return u, nil
}

// listed reports whether a claim (a string or a list of strings) holds s.
func listed(claim any, s string) bool {
	switch v := claim.(type) {
	case string:
		return v == s
	case []any:
		return slices.ContainsFunc(v, func(x any) bool { return x == s })
	}
	return false
}

// photo is the user's Graph photo as Better Auth stores it ("data:image/jpeg;base64, ..."),
// or "" (no photo, or Graph unreachable: the sign-in goes on).
func (p *Provider) photo(ctx context.Context, accessToken string) string {
	size := strconv.Itoa(p.cfg.ProfilePhotoSize)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.GraphURL+"/v1.0/me/photos/"+size+"x"+size+"/$value", nil)
	if err != nil {
		return ""
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	res, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return ""
	}
	return "data:image/jpeg;base64, " + base64.StdEncoding.EncodeToString(b)
}
