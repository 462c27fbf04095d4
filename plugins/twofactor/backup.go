package twofactor

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"

	"github.com/go-betterauth/betterauth/internal/randid"
)

const backupAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newBackupCodes makes BackupCodeAmount codes of BackupCodeLength
// characters of [a-zA-Z0-9], split by a dash after the fifth, and their
// stored form: the JSON list, encrypted.
func (p *Plugin) newBackupCodes() (codes []string, stored string, err error) {
	codes = make([]string, p.opts.BackupCodeAmount)
	for i := range codes {
		c, err := randid.String(p.opts.BackupCodeLength, backupAlphabet)
		if err != nil {
			return nil, "", fmt.Errorf("twofactor: backup codes: %w", err)
		}
		cut := min(5, len(c))
		codes[i] = c[:cut] + "-" + c[cut:]
	}
	stored, err = p.encodeBackupCodes(codes)
	return codes, stored, err
}

func (p *Plugin) encodeBackupCodes(codes []string) (string, error) {
	b, err := json.Marshal(codes)
	if err != nil {
		return "", fmt.Errorf("twofactor: backup codes: %w", err)
	}
	return p.auth.Encrypt("", string(b))
}

// decodeBackupCodes opens the stored list; a list that cannot be read
// (tampered with, another secret) reads as empty, as Better Auth's
// safeJSONParse.
func (p *Plugin) decodeBackupCodes(stored string) []string {
	plain, err := p.auth.Decrypt("", stored)
	if err != nil {
		return nil
	}
	var codes []string
	if json.Unmarshal([]byte(plain), &codes) != nil {
		return nil
	}
	return codes
}

// useBackupCode reports whether code is one of codes, comparing with every
// code in constant time, and returns the others.
func useBackupCode(codes []string, code string) (rest []string, ok bool) {
	rest = make([]string, 0, len(codes))
	for _, c := range codes {
		if subtle.ConstantTimeCompare([]byte(c), []byte(code)) == 1 {
			ok = true
			continue
		}
		rest = append(rest, c)
	}
	return rest, ok
}
