// Package randid makes random strings the way Better Auth does: bytes from
// crypto/rand mapped onto an alphabet with rejection sampling, so every
// character is equally likely.
package randid

import (
	"crypto/rand"
	"fmt"
)

// Alphanumeric is Better Auth's id alphabet (a-z, A-Z, 0-9, in that order).
const Alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// String returns n characters drawn uniformly from alphabet (at most 256
// characters long).
func String(n int, alphabet string) (string, error) {
	k := len(alphabet)
	if k == 0 || k > 256 {
		return "", fmt.Errorf("randid: alphabet of %d characters", k)
	}
	limit := 256 - 256%k // accept a byte only below the largest multiple of k
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("randid: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, alphabet[int(b)%k])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out), nil
}

// ID returns a Better Auth default id: 32 characters of Alphanumeric.
func ID() (string, error) { return String(32, Alphanumeric) }

// UUID returns a random (version 4) UUID in its canonical text form.
func UUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("randid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
