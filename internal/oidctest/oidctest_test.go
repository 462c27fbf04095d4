package oidctest_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/go-betterauth/betterauth/internal/oidctest"
)

// authorize runs the authorization request and returns the redirect's query.
func authorize(t *testing.T, p *oidctest.Provider, authURL string) url.Values {
	t.Helper()
	c := p.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(authURL)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusFound, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	return loc.Query()
}

// A client built on x/oauth2 and go-oidc completes the flow: PKCE, both
// client authentications, a verified ID token with the nonce, userinfo,
// refresh; a code works once, and a wrong verifier or secret is refused.
func TestProviderWithStandardClient(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p := oidctest.New(t, oidctest.Config{Now: func() time.Time { return now }})
	ctx := oidc.ClientContext(context.Background(), p.Client())
	op, err := oidc.NewProvider(ctx, p.Issuer())
	require.NoError(t, err)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInParams, oauth2.AuthStyleInHeader} {
		conf := oauth2.Config{ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: "http://app/cb",
			Endpoint: oauth2.Endpoint{AuthURL: op.Endpoint().AuthURL, TokenURL: op.Endpoint().TokenURL, AuthStyle: style},
			Scopes:   []string{"openid", "email"}}
		verifier := oauth2.GenerateVerifier()
		q := authorize(t, p, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-1")))
		require.Equal(t, "st", q.Get("state"))

		_, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption("wrong"))
		require.Error(t, err, "a wrong verifier is refused")
		q = authorize(t, p, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-1")))
		tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		_, err = conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		require.Error(t, err, "a code works once")

		raw, _ := tok.Extra("id_token").(string)
		idt, err := op.VerifierContext(ctx, &oidc.Config{ClientID: p.ClientID(), Now: func() time.Time { return now }}).Verify(ctx, raw)
		require.NoError(t, err)
		require.Equal(t, "n-1", idt.Nonce)
		require.Equal(t, "sub-1", idt.Subject)
		ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		require.NoError(t, err)
		require.Equal(t, "ada@example.com", ui.Email)
		require.True(t, ui.EmailVerified)

		tok.Expiry = now.Add(-time.Minute)
		fresh, err := conf.TokenSource(ctx, tok).Token()
		require.NoError(t, err)
		require.NotEqual(t, tok.AccessToken, fresh.AccessToken)
	}
	calls := p.TokenCalls()
	require.Equal(t, "client_secret_post", calls[0].AuthMethod)
	require.Equal(t, "client_secret_basic", calls[len(calls)-1].AuthMethod)

	conf := oauth2.Config{ClientID: p.ClientID(), ClientSecret: "nope", RedirectURL: "http://app/cb", Endpoint: op.Endpoint(), Scopes: []string{"openid"}}
	q := authorize(t, p, conf.AuthCodeURL("st"))
	_, err = conf.Exchange(ctx, q.Get("code"))
	require.Error(t, err, "a wrong secret is refused")

	p.ForgeIDTokens(true)
	conf.ClientSecret = p.ClientSecret()
	q = authorize(t, p, conf.AuthCodeURL("st"))
	tok, err := conf.Exchange(ctx, q.Get("code"))
	require.NoError(t, err)
	_, err = op.VerifierContext(ctx, &oidc.Config{ClientID: p.ClientID(), Now: func() time.Time { return now }}).Verify(ctx, tok.Extra("id_token").(string))
	require.Error(t, err, "a forged ID token fails verification")
}
