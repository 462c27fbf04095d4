package jwtverify

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"hash"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// goldenCase is one run of interop/golden/jwt.mjs against Better Auth 1.7.25.
type goldenCase struct {
	Name     string          `json:"name"`
	Alg      string          `json:"alg"`
	BaseURL  string          `json:"baseURL"`
	IssuedAt int64           `json:"issuedAt"`
	Token    string          `json:"token"`
	JWKS     json.RawMessage `json:"jwks"`
	Payload  map[string]any  `json:"payload"`
	User     map[string]any  `json:"user"`
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	raw, err := os.ReadFile("../testdata/better-auth-jwt.json")
	require.NoError(t, err)
	var doc struct {
		Cases []goldenCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Len(t, doc.Cases, 6)
	return doc.Cases
}

// Every token Better Auth made verifies with its /jwks at the time it was
// issued, fetched over HTTP and from bytes, and is refused once exp+leeway
// has passed.
func TestGoldenBetterAuthTokens(t *testing.T) {
	algs := map[string]bool{}
	for _, gc := range goldenCases(t) {
		t.Run(gc.Name, func(t *testing.T) {
			algs[gc.Alg] = true
			clk := newClock(time.Unix(gc.IssuedAt, 0))
			srv := newJWKSServer(t, gc.JWKS)
			remote := newRemote(t, srv, clk, func(c *Config) { c.Issuer = gc.BaseURL })
			static := newStatic(t, gc.JWKS, clk, func(c *Config) { c.Issuer = gc.BaseURL })
			for _, v := range []*Verifier{remote, static} {
				c := accepted(t, v, gc.Token)
				require.Equal(t, gc.User["id"], c.Subject)
				require.Equal(t, gc.BaseURL, c.Issuer)
				require.Equal(t, []string{gc.BaseURL}, c.Audience)
				require.Equal(t, time.Unix(gc.IssuedAt, 0).UTC(), c.IssuedAt)
				require.Equal(t, time.Unix(gc.IssuedAt+900, 0).UTC(), c.ExpiresAt)
				var u User
				require.NoError(t, c.Decode(&u))
				require.Equal(t, gc.User["id"], u.ID)
				require.Equal(t, gc.User["email"], u.Email)
				require.Equal(t, gc.User["name"], u.Name)
				require.Equal(t, gc.User["createdAt"], u.CreatedAt.Format("2006-01-02T15:04:05.000Z"))
				var all map[string]any
				require.NoError(t, c.Decode(&all))
				require.Equal(t, gc.Payload, all)
			}
			require.Equal(t, 1, srv.count())

			exp := time.Unix(gc.IssuedAt+900, 0)
			clk.Set(exp.Add(DefaultLeeway - time.Second))
			accepted(t, remote, gc.Token)
			clk.Set(exp.Add(DefaultLeeway))
			refused(t, remote, gc.Token, ErrExpired)
			refused(t, static, gc.Token, ErrExpired)

			// The token is Better Auth's only as long as it is untouched.
			parts := strings.Split(gc.Token, ".")
			clk.Set(time.Unix(gc.IssuedAt, 0))
			refused(t, static, parts[0]+"."+parts[1]+"."+flipMiddle(parts[2]), ErrInvalidToken, "bad signature")
		})
	}
	require.Len(t, algs, 5, "every algorithm Better Auth offers has a golden token")
}

// flipMiddle changes a base64url character of s to another one, so the
// bytes change and the encoding stays valid.
func flipMiddle(s string) string {
	b := []byte(s)
	i := len(b) / 2 // not the last one, which may carry padding bits only
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

var allAlgs = []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"}

// Each algorithm: a good token verifies; a changed payload or signature does not.
func TestEveryAlgorithm(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(alg, func(t *testing.T) {
			clk := newClock(t0)
			key := newKey(t, alg, "kid-"+alg)
			v := newStatic(t, jwksJSON(t, key), clk)
			tok := sign(t, key, claimsAt(t0))
			c := accepted(t, v, tok)
			require.Equal(t, "user-ada", c.Subject)

			parts := strings.Split(tok, ".")
			other := claimsAt(t0)
			other["sub"], other["id"] = "user-mallory", "user-mallory"
			forged := sign(t, newKey(t, alg, "kid-"+alg, 1), other) // same kid, another key
			fparts := strings.Split(forged, ".")
			refused(t, v, parts[0]+"."+fparts[1]+"."+parts[2], ErrInvalidToken, "bad signature")
			refused(t, v, parts[0]+"."+parts[1]+"."+flipMiddle(parts[2]), ErrInvalidToken, "bad signature")
			if alg == "EdDSA" || alg == "ES256" || alg == "ES512" {
				refused(t, v, forged, ErrInvalidToken, "bad signature")
			}
		})
	}
}

// exp is required and ends the token (with leeway); nbf and iat must not be
// in the future (with leeway); Leeway is configurable and may be none.
func TestTimeClaims(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	jwks := jwksJSON(t, key)
	clk := newClock(t0)
	v := newStatic(t, jwks, clk)
	with := func(edit func(map[string]any)) string {
		c := claimsAt(t0)
		edit(c)
		return sign(t, key, c)
	}
	exp := t0.Add(15 * time.Minute)
	tok := sign(t, key, claimsAt(t0))

	t.Run("exp with leeway", func(t *testing.T) {
		clk.Set(exp.Add(-time.Second))
		accepted(t, v, tok)
		clk.Set(exp.Add(DefaultLeeway - time.Second))
		accepted(t, v, tok)
		clk.Set(exp.Add(DefaultLeeway))
		refused(t, v, tok, ErrExpired)
		clk.Set(exp.Add(24 * time.Hour))
		refused(t, v, tok, ErrExpired)
	})
	t.Run("exp required", func(t *testing.T) {
		clk.Set(t0)
		refused(t, v, with(func(c map[string]any) { delete(c, "exp") }), ErrInvalidToken, `no "exp"`)
		refused(t, v, with(func(c map[string]any) { c["exp"] = "tomorrow" }), ErrInvalidToken, "malformed claims")
	})
	t.Run("nbf with leeway", func(t *testing.T) {
		nbf := t0.Add(time.Minute)
		tok := with(func(c map[string]any) { c["nbf"] = nbf.Unix() })
		clk.Set(nbf.Add(-DefaultLeeway))
		accepted(t, v, tok)
		clk.Set(nbf.Add(-DefaultLeeway - time.Second))
		refused(t, v, tok, ErrInvalidToken, "nbf")
	})
	t.Run("iat in the future", func(t *testing.T) {
		iat := t0.Add(time.Minute)
		tok := with(func(c map[string]any) { c["iat"] = iat.Unix() })
		clk.Set(iat.Add(-DefaultLeeway))
		accepted(t, v, tok)
		clk.Set(iat.Add(-DefaultLeeway - time.Second))
		refused(t, v, tok, ErrInvalidToken, "iat")
	})
	t.Run("iat and nbf optional", func(t *testing.T) {
		clk.Set(t0)
		c := accepted(t, v, with(func(c map[string]any) { delete(c, "iat"); delete(c, "nbf") }))
		require.True(t, c.IssuedAt.IsZero())
		require.True(t, c.NotBefore.IsZero())
	})
	t.Run("custom and no leeway", func(t *testing.T) {
		five := newStatic(t, jwks, clk, func(c *Config) { c.Leeway = 5 * time.Second })
		none := newStatic(t, jwks, clk, func(c *Config) { c.Leeway = -1 })
		clk.Set(exp.Add(-time.Second))
		accepted(t, none, tok)
		clk.Set(exp)
		refused(t, none, tok, ErrExpired)
		accepted(t, five, tok)
		clk.Set(exp.Add(5 * time.Second))
		refused(t, five, tok, ErrExpired)

		nbfTok := with(func(c map[string]any) { c["nbf"] = t0.Add(time.Minute).Unix() })
		clk.Set(t0.Add(time.Minute - time.Second))
		refused(t, none, nbfTok, ErrInvalidToken, "nbf")
		accepted(t, five, nbfTok)
		clk.Set(t0.Add(time.Minute))
		accepted(t, none, nbfTok)
	})
}

// iss must be the configured issuer; aud (string or array) must share a value
// with the configured audience (default: the issuer); sub is required.
func TestIssuerAudienceSubject(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	jwks := jwksJSON(t, key)
	clk := newClock(t0)
	v := newStatic(t, jwks, clk)
	with := func(edit func(map[string]any)) string {
		c := claimsAt(t0)
		edit(c)
		return sign(t, key, c)
	}

	refused(t, v, with(func(c map[string]any) { c["iss"] = "http://evil.example" }), ErrInvalidToken, "wrong issuer")
	refused(t, v, with(func(c map[string]any) { c["iss"] = testIssuer + "/" }), ErrInvalidToken, "wrong issuer")
	refused(t, v, with(func(c map[string]any) { delete(c, "iss") }), ErrInvalidToken, "wrong issuer")
	refused(t, v, with(func(c map[string]any) { c["aud"] = "http://other.example" }), ErrInvalidToken, "wrong audience")
	refused(t, v, with(func(c map[string]any) { c["aud"] = []string{"a", "b"} }), ErrInvalidToken, "wrong audience")
	refused(t, v, with(func(c map[string]any) { delete(c, "aud") }), ErrInvalidToken, `no "aud"`)
	refused(t, v, with(func(c map[string]any) { c["aud"] = 7 }), ErrInvalidToken, "malformed claims")
	refused(t, v, with(func(c map[string]any) { delete(c, "sub") }), ErrInvalidToken, `no "sub"`)

	c := accepted(t, v, with(func(c map[string]any) { c["aud"] = []string{"http://other.example", testIssuer} }))
	require.Equal(t, []string{"http://other.example", testIssuer}, c.Audience)
	c = accepted(t, v, with(func(c map[string]any) { c["aud"] = testIssuer }))
	require.Equal(t, []string{testIssuer}, c.Audience)

	api := newStatic(t, jwks, clk, func(c *Config) { c.Audience = []string{"https://api.example", "https://api2.example"} })
	refused(t, api, sign(t, key, claimsAt(t0)), ErrInvalidToken, "wrong audience")
	accepted(t, api, with(func(c map[string]any) { c["aud"] = "https://api2.example" }))
	accepted(t, api, with(func(c map[string]any) { c["aud"] = []string{testIssuer, "https://api.example"} }))
}

// "none", HMAC (with the public key as the secret: the classic confusion),
// an algorithm not in Config.Algorithms, and a key that does not fit the
// header's algorithm are all refused.
func TestAlgorithmAttacks(t *testing.T) {
	ed := newKey(t, "EdDSA", "ed")
	rs := newKey(t, "RS256", "rs")
	ps := newKey(t, "PS256", "ps", 1) // an RSA key published for PS256 only
	es := newKey(t, "ES256", "es")
	clk := newClock(t0)
	v := newStatic(t, jwksJSON(t, ed, rs, ps, es), clk)
	payload, err := json.Marshal(claimsAt(t0))
	require.NoError(t, err)

	t.Run("none", func(t *testing.T) {
		for _, hdr := range []string{`{"alg":"none","kid":"ed"}`, `{"alg":"none"}`, `{"alg":"NONE","kid":"ed"}`} {
			tok := b64(hdr) + "." + b64(string(payload)) + "."
			refused(t, v, tok, ErrInvalidToken, "algorithm not allowed")
		}
	})
	t.Run("HS256 keyed with the public key", func(t *testing.T) {
		rsaDER, err := x509.MarshalPKIXPublicKey(rs.priv.Public())
		require.NoError(t, err)
		rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER})
		edJWK, err := json.Marshal(ed.publicJWK())
		require.NoError(t, err)
		for _, c := range []struct {
			kid    string
			secret []byte
		}{
			{"ed", []byte(ed.priv.Public().(ed25519.PublicKey))}, // the raw public key
			{"rs", rsaPEM}, // the PEM of the public key
			{"ed", edJWK},  // the JWK JSON
		} {
			kid, secret := c.kid, c.secret
			for alg, h := range map[string]func() hash.Hash{"HS256": sha256.New, "HS384": sha512.New384, "HS512": sha512.New} {
				signing := b64(`{"alg":"`+alg+`","kid":"`+kid+`"}`) + "." + b64(string(payload))
				mac := hmac.New(h, secret)
				mac.Write([]byte(signing))
				tok := signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
				refused(t, v, tok, ErrInvalidToken, "algorithm not allowed")
			}
		}
	})
	t.Run("algorithm not in Config.Algorithms", func(t *testing.T) {
		edOnly := newStatic(t, jwksJSON(t, ed, rs), clk, func(c *Config) { c.Algorithms = []string{"EdDSA"} })
		accepted(t, edOnly, sign(t, ed, claimsAt(t0)))
		refused(t, edOnly, sign(t, rs, claimsAt(t0)), ErrInvalidToken, "algorithm not allowed")
	})
	t.Run("key does not fit the algorithm", func(t *testing.T) {
		// The RSA key published as PS256 signs an RS256 token: the signature
		// is valid RSA, but the key is not for RS256.
		refused(t, v, signAs(t, "RS256", "ps", ps.priv, claimsAt(t0)), ErrInvalidToken, "does not fit")
		// And the other way round.
		refused(t, v, signAs(t, "PS256", "rs", rs.priv, claimsAt(t0)), ErrInvalidToken, "does not fit")
		// An EC token naming the Ed25519 key, an EdDSA token naming the EC key.
		refused(t, v, signAs(t, "ES256", "ed", es.priv, claimsAt(t0)), ErrInvalidToken, "does not fit")
		refused(t, v, signAs(t, "EdDSA", "es", ed.priv, claimsAt(t0)), ErrInvalidToken, "does not fit")
		// ES512 naming a P-256 key published without "alg": the curve decides.
		noAlg := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: es.priv.Public(), KeyID: "es"}}}
		b, err := json.Marshal(noAlg)
		require.NoError(t, err)
		loose := newStatic(t, b, clk)
		accepted(t, loose, sign(t, es, claimsAt(t0)))
		p521 := newKey(t, "ES512", "es")
		refused(t, loose, sign(t, p521, claimsAt(t0)), ErrInvalidToken, "does not fit")
	})
	t.Run("key published without alg: its type decides", func(t *testing.T) {
		keys := map[string]testKey{}
		set := jose.JSONWebKeySet{}
		for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256"} {
			k := newKey(t, alg, "loose-"+alg)
			keys[alg] = k
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid})
		}
		b, err := json.Marshal(set)
		require.NoError(t, err)
		loose := newStatic(t, b, clk)
		for _, keyAlg := range []string{"EdDSA", "ES256", "ES512", "RS256"} {
			for _, tokAlg := range allAlgs {
				tok := signAs(t, jose.SignatureAlgorithm(tokAlg), keys[keyAlg].kid, newKey(t, tokAlg, "x").priv, claimsAt(t0))
				if keyAlg == tokAlg || (keyAlg == "RS256" && tokAlg == "PS256") {
					continue
				}
				refused(t, loose, tok, ErrInvalidToken, "does not fit")
			}
			accepted(t, loose, sign(t, keys[keyAlg], claimsAt(t0)))
		}
	})
	t.Run("typ other than JWT", func(t *testing.T) {
		cache := sign(t, ed, claimsAt(t0), map[jose.HeaderKey]any{"typ": "better-auth.session-cache+jwt"})
		refused(t, v, cache, ErrInvalidToken, "typ")
		refused(t, v, sign(t, ed, claimsAt(t0), map[jose.HeaderKey]any{"typ": 1}), ErrInvalidToken, "typ")
		accepted(t, v, sign(t, ed, claimsAt(t0), map[jose.HeaderKey]any{"typ": "JWT"}))
		accepted(t, v, sign(t, ed, claimsAt(t0), map[jose.HeaderKey]any{"typ": "jwt"}))
	})
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// Tokens that are not JWS compact serializations, or whose parts do not
// decode, are ErrInvalidToken; the empty token is ErrNoToken.
func TestMalformedTokens(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	clk := newClock(t0)
	v := newStatic(t, jwksJSON(t, key), clk)
	good := sign(t, key, claimsAt(t0))
	parts := strings.Split(good, ".")

	_, err := v.Verify(context.Background(), "")
	require.ErrorIs(t, err, ErrNoToken)

	for name, tok := range map[string]string{
		"one part":            "abcdefghijklmnop",
		"two parts":           parts[0] + "." + parts[1],
		"four parts":          good + ".AAAA",
		"bad base64 header":   "!!!!" + parts[0] + "." + parts[1] + "." + parts[2],
		"bad base64 payload":  parts[0] + ".%%%%" + parts[1] + "." + parts[2],
		"bad base64 sig":      parts[0] + "." + parts[1] + ".%%%%" + parts[2],
		"header not JSON":     b64("not json at all") + "." + parts[1] + "." + parts[2],
		"header without alg":  b64(`{"kid":"k1"}`) + "." + parts[1] + "." + parts[2],
		"JSON serialization":  `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`,
		"empty signature":     parts[0] + "." + parts[1] + ".",
		"whitespace":          parts[0] + ". " + parts[1] + "." + parts[2],
		"header of other key": parts[0] + "." + parts[1] + "." + strings.Split(sign(t, newKey(t, "EdDSA", "k1"), claimsAt(t0)), ".")[2],
	} {
		t.Run(name, func(t *testing.T) { refused(t, v, tok, ErrInvalidToken) })
	}

	// A correctly signed payload that is not a JSON object of claims.
	for _, body := range []string{"not json", "[1,2]", `{"exp":"soon"}`, `{"sub":5}`} {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: key.priv, KeyID: "k1"}}, nil)
		require.NoError(t, err)
		jws, err := signer.Sign([]byte(body))
		require.NoError(t, err)
		tok, err := jws.CompactSerialize()
		require.NoError(t, err)
		refused(t, v, tok, ErrInvalidToken, "malformed claims")
	}
	// A token larger than 64 KiB is refused before it is parsed, even when it
	// is correctly signed.
	big := claimsAt(t0)
	big["pad"] = strings.Repeat("x", maxTokenBytes)
	refused(t, v, sign(t, key, big), ErrInvalidToken, "too large")
	big["pad"] = strings.Repeat("x", maxTokenBytes/2)
	accepted(t, v, sign(t, key, big))

	// "null" is an object of no claims: no exp, no iss.
	refused(t, v, signRaw(t, key, "null"), ErrInvalidToken)
}

func signRaw(t *testing.T, key testKey, body string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.alg), Key: jose.JSONWebKey{Key: key.priv, KeyID: key.kid}}, nil)
	require.NoError(t, err)
	jws, err := signer.Sign([]byte(body))
	require.NoError(t, err)
	tok, err := jws.CompactSerialize()
	require.NoError(t, err)
	return tok
}

// A token without kid is accepted only when exactly one key of the set fits
// its algorithm.
func TestTokenWithoutKid(t *testing.T) {
	ed := newKey(t, "EdDSA", "ed")
	es := newKey(t, "ES256", "es")
	clk := newClock(t0)
	noKid := func(k testKey) string { k.kid = ""; return sign(t, k, claimsAt(t0)) }

	one := newStatic(t, jwksJSON(t, ed, es), clk)
	accepted(t, one, noKid(ed))
	accepted(t, one, noKid(es))

	ed2 := newKey(t, "EdDSA", "ed2")
	two := newStatic(t, jwksJSON(t, ed, ed2, es), clk)
	refused(t, two, noKid(ed), ErrUnknownKey)
	accepted(t, two, noKid(es))
	accepted(t, two, sign(t, ed, claimsAt(t0)))

	// No key for the algorithm at all.
	refused(t, newStatic(t, jwksJSON(t, es), clk), noKid(ed), ErrUnknownKey)
}

// Keys the set cannot verify with are skipped, not trusted: symmetric keys,
// keys with private parts, encryption keys, unknown key types.
func TestJWKSKeysSkipped(t *testing.T) {
	ed := newKey(t, "EdDSA", "ed")
	clk := newClock(t0)
	priv, err := json.Marshal(jose.JSONWebKey{Key: ed.priv, KeyID: "priv", Algorithm: "EdDSA"})
	require.NoError(t, err)
	enc, err := json.Marshal(jose.JSONWebKey{Key: ed.priv.Public(), KeyID: "enc", Algorithm: "EdDSA", Use: "enc"})
	require.NoError(t, err)
	good, err := json.Marshal(ed.publicJWK())
	require.NoError(t, err)
	jwks := `{"keys":[` +
		`{"kty":"oct","kid":"oct","alg":"HS256","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},` +
		string(priv) + "," + string(enc) + "," +
		`{"kty":"XYZ","kid":"xyz"},{"kty":"OKP","crv":"X25519","kid":"x","x":"AAAA"},` +
		`"not an object",` + string(good) + `]}`
	v := newStatic(t, []byte(jwks), clk)
	require.Len(t, v.set.keys, 1)
	accepted(t, v, sign(t, ed, claimsAt(t0)))
	for _, kid := range []string{"priv", "enc"} {
		k := ed
		k.kid = kid
		refused(t, v, sign(t, k, claimsAt(t0)), ErrUnknownKey)
	}
	_, err = NewFromJWKS([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`), Config{Issuer: testIssuer})
	require.ErrorContains(t, err, "no usable public signing key")
}

// Claims.Decode reads the user object into a struct, a struct embedding User
// with additional fields, or a map.
func TestClaimsDecode(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	v := newStatic(t, jwksJSON(t, key), newClock(t0))
	c := accepted(t, v, sign(t, key, claimsAt(t0)))

	var u User
	require.NoError(t, c.Decode(&u))
	require.Equal(t, User{
		ID: "user-ada", Name: "Ada Lovelace", Email: "ada@example.com", EmailVerified: true,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC),
	}, u)

	var withPlan struct {
		User
		Plan string `json:"plan"`
	}
	require.NoError(t, c.Decode(&withPlan))
	require.Equal(t, "pro", withPlan.Plan)
	require.Equal(t, "ada@example.com", withPlan.Email)

	var m map[string]any
	require.NoError(t, c.Decode(&m))
	require.Equal(t, "Ada Lovelace", m["name"])
	require.Nil(t, m["image"])

	require.Error(t, (&Claims{}).Decode(&m))
	var nilClaims *Claims
	require.Error(t, nilClaims.Decode(&m))
	require.Error(t, c.Decode(u)) // not a pointer
}
