package social

import (
	"context"
	"errors"
	"time"
)

// Provider is one OAuth 2.0 or OpenID Connect provider the plugin signs
// users in with. Each lives in a package of its own (plugins/social/oidc,
// ...), with a Config struct and overridable endpoints.
type Provider interface {
	// ID names the provider in /sign-in/social's provider, the
	// /callback/{id} path and account.providerId ("github", "oidc").
	ID() string
	// Describe returns what the plugin must know of the provider before a
	// flow; a provider that discovers its endpoints does so here (and
	// tries again on the next call after a failure). An error makes the
	// provider unknown for that request, as Better Auth skips a provider
	// whose discovery failed.
	Describe(ctx context.Context) (Description, error)
	// AuthCodeURL is the authorization URL the browser is sent to.
	AuthCodeURL(ctx context.Context, req AuthRequest) (string, error)
	// Exchange trades an authorization code for tokens.
	Exchange(ctx context.Context, req ExchangeRequest) (*Tokens, error)
	// UserInfo returns the user the tokens belong to. nonce is the value
	// the ID token must carry ("" when none was sent); a token that fails
	// verification, or a wrong nonce, is an error.
	UserInfo(ctx context.Context, t *Tokens, nonce string) (*UserInfo, error)
}

// IDTokenVerifier is a Provider that accepts ID tokens a client got from
// it directly (a mobile app's Google or Apple sign-in), for the idToken
// form of /sign-in/social. The plugin then reads the user with UserInfo
// (Tokens holding the ID token and the client's access token, if any).
type IDTokenVerifier interface {
	// VerifyIDToken checks the token's signature, issuer, audience and
	// expiry, and its nonce when nonce is not "". ErrIDTokenNotSupported
	// means the provider cannot verify ID tokens (a plain OAuth 2.0
	// provider, or no JWKS was discovered).
	VerifyIDToken(ctx context.Context, token, nonce string) error
}

// ErrNoIDTokens is what VerifyIDToken returns when the provider
// has no way to verify ID tokens.
var ErrNoIDTokens = errors.New("social: the provider does not verify ID tokens")

// Refresher is a Provider that can refresh an access token.
type Refresher interface {
	Refresh(ctx context.Context, refreshToken string) (*Tokens, error)
}

// Description is what Describe tells the plugin.
type Description struct {
	// Issuer is checked against the callback's iss parameter when both are
	// present (RFC 9207); "" checks nothing.
	Issuer string
	// RequiresNonce makes the plugin send a nonce and check it in the ID
	// token (Better Auth's requiresIdTokenNonce).
	RequiresNonce bool
	// DisableSignUp refuses to create users through this provider.
	DisableSignUp bool
	// DisableImplicitSignUp creates users only when the sign-in asked for
	// it (requestSignUp: true).
	DisableImplicitSignUp bool
	// OverrideUserInfoOnSignIn copies name, image, email and
	// emailVerified from the provider onto the user at every sign-in.
	OverrideUserInfoOnSignIn bool
}

// AuthRequest is what an authorization URL carries.
type AuthRequest struct {
	State string
	// CodeVerifier is the PKCE verifier; providers that use PKCE send its
	// S256 challenge.
	CodeVerifier string
	// Nonce is the ID token nonce; "" sends none.
	Nonce string
	// RedirectURI is <baseURL>/callback/<id>.
	RedirectURI string
	// Scopes are the scopes asked for beyond the provider's own.
	Scopes []string
	// LoginHint is sent as login_hint when not "".
	LoginHint string
}

// ExchangeRequest is what a code exchange needs.
type ExchangeRequest struct {
	Code         string
	CodeVerifier string
	RedirectURI  string
}

// Tokens are a token endpoint's answer.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	IDToken      string
	TokenType    string
	// AccessTokenExpiresIn and RefreshTokenExpiresIn are expires_in and
	// refresh_token_expires_in; 0 when the provider did not say.
	AccessTokenExpiresIn  time.Duration
	RefreshTokenExpiresIn time.Duration
	// Scopes are the granted scopes (the answer's scope, split on spaces).
	Scopes []string
	// User is what the provider posted to the callback as "user" (Apple's
	// JSON with the name, sent on the first sign-in only), or the idToken
	// form's user object as JSON; "" when none.
	User string
}

// UserInfo is the user a provider vouches for.
type UserInfo struct {
	// ID is the provider's subject: account.accountId.
	ID            string
	Email         string
	EmailVerified bool
	Name          string
	Image         string
	// Profile holds every claim the provider sent, for mappings.
	Profile map[string]any
}
