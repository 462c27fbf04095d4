// Package social is sign-in with OAuth 2.0 and OpenID Connect providers,
// as Better Auth 1.7.25 runs it, so that a user who signed up through a
// provider in a Better Auth app signs in here as the same user (one user,
// one account row), and the reverse.
//
// One plugin hosts many providers (each a Provider, in a package of its
// own: plugins/social/oidc is a generic OpenID provider found by
// discovery, as Better Auth's genericOAuth with a discoveryUrl). It serves
//
//   - POST /sign-in/social: {provider, callbackURL, errorCallbackURL,
//     newUserCallbackURL, scopes, loginHint, disableRedirect, requestSignUp}
//     → {url, redirect}; the flow's state in the verification table
//     (auth-state:<state>, Better Auth's JSON) and the signed
//     <prefix>.state cookie, 10 minutes, single use; PKCE S256; a nonce
//     for OpenID providers.
//   - GET and POST /callback/{id}: the state, iss (RFC 9207) and nonce
//     checks, the code exchange, the account rules below, then the
//     session through the Auth's sign-in pipeline (Auth.SignIn, so
//     two-factor and other BeforeSignIn hooks see it) and a redirect;
//     failures redirect with Better Auth's ?error= codes to the
//     errorCallbackURL or <baseURL>/error. The idToken form (a mobile app's
//     ID token, for providers that are IDTokenVerifiers) signs in at once
//     and answers {redirect: false, token, user}.
//   - POST /link-social: the same flow for a signed-in user, whose callback
//     links the provider's account to that user (same email unless
//     AllowDifferentEmails, a trusted provider or a verified email, the
//     starting session still alive) instead of signing in.
//   - GET /list-accounts and POST /unlink-account.
//   - POST /get-access-token (refreshing a token that expires within 5 s),
//     POST /refresh-token and GET /account-info, for the caller's accounts.
//
// Accounts are written as Better Auth writes them (providerId, accountId =
// the provider's subject, tokens and expiries, scope comma-joined; tokens
// encrypted with Better Auth's symmetricEncrypt when EncryptOAuthTokens).
// A user with the same email is linked implicitly only when the provider
// is trusted or says the email is verified, and the local user's email is
// verified; otherwise the callback answers error=account_not_linked.
//
// docs/social.md lists the facts this follows and what is not built yet
// (the cookie state strategy, additionalData, per-provider
// requireEmailVerification, more named providers).
package social

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-betterauth/betterauth"
)

// Options configure the plugin; the zero value of each is Better Auth's
// default.
type Options struct {
	// Providers are the providers users may sign in with; ids must be
	// unique.
	Providers []Provider
	// TrustedProviders are provider ids whose email addresses are taken as
	// verified for implicit linking (account.accountLinking.trustedProviders).
	TrustedProviders []string
	// DisableLinking turns account linking off
	// (account.accountLinking.enabled: false).
	DisableLinking bool
	// DisableImplicitLinking never links a provider account to an existing
	// user at sign-in (account.accountLinking.disableImplicitLinking).
	DisableImplicitLinking bool
	// LinkUnverifiedLocalUsers links implicitly even when the local user's
	// email is not verified (accountLinking.requireLocalEmailVerified:
	// false). Better Auth's default refuses it, since v1.6.11's fix.
	LinkUnverifiedLocalUsers bool
	// AllowDifferentEmails lets link-social link a provider account whose
	// email is not the user's (accountLinking.allowDifferentEmails).
	AllowDifferentEmails bool
	// UpdateUserInfoOnLink copies the provider's name and image onto the
	// user when link-social links an account
	// (accountLinking.updateUserInfoOnLink).
	UpdateUserInfoOnLink bool
	// AllowUnlinkingAll lets a user unlink their last account.
	AllowUnlinkingAll bool
	// KeepTokensOnSignIn leaves a linked account's tokens as they are at
	// sign-in (account.updateAccountOnSignIn: false).
	KeepTokensOnSignIn bool
	// EncryptOAuthTokens stores access and refresh tokens encrypted with
	// Better Auth's symmetricEncrypt under the secret
	// (account.encryptOAuthTokens).
	EncryptOAuthTokens bool
	// SkipStateCookieCheck accepts a callback without the signed state
	// cookie (account.skipStateCookieCheck).
	SkipStateCookieCheck bool
}

// Plugin is the social sign-in plugin. Build it with New and list it in
// betterauth.Config.Plugins.
type Plugin struct {
	opts      Options
	providers map[string]Provider
	trusted   map[string]bool
	auth      *betterauth.Auth
}

// ErrDuplicateProvider is what New's error wraps when two providers share
// an id.
var ErrDuplicateProvider = errors.New("social: duplicate provider id")

// New checks the options and returns the plugin.
func New(opts Options) (*Plugin, error) {
	p := &Plugin{opts: opts, providers: map[string]Provider{}, trusted: map[string]bool{}}
	for i, pr := range opts.Providers {
		if pr == nil || pr.ID() == "" {
			return nil, fmt.Errorf("social: Providers[%d] is nil or has no id", i)
		}
		if _, dup := p.providers[pr.ID()]; dup {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateProvider, pr.ID())
		}
		p.providers[pr.ID()] = pr
	}
	for _, id := range opts.TrustedProviders {
		p.trusted[id] = true
	}
	return p, nil
}

// ID is "social".
func (p *Plugin) ID() string { return "social" }

// Init keeps the Auth.
func (p *Plugin) Init(a *betterauth.Auth) error {
	p.auth = a
	return nil
}

// Routes are Better Auth's social endpoints.
func (p *Plugin) Routes() []betterauth.Route {
	return []betterauth.Route{
		{Method: http.MethodPost, Path: "/sign-in/social", Handle: p.handleSignInSocial},
		{Method: http.MethodGet, Path: "/callback/{id}", Handle: p.handleCallback},
		{Method: http.MethodPost, Path: "/callback/{id}", Form: true, Handle: p.handleCallbackPost},
		{Method: http.MethodPost, Path: "/link-social", Access: betterauth.AccessSession, Handle: p.handleLinkSocial},
		{Method: http.MethodGet, Path: "/list-accounts", Access: betterauth.AccessSession, Handle: p.handleListAccounts},
		{Method: http.MethodPost, Path: "/get-access-token", Access: betterauth.AccessSession, Handle: p.handleGetAccessToken},
		{Method: http.MethodPost, Path: "/refresh-token", Access: betterauth.AccessSession, Handle: p.handleRefreshToken},
		{Method: http.MethodGet, Path: "/account-info", Access: betterauth.AccessSession, Handle: p.handleAccountInfo},
		{Method: http.MethodPost, Path: "/unlink-account", Access: betterauth.AccessFreshSession, Handle: p.handleUnlinkAccount},
	}
}

// SignInMethod is SignIn.Method for a sign-in through a provider's
// callback ("oauth", as Better Auth's source.method).
const SignInMethod = "oauth"

// Errors the endpoints answer with, as Better Auth words them. The
// endpoints answer copies, so changing these changes nothing sent.
var (
	ErrProviderNotFound          = errProviderNotFound()
	ErrFailedToUnlinkLastAccount = errFailedToUnlinkLastAccount()
	ErrAccountNotFound           = errAccountNotFound()
	ErrIDTokenNotSupported       = errIDTokenNotSupported()
)

func errProviderNotFound() *betterauth.APIError {
	return &betterauth.APIError{Status: http.StatusNotFound, Code: "PROVIDER_NOT_FOUND", Message: "Provider not found"}
}

func errFailedToUnlinkLastAccount() *betterauth.APIError {
	return &betterauth.APIError{Status: http.StatusBadRequest, Code: "FAILED_TO_UNLINK_LAST_ACCOUNT", Message: "You can't unlink your last account"}
}

func errAccountNotFound() *betterauth.APIError {
	return &betterauth.APIError{Status: http.StatusBadRequest, Code: "ACCOUNT_NOT_FOUND", Message: "Account not found"}
}

func errIDTokenNotSupported() *betterauth.APIError {
	return &betterauth.APIError{Status: http.StatusNotFound, Code: "ID_TOKEN_NOT_SUPPORTED", Message: "id_token not supported"}
}
