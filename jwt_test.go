package betterauth

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The email-verification token Better Auth made (golden vector) is made
// byte for byte here, and verifies.
func TestJWTGoldenVector(t *testing.T) {
	raw, err := os.ReadFile("testdata/better-auth-vectors.json")
	require.NoError(t, err)
	var v struct {
		Secret string `json:"secret"`
		JWT    []struct {
			Claims struct {
				Email  string `json:"email"`
				UserID string `json:"userId"`
			} `json:"claims"`
			Token string `json:"token"`
		} `json:"jwt"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	require.NotEmpty(t, v.JWT)
	g := v.JWT[0]
	iat := time.Unix(1795777847, 0)
	tok, err := signJWT(v.Secret, object{{"email", g.Claims.Email}, {"userId", g.Claims.UserID}}, iat, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, g.Token, tok)

	claims, err := verifyJWT(v.Secret, g.Token, iat.Add(59*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "user@example.com", claims["email"])
	_, err = verifyJWT(v.Secret, g.Token, iat.Add(time.Hour))
	assert.ErrorIs(t, err, errJWTExpired)
	_, err = verifyJWT("other-secret", g.Token, iat)
	assert.ErrorIs(t, err, errTokenInvalid)
}

func TestJWTRejectsTampering(t *testing.T) {
	now := time.Unix(1795777847, 0)
	tok, err := signJWT("s", object{{"email", "a@example.com"}}, now, time.Hour)
	require.NoError(t, err)
	none := `eyJhbGciOiJub25lIn0` + tok[len(jwtHeader):]
	for _, bad := range []string{"", "a.b", tok + "x", tok[:len(tok)-2], none, "e30.e30.", jwtHeader + ".e30."} {
		_, err := verifyJWT("s", bad, now)
		assert.ErrorIs(t, err, errTokenInvalid, bad)
	}
}
