package social_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/github"
)

// fakeGitHub is github.com's OAuth and API endpoints as the provider uses
// them: the code flow with PKCE, /user and /user/emails.
type fakeGitHub struct {
	*httptest.Server
	mu        sync.Mutex
	challenge map[string]string
	profile   map[string]any
	emails    []map[string]any
	tokenForm url.Values
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{challenge: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		f.challenge["code-1"] = q.Get("code_challenge")
		f.mu.Unlock()
		to, _ := url.Parse(q.Get("redirect_uri"))
		to.RawQuery = url.Values{"code": {"code-1"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, to.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.tokenForm = r.PostForm
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("client_secret") != "gh-secret" || f.challenge[r.PostForm.Get("code")] != base64.RawURLEncoding.EncodeToString(sum[:]) {
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "bad_verification_code"}) // GitHub answers errors with 200
			return
		}
		delete(f.challenge, r.PostForm.Get("code"))
		_ = json.NewEncoder(w).Encode(map[string]string{"access_token": "gho_token", "token_type": "bearer", "scope": "read:user,user:email"})
	})
	api := func(v func() any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer gho_token" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v())
		}
	}
	mux.HandleFunc("GET /user", api(func() any { return f.profile }))
	mux.HandleFunc("GET /user/emails", api(func() any { return f.emails }))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	f.profile = map[string]any{"id": 12345678, "login": "ada", "name": nil, "email": nil, "avatar_url": "https://avatars.example/u/1"}
	f.emails = []map[string]any{
		{"email": "old@example.com", "primary": false, "verified": true},
		{"email": "ada@example.com", "primary": true, "verified": true},
	}
	return f
}

func githubEnv(t *testing.T) (*env, *fakeGitHub) {
	f := newFakeGitHub(t)
	gh, err := github.New(github.Config{
		ClientID: "gh-client", ClientSecret: "gh-secret", HTTPClient: f.Client(),
		AuthorizationURL: f.URL + "/login/oauth/authorize", TokenURL: f.URL + "/login/oauth/access_token", APIURL: f.URL,
	})
	require.NoError(t, err)
	return newEnv(t, setupOpts(func(o *social.Options) { o.Providers = []social.Provider{gh} })), f
}

// GitHub as Better Auth's github provider: its scopes, PKCE, the numeric
// id as the account, the primary email of /user/emails when the profile
// hides it, the login when there is no name.
func TestGitHub(t *testing.T) {
	e, f := githubEnv(t)
	c := e.client()
	authURL := c.startSignIn(map[string]any{"provider": "github"})
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, "read:user user:email", q.Get("scope"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.False(t, q.Has("nonce"))
	require.Equal(t, testBaseURL+"/api/auth/callback/github", q.Get("redirect_uri"))
	hc := f.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := hc.Get(authURL)
	require.NoError(t, err)
	res.Body.Close()
	r := c.do(http.MethodGet, res.Header.Get("Location"), nil)
	require.Equal(t, testBaseURL, r.location(), r.Body.String())
	require.Equal(t, "gh-client", f.tokenForm.Get("client_id"), "client_secret_post")
	usr := e.user("ada@example.com")
	require.Equal(t, "ada", usr.Name)
	require.True(t, usr.EmailVerified)
	require.Equal(t, "https://avatars.example/u/1", *usr.Image)
	a := e.accounts("ada@example.com")[0]
	require.Equal(t, "github", a.ProviderID)
	require.Equal(t, "12345678", a.AccountID)
	require.Equal(t, "read:user,user:email", a.Scope)
	require.Equal(t, "gho_token", a.AccessToken)
}

// A public profile email is used as it is, verified only if /user/emails
// says so; a bad code is invalid_code.
func TestGitHubProfileEmail(t *testing.T) {
	e, f := githubEnv(t)
	f.profile["email"] = "old@example.com"
	f.profile["name"] = "Ada L."
	f.emails[0]["verified"] = false
	c := e.client()
	authURL := c.startSignIn(map[string]any{"provider": "github"})
	hc := f.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := hc.Get(authURL)
	require.NoError(t, err)
	res.Body.Close()
	cb := res.Header.Get("Location")
	require.Equal(t, "invalid_code", c.do(http.MethodGet, withQuery(t, cb, "code", "forged"), nil).errorCode(t))

	c = e.client()
	res, err = hc.Get(c.startSignIn(map[string]any{"provider": "github"}))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, testBaseURL, c.do(http.MethodGet, res.Header.Get("Location"), nil).location())
	usr := e.user("old@example.com")
	require.Equal(t, "Ada L.", usr.Name)
	require.False(t, usr.EmailVerified)
	e.noUser("ada@example.com")
}

// Without a primary email the first one is taken; New needs the client.
func TestGitHubNoPrimary(t *testing.T) {
	e, f := githubEnv(t)
	f.emails = []map[string]any{{"email": "first@example.com", "primary": false, "verified": true}, {"email": "second@example.com", "primary": false, "verified": true}}
	c := e.client()
	hc := f.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := hc.Get(c.startSignIn(map[string]any{"provider": "github"}))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, testBaseURL, c.do(http.MethodGet, res.Header.Get("Location"), nil).location())
	require.True(t, e.user("first@example.com").EmailVerified)

	for _, cfg := range []github.Config{{ClientID: "c"}, {ClientSecret: "s"}} {
		_, err := github.New(cfg)
		require.ErrorIs(t, err, github.ErrConfig)
	}
}
