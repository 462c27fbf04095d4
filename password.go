package betterauth

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
var ErrInvalidPasswordHash = errors.New("betterauth: invalid password hash")

// Better Auth's scrypt parameters (@better-auth/utils password.ts).
const (
	scryptN      = 16384
	scryptR      = 16
	scryptP      = 1
	scryptKeyLen = 64
	// scryptSaltLen is the number of random bytes in a salt; the salt string
	// is their lowercase hex encoding, twice as long.
	scryptSaltLen = 16
)

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
	once sync.Once
	max  int
	sem  chan struct{}
	// derive computes the scrypt key; nil means scryptKey. Tests replace it
	// to hold a slot for as long as they like.
	derive func(password, salt []byte) ([]byte, error)
}

var _ PasswordHasher = (*ScryptHasher)(nil)

// NewScryptHasher returns a ScryptHasher that runs at most maxConcurrent
// hashes at once. maxConcurrent <= 0 means max(2, runtime.GOMAXPROCS(0)).
func NewScryptHasher(maxConcurrent int) *ScryptHasher {
	return &ScryptHasher{max: maxConcurrent}
}

// MaxConcurrent returns the number of hashes and verifications h runs at
// once.
func (h *ScryptHasher) MaxConcurrent() int {
	return cap(h.slots())
}

// slots returns the semaphore, creating it on first use so that the zero
// value works.
func (h *ScryptHasher) slots() chan struct{} {
	h.once.Do(func() {
		n := h.max
		if n <= 0 {
			n = max(2, runtime.GOMAXPROCS(0))
		}
		h.sem = make(chan struct{}, n)
	})
	return h.sem
}

// acquire takes a slot, or returns ctx's error if ctx is done first.
func (h *ScryptHasher) acquire(ctx context.Context) error {
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

// release gives back a slot taken by acquire.
func (h *ScryptHasher) release() { <-h.sem }

// key derives the scrypt key of password with the given salt string, inside
// a slot.
func (h *ScryptHasher) key(ctx context.Context, password, salt string) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	derive := h.derive
	if derive == nil {
		derive = scryptKey
	}
	k, err := derive([]byte(norm.NFKC.String(password)), []byte(salt))
	if err != nil {
		return nil, fmt.Errorf("betterauth: scrypt: %w", err)
	}
	return k, nil
}

// scryptKey is scrypt with Better Auth's parameters.
func scryptKey(password, salt []byte) ([]byte, error) {
	return scrypt.Key(password, salt, scryptN, scryptR, scryptP, scryptKeyLen)
}

// Hash returns a new "salthex:keyhex" hash of password. It waits for a free
// slot; if ctx is done first it returns an error wrapping ctx.Err().
func (h *ScryptHasher) Hash(ctx context.Context, password string) (string, error) {
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
		return "", nil, fmt.Errorf("%w: no ':' between salt and key", ErrInvalidPasswordHash)
	case salt == "":
		return "", nil, fmt.Errorf("%w: empty salt", ErrInvalidPasswordHash)
	case keyHex == "":
		return "", nil, fmt.Errorf("%w: empty key", ErrInvalidPasswordHash)
	case strings.Contains(keyHex, ":"):
		return "", nil, fmt.Errorf("%w: more than one ':'", ErrInvalidPasswordHash)
	case len(keyHex) != 2*scryptKeyLen || !isLowerHex(keyHex):
		return "", nil, fmt.Errorf("%w: key is not %d lowercase hex digits", ErrInvalidPasswordHash, 2*scryptKeyLen)
	}
	key, err = hex.DecodeString(keyHex)
	if err != nil { // unreachable after isLowerHex, kept for safety
		return "", nil, fmt.Errorf("%w: %w", ErrInvalidPasswordHash, err)
	}
	return salt, key, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
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
