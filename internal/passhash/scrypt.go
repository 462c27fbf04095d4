// Package passhash is what betterauth.ScryptHasher and package argon2id
// share: Better Auth's scrypt hash format, and the pool of slots that bounds
// how many hashes run at once, so that an argon2id.Hasher verifies Better
// Auth's scrypt hashes in the same pool as its own.
package passhash

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"
)

// ErrInvalidHash is betterauth.ErrInvalidPasswordHash, which is this value:
// a stored password hash that the hasher cannot read.
var ErrInvalidHash = errors.New("betterauth: invalid password hash")

// Better Auth's scrypt parameters (@better-auth/utils password.ts).
const (
	scryptN = 16384
	scryptR = 16
	scryptP = 1
	// ScryptKeyLen is the length of the derived key in bytes; the stored
	// key is its lowercase hex encoding, twice as long.
	ScryptKeyLen = 64
	// scryptSaltLen is the number of random bytes in a salt; the salt string
	// is their lowercase hex encoding, twice as long.
	scryptSaltLen = 16
)

// Scrypt is the implementation of betterauth.ScryptHasher (whose doc
// comment describes the format), with the slot pool exposed to argon2id.
// The zero value is usable and runs at most max(2, runtime.GOMAXPROCS(0))
// hashes at once. A Scrypt must not be copied after first use.
type Scrypt struct {
	// Max is the number of slots; <= 0 means max(2, runtime.GOMAXPROCS(0)).
	// It is read once, at first use.
	Max int
	// Derive computes the scrypt key; nil means ScryptKey. Tests replace it
	// to hold a slot for as long as they like, or to prove it is not reached.
	Derive func(password, salt []byte) ([]byte, error)

	once sync.Once
	sem  chan struct{}
}

// MaxConcurrent returns the number of slots.
func (h *Scrypt) MaxConcurrent() int {
	return cap(h.slots())
}

// slots returns the semaphore, creating it on first use so that the zero
// value works.
func (h *Scrypt) slots() chan struct{} {
	h.once.Do(func() {
		n := h.Max
		if n <= 0 {
			n = max(2, runtime.GOMAXPROCS(0))
		}
		h.sem = make(chan struct{}, n)
	})
	return h.sem
}

// Acquire takes a slot, or returns ctx's error if ctx is done first.
func (h *Scrypt) Acquire(ctx context.Context) error {
	sem := h.slots()
	// Checked first so that a done context fails even when a slot is free:
	// select would pick between the two at random.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("betterauth: waiting to hash a password: %w", err)
	}
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("betterauth: waiting to hash a password: %w", ctx.Err())
	}
}

// Release gives back a slot taken by Acquire.
func (h *Scrypt) Release() { <-h.sem }

// key derives the scrypt key of password with the given salt string, inside
// a slot.
func (h *Scrypt) key(ctx context.Context, password, salt string) ([]byte, error) {
	if err := h.Acquire(ctx); err != nil {
		return nil, err
	}
	defer h.Release()
	derive := h.Derive
	if derive == nil {
		derive = ScryptKey
	}
	k, err := derive([]byte(norm.NFKC.String(password)), []byte(salt))
	if err != nil {
		return nil, fmt.Errorf("betterauth: scrypt: %w", err)
	}
	return k, nil
}

// ScryptKey is scrypt with Better Auth's parameters.
func ScryptKey(password, salt []byte) ([]byte, error) {
	return scrypt.Key(password, salt, scryptN, scryptR, scryptP, ScryptKeyLen)
}

// Hash returns a new "salthex:keyhex" hash of password. It waits for a free
// slot; if ctx is done first it returns an error wrapping ctx.Err().
func (h *Scrypt) Hash(ctx context.Context, password string) (string, error) {
	var raw [scryptSaltLen]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("betterauth: password salt: %w", err)
	}
	salt := hex.EncodeToString(raw[:])
	k, err := h.key(ctx, password, salt)
	if err != nil {
		return "", err
	}
	return salt + ":" + hex.EncodeToString(k), nil
}

// Verify reports whether password matches hash, comparing keys in constant
// time, as betterauth.ScryptHasher.Verify describes. It waits for a free
// slot like Hash.
func (h *Scrypt) Verify(ctx context.Context, hash, password string) (bool, error) {
	salt, want, err := parseScryptHash(hash)
	if err != nil {
		return false, err
	}
	got, err := h.key(ctx, password, salt)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// parseScryptHash splits a stored hash into its salt string and decoded key.
func parseScryptHash(hash string) (salt string, key []byte, err error) {
	salt, keyHex, ok := strings.Cut(hash, ":")
	switch {
	case !ok:
		return "", nil, fmt.Errorf("%w: no ':' between salt and key", ErrInvalidHash)
	case salt == "":
		return "", nil, fmt.Errorf("%w: empty salt", ErrInvalidHash)
	case keyHex == "":
		return "", nil, fmt.Errorf("%w: empty key", ErrInvalidHash)
	case strings.Contains(keyHex, ":"):
		return "", nil, fmt.Errorf("%w: more than one ':'", ErrInvalidHash)
	case len(keyHex) != 2*ScryptKeyLen || !IsLowerHex(keyHex):
		return "", nil, fmt.Errorf("%w: key is not %d lowercase hex digits", ErrInvalidHash, 2*ScryptKeyLen)
	}
	key, err = hex.DecodeString(keyHex)
	if err != nil { // unreachable after IsLowerHex, kept for safety
		return "", nil, fmt.Errorf("%w: %w", ErrInvalidHash, err)
	}
	return salt, key, nil
}

// IsLowerHex reports whether s is made of lowercase hex digits only.
func IsLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
