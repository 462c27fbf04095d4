package argon2id

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/passhash"
)

// Params are the cost parameters of a Hasher. A zero field means its
// default, which are OWASP's minimum recommendation for argon2id (Password
// Storage Cheat Sheet): 19 MiB of memory, 2 passes, 1 lane, with a 16-byte
// salt and a 32-byte key.
type Params struct {
	// Memory is the memory cost in KiB (PHC "m"). Default 19456 (19 MiB).
	Memory uint32
	// Time is the number of passes over the memory (PHC "t"). Default 2.
	Time uint32
	// Threads is the degree of parallelism (PHC "p"), the number of lanes
	// and of goroutines per hash. Default 1.
	Threads uint8
	// SaltLen is the number of random salt bytes. Default 16.
	SaltLen uint32
	// KeyLen is the number of key bytes derived and stored. Default 32.
	KeyLen uint32
}

// Defaults and limits of argon2id hashes. The limits bound what Verify will
// compute for a stored hash, so that a planted or corrupted hash such as
// m=4294967295 cannot make one sign-in allocate 4 TiB or run for hours; the
// same limits apply to the parameters of New.
const (
	argon2idDefaultMemory  = 19 * 1024 // KiB
	argon2idDefaultTime    = 2
	argon2idDefaultThreads = 1
	argon2idDefaultSaltLen = 16
	argon2idDefaultKeyLen  = 32

	argon2idMaxMemory  = 1 << 20 // KiB, 1 GiB
	argon2idMaxTime    = 16
	argon2idMaxThreads = 16
	// argon2idMinSaltLen is the minimum of RFC 9106 and of the reference
	// implementation.
	argon2idMinSaltLen = 8
	argon2idMaxSaltLen = 64
	argon2idMinKeyLen  = 16
	argon2idMaxKeyLen  = 128
)

// withDefaults returns p with each zero field replaced by its default.
func (p Params) withDefaults() Params {
	if p.Memory == 0 {
		p.Memory = argon2idDefaultMemory
	}
	if p.Time == 0 {
		p.Time = argon2idDefaultTime
	}
	if p.Threads == 0 {
		p.Threads = argon2idDefaultThreads
	}
	if p.SaltLen == 0 {
		p.SaltLen = argon2idDefaultSaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = argon2idDefaultKeyLen
	}
	return p
}

// check reports parameters outside the limits, or memory below argon2's
// minimum of 8 KiB per lane.
func (p Params) check() error {
	switch {
	case p.Time < 1 || p.Time > argon2idMaxTime:
		return fmt.Errorf("t=%d is outside 1..%d", p.Time, argon2idMaxTime)
	case p.Threads < 1 || p.Threads > argon2idMaxThreads:
		return fmt.Errorf("p=%d is outside 1..%d", p.Threads, argon2idMaxThreads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > argon2idMaxMemory:
		return fmt.Errorf("m=%d KiB is outside 8*p..%d", p.Memory, argon2idMaxMemory)
	case p.SaltLen < argon2idMinSaltLen || p.SaltLen > argon2idMaxSaltLen:
		return fmt.Errorf("salt of %d bytes is outside %d..%d", p.SaltLen, argon2idMinSaltLen, argon2idMaxSaltLen)
	case p.KeyLen < argon2idMinKeyLen || p.KeyLen > argon2idMaxKeyLen:
		return fmt.Errorf("key of %d bytes is outside %d..%d", p.KeyLen, argon2idMinKeyLen, argon2idMaxKeyLen)
	}
	return nil
}

// Hasher hashes new passwords with argon2id in the PHC string format
// ($argon2id$v=19$m=19456,t=2,p=1$<salt b64 nopad>$<key b64 nopad>, OWASP's
// minimum parameters by default), NFKC-normalized like Better Auth's, and
// still verifies Better Auth's scrypt hashes (exactly as
// betterauth.ScryptHasher does), so an existing database keeps working. NeedsRehash tells the caller when a
// stored hash should be replaced.
//
// It is a hardened option that gives up interoperability: a Better Auth
// (TypeScript) server sharing the database cannot verify the argon2id hashes
// it writes, so users whose hash was replaced could no longer sign in there.
// Use it only when this library is the only one checking passwords.
//
// Hash writes the encoding of the reference implementation (libargon2):
// standard base64 without padding, the decoded salt bytes being the argon2
// salt. Verify accepts any such argon2id hash within these limits: m <= 1
// GiB, t <= 16, p <= 16, 8..64 salt bytes, 16..128 key bytes, version 19
// only, canonical decimals and base64, and no keyid or data fields. (The
// password is NFKC-normalized first, which other libraries do not do, so a
// password that is not already in NFKC form verifies only here.) Anything
// else starting with '$' (argon2i, argon2d, bcrypt, an absurd m) is an error
// wrapping betterauth.ErrInvalidPasswordHash, and so is a malformed scrypt
// hash.
//
// Hashes and verifications of both kinds share one pool of MaxConcurrent
// slots, like betterauth.ScryptHasher's; a call waits for a slot and gives up when its
// context is done. A slot holds about Memory KiB for argon2id (19 MiB by
// default; up to 1 GiB for a stored hash with a large m) or 32 MiB for
// scrypt.
//
// Create one with New. The zero value is usable and behaves as
// New(Params{}, 0). A Hasher must not be copied after first use.
type Hasher struct {
	// params are the parameters of new hashes; zero fields mean defaults.
	params Params
	// scrypt verifies Better Auth's hashes, and its semaphore bounds the
	// argon2id work too.
	scrypt passhash.Scrypt
	// derive computes the argon2id key; nil means argon2idKey. Tests
	// replace it to hold a slot, or to prove it is not reached.
	derive func(password, salt []byte, p Params) []byte
}

var (
	_ betterauth.PasswordHasher = (*Hasher)(nil)
	_ betterauth.Rehasher       = (*Hasher)(nil)
)

// New returns a Hasher that hashes with p (zero fields taking their
// defaults: m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte key) and runs at
// most maxConcurrent hashes and verifications at once; maxConcurrent <= 0
// means max(2, runtime.GOMAXPROCS(0)), as for betterauth.NewScryptHasher.
//
// It returns an error if p, with defaults applied, is outside the limits
// that Verify accepts (see Hasher), since its hashes could never verify.
func New(p Params, maxConcurrent int) (*Hasher, error) {
	p = p.withDefaults()
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("argon2id: New: %w", err)
	}
	return &Hasher{params: p, scrypt: passhash.Scrypt{Max: maxConcurrent}}, nil
}

// Params returns the parameters of new hashes, defaults applied.
func (h *Hasher) Params() Params { return h.params.withDefaults() }

// MaxConcurrent returns the number of hashes and verifications, argon2id and
// scrypt together, that h runs at once.
func (h *Hasher) MaxConcurrent() int { return h.scrypt.MaxConcurrent() }

// Hash returns a new argon2id PHC string for password with a fresh random
// salt. It waits for a free slot; if ctx is done first it returns an error
// wrapping ctx.Err().
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	p := h.Params()
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("betterauth: password salt: %w", err)
	}
	return h.hashWithSalt(ctx, password, salt, p)
}

// hashWithSalt is Hash with a given salt.
func (h *Hasher) hashWithSalt(ctx context.Context, password string, salt []byte, p Params) (string, error) {
	key, err := h.key(ctx, password, salt, p)
	if err != nil {
		return "", err
	}
	return encodeArgon2id(p, salt, key), nil
}

// Verify reports whether password matches hash, comparing keys in constant
// time. A hash starting with '$' must be an argon2id PHC string within the
// limits described on Hasher; any other hash is Better Auth's scrypt
// "salt:key" and is checked exactly as betterauth.ScryptHasher.Verify does. A
// hash that is neither is an error wrapping betterauth.ErrInvalidPasswordHash,
// found before any key derivation. Verify waits for a free slot like Hash.
func (h *Hasher) Verify(ctx context.Context, hash, password string) (bool, error) {
	if !strings.HasPrefix(hash, "$") {
		return h.scrypt.Verify(ctx, hash, password)
	}
	p, salt, want, err := parseArgon2idHash(hash)
	if err != nil {
		return false, err
	}
	got, err := h.key(ctx, password, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether hash should be replaced by a fresh Hash: true
// for Better Auth's scrypt hashes (and anything else that is not argon2id),
// and for argon2id hashes whose m, t, p, salt length or key length differ
// from h's parameters, weaker or stronger. It does no key derivation.
func (h *Hasher) NeedsRehash(hash string) bool {
	p, _, _, err := parseArgon2idHash(hash)
	return err != nil || p != h.Params()
}

// key derives the argon2id key of the NFKC form of password, inside a slot.
func (h *Hasher) key(ctx context.Context, password string, salt []byte, p Params) ([]byte, error) {
	if err := h.scrypt.Acquire(ctx); err != nil {
		return nil, err
	}
	defer h.scrypt.Release()
	derive := h.derive
	if derive == nil {
		derive = argon2idKey
	}
	return derive([]byte(norm.NFKC.String(password)), salt, p), nil
}

// argon2idKey is argon2id with p's costs and key length.
func argon2idKey(password, salt []byte, p Params) []byte {
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// encodeArgon2id returns the PHC string of an argon2id key.
func encodeArgon2id(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key))
}

// parseArgon2idHash reads "$argon2id$v=19$m=M,t=T,p=P$salt$key" strictly:
// fields in that order, canonical decimals, canonical unpadded standard
// base64, and parameters within the limits. The returned params carry the
// decoded salt and key lengths.
func parseArgon2idHash(hash string) (p Params, salt, key []byte, err error) {
	bad := func(format string, args ...any) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: "+format, append([]any{betterauth.ErrInvalidPasswordHash}, args...)...)
	}
	fields := strings.Split(hash, "$")
	switch {
	case len(fields) < 2 || fields[0] != "" || fields[1] != "argon2id":
		return bad("not an argon2id PHC string")
	case len(fields) != 6:
		return bad("argon2id hash has %d '$'-separated fields, want 5", len(fields)-1)
	case fields[2] != "v=19": // argon2.Version; x/crypto computes no other
		return bad("argon2id version is not v=19")
	}
	costs := strings.Split(fields[3], ",")
	if len(costs) != 3 {
		return bad("argon2id parameters are not m=,t=,p=")
	}
	var v [3]uint32
	for i, name := range [3]string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(costs[i], name)
		if !ok {
			return bad("argon2id parameters are not m=,t=,p=")
		}
		if v[i], ok = parseDecimal32(digits); !ok {
			return bad("argon2id parameter %s is not a decimal number below 2^32", name[:1])
		}
	}
	if v[2] > argon2idMaxThreads { // before narrowing to uint8
		return bad("argon2id p=%d is above %d", v[2], argon2idMaxThreads)
	}
	p = Params{Memory: v[0], Time: v[1], Threads: uint8(v[2])}
	var ok bool
	if salt, ok = decodeBase64Canonical(fields[4]); !ok {
		return bad("argon2id salt is not unpadded standard base64")
	}
	if key, ok = decodeBase64Canonical(fields[5]); !ok {
		return bad("argon2id key is not unpadded standard base64")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.check(); err != nil {
		return bad("argon2id %s", err)
	}
	return p, salt, key, nil
}

// parseDecimal32 parses a PHC decimal: ASCII digits without sign or leading
// zeros, below 2^32.
func parseDecimal32(s string) (uint32, bool) {
	if s == "" || len(s) > 10 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

// decodeBase64Canonical decodes unpadded standard base64 only in its
// canonical form: the decoder alone would skip '\r' and '\n' and, unless
// strict, accept non-zero trailing bits.
func decodeBase64Canonical(s string) ([]byte, bool) {
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil || base64.RawStdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}
