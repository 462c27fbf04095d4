package jwt

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
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// keyParams say how to make a key of one algorithm.
type keyParams struct {
	alg Algorithm
	// crv is the curve, stored in jwks.crv; "" for RSA.
	crv string
	gen func() (crypto.Signer, error)
}

func newKeyParams(alg Algorithm, modulus int) (keyParams, error) {
	switch alg {
	case EdDSA:
		return keyParams{alg, "Ed25519", func() (crypto.Signer, error) {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			return k, err
		}}, nil
	case ES256:
		return keyParams{alg, "P-256", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }}, nil
	case ES512:
		return keyParams{alg, "P-521", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) }}, nil
	case RS256, PS256:
		if modulus < 2048 {
			return keyParams{}, fmt.Errorf("jwt: ModulusLength %d is too small: RSA keys need at least 2048 bits", modulus)
		}
		return keyParams{alg, "", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, modulus) }}, nil
	}
	return keyParams{}, fmt.Errorf("jwt: unsupported algorithm %q (EdDSA, ES256, ES512, RS256 or PS256)", alg)
}

// jwkOrder is the member order of the JWKs Better Auth stores (what
// WebCrypto's exportKey("jwk") writes, less ext, key_ops and alg), by key
// type, public members first; a private key adds the rest.
var jwkOrder = map[string]struct{ public, private []string }{
	"OKP": {[]string{"crv", "x", "kty"}, []string{"crv", "d", "x", "kty"}},
	"EC":  {[]string{"kty", "x", "y", "crv"}, []string{"kty", "x", "y", "crv", "d"}},
	"RSA": {[]string{"kty", "n", "e"}, []string{"kty", "n", "e", "d", "p", "q", "dp", "dq", "qi"}},
}

// exportJWK is go-jose's JWK of key with its members in Better Auth's
// order, so that a key made here is stored as Better Auth stores one.
func exportJWK(key any) (string, error) {
	raw, err := jose.JSONWebKey{Key: key}.MarshalJSON()
	if err != nil {
		return "", err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", err
	}
	var kty string
	if err := json.Unmarshal(m["kty"], &kty); err != nil {
		return "", fmt.Errorf("jwt: JWK without kty")
	}
	order, ok := jwkOrder[kty]
	if !ok {
		return "", fmt.Errorf("jwt: unexpected key type %q", kty)
	}
	names := order.public
	if _, private := m["d"]; private {
		names = order.private
	}
	var out claims
	for _, n := range names {
		v, ok := m[n]
		if !ok {
			return "", fmt.Errorf("jwt: %s JWK without %q", kty, n)
		}
		out.set(n, v)
	}
	b, err := out.MarshalJSON()
	return string(b), err
}

// storedKey is a jwks row, its public key parsed.
type storedKey struct {
	kid        string
	alg        Algorithm // the row's alg, or Options.Algorithm when NULL
	crv        *string
	publicJSON string
	public     *jose.JSONWebKey
	private    string
	createdAt  time.Time
	expiresAt  *time.Time
}

func (k *storedKey) live(now time.Time) bool { return k.expiresAt == nil || k.expiresAt.After(now) }

// signingKey is the key tokens are signed with.
type signingKey struct {
	*storedKey
	signer jose.Signer
	// cacheSigner signs the cookie cache: the same key, with the typ
	// header Better Auth gives it.
	cacheSigner jose.Signer
}

// keySet is what the plugin knows of the jwks table.
type keySet struct {
	loadedAt time.Time
	keys     []*storedKey // newest first
	signing  *signingKey  // nil when no key is live
}

func (ks *keySet) byID(kid string) *storedKey {
	for _, k := range ks.keys {
		if k.kid == kid {
			return k
		}
	}
	return nil
}

// usable reports whether ks can sign at now without reading the table.
func (p *Plugin) usable(ks *keySet, now time.Time) bool {
	return ks != nil && ks.signing != nil && ks.signing.live(now) && now.Sub(ks.loadedAt) < p.opts.KeyRefreshInterval
}

// lock takes the plugin's single load slot, or gives up with ctx.
func (p *Plugin) lock(ctx context.Context) error {
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: jwt: waiting for the key set: %w", betterauth.ErrUnavailable, ctx.Err())
	}
}

func (p *Plugin) unlock() { <-p.sem }

// signingKey returns the key to sign with: the cached one while it is live
// and fresh; otherwise the table is read, and a key made if none is live.
func (p *Plugin) signingKey(ctx context.Context) (*signingKey, error) {
	if ks := p.keys.Load(); p.usable(ks, p.auth.Now()) {
		return ks.signing, nil
	}
	if err := p.lock(ctx); err != nil {
		return nil, err
	}
	defer p.unlock()
	now := p.auth.Now()
	if ks := p.keys.Load(); p.usable(ks, now) {
		return ks.signing, nil // another request loaded it meanwhile
	}
	ks, err := p.load(ctx, true)
	if err != nil {
		return nil, err
	}
	if ks.signing == nil {
		if err := p.createKey(ctx); err != nil {
			return nil, err
		}
		if ks, err = p.load(ctx, true); err != nil {
			return nil, err
		}
		if ks.signing == nil {
			return nil, errors.New("jwt: no live key in the jwks table after making one (is the clock behind the database's?)")
		}
	}
	return ks.signing, nil
}

// load reads the table (with the slot held) and caches what it read; with
// sign it also prepares the signing key.
func (p *Plugin) load(ctx context.Context, sign bool) (*keySet, error) {
	now := p.auth.Now()
	rows, err := p.store.FindMany(ctx, Model, schema.Query{OrderBy: "createdAt", Desc: true})
	if err != nil {
		return nil, storeErr("reading the jwks table", err)
	}
	ks := &keySet{loadedAt: now}
	for _, r := range rows {
		k, err := p.parseRow(r)
		if err != nil {
			p.auth.Logger().WarnContext(ctx, "jwt: skipping an unreadable jwks row", "kid", r["id"], "err", err)
			continue
		}
		ks.keys = append(ks.keys, k)
	}
	if sign {
		if k := p.pickSigningKey(ks.keys, now); k != nil {
			s, err := p.signerFor(k)
			if err != nil {
				return nil, err
			}
			ks.signing = s
		}
	} else if old := p.keys.Load(); old != nil && old.signing != nil {
		if k := ks.byID(old.signing.kid); k != nil && p.pickSigningKey(ks.keys, now) == k {
			ks.signing = &signingKey{k, old.signing.signer, old.signing.cacheSigner}
		}
	}
	p.keys.Store(ks)
	return ks, nil
}

// pickSigningKey is Better Auth's choice: the newest live key of the
// configured algorithm (rows without alg count as it), else the newest
// live key of any algorithm.
func (p *Plugin) pickSigningKey(keys []*storedKey, now time.Time) *storedKey {
	var anyAlg *storedKey
	for _, k := range keys { // newest first
		if !k.live(now) {
			continue
		}
		if k.alg == p.opts.Algorithm {
			return k
		}
		if anyAlg == nil {
			anyAlg = k
		}
	}
	return anyAlg
}

func (p *Plugin) parseRow(r schema.Record) (*storedKey, error) {
	k := &storedKey{alg: p.opts.Algorithm}
	var ok bool
	if k.kid, ok = r["id"].(string); !ok {
		return nil, errors.New("no id")
	}
	if k.publicJSON, ok = r["publicKey"].(string); !ok {
		return nil, errors.New("no publicKey")
	}
	if k.private, ok = r["privateKey"].(string); !ok {
		return nil, errors.New("no privateKey")
	}
	if k.createdAt, ok = r["createdAt"].(time.Time); !ok {
		return nil, errors.New("no createdAt")
	}
	if t, ok := r["expiresAt"].(time.Time); ok {
		k.expiresAt = &t
	}
	if a, ok := r["alg"].(string); ok && a != "" {
		k.alg = Algorithm(a)
	}
	if c, ok := r["crv"].(string); ok {
		k.crv = &c
	}
	var pub jose.JSONWebKey
	if err := pub.UnmarshalJSON([]byte(k.publicJSON)); err != nil {
		return nil, fmt.Errorf("publicKey: %w", err)
	}
	if !pub.Valid() || !pub.IsPublic() {
		return nil, errors.New("publicKey is not a valid public key")
	}
	k.public = &pub
	return k, nil
}

// signerFor opens k's private key (decrypting it unless
// DisablePrivateKeyEncryption) and makes a signer that writes
// {"alg","kid"} headers.
func (p *Plugin) signerFor(k *storedKey) (*signingKey, error) {
	jwk := k.private
	if !p.opts.DisablePrivateKeyEncryption {
		var ct string
		if err := json.Unmarshal([]byte(k.private), &ct); err != nil {
			return nil, fmt.Errorf("jwt: the private key of %s is not encrypted (a JSON string); set DisablePrivateKeyEncryption if the table holds plain keys", k.kid)
		}
		if strings.HasPrefix(ct, "$ba$") {
			return nil, fmt.Errorf("jwt: the private key of %s was encrypted with Better Auth's versioned secrets, which are not supported", k.kid)
		}
		pt, err := p.auth.Decrypt("", ct)
		if err != nil {
			return nil, fmt.Errorf("jwt: failed to decrypt the private key of %s: the secret must be the one that encrypted it (or clean up the jwks table): %w", k.kid, err)
		}
		jwk = pt
	}
	var priv jose.JSONWebKey
	if err := priv.UnmarshalJSON([]byte(jwk)); err != nil {
		return nil, fmt.Errorf("jwt: the private key of %s is not a private JWK", k.kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(k.alg),
		Key:       jose.JSONWebKey{Key: priv.Key, KeyID: k.kid},
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("jwt: key %s cannot sign %s: %w", k.kid, k.alg, err)
	}
	cacheSigner, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(k.alg),
		Key:       jose.JSONWebKey{Key: priv.Key, KeyID: k.kid},
	}, (&jose.SignerOptions{}).WithType(betterauth.CookieCacheJWTType))
	if err != nil {
		return nil, fmt.Errorf("jwt: key %s cannot sign %s: %w", k.kid, k.alg, err)
	}
	return &signingKey{k, signer, cacheSigner}, nil
}

// createKey makes a key pair of the configured algorithm and stores it as
// Better Auth's createJwk does.
func (p *Plugin) createKey(ctx context.Context) error {
	kp, err := newKeyParams(p.opts.Algorithm, p.opts.ModulusLength)
	if err != nil {
		return err
	}
	priv, err := kp.gen()
	if err != nil {
		return fmt.Errorf("jwt: making a key: %w", err)
	}
	pubJSON, err := exportJWK(priv.Public())
	if err != nil {
		return err
	}
	privJSON, err := exportJWK(priv)
	if err != nil {
		return err
	}
	stored := privJSON
	if !p.opts.DisablePrivateKeyEncryption {
		ct, err := p.auth.Encrypt("", privJSON)
		if err != nil {
			return err
		}
		stored = string(quote(ct))
	}
	now := p.auth.Now()
	rec := schema.Record{"publicKey": pubJSON, "privateKey": stored, "createdAt": now, "alg": string(kp.alg)}
	if kp.crv != "" {
		rec["crv"] = kp.crv
	}
	if p.opts.RotationInterval > 0 {
		rec["expiresAt"] = now.Add(p.opts.RotationInterval)
	}
	if _, err := p.store.Insert(ctx, Model, rec); err != nil {
		return storeErr("storing a key", err)
	}
	return nil
}

// JWKS returns the body of GET /jwks: {"keys":[...]} with every key that is
// live or within GracePeriod of its expiry, as Better Auth writes it
// ({alg, crv, ...the public JWK, kid}). It reads the table (so keys another
// server made are published at once) and makes a key when there is none.
func (p *Plugin) JWKS(ctx context.Context) ([]byte, error) {
	if p.auth == nil {
		return nil, ErrNotInitialized
	}
	if err := p.lock(ctx); err != nil {
		return nil, err
	}
	defer p.unlock()
	ks, err := p.load(ctx, false)
	if err != nil {
		return nil, err
	}
	if len(ks.keys) == 0 {
		if err := p.createKey(ctx); err != nil {
			return nil, err
		}
		if ks, err = p.load(ctx, false); err != nil {
			return nil, err
		}
	}
	now := p.auth.Now()
	keys := make([]json.RawMessage, 0, len(ks.keys))
	for _, k := range slices.Backward(ks.keys) { // oldest first, as the table reads
		if k.expiresAt != nil && !k.expiresAt.Add(p.opts.GracePeriod).After(now) {
			continue
		}
		var o claims
		o.set("alg", string(k.alg))
		o.set("crv", undefined{})
		if k.crv != nil {
			o.set("crv", *k.crv)
		}
		if err := o.mergeJSON([]byte(k.publicJSON)); err != nil {
			return nil, err
		}
		o.set("kid", k.kid)
		o = slices.DeleteFunc(o, func(m member) bool { _, u := m.val.(undefined); return u })
		b, err := o.MarshalJSON()
		if err != nil {
			return nil, err
		}
		keys = append(keys, b)
	}
	return json.Marshal(struct {
		Keys []json.RawMessage `json:"keys"`
	}{keys})
}

// undefined marks a member JSON.stringify leaves out.
type undefined struct{}

// storeErr wraps a store failure as betterauth.ErrUnavailable (503), and
// keeps the store's own sentinels (a schema mistake is no outage).
func storeErr(op string, err error) error {
	for _, s := range []error{betterauth.ErrUnavailable, schema.ErrInvalidSchema, schema.ErrInvalidField, betterauth.ErrNotFound, betterauth.ErrConflict} {
		if errors.Is(err, s) {
			return fmt.Errorf("jwt: %s: %w", op, err)
		}
	}
	return fmt.Errorf("%w: jwt: %s: %w", betterauth.ErrUnavailable, op, err)
}
