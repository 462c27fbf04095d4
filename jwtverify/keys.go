package jwtverify

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-jose/go-jose/v4"
)

// keySet is a parsed JSON Web Key Set: its usable public signing keys.
type keySet struct {
	keys []jose.JSONWebKey
}

// parseKeySet reads a JWKS document. The document must be a JSON object with
// a "keys" array; keys in it that cannot be used to verify signatures (an
// unknown or unsupported "kty", a symmetric "oct" key, a key with private
// material, "use" other than "sig", an invalid key) are skipped, as RFC 7517
// §5 asks, rather than failing the whole set. Only public Ed25519, ECDSA and
// RSA keys are kept: a private key published by mistake is not used.
func parseKeySet(b []byte) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, errors.New("not a JSON Web Key Set (bad JSON)")
	}
	if doc.Keys == nil {
		return nil, errors.New(`not a JSON Web Key Set (no "keys" array)`)
	}
	set := &keySet{}
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if json.Unmarshal(raw, &k) != nil {
			continue
		}
		if !k.Valid() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		switch k.Key.(type) {
		case ed25519.PublicKey, *ecdsa.PublicKey, *rsa.PublicKey:
			set.keys = append(set.keys, k)
		}
	}
	return set, nil
}

// find returns the key for a token's kid and alg. found is false when no key
// has that kid (or, for an empty kid, when not exactly one key fits alg);
// err is an ErrInvalidToken when a key has the kid but does not fit alg.
func (s *keySet) find(kid, alg string) (key any, found bool, err error) {
	if s == nil {
		return nil, false, nil
	}
	if kid == "" {
		var only any
		n := 0
		for i := range s.keys {
			if keyFits(&s.keys[i], alg) {
				only = s.keys[i].Key
				n++
			}
		}
		if n != 1 {
			return nil, false, nil
		}
		return only, true, nil
	}
	for i := range s.keys {
		if s.keys[i].KeyID != kid {
			continue
		}
		found = true
		if keyFits(&s.keys[i], alg) {
			return s.keys[i].Key, true, nil
		}
	}
	if found {
		return nil, true, invalid("the key does not fit the token's algorithm")
	}
	return nil, false, nil
}

// keyFits tells whether a key may verify a signature made with alg: its
// published "alg", if any, is alg, and its type is the one alg needs.
func keyFits(k *jose.JSONWebKey, alg string) bool {
	if k.Algorithm != "" && k.Algorithm != alg {
		return false
	}
	switch key := k.Key.(type) {
	case ed25519.PublicKey:
		return alg == "EdDSA"
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return key.Curve == elliptic.P256()
		case "ES384":
			return key.Curve == elliptic.P384()
		case "ES512":
			return key.Curve == elliptic.P521()
		}
	case *rsa.PublicKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			return true
		}
	}
	return false
}

// key returns the public key that must have signed a token with this kid and
// alg, fetching the key set first if there is none yet or it is older than
// CacheTTL, and again (rate limited) if the kid is unknown.
func (v *Verifier) key(ctx context.Context, kid, alg string) (any, error) {
	set, err := v.currentSet(ctx)
	if err != nil {
		return nil, err
	}
	key, found, err := set.find(kid, alg)
	if err != nil {
		return nil, err
	}
	if found {
		return key, nil
	}
	if v.static || kid == "" {
		return nil, ErrUnknownKey
	}
	// An unknown kid: maybe the auth server rotated its key. Fetch again if
	// the last fetch is old enough, else look in the newest set there is (a
	// concurrent verification may just have fetched it).
	set, err = v.refresh(ctx)
	if err != nil {
		return nil, err
	}
	key, found, err = set.find(kid, alg)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrUnknownKey
	}
	return key, nil
}

// currentSet returns the key set to use now: the cached one, or a fresh one
// when there is none yet or it is older than CacheTTL. A failed fetch is an
// error only when there is no set to fall back on.
func (v *Verifier) currentSet(ctx context.Context) (*keySet, error) {
	v.mu.Lock()
	set, attempts, lastErr := v.set, v.attempts, v.lastErr
	now := v.now()
	fresh := set != nil && (v.static || now.Sub(v.fetchedAt) < v.cacheTTL)
	mayFetch := attempts == 0 || now.Sub(v.lastAttempt) >= v.minRefresh
	v.mu.Unlock()
	switch {
	case fresh:
		return set, nil
	case !mayFetch && set != nil:
		return set, nil // stale, and fetched (or tried) too recently to try again
	case !mayFetch && lastErr != nil:
		return nil, lastErr
	case !mayFetch:
		return nil, ErrJWKSUnavailable
	}
	newSet, err := v.fetch(ctx, attempts)
	if err != nil {
		if set != nil {
			return set, nil // stale if error: keep the keys we had
		}
		return nil, err
	}
	return newSet, nil
}

// refresh fetches the key set again unless the last fetch is more recent than
// MinRefreshInterval; then it returns the newest set there is (or, when the
// last fetch failed, that error).
func (v *Verifier) refresh(ctx context.Context) (*keySet, error) {
	v.mu.Lock()
	set, attempts, lastErr := v.set, v.attempts, v.lastErr
	mayFetch := v.now().Sub(v.lastAttempt) >= v.minRefresh
	v.mu.Unlock()
	if !mayFetch {
		if lastErr != nil {
			return nil, lastErr
		}
		return set, nil
	}
	return v.fetch(ctx, attempts)
}

// fetchResult is what one shared fetch hands to every caller waiting on it.
type fetchResult struct {
	set *keySet
	err error
}

// fetch gets the key set from JWKSURL, once for all concurrent callers
// (singleflight). seen is the number of fetches the caller saw ended when it
// decided to fetch: if another fetch has ended since, that one's result is
// used instead of asking again. The request does not end with the caller's
// context (other callers share it) but is bounded by the HTTP client's
// timeout, or 10 s; a caller whose context ends stops waiting for it.
func (v *Verifier) fetch(ctx context.Context, seen uint64) (*keySet, error) {
	if v.onFetchWait != nil {
		v.onFetchWait()
	}
	ch := v.sf.DoChan("jwks", func() (any, error) {
		v.mu.Lock()
		if v.attempts != seen {
			r := fetchResult{v.set, v.lastErr}
			v.mu.Unlock()
			return r, nil
		}
		v.mu.Unlock()

		fctx := context.WithoutCancel(ctx)
		if v.client.Timeout == 0 {
			var cancel context.CancelFunc
			fctx, cancel = context.WithTimeout(fctx, defaultFetchTimeout)
			defer cancel()
		}
		set, err := v.download(fctx)

		v.mu.Lock()
		defer v.mu.Unlock()
		v.attempts++
		v.lastAttempt = v.now()
		v.lastErr = err
		if err == nil {
			v.set = set
			v.fetchedAt = v.lastAttempt
		}
		return fetchResult{v.set, err}, nil
	})
	select {
	case res := <-ch:
		r := res.Val.(fetchResult)
		if r.err != nil {
			return nil, r.err
		}
		return r.set, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrJWKSUnavailable, ctx.Err())
	}
}

// download GETs and parses the key set. Every error wraps ErrJWKSUnavailable.
func (v *Verifier) download(ctx context.Context) (*keySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.jwksURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWKSUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWKSUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("%w: GET %s: status %d", ErrJWKSUnavailable, v.jwksURL, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %w", ErrJWKSUnavailable, v.jwksURL, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("%w: GET %s: larger than %d bytes", ErrJWKSUnavailable, v.jwksURL, maxJWKSBytes)
	}
	set, err := parseKeySet(body)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %w", ErrJWKSUnavailable, v.jwksURL, err)
	}
	return set, nil
}
