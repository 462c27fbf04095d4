package betterauth

import (
	"context"

	"github.com/go-betterauth/betterauth/internal/passhash"
)

// PasswordHasher hashes and verifies passwords. Implementations must be safe
// for concurrent use.
type PasswordHasher interface {
	// Hash returns the string to store for password.
	Hash(ctx context.Context, password string) (string, error)
	// Verify reports whether password matches hash. A malformed hash is an
	// error wrapping ErrInvalidPasswordHash, not false.
	Verify(ctx context.Context, hash, password string) (bool, error)
}

// ErrInvalidPasswordHash reports a stored password hash that the hasher cannot
// read. Better Auth answers sign-in with HTTP 500 in that case, not 401.
var ErrInvalidPasswordHash = passhash.ErrInvalidHash

// Rehasher is implemented by hashers that can tell when a stored hash is
// outdated; after a successful sign-in the library then stores a fresh hash.
//
// NeedsRehash is only asked about a hash that has just verified, so it need
// not report malformed hashes; it must be cheap (no key derivation).
type Rehasher interface {
	// NeedsRehash reports whether hash should be replaced by a new Hash of
	// the same password.
	NeedsRehash(hash string) bool
}

// ScryptHasher is Better Auth's default password hash, in its exact format:
// scrypt with N=16384, r=16, p=1 and a 64-byte key over the UTF-8 bytes of
// the NFKC-normalized password. The salt is 16 random bytes hex-encoded to 32
// lowercase characters, and the ASCII bytes of that hex string (not the
// decoded bytes) are the scrypt salt. The stored form is "salthex:keyhex",
// 161 characters. Hashes made by Better Auth verify here and the other way
// round.
//
// Each hash needs about 32 MiB of memory, so at most MaxConcurrent hashes or
// verifications run at once; the others wait for a slot, giving up when
// their context is done.
//
// Create one with NewScryptHasher. The zero value is usable and behaves as
// NewScryptHasher(0). A ScryptHasher must not be copied after first use.
type ScryptHasher struct {
	// s is the implementation, shared with package argon2id.
	s passhash.Scrypt
}

var _ PasswordHasher = (*ScryptHasher)(nil)

// NewScryptHasher returns a ScryptHasher that runs at most maxConcurrent
// hashes at once. maxConcurrent <= 0 means max(2, runtime.GOMAXPROCS(0)).
func NewScryptHasher(maxConcurrent int) *ScryptHasher {
	return &ScryptHasher{s: passhash.Scrypt{Max: maxConcurrent}}
}

// MaxConcurrent returns the number of hashes and verifications h runs at
// once.
func (h *ScryptHasher) MaxConcurrent() int { return h.s.MaxConcurrent() }

// Hash returns a new "salthex:keyhex" hash of password. It waits for a free
// slot; if ctx is done first it returns an error wrapping ctx.Err().
func (h *ScryptHasher) Hash(ctx context.Context, password string) (string, error) {
	return h.s.Hash(ctx, password)
}

// Verify reports whether password matches hash, comparing keys in constant
// time. It waits for a free slot like Hash.
//
// hash must be "salt:key" with exactly one colon, a non-empty salt (any
// characters; Better Auth's are 32 lowercase hex digits) and a key of 128
// lowercase hex digits; anything else is an error wrapping
// ErrInvalidPasswordHash. Better Auth throws only when the salt or key is
// empty and answers false for the other shapes, which can never match (its
// key comparison is on lowercase hex); here they are reported as the
// corruption they are. The one hash Better Auth would accept and this
// rejects is a valid hash followed by ":anything", which Better Auth never
// writes.
func (h *ScryptHasher) Verify(ctx context.Context, hash, password string) (bool, error) {
	return h.s.Verify(ctx, hash, password)
}

// PasswordLength returns the length Better Auth measures a password by for
// its minimum and maximum (8 and 128 by default): the JavaScript string
// length, i.e. the number of UTF-16 code units, before NFKC normalization.
// Characters outside the Basic Multilingual Plane, such as most emoji, count
// as two. Each invalid UTF-8 byte counts as one (it would reach JavaScript as
// U+FFFD).
func PasswordLength(password string) int {
	n := 0
	for _, r := range password {
		if r >= 0x10000 { // a surrogate pair in UTF-16
			n += 2
		} else {
			n++
		}
	}
	return n
}
