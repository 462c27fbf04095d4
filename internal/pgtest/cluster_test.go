//go:build unix

package pgtest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompareVersions(t *testing.T) {
	require.Equal(t, 1, compareVersions("15", "9.6"))
	require.Equal(t, -1, compareVersions("9.6", "10"))
	require.Equal(t, 0, compareVersions("15", "15"))
}
