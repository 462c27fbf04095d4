package randid

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestID(t *testing.T) {
	seen := map[string]bool{}
	re := regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	for range 1000 {
		id, err := ID()
		require.NoError(t, err)
		require.Regexp(t, re, id)
		require.False(t, seen[id], "duplicate id")
		seen[id] = true
	}
}

func TestStringIsUniform(t *testing.T) {
	// 62 symbols, 620000 draws: each count should be near 10000. A modulo bias
	// (256 % 62 = 8 favoured symbols) would show as ~+24% on the first eight.
	s, err := String(620000, Alphanumeric)
	require.NoError(t, err)
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	require.Len(t, counts, 62)
	for r, c := range counts {
		require.InDelta(t, 10000, c, 600, "symbol %q", r)
	}
}

func TestUUID(t *testing.T) {
	u, err := UUID()
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, u)
}

func TestBadAlphabet(t *testing.T) {
	_, err := String(4, "")
	require.Error(t, err)
}
