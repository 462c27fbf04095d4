package social_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/oidctest"
	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/microsoft"
)

// msEnv is an env whose provider is Microsoft Entra ID, played by an
// oidctest provider behind Entra's paths (/<tenant>/oauth2/v2.0/...,
// /<tenant>/discovery/v2.0/keys) and Graph's photo.
func msEnv(t *testing.T, tenant string, photo bool) (*env, *oidctest.Provider, string) {
	now := &clock{t: time.Date(2026, 12, 1, 10, 0, 7, 0, time.UTC)}
	op := oidctest.New(t, oidctest.Config{Now: now.Now, RS256: true, ClientID: "ms-client", ClientSecret: "ms-secret"})
	target, _ := url.Parse(op.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.HasSuffix(p, "/oauth2/v2.0/authorize"):
			r.URL.Path = "/authorize"
		case strings.HasSuffix(p, "/oauth2/v2.0/token"):
			r.URL.Path = "/token"
		case strings.HasSuffix(p, "/discovery/v2.0/keys"):
			r.URL.Path = "/jwks"
		case p == "/v1.0/me/photos/48x48/$value" && photo:
			_, _ = w.Write([]byte("JPEG"))
			return
		default:
			http.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	m, err := microsoft.New(microsoft.Config{
		ClientID: "ms-client", ClientSecret: "ms-secret", TenantID: tenant, Authority: front.URL, GraphURL: front.URL,
		HTTPClient: front.Client(), Now: now.Now,
	})
	require.NoError(t, err)
	e := newEnv(t, setupOpts(func(o *social.Options) { o.Providers = []social.Provider{m} }))
	e.clock = now
	return e, op, front.URL
}

const msTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

func msUser(sub, oid, tid, email string, extra map[string]any) oidctest.User {
	x := map[string]any{"oid": oid, "tid": tid}
	for k, v := range extra {
		x[k] = v
	}
	return oidctest.User{Subject: sub, Email: email, Name: "Ada", Extra: x, NoEmailVerified: true}
}

// Microsoft Entra ID as Better Auth's microsoft provider: its scopes, the
// oid as the account, the email verified by the verified_*_email claims,
// the Graph photo; the issuer must be the token's own tenant's.
func TestMicrosoft(t *testing.T) {
	e, op, authority := msEnv(t, "common", true)
	op.SetIssuer(authority + "/" + msTenant + "/v2.0")
	op.SetUser(msUser("pairwise-sub", "oid-1", msTenant, "ada@contoso.com", map[string]any{"verified_primary_email": []any{"ada@contoso.com"}}))
	c := e.client()
	authURL := c.startSignIn(map[string]any{"provider": "microsoft"})
	u, _ := url.Parse(authURL)
	require.Equal(t, "/common/oauth2/v2.0/authorize", u.Path)
	require.Equal(t, "openid profile email User.Read offline_access", u.Query().Get("scope"))
	require.Equal(t, "S256", u.Query().Get("code_challenge_method"))
	require.Equal(t, testBaseURL, signInVia(t, c, op, "microsoft").location())
	usr := e.user("ada@contoso.com")
	require.True(t, usr.EmailVerified, "verified_primary_email")
	require.Equal(t, "data:image/jpeg;base64, SlBFRw==", *usr.Image)
	require.Equal(t, "oid-1", e.accounts("ada@contoso.com")[0].AccountID)

	// An issuer of another tenant than the token's tid.
	op.SetUser(msUser("s2", "oid-2", "other-tenant", "bob@contoso.com", nil))
	require.Equal(t, "unable_to_get_user_info", signInVia(t, e.client(), op, "microsoft").errorCode(t))
	// No oid.
	op.SetUser(msUser("s3", "", msTenant, "cy@contoso.com", nil))
	require.Equal(t, "unable_to_get_user_info", signInVia(t, e.client(), op, "microsoft").errorCode(t))
	// email_verified, when present, decides.
	op.SetUser(msUser("s4", "oid-4", msTenant, "di@contoso.com", map[string]any{"email_verified": false, "verified_primary_email": []any{"di@contoso.com"}}))
	require.Equal(t, testBaseURL, signInVia(t, e.client(), op, "microsoft").location())
	require.False(t, e.user("di@contoso.com").EmailVerified)
	op.SetUser(msUser("s5", "oid-5", msTenant, "ed@contoso.com", map[string]any{"verified_secondary_email": []any{"ed@contoso.com"}}))
	require.Equal(t, testBaseURL, signInVia(t, e.client(), op, "microsoft").location())
	require.True(t, e.user("ed@contoso.com").EmailVerified)
	op.SetUser(msUser("s6", "oid-6", msTenant, "fi@contoso.com", nil))
	require.Equal(t, testBaseURL, signInVia(t, e.client(), op, "microsoft").location())
	require.False(t, e.user("fi@contoso.com").EmailVerified)
}

// The tenant kinds: organizations refuses personal accounts, consumers
// takes only them, a tenant id only its own.
func TestMicrosoftTenants(t *testing.T) {
	const consumer = "9188040d-6c67-4c5b-b112-36a304b66dad"
	for _, tc := range []struct {
		tenant, tid string
		ok          bool
	}{
		{"organizations", consumer, false}, {"organizations", msTenant, true},
		{"consumers", msTenant, false}, {"consumers", consumer, true},
		{msTenant, "another", false}, {msTenant, msTenant, true},
	} {
		e, op, authority := msEnv(t, tc.tenant, false)
		op.SetIssuer(authority + "/" + tc.tid + "/v2.0")
		op.SetUser(msUser("s", "oid", tc.tid, "ada@contoso.com", nil))
		r := signInVia(t, e.client(), op, "microsoft")
		if tc.ok {
			require.Equal(t, testBaseURL, r.location(), "%s/%s", tc.tenant, tc.tid)
			require.Nil(t, e.user("ada@contoso.com").Image, "no photo")
		} else {
			require.Equal(t, "unable_to_get_user_info", r.errorCode(t), "%s/%s", tc.tenant, tc.tid)
		}
	}
	for _, cfg := range []microsoft.Config{{ClientID: "c"}, {ClientSecret: "s"}} {
		_, err := microsoft.New(cfg)
		require.ErrorIs(t, err, microsoft.ErrConfig)
	}
}
