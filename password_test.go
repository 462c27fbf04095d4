package betterauth

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/go-betterauth/betterauth/internal/passhash"
)

// goldenVectors is testdata/better-auth-vectors.json: values made by Better
// Auth 1.7.25's own functions (a copy of ../shared/golden, so the tests do
// not depend on the directory layout around the clone).
type goldenVectors struct {
	Secret    string `json:"secret"`
	Passwords []struct {
		Password string `json:"password"`
		Hash     string `json:"hash"`
		Verifies bool   `json:"verifies"`
		// NFKCEquivalentVerifies is whether the NFKC form of Password (which
		// differs from it) verifies against Hash too; null when Password is
		// already in NFKC form.
		NFKCEquivalentVerifies *bool `json:"nfkcEquivalentVerifies"`
	} `json:"passwords"`
	Cookies []struct {
		Token     string `json:"token"`
		Signature string `json:"signature"`
		SetCookie string `json:"setCookie"`
	} `json:"cookies"`
}

func loadGolden(t testing.TB) goldenVectors {
	t.Helper()
	data, err := os.ReadFile("testdata/better-auth-vectors.json")
	require.NoError(t, err)
	var g goldenVectors
	require.NoError(t, json.Unmarshal(data, &g))
	require.NotEmpty(t, g.Secret)
	require.NotEmpty(t, g.Passwords)
	require.NotEmpty(t, g.Cookies)
	return g
}

func TestScryptHasherVerifiesBetterAuthHashes(t *testing.T) {
	g := loadGolden(t)
	h := NewScryptHasher(0)
	ctx := context.Background()
	for _, v := range g.Passwords {
		t.Run(v.Password, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify(ctx, v.Hash, v.Password)
			require.NoError(t, err)
			assert.Equal(t, v.Verifies, ok)

			nfkc := norm.NFKC.String(v.Password)
			if v.NFKCEquivalentVerifies == nil {
				assert.Equal(t, v.Password, nfkc, "null nfkcEquivalentVerifies should mean the password is already NFKC")
				return
			}
			require.NotEqual(t, v.Password, nfkc)
			ok, err = h.Verify(ctx, v.Hash, nfkc)
			require.NoError(t, err)
			assert.Equal(t, *v.NFKCEquivalentVerifies, ok, "NFKC form %q", nfkc)
		})
	}
}

func TestScryptHasherRejectsWrongPasswordForGoldenHash(t *testing.T) {
	g := loadGolden(t)
	v := g.Passwords[0]
	ok, err := NewScryptHasher(0).Verify(context.Background(), v.Hash, v.Password+"x")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestScryptHasherHashShapeAndRoundTrip(t *testing.T) {
	h := NewScryptHasher(0)
	ctx := context.Background()
	const pw = "ﬁnancial-Ⅸ-ｐａｓｓ 🔑"

	hash, err := h.Hash(ctx, pw)
	require.NoError(t, err)
	require.Len(t, hash, 161)
	salt, key, ok := strings.Cut(hash, ":")
	require.True(t, ok)
	assert.Len(t, salt, 32)
	assert.Len(t, key, 128)
	assert.True(t, passhash.IsLowerHex(salt), "salt %q", salt)
	assert.True(t, passhash.IsLowerHex(key), "key %q", key)

	// The ASCII bytes of the hex salt, not the decoded bytes, are the
	// scrypt salt; the password is NFKC-normalized first.
	want, err := passhash.ScryptKey([]byte(norm.NFKC.String(pw)), []byte(salt))
	require.NoError(t, err)
	assert.Equal(t, hex.EncodeToString(want), key)

	ok, err = h.Verify(ctx, hash, pw)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = h.Verify(ctx, hash, norm.NFKC.String(pw))
	require.NoError(t, err)
	assert.True(t, ok, "the NFKC form verifies too")
	ok, err = h.Verify(ctx, hash, "another password")
	require.NoError(t, err)
	assert.False(t, ok)

	other, err := h.Hash(ctx, pw)
	require.NoError(t, err)
	assert.NotEqual(t, hash, other, "every hash has a fresh salt")
}

func TestScryptHasherMalformedHash(t *testing.T) {
	h := NewScryptHasher(1)
	// derive must never run: malformed hashes fail before any scrypt work.
	h.s.Derive = func(_, _ []byte) ([]byte, error) {
		t.Error("derive called for a malformed hash")
		return nil, errors.New("unexpected")
	}
	key := strings.Repeat("ab", 64)
	for _, hash := range []string{
		"", "abc", "nocolon", ":x", "x:", ":", "::",
		"0123456789abcdef0123456789abcdef:" + key + ":extra",
		"0123456789abcdef0123456789abcdef:" + strings.ToUpper(key),
		"0123456789abcdef0123456789abcdef:" + key[:126],
		"0123456789abcdef0123456789abcdef:" + key + "ab",
		"0123456789abcdef0123456789abcdef:" + key[:127] + "g",
	} {
		ok, err := h.Verify(context.Background(), hash, "password123")
		require.ErrorIs(t, err, ErrInvalidPasswordHash, "hash %q", hash)
		assert.False(t, ok)
	}
}

func TestScryptHasherZeroValue(t *testing.T) {
	var h ScryptHasher
	assert.Equal(t, max(2, runtime.GOMAXPROCS(0)), h.MaxConcurrent())
	g := loadGolden(t)
	ok, err := h.Verify(context.Background(), g.Passwords[0].Hash, g.Passwords[0].Password)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestNewScryptHasherMaxConcurrent(t *testing.T) {
	assert.Equal(t, max(2, runtime.GOMAXPROCS(0)), NewScryptHasher(0).MaxConcurrent())
	assert.Equal(t, max(2, runtime.GOMAXPROCS(0)), NewScryptHasher(-3).MaxConcurrent())
	assert.Equal(t, 1, NewScryptHasher(1).MaxConcurrent())
	assert.Equal(t, 7, NewScryptHasher(7).MaxConcurrent())
}

// holdingHasher returns a hasher with one slot whose derive blocks until
// release is closed; entered is closed once a derive holds the slot.
func holdingHasher() (h *ScryptHasher, entered, release chan struct{}) {
	h = NewScryptHasher(1)
	entered, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	h.s.Derive = func(password, salt []byte) ([]byte, error) {
		once.Do(func() { close(entered) })
		<-release
		return passhash.ScryptKey(password, salt)
	}
	return h, entered, release
}

func TestScryptHasherSemaphoreHonoursCancellation(t *testing.T) {
	h, entered, release := holdingHasher()
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

	// A context cancelled before the call.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.Hash(ctx, "password123")
	require.ErrorIs(t, err, context.Canceled)
	_, err = h.Verify(ctx, strings.Repeat("a", 32)+":"+strings.Repeat("b", 128), "password123")
	require.ErrorIs(t, err, context.Canceled)

	// A context cancelled while waiting: the call can only return once
	// cancel runs, since the slot stays held until release is closed.
	ctx, cancel = context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "password123")
		waiting <- err
	}()
	cancel()
	require.ErrorIs(t, <-waiting, context.Canceled)

	close(release)
	r := <-first
	require.NoError(t, r.err)
	ok, err := NewScryptHasher(0).Verify(context.Background(), r.hash, "password123")
	require.NoError(t, err)
	assert.True(t, ok)

	// The slot is free again.
	_, err = h.Hash(context.Background(), "password123")
	require.NoError(t, err)
}

func TestScryptHasherLimitsConcurrency(t *testing.T) {
	const limit, workers = 2, 6
	h := NewScryptHasher(limit)
	var inFlight, peak atomic.Int32
	h.s.Derive = func(password, salt []byte) ([]byte, error) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		runtime.Gosched()
		defer inFlight.Add(-1)
		return []byte(strings.Repeat("k", passhash.ScryptKeyLen)), nil
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			_, err := h.Hash(context.Background(), "password123")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int32(limit))
	assert.Positive(t, peak.Load())
}

func TestPasswordLength(t *testing.T) {
	for _, tc := range []struct {
		password string
		want     int
	}{
		{"", 0},
		{"password123", 11},
		{"😀", 2},             // U+1F600: a surrogate pair in UTF-16
		{"a😀b", 4},           // still 2 for the emoji
		{"e\u0301", 2},       // e + combining acute accent: 2 units, 1 glyph
		{"\u00e9", 1},        // precomposed é
		{"ﬁ", 1},             // NFKC makes it "fi", but length is measured before
		{"пароль-密码-🔑🔑", 14}, // Cyrillic and CJK are 1 unit each
		{"\U0001F468\u200D\U0001F469\u200D\U0001F467", 8}, // family emoji: 3 pairs + 2 ZWJ
		{strings.Repeat("a", 128), 128},
		{"\xff", 1}, // invalid UTF-8 reaches JavaScript as one U+FFFD
	} {
		assert.Equal(t, tc.want, PasswordLength(tc.password), "%q", tc.password)
	}
}

func BenchmarkScryptHash(b *testing.B) {
	h := NewScryptHasher(1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
