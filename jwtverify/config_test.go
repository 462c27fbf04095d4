package jwtverify

import (
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// New and NewFromJWKS return errors, never panic, for a configuration that
// cannot verify anything safely; defaults fill the rest.
func TestConfigErrors(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	jwks := jwksJSON(t, key)
	url := "http://localhost:3000/api/auth/jwks"
	for name, cfg := range map[string]Config{
		"no JWKS URL":       {Issuer: testIssuer},
		"relative URL":      {JWKSURL: "/api/auth/jwks", Issuer: testIssuer},
		"not http":          {JWKSURL: "file:///etc/jwks.json", Issuer: testIssuer},
		"bad URL":           {JWKSURL: "http://[::1", Issuer: testIssuer},
		"no issuer":         {JWKSURL: url},
		"HS256":             {JWKSURL: url, Issuer: testIssuer, Algorithms: []string{"EdDSA", "HS256"}},
		"none":              {JWKSURL: url, Issuer: testIssuer, Algorithms: []string{"none"}},
		"unknown alg":       {JWKSURL: url, Issuer: testIssuer, Algorithms: []string{"Ed25519x"}},
		"empty audience":    {JWKSURL: url, Issuer: testIssuer, Audience: []string{""}},
		"negative TTL":      {JWKSURL: url, Issuer: testIssuer, CacheTTL: -time.Second},
		"negative interval": {JWKSURL: url, Issuer: testIssuer, MinRefreshInterval: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			v, err := New(cfg)
			require.Error(t, err)
			require.Nil(t, v)
		})
	}

	_, err := NewFromJWKS(jwks, Config{JWKSURL: url, Issuer: testIssuer})
	require.ErrorContains(t, err, "JWKSURL must be empty")
	_, err = NewFromJWKS(jwks, Config{})
	require.ErrorContains(t, err, "Issuer is required")
	for _, bad := range []string{"", "{", "[]", `{"keys":null}`, `{"keys":[]}`, `{"keys":[{"kty":"oct","k":"AAAA"}]}`} {
		_, err = NewFromJWKS([]byte(bad), Config{Issuer: testIssuer})
		require.Error(t, err, bad)
	}

	v, err := New(Config{JWKSURL: url, Issuer: testIssuer})
	require.NoError(t, err)
	require.Equal(t, DefaultLeeway, v.leeway)
	require.Equal(t, DefaultCacheTTL, v.cacheTTL)
	require.Equal(t, DefaultMinRefreshInterval, v.minRefresh)
	require.Equal(t, []string{testIssuer}, []string(v.audience))
	require.Len(t, v.algs, 5)
	require.NotZero(t, v.client.Timeout)
	require.NotNil(t, v.now)

	client := &http.Client{}
	v, err = New(Config{JWKSURL: url, Issuer: testIssuer, Leeway: -1, HTTPClient: client, Algorithms: []string{"ES384"}})
	require.NoError(t, err)
	require.Zero(t, v.leeway)
	require.Same(t, client, v.client)
	require.Len(t, v.algs, 1)

	var nilV *Verifier
	_, err = nilV.Verify(t.Context(), "x")
	require.Error(t, err)
}

// The package stands alone: a service that only verifies tokens does not
// link the auth server. No non-test file imports another package of this
// module.
func TestNoDependencyOnTheLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			require.False(t, strings.HasPrefix(path, "github.com/go-betterauth/"), "%s imports %s", f, path)
		}
		checked++
	}
	require.GreaterOrEqual(t, checked, 5)
}
