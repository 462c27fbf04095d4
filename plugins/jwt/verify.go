package jwt

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// signatureAlgorithms are the algorithms a token may name; the key found
// by its kid then fixes the one that verifies.
var signatureAlgorithms = []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256, jose.ES512, jose.RS256, jose.PS256}

// reloadAfter is how old the cached key set must be before a token with an
// unknown kid makes Verify read the table again, so that made-up kids
// cannot make every request a database read.
const reloadAfter = 10 * time.Second

// Verify checks a token as Better Auth's verifyJWT does and returns its
// claims: a kid naming a key of the jwks table (expired keys included; a
// token without kid names none),
// the signature under that key's algorithm, exp and nbf (no clock
// tolerance), iss equal to Issuer, aud naming one of Audience, and a sub.
// A bad token wraps ErrInvalidToken; a store failure wraps
// betterauth.ErrUnavailable. Numbers in the claims are float64, as
// encoding/json decodes them.
func (p *Plugin) Verify(ctx context.Context, token string) (map[string]any, error) {
	if p.auth == nil {
		return nil, ErrNotInitialized
	}
	jws, err := jose.ParseSigned(token, signatureAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	hdr := jws.Signatures[0].Protected
	k, err := p.verificationKey(ctx, hdr.KeyID)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, fmt.Errorf("%w: no key has its kid", ErrInvalidToken)
	}
	if hdr.Algorithm != string(k.alg) {
		return nil, fmt.Errorf("%w: the token's alg is not its key's", ErrInvalidToken)
	}
	payload, err := jws.Verify(k.public)
	if err != nil {
		return nil, fmt.Errorf("%w: bad signature", ErrInvalidToken)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("%w: claims are not a JSON object", ErrInvalidToken)
	}
	if err := p.checkClaims(c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkClaims applies jose's jwtVerify checks with Better Auth's options,
// then verifyJWT's own (a sub and an aud).
func (p *Plugin) checkClaims(c map[string]any) error {
	now := p.auth.Now().Unix()
	for _, name := range []string{"exp", "nbf", "iat"} {
		v, ok := c[name]
		if !ok {
			continue
		}
		n, ok := v.(float64)
		if !ok {
			return fmt.Errorf("%w: %s is not a number", ErrInvalidToken, name)
		}
		switch {
		case name == "exp" && n <= float64(now):
			return fmt.Errorf("%w: expired", ErrInvalidToken)
		case name == "nbf" && n > float64(now):
			return fmt.Errorf("%w: not yet valid", ErrInvalidToken)
		}
	}
	if iss, _ := c["iss"].(string); iss != p.issuer() {
		return fmt.Errorf("%w: wrong issuer", ErrInvalidToken)
	}
	var auds []string
	switch a := c["aud"].(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok {
				auds = append(auds, s)
			}
		}
	}
	if !slices.ContainsFunc(auds, func(a string) bool { return slices.Contains(p.audience(), a) }) {
		return fmt.Errorf("%w: wrong audience", ErrInvalidToken)
	}
	if sub, _ := c["sub"].(string); sub == "" {
		return fmt.Errorf("%w: no sub", ErrInvalidToken)
	}
	return nil
}

// verificationKey finds kid in the cached key set, reading the table again
// when it is not there and the cache is older than reloadAfter.
func (p *Plugin) verificationKey(ctx context.Context, kid string) (*storedKey, error) {
	if ks := p.keys.Load(); ks != nil {
		if k := ks.byID(kid); k != nil {
			return k, nil
		}
	}
	if err := p.lock(ctx); err != nil {
		return nil, err
	}
	defer p.unlock()
	ks := p.keys.Load()
	if ks == nil || (ks.byID(kid) == nil && p.auth.Now().Sub(ks.loadedAt) >= reloadAfter) {
		var err error
		if ks, err = p.load(ctx, false); err != nil {
			return nil, err
		}
	}
	return ks.byID(kid), nil
}
