//go:build !unix

package pgtest

import "errors"

// cluster is not available on this platform.
type cluster struct{}

func startCluster() (*cluster, error) {
	return nil, errors.New("starting a throwaway PostgreSQL is only supported on unix; set TEST_DATABASE_URL")
}

func (*cluster) url(string) string { return "" }
func (*cluster) stop() error       { return nil }
