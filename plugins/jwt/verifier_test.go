package jwt_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/jwtverify"
	"github.com/go-betterauth/betterauth/plugins/jwt"
)

// What other Go services use: jwtverify accepts the plugin's tokens with
// the plugin's /jwks, for every algorithm.
func TestJWTVerifyAcceptsPluginTokens(t *testing.T) {
	for _, alg := range []jwt.Algorithm{jwt.EdDSA, jwt.ES256, jwt.ES512, jwt.RS256, jwt.PS256} {
		t.Run(string(alg), func(t *testing.T) {
			e := newEnv(t, jwt.Options{Algorithm: alg})
			cookie, u := e.signIn(t, "ada@example.com")
			tok := e.token(t, cookie)
			v, err := jwtverify.NewFromJWKS(e.get(t, "/jwks", "").Body.Bytes(), jwtverify.Config{Issuer: testBaseURL, Now: e.clock.Now})
			require.NoError(t, err)
			c, err := v.Verify(context.Background(), tok)
			require.NoError(t, err)
			assert.Equal(t, u.ID, c.Subject)
			var user jwtverify.User
			require.NoError(t, c.Decode(&user))
			assert.Equal(t, "ada@example.com", user.Email)
		})
	}
}
