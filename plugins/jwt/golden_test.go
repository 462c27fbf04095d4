package jwt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/jwt"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// goldenCase is one case of testdata/better-auth-jwt.json: what Better
// Auth 1.7.25 stored in its jwks table, served at /jwks and issued at
// /token for a user (interop/golden/jwt.mjs made it).
type goldenCase struct {
	Name          string `json:"name"`
	Alg           string `json:"alg"`
	PluginOptions struct {
		JWKS struct {
			DisablePrivateKeyEncryption bool `json:"disablePrivateKeyEncryption"`
		} `json:"jwks"`
	} `json:"pluginOptions"`
	Secret   string          `json:"secret"`
	BaseURL  string          `json:"baseURL"`
	IssuedAt int64           `json:"issuedAt"`
	Token    string          `json:"token"`
	JWKS     json.RawMessage `json:"jwks"`
	Rows     []struct {
		ID         string     `json:"id"`
		PublicKey  string     `json:"publicKey"`
		PrivateKey string     `json:"privateKey"`
		CreatedAt  time.Time  `json:"createdAt"`
		ExpiresAt  *time.Time `json:"expiresAt"`
		Alg        *string    `json:"alg"`
		Crv        *string    `json:"crv"`
	} `json:"jwksRows"`
	User struct {
		ID            string    `json:"id"`
		Name          string    `json:"name"`
		Email         string    `json:"email"`
		EmailVerified bool      `json:"emailVerified"`
		CreatedAt     time.Time `json:"createdAt"`
		UpdatedAt     time.Time `json:"updatedAt"`
	} `json:"user"`
}

func loadGoldenJWT(t *testing.T) []goldenCase {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/better-auth-jwt.json")
	require.NoError(t, err)
	var f struct{ Cases []goldenCase }
	require.NoError(t, json.Unmarshal(raw, &f))
	require.NotEmpty(t, f.Cases)
	return f.Cases
}

// With the jwks rows Better Auth wrote and the same secret, clock and user,
// the plugin serves Better Auth's /jwks byte for byte, verifies its token,
// and signs the same claims with its key (Ed25519 and RSASSA-PKCS1-v1_5
// signatures are deterministic: the very same token).
func TestGoldenBetterAuthKeys(t *testing.T) {
	for _, g := range loadGoldenJWT(t) {
		t.Run(g.Name, func(t *testing.T) {
			ctx := context.Background()
			p := jwt.New(jwt.Options{Algorithm: jwt.Algorithm(g.Alg), DisablePrivateKeyEncryption: g.PluginOptions.JWKS.DisablePrivateKeyEncryption})
			ms, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(p)...)
			require.NoError(t, err)
			now := time.Unix(g.IssuedAt, 0)
			_, err = betterauth.New(betterauth.Config{Store: ms, Secret: g.Secret, BaseURL: g.BaseURL,
				Now: func() time.Time { return now }, Plugins: []betterauth.Plugin{p}})
			require.NoError(t, err)
			for _, r := range g.Rows {
				rec := schema.Record{"id": r.ID, "publicKey": r.PublicKey, "privateKey": r.PrivateKey, "createdAt": r.CreatedAt}
				if r.ExpiresAt != nil {
					rec["expiresAt"] = *r.ExpiresAt
				}
				if r.Alg != nil {
					rec["alg"] = *r.Alg
				}
				if r.Crv != nil {
					rec["crv"] = *r.Crv
				}
				_, err := ms.Insert(ctx, jwt.Model, rec)
				require.NoError(t, err)
			}

			body, err := p.JWKS(ctx)
			require.NoError(t, err)
			var want bytes.Buffer
			require.NoError(t, json.Compact(&want, g.JWKS))
			assert.Equal(t, want.String(), string(body), "/jwks as Better Auth serves it")

			c, err := p.Verify(ctx, g.Token)
			require.NoError(t, err, "Better Auth's token verifies")
			assert.Equal(t, g.User.ID, c["sub"])

			u := &betterauth.User{ID: g.User.ID, Name: g.User.Name, Email: g.User.Email, EmailVerified: g.User.EmailVerified,
				CreatedAt: g.User.CreatedAt, UpdatedAt: g.User.UpdatedAt}
			tok, err := p.Token(ctx, &betterauth.SessionData{User: u, Session: &betterauth.Session{UserID: u.ID}})
			require.NoError(t, err)
			parts, want3 := strings.Split(tok, "."), strings.Split(g.Token, ".")
			assert.Equal(t, want3[0], parts[0], "the same header")
			assert.Equal(t, want3[1], parts[1], "the same claims, in the same order")
			if g.Alg == "EdDSA" || g.Alg == "RS256" {
				assert.Equal(t, g.Token, tok, "deterministic signatures: the very same token")
			}
			_, err = p.Verify(ctx, tok)
			require.NoError(t, err)
			rows, err := ms.FindMany(ctx, jwt.Model, schema.Query{})
			require.NoError(t, err)
			assert.Len(t, rows, len(g.Rows), "Better Auth's key is used; none is made")
		})
	}
}
