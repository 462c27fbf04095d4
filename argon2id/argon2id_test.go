package argon2id

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/passhash"
)

// cheapArgon2id are small parameters for tests that need many hashes; the
// hasher does not care how cheap they are as long as they are within limits.
var cheapArgon2id = Params{Memory: 256, Time: 1, Threads: 1}

// phcPattern is the shape of a hash with the default parameters: 16 salt
// bytes are 22 base64 characters, 32 key bytes 43.
var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

// betterAuthPasswordVectors reads passwords[] of
// testdata/better-auth-vectors.json (hashes made by Better Auth itself).
func betterAuthPasswordVectors(t testing.TB) []struct {
	Password string `json:"password"`
	Hash     string `json:"hash"`
	Verifies bool   `json:"verifies"`
} {
	t.Helper()
	data, err := os.ReadFile("../testdata/better-auth-vectors.json")
	require.NoError(t, err)
	var g struct {
		Passwords []struct {
			Password string `json:"password"`
			Hash     string `json:"hash"`
			Verifies bool   `json:"verifies"`
		} `json:"passwords"`
	}
	require.NoError(t, json.Unmarshal(data, &g))
	require.NotEmpty(t, g.Passwords)
	return g.Passwords
}

func TestArgon2idHasherHashShapeAndRoundTrip(t *testing.T) {
	h := mustArgon2id(t, Params{}, 0)
	ctx := context.Background()
	const pw = "correct horse battery staple"

	hash, err := h.Hash(ctx, pw)
	require.NoError(t, err)
	require.Regexp(t, phcPattern, hash)

	// The key is argon2id of the password with the decoded salt bytes.
	fields := strings.Split(hash, "$")
	salt, err := base64.RawStdEncoding.DecodeString(fields[4])
	require.NoError(t, err)
	key := argon2.IDKey([]byte(pw), salt, 2, 19456, 1, 32)
	assert.Equal(t, base64.RawStdEncoding.EncodeToString(key), fields[5])

	ok, err := h.Verify(ctx, hash, pw)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = h.Verify(ctx, hash, pw+"!")
	require.NoError(t, err)
	assert.False(t, ok, "wrong password")
	ok, err = h.Verify(ctx, hash, "")
	require.NoError(t, err)
	assert.False(t, ok, "empty password")

	other, err := h.Hash(ctx, pw)
	require.NoError(t, err)
	assert.NotEqual(t, hash, other, "every hash has a fresh salt")
}

func TestArgon2idHasherKnownVectors(t *testing.T) {
	ctx := context.Background()
	h := mustArgon2id(t, Params{}, 0)

	// Pins the encoding of Hash with the default parameters: computed with
	// golang.org/x/crypto/argon2.IDKey("correct horse battery staple",
	// "betterauth-salt!", t=2, m=19456, p=1, 32).
	const pinned = "$argon2id$v=19$m=19456,t=2,p=1$YmV0dGVyYXV0aC1zYWx0IQ$pNRElAiIDDSspcLOtCiBsITFMBQCSH9erWBlOpDJv2U"
	salt := []byte("betterauth-salt!")
	got, err := h.hashWithSalt(ctx, "correct horse battery staple", salt, h.Params())
	require.NoError(t, err)
	assert.Equal(t, pinned, got)
	assert.Equal(t, pinned, encodeArgon2id(h.Params(), salt,
		argon2.IDKey([]byte("correct horse battery staple"), salt, 2, 19456, 1, 32)))
	ok, err := h.Verify(ctx, pinned, "correct horse battery staple")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.False(t, h.NeedsRehash(pinned))

	// Hashes from the reference implementation (phc-winner-argon2's tests,
	// "password" with the 8-byte salt "somesalt"), which other parameters
	// than h's must still verify.
	for _, ref := range []string{
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
	} {
		ok, err := h.Verify(ctx, ref, "password")
		require.NoError(t, err, ref)
		assert.True(t, ok, ref)
		ok, err = h.Verify(ctx, ref, "passwore")
		require.NoError(t, err, ref)
		assert.False(t, ok, ref)
		assert.True(t, h.NeedsRehash(ref), "other parameters than h's: %s", ref)
	}
}

func TestArgon2idHasherVerifiesBetterAuthScryptHashes(t *testing.T) {
	h := mustArgon2id(t, cheapArgon2id, 0)
	ctx := context.Background()
	for _, v := range betterAuthPasswordVectors(t) {
		t.Run(v.Password, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify(ctx, v.Hash, v.Password)
			require.NoError(t, err)
			assert.Equal(t, v.Verifies, ok)
			ok, err = h.Verify(ctx, v.Hash, v.Password+"x")
			require.NoError(t, err)
			assert.False(t, ok, "wrong password")
			assert.True(t, h.NeedsRehash(v.Hash), "a scrypt hash")
		})
	}
}

func TestArgon2idHasherNeedsRehash(t *testing.T) {
	ctx := context.Background()
	h := mustArgon2id(t, Params{}, 0)
	fresh, err := h.Hash(ctx, "password123")
	require.NoError(t, err)
	assert.False(t, h.NeedsRehash(fresh), "a fresh hash")

	// Scrypt, as written by Better Auth.
	scryptHash := betterAuthPasswordVectors(t)[0].Hash
	assert.True(t, h.NeedsRehash(scryptHash))

	// Each parameter differing, weaker or stronger.
	for _, p := range []Params{
		cheapArgon2id,
		{Memory: 19456, Time: 3},
		{Memory: 19456, Time: 1},
		{Memory: 19456, Time: 2, Threads: 2},
		{Memory: 19456, Time: 2, SaltLen: 32},
		{Memory: 19456, Time: 2, KeyLen: 64},
		{Memory: 2 * 19456},
	} {
		other := mustArgon2id(t, p, 0)
		hash, err := other.Hash(ctx, "password123")
		require.NoError(t, err)
		assert.True(t, h.NeedsRehash(hash), "%+v: %s", p, hash)
		assert.False(t, other.NeedsRehash(hash), "%+v: %s", p, hash)
		ok, err := h.Verify(ctx, hash, "password123")
		require.NoError(t, err)
		assert.True(t, ok, "h verifies hashes made with other parameters")
	}

	// NeedsRehash is asked only after Verify succeeded, but anything it
	// cannot read is outdated too.
	for _, hash := range []string{"", "$", "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"} {
		assert.True(t, h.NeedsRehash(hash), "%q", hash)
	}
}

func TestArgon2idHasherMalformedHash(t *testing.T) {
	h := mustArgon2id(t, cheapArgon2id, 1)
	// No key derivation may run for a malformed hash.
	h.derive = func(_, _ []byte, _ Params) []byte {
		t.Error("argon2id derive called for a malformed hash")
		return nil
	}
	h.scrypt.Derive = func(_, _ []byte) ([]byte, error) {
		t.Error("scrypt derive called for a malformed hash")
		return nil, nil
	}
	const (
		salt = "c29tZXNhbHQ" // "somesalt"
		key  = "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	)
	phc := func(alg, version, params, salt, key string) string {
		return "$" + alg + "$" + version + "$" + params + "$" + salt + "$" + key
	}
	valid := phc("argon2id", "v=19", "m=256,t=2,p=1", salt, key)
	ok, err := mustArgon2id(t, cheapArgon2id, 1).Verify(context.Background(), valid, "password")
	require.NoError(t, err)
	require.True(t, ok, "the hash the cases below break is valid")

	for _, hash := range []string{
		// Other algorithms and variants.
		phc("argon2i", "v=19", "m=256,t=2,p=1", salt, key),
		phc("argon2d", "v=19", "m=256,t=2,p=1", salt, key),
		phc("ARGON2ID", "v=19", "m=256,t=2,p=1", salt, key),
		"$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ012",
		"$scrypt$ln=14,r=16,p=1$" + salt + "$" + key,
		// Versions: only 19 (0x13) is computed.
		phc("argon2id", "v=16", "m=256,t=2,p=1", salt, key),
		phc("argon2id", "v=18", "m=256,t=2,p=1", salt, key),
		phc("argon2id", "v=019", "m=256,t=2,p=1", salt, key),
		phc("argon2id", "v=", "m=256,t=2,p=1", salt, key),
		"$argon2id$m=256,t=2,p=1$" + salt + "$" + key, // no version
		// Missing or extra parts.
		"$", "$argon2id", "$argon2id$", "$argon2id$v=19",
		"$argon2id$v=19$m=256,t=2,p=1",
		"$argon2id$v=19$m=256,t=2,p=1$" + salt,
		"$argon2id$v=19$m=256,t=2,p=1$" + salt + "$",
		phc("argon2id", "v=19", "m=256,t=2,p=1", "", key),
		valid + "$",
		valid + "$extra",
		"$" + valid,
		// Absurd or invalid parameters.
		phc("argon2id", "v=19", "m=4294967295,t=2,p=1", salt, key),
		phc("argon2id", "v=19", "m=4294967296,t=2,p=1", salt, key),
		phc("argon2id", "v=19", "m=1048577,t=2,p=1", salt, key), // 1 GiB + 1 KiB
		phc("argon2id", "v=19", "m=99999999999999999999,t=2,p=1", salt, key),
		phc("argon2id", "v=19", "m=256,t=4294967295,p=1", salt, key),
		phc("argon2id", "v=19", "m=256,t=17,p=1", salt, key),
		phc("argon2id", "v=19", "m=256,t=0,p=1", salt, key),
		phc("argon2id", "v=19", "m=256,t=2,p=0", salt, key),
		phc("argon2id", "v=19", "m=256,t=2,p=17", salt, key),
		phc("argon2id", "v=19", "m=256,t=2,p=257", salt, key), // 1 as a uint8
		phc("argon2id", "v=19", "m=256,t=2,p=4294967295", salt, key),
		phc("argon2id", "v=19", "m=7,t=2,p=1", salt, key), // below 8 KiB per lane
		phc("argon2id", "v=19", "m=0,t=2,p=1", salt, key),
		// Parameter syntax.
		phc("argon2id", "v=19", "t=2,m=256,p=1", salt, key),
		phc("argon2id", "v=19", "m=256,t=2", salt, key),
		phc("argon2id", "v=19", "m=256,t=2,p=1,keyid=abc", salt, key),
		phc("argon2id", "v=19", "m=256,t=2,p=1,data=abc", salt, key),
		phc("argon2id", "v=19", "m=,t=2,p=1", salt, key),
		phc("argon2id", "v=19", "m=0256,t=2,p=1", salt, key),
		phc("argon2id", "v=19", "m=+256,t=2,p=1", salt, key),
		phc("argon2id", "v=19", "m=-256,t=2,p=1", salt, key),
		phc("argon2id", "v=19", "m=256, t=2,p=1", salt, key),
		phc("argon2id", "v=19", "m=0x100,t=2,p=1", salt, key),
		// Base64: padding, other alphabets, characters the decoder would
		// skip, non-zero trailing bits, wrong lengths.
		phc("argon2id", "v=19", "m=256,t=2,p=1", salt+"=", key),
		phc("argon2id", "v=19", "m=256,t=2,p=1", salt, key+"="),
		phc("argon2id", "v=19", "m=256,t=2,p=1", "c29t!XNhbHQ", key),
		phc("argon2id", "v=19", "m=256,t=2,p=1", salt, strings.ReplaceAll(key, "/", "_")),
		phc("argon2id", "v=19", "m=256,t=2,p=1", "c29tZXNh\nbHQ", key),
		phc("argon2id", "v=19", "m=256,t=2,p=1", salt, key[:20]+"\r\n"+key[20:]),
		phc("argon2id", "v=19", "m=256,t=2,p=1", "c29tZXNhbHR", key), // trailing bits 01
		phc("argon2id", "v=19", "m=256,t=2,p=1", salt, key[:len(key)-1]),
		phc("argon2id", "v=19", "m=256,t=2,p=1", "c29tZQ", key),                  // 4-byte salt
		phc("argon2id", "v=19", "m=256,t=2,p=1", salt, "AAAAAAAAAAA"),            // 8-byte key
		phc("argon2id", "v=19", "m=256,t=2,p=1", strings.Repeat("A", 88), key),   // 66-byte salt
		phc("argon2id", "v=19", "m=256,t=2,p=1", salt, strings.Repeat("A", 174)), // 130-byte key
		valid + "\n",
		" " + valid,
		// Not argon2id and not a well-formed scrypt hash either.
		"", "abc", "argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key,
		"0123456789abcdef0123456789abcdef:" + strings.Repeat("AB", 64),
	} {
		ok, err := h.Verify(context.Background(), hash, "password")
		require.ErrorIs(t, err, betterauth.ErrInvalidPasswordHash, "hash %q", hash)
		assert.False(t, ok, "hash %q", hash)
		assert.True(t, h.NeedsRehash(hash), "hash %q", hash)
	}
}

func TestArgon2idHasherNFKC(t *testing.T) {
	h := mustArgon2id(t, cheapArgon2id, 0)
	ctx := context.Background()
	// U+FB01 LATIN SMALL LIGATURE FI is "fi" in NFKC.
	for _, tc := range []struct{ hashed, tried string }{
		{"ﬁnancial", "financial"},
		{"financial", "ﬁnancial"},
		{"ﬁnancial-Ⅸ-ｐａｓｓ", "financial-IX-pass"},
	} {
		hash, err := h.Hash(ctx, tc.hashed)
		require.NoError(t, err)
		ok, err := h.Verify(ctx, hash, tc.tried)
		require.NoError(t, err)
		assert.True(t, ok, "%q hashed, %q tried", tc.hashed, tc.tried)
		ok, err = h.Verify(ctx, hash, "ﬂnancial") // U+FB02, "fl"
		require.NoError(t, err)
		assert.False(t, ok)
	}
}

// holdingArgon2idHasher returns a hasher with one slot whose argon2id
// derive blocks until release is closed; entered is closed once a derive
// holds the slot.
func holdingArgon2idHasher(t testing.TB) (h *Hasher, entered, release chan struct{}) {
	h = mustArgon2id(t, cheapArgon2id, 1)
	entered, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	h.derive = func(password, salt []byte, p Params) []byte {
		once.Do(func() { close(entered) })
		<-release
		return argon2idKey(password, salt, p)
	}
	return h, entered, release
}

func TestArgon2idHasherSemaphoreHonoursCancellation(t *testing.T) {
	h, entered, release := holdingArgon2idHasher(t)
	type result struct {
		hash string
		err  error
	}
	first := make(chan result, 1)
	go func() {
		hash, err := h.Hash(context.Background(), "password123")
		first <- result{hash, err}
	}()
	<-entered // the first hash now holds the only slot

	argonHash := "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	scryptHash := betterAuthPasswordVectors(t)[0].Hash

	// A context cancelled before the call: hashing and both kinds of
	// verification wait for the same slot.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.Hash(ctx, "password123")
	require.ErrorIs(t, err, context.Canceled)
	_, err = h.Verify(ctx, argonHash, "password")
	require.ErrorIs(t, err, context.Canceled)
	_, err = h.Verify(ctx, scryptHash, "password123")
	require.ErrorIs(t, err, context.Canceled)

	// A context cancelled while waiting: the calls can only return once
	// cancel runs, since the slot stays held until release is closed.
	ctx, cancel = context.WithCancel(context.Background())
	waiting := make(chan error, 3)
	go func() {
		_, err := h.Hash(ctx, "password123")
		waiting <- err
	}()
	go func() {
		_, err := h.Verify(ctx, argonHash, "password")
		waiting <- err
	}()
	go func() {
		_, err := h.Verify(ctx, scryptHash, "password123")
		waiting <- err
	}()
	cancel()
	for range 3 {
		require.ErrorIs(t, <-waiting, context.Canceled)
	}

	close(release)
	r := <-first
	require.NoError(t, r.err)
	ok, err := mustArgon2id(t, cheapArgon2id, 0).Verify(context.Background(), r.hash, "password123")
	require.NoError(t, err)
	assert.True(t, ok)

	// The slot is free again.
	ok, err = h.Verify(context.Background(), argonHash, "password")
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestArgon2idHasherLimitsConcurrency(t *testing.T) {
	const limit, workers = 2, 6
	h := mustArgon2id(t, cheapArgon2id, limit)
	var inFlight, peak atomic.Int32
	enter := func() func() {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		runtime.Gosched()
		return func() { inFlight.Add(-1) }
	}
	h.derive = func(_, _ []byte, p Params) []byte {
		defer enter()()
		return make([]byte, p.KeyLen)
	}
	h.scrypt.Derive = func(_, _ []byte) ([]byte, error) {
		defer enter()()
		return make([]byte, passhash.ScryptKeyLen), nil
	}
	scryptHash := betterAuthPasswordVectors(t)[0].Hash
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = h.Hash(context.Background(), "password123")
			} else {
				_, err = h.Verify(context.Background(), scryptHash, "password123")
			}
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int32(limit))
	assert.Positive(t, peak.Load())
}

func TestNewParams(t *testing.T) {
	def := Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	assert.Equal(t, def, mustArgon2id(t, Params{}, 0).Params())
	assert.Equal(t, Params{Memory: 65536, Time: 2, Threads: 4, SaltLen: 16, KeyLen: 32},
		mustArgon2id(t, Params{Memory: 65536, Threads: 4}, 0).Params(), "zero fields take their defaults")

	assert.Equal(t, max(2, runtime.GOMAXPROCS(0)), mustArgon2id(t, Params{}, 0).MaxConcurrent())
	assert.Equal(t, max(2, runtime.GOMAXPROCS(0)), mustArgon2id(t, Params{}, -1).MaxConcurrent())
	assert.Equal(t, 3, mustArgon2id(t, Params{}, 3).MaxConcurrent())

	// Parameters whose hashes Verify would refuse.
	for _, p := range []Params{
		{Memory: 1<<20 + 1},
		{Time: 17},
		{Threads: 17},
		{Memory: 15, Threads: 2},
		{SaltLen: 7},
		{SaltLen: 65},
		{KeyLen: 15},
		{KeyLen: 129},
	} {
		_, err := New(p, 0)
		assert.Error(t, err, "%+v", p)
	}
	_, err := New(Params{Memory: 16, Threads: 2, SaltLen: 8, KeyLen: 16}, 0)
	assert.NoError(t, err)
}

func TestArgon2idHasherZeroValue(t *testing.T) {
	var h Hasher
	assert.Equal(t, max(2, runtime.GOMAXPROCS(0)), h.MaxConcurrent())
	assert.Equal(t, mustArgon2id(t, Params{}, 0).Params(), h.Params())
	hash, err := h.Hash(context.Background(), "password123")
	require.NoError(t, err)
	assert.Regexp(t, phcPattern, hash)
	assert.False(t, h.NeedsRehash(hash))
	ok, err := h.Verify(context.Background(), hash, "password123")
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestRehasherImplementations(t *testing.T) {
	var hasher betterauth.PasswordHasher = mustArgon2id(t, Params{}, 0)
	_, ok := hasher.(betterauth.Rehasher)
	assert.True(t, ok, "Hasher is a Rehasher")
	hasher = betterauth.NewScryptHasher(0)
	_, ok = hasher.(betterauth.Rehasher)
	assert.False(t, ok, "Better Auth's own format never needs a rehash")
}

func BenchmarkArgon2idHash(b *testing.B) {
	h := mustArgon2id(b, Params{}, 1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func mustArgon2id(t testing.TB, p Params, maxConcurrent int) *Hasher {
	t.Helper()
	h, err := New(p, maxConcurrent)
	require.NoError(t, err)
	return h
}
