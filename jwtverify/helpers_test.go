package jwtverify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"
)

// The tests' issuer and fixed clock: Better Auth's default base URL, and a
// moment at which the test tokens were issued.
const testIssuer = "http://localhost:3000"

var t0 = time.Unix(1_800_000_000, 0)

// clock is a settable Now for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// testKey is a signing key made in the test, with the kid and alg it is
// published under.
type testKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

// publicJWK is the key as a JWKS publishes it (alg and kid included, as
// Better Auth's /jwks does).
func (k testKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: k.alg, Use: ""}
}

var (
	rsaOnce sync.Once
	rsaKeys [3]*rsa.PrivateKey
	rsaErr  error
)

// rsaKey returns one of three RSA keys made once per test binary (making
// RSA keys is the slow part).
func rsaKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		for j := range rsaKeys {
			if rsaKeys[j], rsaErr = rsa.GenerateKey(rand.Reader, 2048); rsaErr != nil {
				return
			}
		}
	})
	require.NoError(t, rsaErr)
	return rsaKeys[i]
}

// newKey makes a key for alg (EdDSA, ES256, ES384, ES512, RS256, PS256, ...).
// RSA keys come from a small pool: variant picks one.
func newKey(t testing.TB, alg, kid string, variant ...int) testKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	default:
		i := 0
		if len(variant) > 0 {
			i = variant[0]
		}
		priv = rsaKey(t, i)
	}
	require.NoError(t, err)
	return testKey{kid: kid, alg: alg, priv: priv}
}

// jwksJSON is a key set of the keys' public halves.
func jwksJSON(t testing.TB, keys ...testKey) []byte {
	t.Helper()
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.publicJWK())
	}
	b, err := json.Marshal(set)
	require.NoError(t, err)
	return b
}

// claimsAt are the claims Better Auth's /token puts in a token issued at iat
// for a user: the user object, sub, iat, exp = iat+900, iss = aud = base URL.
func claimsAt(iat time.Time) map[string]any {
	return map[string]any{
		"iat":           iat.Unix(),
		"name":          "Ada Lovelace",
		"email":         "ada@example.com",
		"emailVerified": true,
		"image":         nil,
		"createdAt":     "2026-01-02T03:04:05.678Z",
		"updatedAt":     "2026-01-02T03:04:05.678Z",
		"id":            "user-ada",
		"plan":          "pro",
		"sub":           "user-ada",
		"exp":           iat.Add(15 * time.Minute).Unix(),
		"iss":           testIssuer,
		"aud":           testIssuer,
	}
}

// sign makes a compact JWS of claims with key, header {"alg", "kid"} (no kid
// if key.kid is "") plus extra headers.
func sign(t testing.TB, key testKey, claims any, extra ...map[jose.HeaderKey]any) string {
	t.Helper()
	return signAs(t, jose.SignatureAlgorithm(key.alg), key.kid, key.priv, claims, extra...)
}

// signAs signs with any algorithm, kid and key (for mismatches).
func signAs(t testing.TB, alg jose.SignatureAlgorithm, kid string, key any, claims any, extra ...map[jose.HeaderKey]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	for _, e := range extra {
		for k, v := range e {
			opts.WithHeader(k, v)
		}
	}
	var sk jose.SigningKey
	if kid != "" {
		sk = jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}
	} else {
		sk = jose.SigningKey{Algorithm: alg, Key: key}
	}
	signer, err := jose.NewSigner(sk, opts)
	require.NoError(t, err)
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	require.NoError(t, err)
	return tok
}

// jwksServer is an httptest JWKS endpoint whose answer the test sets, and
// which counts the requests it gets.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     []byte
	status   int
	requests int
	// block, if set, is received from before each answer (tests that hold
	// a fetch in flight).
	block chan struct{}
	// arrived, if set, gets a value when a request arrives.
	arrived chan struct{}
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		block, arrived := s.block, s.arrived
		s.mu.Unlock()
		if arrived != nil {
			arrived <- struct{}{}
		}
		if block != nil {
			<-block
		}
		s.mu.Lock()
		body, status := s.body, s.status
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// newRemote is a Verifier on srv with the test clock.
func newRemote(t testing.TB, srv *jwksServer, clk *clock, mod ...func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{JWKSURL: srv.URL + "/api/auth/jwks", Issuer: testIssuer, Now: clk.Now}
	for _, m := range mod {
		m(&cfg)
	}
	v, err := New(cfg)
	require.NoError(t, err)
	return v
}

// newStatic is a Verifier on a fixed key set with the test clock.
func newStatic(t testing.TB, jwks []byte, clk *clock, mod ...func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Issuer: testIssuer, Now: clk.Now}
	for _, m := range mod {
		m(&cfg)
	}
	v, err := NewFromJWKS(jwks, cfg)
	require.NoError(t, err)
	return v
}

// refused checks that v refuses token with an error that wraps target, whose
// text contains reason (if given) and never the token.
func refused(t testing.TB, v *Verifier, token string, target error, reason ...string) {
	t.Helper()
	c, err := v.Verify(context.Background(), token)
	require.Nil(t, c)
	require.Error(t, err)
	require.Truef(t, errors.Is(err, target), "error %q does not wrap %q", err, target)
	for _, r := range reason {
		require.Contains(t, err.Error(), r)
	}
	if len(token) > 8 {
		require.NotContains(t, err.Error(), token)
		for _, part := range strings.Split(token, ".") {
			if len(part) > 8 {
				require.NotContains(t, err.Error(), part, "an error quotes part of the token")
			}
		}
	}
}

// accepted checks that v accepts token and returns its claims.
func accepted(t testing.TB, v *Verifier, token string) *Claims {
	t.Helper()
	c, err := v.Verify(context.Background(), token)
	require.NoError(t, err)
	require.NotNil(t, c)
	return c
}
