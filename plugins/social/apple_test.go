package social_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/oidctest"
	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/apple"
)

// appleEnv is an env whose provider is Apple, played by an oidctest
// provider (RS256, form_post, ID tokens for the email and name scopes)
// that accepts only a client secret JWT signed with the team's key.
func appleEnv(t *testing.T, mod func(*apple.Config)) (*env, *oidctest.Provider) {
	now := &clock{t: time.Date(2026, 12, 1, 10, 0, 7, 0, time.UTC)}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	check := func(secret string) bool {
		tok, err := jwt.ParseSigned(secret, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil || tok.Headers[0].KeyID != "KEY123" {
			return false
		}
		var c jwt.Claims
		if tok.Claims(&key.PublicKey, &c) != nil {
			return false
		}
		return c.Issuer == "TEAM123" && c.Subject == "com.example.web" && c.Audience.Contains("https://appleid.apple.com") &&
			c.ValidateWithLeeway(jwt.Expected{Time: now.Now()}, 0) == nil
	}
	op := oidctest.New(t, oidctest.Config{Now: now.Now, RS256: true, ClientID: "com.example.web", CheckSecret: check, AlwaysIDToken: true})
	cfg := apple.Config{
		ClientID: "com.example.web", TeamID: "TEAM123", KeyID: "KEY123", PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		AuthorizationURL: op.Issuer() + "/authorize", TokenURL: op.Issuer() + "/token", JWKSURL: op.Issuer() + "/jwks", Issuer: op.Issuer(),
		HTTPClient: op.Client(), Now: now.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := apple.New(cfg)
	require.NoError(t, err)
	e := newEnv(t, setupOpts(func(o *social.Options) { o.Providers = []social.Provider{a} }))
	e.clock = now
	return e, op
}

var formInput = regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)

// appleFlow runs Sign in with Apple: the authorization page answers a
// form the browser posts, cross-site and without cookies, to the
// callback; the callback sends it on to its GET form, which the browser
// follows with its cookies.
func appleFlow(t *testing.T, e *env, op *oidctest.Provider, c *client, user string) response {
	t.Helper()
	authURL := c.startSignIn(map[string]any{"provider": "apple"})
	res, err := op.Client().Get(authURL)
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	form := url.Values{}
	for _, m := range formInput.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], strings.ReplaceAll(m[2], "&amp;", "&"))
	}
	require.NotEmpty(t, form.Get("code"), string(page))
	if user != "" {
		form.Set("user", user)
	}
	req, _ := http.NewRequest(http.MethodPost, testBaseURL+"/api/auth/callback/apple", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://appleid.apple.com")
	rec := serve(e, req)
	require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
	return c.do(http.MethodGet, rec.Header().Get("Location"), nil)
}

// Sign in with Apple as Better Auth's apple provider: form_post with
// "code id_token", email and name, PKCE, the ES256 client secret, the name
// Apple posts on the first sign-in only.
func TestApple(t *testing.T) {
	e, op := appleEnv(t, nil)
	op.SetUser(oidctest.User{Subject: "000123.abc", Email: "ada@privaterelay.appleid.com", EmailVerified: true})
	c := e.client()
	u, _ := url.Parse(c.startSignIn(map[string]any{"provider": "apple"}))
	q := u.Query()
	require.Equal(t, "code id_token", q.Get("response_type"))
	require.Equal(t, "form_post", q.Get("response_mode"))
	require.Equal(t, "email name", q.Get("scope"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))

	r := appleFlow(t, e, op, e.client(), `{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"ada@privaterelay.appleid.com"}`)
	require.Equal(t, testBaseURL, r.location(), r.Body.String())
	usr := e.user("ada@privaterelay.appleid.com")
	require.Equal(t, "Ada Lovelace", usr.Name)
	require.True(t, usr.EmailVerified)
	require.Equal(t, "000123.abc", e.accounts("ada@privaterelay.appleid.com")[0].AccountID)
	r = appleFlow(t, e, op, e.client(), "")
	require.Equal(t, testBaseURL, r.location(), "later sign-ins carry no user")
	require.Equal(t, "Ada Lovelace", e.user("ada@privaterelay.appleid.com").Name)

	op.SetUser(oidctest.User{Subject: "000456.def", Email: "bob@example.com", EmailVerified: false, Name: "From Token"})
	require.Equal(t, testBaseURL, appleFlow(t, e, op, e.client(), "").location())
	require.Equal(t, "From Token", e.user("bob@example.com").Name)
	require.False(t, e.user("bob@example.com").EmailVerified)
}

// The idToken form for iOS apps: the bundle id as audience, the nonce
// compared as is or as its SHA-256.
func TestAppleIDToken(t *testing.T) {
	e, op := appleEnv(t, func(c *apple.Config) { c.Audience = []string{"com.example.web", "com.example.ios"} })
	op.SetUser(oidctest.User{Subject: "s1"})
	sum := sha256.Sum256([]byte("raw-nonce"))
	tok, err := op.IssueIDToken(oidctest.User{Subject: "s1", Email: "ada@example.com", EmailVerified: true}, hex.EncodeToString(sum[:]))
	require.NoError(t, err)
	post := func(body map[string]any) response {
		body["provider"] = "apple"
		return e.client().post("/sign-in/social", body)
	}
	r := post(map[string]any{"idToken": map[string]any{"token": tok, "nonce": "raw-nonce", "user": map[string]any{"name": map[string]any{"firstName": "Ada"}}}})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, "Ada", e.user("ada@example.com").Name)
	require.Equal(t, "INVALID_TOKEN", post(map[string]any{"idToken": map[string]any{"token": tok, "nonce": "other"}}).str("code"))
	require.Equal(t, "VALIDATION_ERROR", post(map[string]any{"idToken": map[string]any{"token": tok, "user": "Ada"}}).str("code"))

	e2, op2 := appleEnv(t, func(c *apple.Config) { c.AppBundleIdentifier = "com.example.ios" })
	tok2, err := op2.IssueIDToken(oidctest.User{Subject: "s2", Email: "bob@example.com"}, "")
	require.NoError(t, err)
	r = e2.client().post("/sign-in/social", map[string]any{"provider": "apple", "idToken": map[string]any{"token": tok2}})
	require.Equal(t, "INVALID_TOKEN", r.str("code"), "a token for the web client is not the iOS app's")

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	goodPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	for _, cfg := range []apple.Config{
		{ClientSecret: "given"}, {ClientID: "c", KeyID: "k", PrivateKey: goodPEM}, {ClientID: "c", TeamID: "t", PrivateKey: goodPEM},
		{ClientID: "c", TeamID: "t", KeyID: "k", PrivateKey: []byte("not pem")},
	} {
		_, err := apple.New(cfg)
		require.ErrorIs(t, err, apple.ErrConfig)
	}
	a, err := apple.New(apple.Config{ClientID: "c", ClientSecret: "given"})
	require.NoError(t, err)
	s, err := a.ClientSecret()
	require.NoError(t, err)
	require.Equal(t, "given", s)
}
