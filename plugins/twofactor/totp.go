package twofactor

import (
	"context"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/go-betterauth/betterauth/internal/randid"
)

// randomAlphabet is Better Auth's generateRandomString default alphabet
// (a-z, 0-9, A-Z, "-", "_"): TOTP secrets, challenge and trust ids.
const randomAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_"

// base32Prefix marks a secret imported from another provider: the rest is
// its base32 form (Better Auth decodes it; generated secrets never hold ':').
const base32Prefix = "base32:"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newSecret is Better Auth's TOTP secret: 32 random characters, used as
// the HMAC key's UTF-8 bytes.
func newSecret() (string, error) { return randid.String(32, randomAlphabet) }

// totpKey returns the key of a decrypted secret in base32 (what hotp and
// otpauth URIs take).
func totpKey(secret string) string {
	if rest, ok := strings.CutPrefix(secret, base32Prefix); ok {
		return strings.ToUpper(rest)
	}
	return b32.EncodeToString([]byte(secret))
}

// decryptSecret opens a stored secret.
func (p *Plugin) decryptSecret(tf *row) (string, error) {
	s, err := p.auth.Decrypt("", tf.secret)
	if err != nil {
		return "", fmt.Errorf("twofactor: the TOTP secret: %w", err)
	}
	return s, nil
}

// totpURI is Better Auth's otpauth URI (createOTP(...).url(issuer, email)):
// otpauth://totp/<issuer>:<account>?secret=...&issuer=...&digits=...&period=...
func (p *Plugin) totpURI(secret, issuer, account string) string {
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(encodeURIComponent(issuer))
	b.WriteByte(':')
	b.WriteString(encodeURIComponent(account))
	b.WriteString("?secret=")
	b.WriteString(strings.TrimRight(totpKey(secret), "="))
	b.WriteString("&issuer=")
	b.WriteString(formEncode(issuer))
	b.WriteString("&digits=")
	b.WriteString(strconv.Itoa(p.opts.Digits))
	b.WriteString("&period=")
	b.WriteString(strconv.Itoa(int(p.opts.Period / time.Second)))
	return b.String()
}

// matchTOTP checks code against the steps now-1, now and now+1 (Better
// Auth's window), comparing every one in constant time, and returns the
// step that matched.
func (p *Plugin) matchTOTP(secret, code string, now time.Time) (step uint64, ok bool, err error) {
	key := totpKey(secret)
	period := int64(p.opts.Period / time.Second)
	cur := now.Unix() / period
	opts := hotp.ValidateOpts{Digits: otp.Digits(p.opts.Digits), Algorithm: otp.AlgorithmSHA1}
	for i := int64(-1); i <= 1; i++ {
		c := cur + i
		want, err := hotp.GenerateCodeCustom(key, uint64(c), opts)
		if err != nil {
			return 0, false, fmt.Errorf("twofactor: the TOTP secret: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, ok = uint64(c), true
		}
	}
	return step, ok, nil
}

// claimStep records that the user's code of step was used, and reports
// whether it was the first use (RejectReusedCodes). The count is one
// atomic increment on a verification row that lives until the code
// expires.
func (p *Plugin) claimStep(ctx context.Context, userID string, step uint64) (bool, error) {
	period := p.opts.Period
	// The code of step is accepted until step+2 begins (window +1).
	expires := time.Unix(0, 0).Add(time.Duration(step+2) * period).UTC()
	n, err := p.auth.Store().IncrementVerification(ctx, fmt.Sprintf("2fa-totp-used-%s-%d", userID, step), p.auth.Now(), expires)
	if err != nil {
		return false, storeErr("claim TOTP code", err)
	}
	return n == 1, nil
}

// isUnreserved reports whether encodeURIComponent leaves c as it is.
func isUnreserved(c byte, extra string) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0
}

func percentEncode(s, keep string, plusForSpace bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c, keep):
			b.WriteByte(c)
		case c == ' ' && plusForSpace:
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// encodeURIComponent is JavaScript's (on valid UTF-8).
func encodeURIComponent(s string) string { return percentEncode(s, "-_.!~*'()", false) }

// formEncode is URLSearchParams' application/x-www-form-urlencoded.
func formEncode(s string) string { return percentEncode(s, "*-._", true) }
