package jwt_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/jwt"
	"github.com/go-betterauth/betterauth/schema"
)

// onlyRow returns the single jwks row of e's table.
func onlyRow(t *testing.T, e *env) schema.Record {
	t.Helper()
	rows, err := e.store.FindMany(context.Background(), jwt.Model, schema.Query{})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	return rows[0]
}

// privateJWK decrypts a row's private key as the plugin stores it.
func privateJWK(t *testing.T, e *env, r schema.Record) jose.JSONWebKey {
	t.Helper()
	var hex string
	require.NoError(t, json.Unmarshal([]byte(r["privateKey"].(string)), &hex))
	pt, err := e.auth.Decrypt("", hex)
	require.NoError(t, err)
	var k jose.JSONWebKey
	require.NoError(t, k.UnmarshalJSON([]byte(pt)))
	return k
}

// An RS256 key verifies RS256 tokens only: a PS256 token signed with the
// very same RSA key is refused (the algorithm comes from the key, as
// Better Auth's algorithms: [alg]).
func TestAlgorithmIsTheKeys(t *testing.T) {
	e := newEnv(t, jwt.Options{Algorithm: jwt.RS256})
	ctx := context.Background()
	good, err := e.p.Sign(ctx, map[string]any{"sub": "x"})
	require.NoError(t, err)
	_, err = e.p.Verify(ctx, good)
	require.NoError(t, err)

	r := onlyRow(t, e)
	priv := privateJWK(t, e, r)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS256, Key: jose.JSONWebKey{Key: priv.Key, KeyID: r["id"].(string)}}, nil)
	require.NoError(t, err)
	jws, err := s.Sign([]byte(`{"sub":"x","iss":"` + testBaseURL + `","aud":"` + testBaseURL + `","exp":` + jsonInt(e.clock.Now().Add(time.Minute).Unix()) + `}`))
	require.NoError(t, err)
	confused, err := jws.CompactSerialize()
	require.NoError(t, err)
	_, err = e.p.Verify(ctx, confused)
	assert.ErrorIs(t, err, jwt.ErrInvalidToken)
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// copyRow puts a row of one table into another with a new createdAt, as a
// server with other options sharing the table would have made it.
func copyRow(t *testing.T, from, to *env, createdAt time.Time, change func(schema.Record)) string {
	t.Helper()
	r := onlyRow(t, from)
	r["createdAt"] = createdAt
	delete(r, "id")
	if change != nil {
		change(r)
	}
	out, err := to.store.Insert(context.Background(), jwt.Model, r)
	require.NoError(t, err)
	return out["id"].(string)
}

// Tokens are signed with the newest live key of the configured algorithm,
// even when a newer key of another algorithm is in the table (Better
// Auth's getLatestKeyByAlg before getLatestKey).
func TestSigningKeyPrefersTheConfiguredAlgorithm(t *testing.T) {
	e := newEnv(t, jwt.Options{KeyRefreshInterval: time.Second})
	cookie, _ := e.signIn(t, "ada@example.com")
	ed := kidOf(t, e.token(t, cookie))

	es := newEnv(t, jwt.Options{Algorithm: jwt.ES256})
	_, err := es.p.Sign(context.Background(), map[string]any{"sub": "x"})
	require.NoError(t, err)
	copyRow(t, es, e, e.clock.Now().Add(time.Second), nil)
	e.clock.Add(time.Second)

	assert.Equal(t, ed, kidOf(t, e.token(t, cookie)), "the older EdDSA key, not the newer ES256 one")
	assert.Len(t, e.jwks(t).Keys, 2, "both published")

	// With no EdDSA key live, the newest live key of any algorithm.
	only := newEnv(t, jwt.Options{})
	esKid := copyRow(t, es, only, only.clock.Now(), nil)
	s, err := only.p.Sign(context.Background(), map[string]any{"sub": "x"})
	require.NoError(t, err)
	assert.Equal(t, esKid, kidOf(t, s))
	assert.Len(t, only.jwks(t).Keys, 1, "no EdDSA key was made")
}

// A row whose publicKey holds private material is never published.
func TestPrivateMaterialIsNeverPublished(t *testing.T) {
	src := newEnv(t, jwt.Options{DisablePrivateKeyEncryption: true})
	_, err := src.p.Sign(context.Background(), map[string]any{"sub": "x"})
	require.NoError(t, err)
	e := newEnv(t, jwt.Options{DisablePrivateKeyEncryption: true})
	copyRow(t, src, e, e.clock.Now(), func(r schema.Record) { r["publicKey"] = r["privateKey"] })
	body := e.get(t, "/jwks", "").Body.String()
	assert.NotContains(t, body, `"d"`)
}

func TestVersionedSecretsAreNamed(t *testing.T) {
	src := newEnv(t, jwt.Options{})
	_, err := src.p.Sign(context.Background(), map[string]any{"sub": "x"})
	require.NoError(t, err)
	e := newEnv(t, jwt.Options{})
	copyRow(t, src, e, e.clock.Now(), func(r schema.Record) { r["privateKey"] = `"$ba$2$00ff"` })
	_, err = e.p.Sign(context.Background(), map[string]any{"sub": "x"})
	assert.ErrorContains(t, err, "versioned secrets")

	plain := newEnv(t, jwt.Options{})
	copyRow(t, src, plain, plain.clock.Now(), func(r schema.Record) { r["privateKey"] = strings.Repeat("{", 1) + `"kty":"OKP"}` })
	_, err = plain.p.Sign(context.Background(), map[string]any{"sub": "x"})
	assert.ErrorContains(t, err, "DisablePrivateKeyEncryption")
}

// A row without crv (Better Auth's legacy rows) is served as Better Auth's
// {alg, crv: row.crv ?? undefined, ...publicKey, kid} writes it: crv second.
func TestJWKSOrderForRowsWithoutCrv(t *testing.T) {
	es := newEnv(t, jwt.Options{Algorithm: jwt.ES256})
	_, err := es.p.Sign(context.Background(), map[string]any{"sub": "x"})
	require.NoError(t, err)
	e := newEnv(t, jwt.Options{Algorithm: jwt.ES256})
	copyRow(t, es, e, e.clock.Now(), func(r schema.Record) { r["crv"] = nil })
	var body struct{ Keys []json.RawMessage }
	require.NoError(t, json.Unmarshal(e.get(t, "/jwks", "").Body.Bytes(), &body))
	require.Len(t, body.Keys, 1)
	assert.Equal(t, []string{"alg", "crv", "kty", "x", "y", "kid"}, keyOrder(t, body.Keys[0]))
}

// The subject replaces a sub DefinePayload sets where it stands, as
// {iat, ...payload, sub} does in JavaScript.
func TestSubjectReplacesPayloadSub(t *testing.T) {
	e := newEnv(t, jwt.Options{DefinePayload: func(context.Context, *betterauth.SessionData) (map[string]any, error) {
		return map[string]any{"sub": "from-payload", "z": 1}, nil
	}})
	cookie, u := e.signIn(t, "ada@example.com")
	_, order, c := verifyWith(t, e.jwks(t), e.token(t, cookie))
	assert.Equal(t, []string{"iat", "sub", "z", "exp", "iss", "aud"}, order)
	assert.Equal(t, u.ID, c["sub"])
}
