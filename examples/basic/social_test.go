package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/oidctest"
	"github.com/go-betterauth/betterauth/internal/pgtest"
)

// OIDC_* configure one generic OpenID provider: the page learns of it from
// /api/config, a browser signs in through it (the provider's redirects
// followed) as a new user, and the linked account is listed.
func TestExampleSocial(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"memory":   {"DATABASE_URL": "", "BETTER_AUTH_SECRET": ""},
		"postgres": {"DATABASE_URL": pgtest.NewDatabase(t), "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef"},
	} {
		t.Run(name, func(t *testing.T) {
			op := oidctest.New(t, oidctest.Config{})
			env["OIDC_DISCOVERY_URL"], env["OIDC_CLIENT_ID"], env["OIDC_CLIENT_SECRET"] = op.DiscoveryURL(), op.ClientID(), op.ClientSecret()
			env["OIDC_PROVIDER_ID"] = "corp"
			base, logs := startExampleLogged(t, env)

			res, err := http.Get(base + "/api/config")
			require.NoError(t, err)
			cfg, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.JSONEq(t, `{"twoFactor":false,"socialProviders":["corp"]}`, string(cfg))

			jar, err := cookiejar.New(nil)
			require.NoError(t, err)
			browser := &http.Client{Jar: jar}
			post := func(path string, body any) map[string]any {
				raw, _ := json.Marshal(body)
				req, err := http.NewRequest("POST", base+path, bytes.NewReader(raw))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", base)
				res, err := browser.Do(req)
				require.NoError(t, err)
				defer res.Body.Close()
				require.Equal(t, 200, res.StatusCode)
				var out map[string]any
				require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
				return out
			}
			get := func(path string, v any) {
				res, err := browser.Get(base + path)
				require.NoError(t, err)
				defer res.Body.Close()
				require.Equal(t, 200, res.StatusCode)
				require.NoError(t, json.NewDecoder(res.Body).Decode(v))
			}
			start := post("/api/auth/sign-in/social", map[string]any{"provider": "corp", "callbackURL": "/", "errorCallbackURL": "/"})
			authURL, _ := start["url"].(string)
			assert.Contains(t, authURL, "scope=openid&")
			res, err = browser.Get(authURL) // provider → callback → the page
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, 200, res.StatusCode)
			require.Equal(t, base+"/", res.Request.URL.String(), "the browser ends on the page, without ?error=")

			var session struct{ User struct{ Email, Name string } }
			get("/api/auth/get-session", &session)
			assert.Equal(t, "ada@example.com", session.User.Email)
			assert.Equal(t, "Ada Lovelace", session.User.Name)
			var accounts []struct {
				ProviderID, AccountID string
			}
			get("/api/auth/list-accounts", &accounts)
			require.Len(t, accounts, 1)
			assert.Equal(t, "corp", accounts[0].ProviderID)
			assert.Equal(t, "sub-1", accounts[0].AccountID)
			assert.Contains(t, logs.String(), "providers=corp")
			assert.NotContains(t, logs.String(), op.ClientSecret())
		})
	}
}

// A provider given only part of its variables stops the example with an
// error that names them.
func TestExampleSocialPartialEnv(t *testing.T) {
	for _, env := range []map[string]string{
		{"OIDC_DISCOVERY_URL": "http://127.0.0.1:1/.well-known/openid-configuration", "OIDC_CLIENT_ID": "c"},
		{"GITHUB_CLIENT_ID": "c"},
		{"GOOGLE_CLIENT_SECRET": "s"},
	} {
		t.Setenv("PORT", freePort(t))
		t.Setenv("DATABASE_URL", "")
		for _, k := range []string{"OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"} {
			t.Setenv(k, env[k])
		}
		err := run(context.Background(), slog.New(slog.DiscardHandler))
		require.Error(t, err)
		assert.True(t, strings.Contains(err.Error(), "are set but"), err.Error())
	}
	// GITHUB_* and GOOGLE_* both set: the page offers GitHub and Google.
	base := startExample(t, map[string]string{"DATABASE_URL": "", "BETTER_AUTH_SECRET": "", "GITHUB_CLIENT_ID": "c", "GITHUB_CLIENT_SECRET": "s",
		"GOOGLE_CLIENT_ID": "c", "GOOGLE_CLIENT_SECRET": "s", "OIDC_DISCOVERY_URL": "", "OIDC_CLIENT_ID": "", "OIDC_CLIENT_SECRET": ""})
	res, err := http.Get(base + "/api/config")
	require.NoError(t, err)
	cfg, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.JSONEq(t, `{"twoFactor":false,"socialProviders":["github","google"]}`, string(cfg))
}
