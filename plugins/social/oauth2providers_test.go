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
	"github.com/go-betterauth/betterauth/plugins/social/discord"
	"github.com/go-betterauth/betterauth/plugins/social/gitlab"
)

// fakeOAuth2 is a plain OAuth 2.0 provider with one JSON profile API:
// authorize (approves at once), token (client_secret_post, PKCE when a
// challenge was sent) and the profile at apiPath.
type fakeOAuth2 struct {
	*httptest.Server
	mu        sync.Mutex
	challenge string
	authQuery url.Values
	profile   map[string]any
}

func newFakeOAuth2(t *testing.T, authPath, tokenPath, apiPath string) *fakeOAuth2 {
	f := &fakeOAuth2{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+authPath, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		f.authQuery, f.challenge = q, q.Get("code_challenge")
		f.mu.Unlock()
		to, _ := url.Parse(q.Get("redirect_uri"))
		to.RawQuery = url.Values{"code": {"the-code"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, to.String(), http.StatusFound)
	})
	mux.HandleFunc("POST "+tokenPath, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		pkceOK := f.challenge == "" && r.PostForm.Get("code_verifier") == "" || f.challenge == base64.RawURLEncoding.EncodeToString(sum[:])
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("client_secret") != "secret" || r.PostForm.Get("code") != "the-code" || !pkceOK {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "api-token", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt"})
	})
	mux.HandleFunc("GET "+apiPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer api-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(f.profile)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// flowVia runs a whole flow through a fake provider.
func flowVia(t *testing.T, c *client, hc *http.Client, provider string) (response, url.Values) {
	t.Helper()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	authURL := c.startSignIn(map[string]any{"provider": provider})
	u, _ := url.Parse(authURL)
	res, err := hc.Get(authURL)
	require.NoError(t, err)
	res.Body.Close()
	return c.do(http.MethodGet, res.Header.Get("Location"), nil), u.Query()
}

// Discord as Better Auth's discord provider: identify email, prompt=none,
// no PKCE, the snowflake id, "verified", the global name, CDN avatars (a
// default one by the id when there is none).
func TestDiscord(t *testing.T) {
	f := newFakeOAuth2(t, "/api/oauth2/authorize", "/api/oauth2/token", "/api/users/@me")
	d, err := discord.New(discord.Config{ClientID: "client", ClientSecret: "secret", HTTPClient: f.Client(),
		AuthorizationURL: f.URL + "/api/oauth2/authorize", TokenURL: f.URL + "/api/oauth2/token", APIURL: f.URL + "/api", CDNURL: "https://cdn.example"})
	require.NoError(t, err)
	e := newEnv(t, setupOpts(func(o *social.Options) { o.Providers = []social.Provider{d} }))
	f.profile = map[string]any{"id": "80351110224678912", "username": "nelly", "global_name": "Nelly", "discriminator": "0", "avatar": nil, "email": "nelly@example.com", "verified": true}
	r, q := flowVia(t, e.client(), f.Client(), "discord")
	require.Equal(t, testBaseURL, r.location(), r.Body.String())
	require.Equal(t, "identify email", q.Get("scope"))
	require.Equal(t, "none", q.Get("prompt"))
	require.False(t, q.Has("code_challenge"), "Better Auth sends Discord no PKCE")
	u := e.user("nelly@example.com")
	require.Equal(t, "Nelly", u.Name)
	require.True(t, u.EmailVerified)
	require.Equal(t, "https://cdn.example/embed/avatars/5.png", *u.Image) // (80351110224678912 >> 22) % 6, as Better Auth computes it
	require.Equal(t, "80351110224678912", e.accounts("nelly@example.com")[0].AccountID)

	f.profile = map[string]any{"id": "1", "username": "old", "global_name": nil, "discriminator": "1337", "avatar": "a_abc", "email": "old@example.com", "verified": false}
	r, _ = flowVia(t, e.client(), f.Client(), "discord")
	require.Equal(t, testBaseURL, r.location())
	u = e.user("old@example.com")
	require.Equal(t, "old", u.Name)
	require.False(t, u.EmailVerified)
	require.Equal(t, "https://cdn.example/avatars/1/a_abc.gif", *u.Image)
	f.profile = map[string]any{"id": "2", "username": "p", "discriminator": "1", "avatar": "plain", "email": "p@example.com", "verified": true}
	flowVia(t, e.client(), f.Client(), "discord")
	require.Equal(t, "https://cdn.example/avatars/2/plain.png", *e.user("p@example.com").Image)
	f.profile = map[string]any{"id": "3", "username": "q", "discriminator": "7", "avatar": nil, "email": "q@example.com", "verified": true}
	flowVia(t, e.client(), f.Client(), "discord")
	require.Equal(t, "https://cdn.example/embed/avatars/2.png", *e.user("q@example.com").Image, "legacy: discriminator % 5")

	f.profile = map[string]any{"id": "80351110224678999", "username": "r", "avatar": nil, "email": "r@example.com", "verified": true}
	flowVia(t, e.client(), f.Client(), "discord")
	require.Equal(t, "https://cdn.example/embed/avatars/5.png", *e.user("r@example.com").Image, "no discriminator: by the id")

	perm := int64(8)
	d, err = discord.New(discord.Config{ClientID: "client", ClientSecret: "secret", Scopes: []string{"bot"}, Permissions: &perm, Prompt: "consent"})
	require.NoError(t, err)
	au, err := d.AuthCodeURL(t.Context(), social.AuthRequest{State: "s", RedirectURI: "http://x/cb"})
	require.NoError(t, err)
	pu, _ := url.Parse(au)
	require.Equal(t, "8", pu.Query().Get("permissions"))
	require.Equal(t, "consent", pu.Query().Get("prompt"))
	require.Equal(t, "identify email bot", pu.Query().Get("scope"))
	_, err = discord.New(discord.Config{ClientID: "c"})
	require.ErrorIs(t, err, discord.ErrConfig)
}

// GitLab as Better Auth's gitlab provider: read_user, PKCE, the numeric
// id, email_verified; a blocked or locked user is refused.
func TestGitLab(t *testing.T) {
	f := newFakeOAuth2(t, "/oauth/authorize", "/oauth/token", "/api/v4/user")
	g, err := gitlab.New(gitlab.Config{ClientID: "client", ClientSecret: "secret", Issuer: f.URL + "/", HTTPClient: f.Client()})
	require.NoError(t, err)
	e := newEnv(t, setupOpts(func(o *social.Options) { o.Providers = []social.Provider{g} }))
	f.profile = map[string]any{"id": 42, "username": "ada", "name": "Ada L.", "email": "ada@example.com", "email_verified": true, "state": "active", "locked": false, "avatar_url": "https://gl.example/a.png"}
	r, q := flowVia(t, e.client(), f.Client(), "gitlab")
	require.Equal(t, testBaseURL, r.location(), r.Body.String())
	require.Equal(t, "read_user", q.Get("scope"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	u := e.user("ada@example.com")
	require.Equal(t, "Ada L.", u.Name)
	require.True(t, u.EmailVerified)
	require.Equal(t, "https://gl.example/a.png", *u.Image)
	require.Equal(t, "42", e.accounts("ada@example.com")[0].AccountID)

	f.profile = map[string]any{"id": 43, "username": "bob", "email": "bob@example.com", "state": "active"}
	r, _ = flowVia(t, e.client(), f.Client(), "gitlab")
	require.Equal(t, testBaseURL, r.location())
	require.Equal(t, "bob", e.user("bob@example.com").Name)
	require.False(t, e.user("bob@example.com").EmailVerified)

	for _, p := range []map[string]any{
		{"id": 44, "email": "cy@example.com", "state": "blocked"},
		{"id": 45, "email": "di@example.com", "state": "active", "locked": true},
	} {
		f.profile = p
		r, _ = flowVia(t, e.client(), f.Client(), "gitlab")
		require.Equal(t, "unable_to_get_user_info", r.errorCode(t))
	}
	_, err = gitlab.New(gitlab.Config{ClientSecret: "s"})
	require.ErrorIs(t, err, gitlab.ErrConfig)
}
