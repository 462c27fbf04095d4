package jwt

import (
	"context"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/go-betterauth/betterauth"
)

// CookieCacheSigner returns the plugin as the cookie cache's signer when
// Options.SessionCookieCache is set, nil otherwise.
func (p *Plugin) CookieCacheSigner() betterauth.CookieCacheSigner {
	if !p.opts.SessionCookieCache {
		return nil
	}
	return cacheSigner{p}
}

// cacheSigner signs and verifies the cookie cache with the JWKS keys.
type cacheSigner struct{ p *Plugin }

// SignCookieCache signs claims with the current key and the header
// {alg, kid, typ: "better-auth.session-cache+jwt"}.
func (s cacheSigner) SignCookieCache(ctx context.Context, claims []byte) (string, error) {
	k, err := s.p.signingKey(ctx)
	if err != nil {
		return "", err
	}
	jws, err := k.cacheSigner.Sign(claims)
	if err != nil {
		return "", fmt.Errorf("jwt: sign the cookie cache: %w", err)
	}
	return jws.CompactSerialize()
}

// VerifyCookieCache checks the typ header, finds the key by kid and checks
// the signature with it; the Auth checks the claims.
func (s cacheSigner) VerifyCookieCache(ctx context.Context, token string) ([]byte, error) {
	jws, err := jose.ParseSigned(token, signatureAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	hdr := jws.Signatures[0].Protected
	if typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string); typ != betterauth.CookieCacheJWTType {
		return nil, fmt.Errorf("%w: not a cookie cache", ErrInvalidToken)
	}
	k, err := s.p.verificationKey(ctx, hdr.KeyID)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, fmt.Errorf("%w: no key has its kid", ErrInvalidToken)
	}
	payload, err := jws.Verify(k.public)
	if err != nil {
		return nil, fmt.Errorf("%w: bad signature", ErrInvalidToken)
	}
	return payload, nil
}
