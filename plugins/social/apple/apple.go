// Package apple is Sign in with Apple as a plugins/social provider, as
// Better Auth's apple provider: the scopes email and name,
// response_type "code id_token" with response_mode form_post (Apple posts
// the callback, which the plugin turns into a GET), PKCE S256,
// client_secret_post with the ES256 client secret JWT Apple requires
// (made here from the team id, key id and .p8 key, or given as is), the
// account keyed by the ID token's sub, the user from the verified ID token
// and, on the first sign-in only, the name Apple posts as "user".
package apple

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/internal/oauthx"
)

// Config is the Services ID (ClientID) and the key that signs the client
// secret. Either ClientSecret, or TeamID, KeyID and PrivateKey, are
// required.
type Config struct {
	// ClientID is the Services ID ("com.example.web").
	ClientID string
	// ClientSecret is a client secret JWT made elsewhere; when empty it is
	// made (and remade before it expires) from TeamID, KeyID and
	// PrivateKey.
	ClientSecret string
	// TeamID, KeyID and PrivateKey (the .p8 file's PEM, PKCS #8 P-256) sign
	// the client secret with ES256.
	TeamID, KeyID string
	PrivateKey    []byte
	// Audience are the accepted ID token audiences (default: the app's
	// bundle id when set, else ClientID); AppBundleIdentifier is the iOS
	// app's, whose ID tokens the idToken sign-in carries.
	Audience            []string
	AppBundleIdentifier string
	// Scopes are asked for after email and name.
	Scopes []string
	// DisableDefaultScope leaves email and name out.
	DisableDefaultScope bool
	// AuthorizationURL, TokenURL, JWKSURL and Issuer default to Apple's.
	AuthorizationURL, TokenURL, JWKSURL, Issuer string
	// DisableSignUp, DisableImplicitSignUp and OverrideUserInfo are the
	// provider's sign-up and profile rules (social.Description).
	DisableSignUp, DisableImplicitSignUp, OverrideUserInfo bool
	// MapProfileToUser may change the user taken from the ID token.
	MapProfileToUser func(profile map[string]any, u *social.UserInfo) error
	// HTTPClient makes every request (default http.DefaultClient).
	HTTPClient *http.Client
	// Now is the clock of ID token checks and client secrets (default
	// time.Now).
	Now func() time.Time
}

// Provider is Apple; build it with New.
type Provider struct {
	cfg      Config
	key      *ecdsa.PrivateKey
	verifier *oidc.IDTokenVerifier
}

// ErrConfig is what New's error wraps for an incomplete Config.
var ErrConfig = errors.New("apple: invalid config")

// secretLifetime is how long a made client secret lives (Apple allows six
// months; a short one limits a leak).
const secretLifetime = time.Hour

// New checks cfg, reads the private key and fills the defaults.
func New(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("%w: ClientID is required", ErrConfig)
	}
	p := &Provider{}
	if cfg.ClientSecret == "" {
		if cfg.TeamID == "" || cfg.KeyID == "" || len(cfg.PrivateKey) == 0 {
			return nil, fmt.Errorf("%w: ClientSecret, or TeamID, KeyID and PrivateKey, are required", ErrConfig)
		}
		block, _ := pem.Decode(cfg.PrivateKey)
		if block == nil {
			return nil, fmt.Errorf("%w: PrivateKey is not PEM", ErrConfig)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PrivateKey: %w", ErrConfig, err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: PrivateKey is not an ECDSA key", ErrConfig)
		}
		p.key = ek
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.AuthorizationURL, "https://appleid.apple.com/auth/authorize")
	def(&cfg.TokenURL, "https://appleid.apple.com/auth/token")
	def(&cfg.JWKSURL, "https://appleid.apple.com/auth/keys")
	def(&cfg.Issuer, "https://appleid.apple.com")
	if len(cfg.Audience) == 0 {
		cfg.Audience = []string{cfg.ClientID}
		if cfg.AppBundleIdentifier != "" {
			cfg.Audience = []string{cfg.AppBundleIdentifier}
		}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), cfg.HTTPClient), cfg.JWKSURL)
	// The audience is checked by hand: Better Auth accepts any of several.
	p.verifier = oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{SkipClientIDCheck: true, Now: cfg.Now, SupportedSigningAlgs: []string{oidc.RS256}})
	p.cfg = cfg
	return p, nil
}

// ID is "apple".
func (p *Provider) ID() string { return "apple" }

// Describe tells the plugin Apple's rules (no nonce in the redirect flow
// and no iss check, as Better Auth's).
func (p *Provider) Describe(context.Context) (social.Description, error) {
	return social.Description{
		DisableSignUp: p.cfg.DisableSignUp, DisableImplicitSignUp: p.cfg.DisableImplicitSignUp,
		OverrideUserInfoOnSignIn: p.cfg.OverrideUserInfo,
	}, nil
}

// ClientSecret is the client secret the token endpoint gets: Config's, or
// an ES256 JWT {iss: team, sub: client, aud: Apple, iat, exp} with the key
// id in its header.
func (p *Provider) ClientSecret() (string, error) {
	if p.cfg.ClientSecret != "" {
		return p.cfg.ClientSecret, nil
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.key},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), p.cfg.KeyID))
	if err != nil {
		return "", fmt.Errorf("apple: client secret: %w", err)
	}
	now := p.cfg.Now()
	s, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: p.cfg.TeamID, Subject: p.cfg.ClientID, Audience: jwt.Audience{"https://appleid.apple.com"},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(secretLifetime)),
	}).Serialize()
	if err != nil {
		return "", fmt.Errorf("apple: client secret: %w", err)
	}
	return s, nil
}

func (p *Provider) oauth2Config(redirectURI string, scopes []string) (*oauth2.Config, error) {
	secret, err := p.ClientSecret()
	if err != nil {
		return nil, err
	}
	return &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: secret, RedirectURL: redirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.cfg.AuthorizationURL, TokenURL: p.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}, nil
}

func (p *Provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.cfg.HTTPClient)
}

// AuthCodeURL is Apple's authorization URL: form_post, "code id_token",
// PKCE S256.
func (p *Provider) AuthCodeURL(_ context.Context, req social.AuthRequest) (string, error) {
	var scopes []string
	if !p.cfg.DisableDefaultScope {
		scopes = []string{"email", "name"}
	}
	scopes = append(append(scopes, p.cfg.Scopes...), req.Scopes...)
	opts := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("response_type", "code id_token"),
		oauth2.SetAuthURLParam("response_mode", "form_post"),
	}
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(req.CodeVerifier))
	}
	// The URL carries no secret: build it without signing one.
	c := &oauth2.Config{ClientID: p.cfg.ClientID, RedirectURL: req.RedirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.cfg.AuthorizationURL, TokenURL: p.cfg.TokenURL}}
	return c.AuthCodeURL(req.State, opts...), nil
}

// Exchange trades the code (with the PKCE verifier) for tokens.
func (p *Provider) Exchange(ctx context.Context, req social.ExchangeRequest) (*social.Tokens, error) {
	c, err := p.oauth2Config(req.RedirectURI, nil)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := c.Exchange(p.ctx(ctx), req.Code, opts...)
	if err != nil {
		return nil, oauthx.TokenError("apple", err)
	}
	return oauthx.Tokens(tok), nil
}

// Refresh trades a refresh token for new tokens.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*social.Tokens, error) {
	c, err := p.oauth2Config("", nil)
	if err != nil {
		return nil, err
	}
	tok, err := c.TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, oauthx.TokenError("apple", err)
	}
	return oauthx.Tokens(tok), nil
}

// verify checks an ID token's signature, issuer, expiry and audience, and
// the nonce when given (equal, or its SHA-256 in hex, as native apps send
// it: Better Auth's "exact-or-sha256").
func (p *Provider) verify(ctx context.Context, token, nonce string) (map[string]any, error) {
	idt, err := p.verifier.Verify(p.ctx(ctx), token)
	if err != nil {
		return nil, fmt.Errorf("apple: ID token: %w", err)
	}
	ok := false
	for _, a := range idt.Audience {
		for _, want := range p.cfg.Audience {
			ok = ok || a == want
		}
	}
	if !ok {
		return nil, fmt.Errorf("apple: ID token: audience %v is not %v", idt.Audience, p.cfg.Audience)
	}
	if nonce != "" {
		sum := sha256.Sum256([]byte(nonce))
		if idt.Nonce != nonce && idt.Nonce != hex.EncodeToString(sum[:]) {
			return nil, errors.New("apple: ID token: the nonce differs")
		}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("apple: ID token claims: %w", err)
	}
	return claims, nil
}

// VerifyIDToken verifies an ID token a client got from Apple directly.
func (p *Provider) VerifyIDToken(ctx context.Context, token, nonce string) error {
	_, err := p.verify(ctx, token, nonce)
	return err
}

// appleUser is what Apple posts as "user" on the first sign-in.
type appleUser struct {
	Name *struct {
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	} `json:"name"`
}

// UserInfo reads the user from the verified ID token; the name from the
// posted user (first sign-in), else the token's name claim.
func (p *Provider) UserInfo(ctx context.Context, t *social.Tokens, nonce string) (*social.UserInfo, error) {
	if t.IDToken == "" {
		return nil, errors.New("apple: no ID token")
	}
	claims, err := p.verify(ctx, t.IDToken, nonce)
	if err != nil {
		return nil, err
	}
	name, _ := claims["name"].(string)
	var au appleUser
	if t.User != "" && json.Unmarshal([]byte(t.User), &au) == nil && au.Name != nil {
		name = strings.TrimSpace(au.Name.FirstName + " " + au.Name.LastName)
	}
	claims["name"] = name
	u := &social.UserInfo{Name: name, Profile: claims}
	u.ID, _ = claims["sub"].(string)
	u.Email, _ = claims["email"].(string)
	u.EmailVerified = claims["email_verified"] == true || claims["email_verified"] == "true"
	if p.cfg.MapProfileToUser != nil {
		if err := p.cfg.MapProfileToUser(claims, u); err != nil {
			return nil, fmt.Errorf("apple: MapProfileToUser: %w", err)
		}
	}
	return u, nil
}
