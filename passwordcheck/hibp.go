// Package passwordcheck holds password policies for
// betterauth.EmailAndPasswordConfig.PasswordCheckers: HaveIBeenPwned, Better
// Auth's check against the Have I Been Pwned corpus of breached passwords,
// and Strength, a zxcvbn estimate of how easily a password is guessed.
//
// It is a separate package so that the root package does not depend on
// zxcvbn's dictionaries; importing it adds them to a program.
package passwordcheck

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-betterauth/betterauth"
)

// DefaultHaveIBeenPwnedURL is the Pwned Passwords API that HaveIBeenPwned
// asks by default.
const DefaultHaveIBeenPwnedURL = "https://api.pwnedpasswords.com"

// maxRangeResponse bounds a range answer. A real one, padded, is about
// 40 KB (800 to 1,000 lines); anything past 1 MiB is refused, not cut, so
// that a match is never silently missed.
const maxRangeResponse = 1 << 20

// HaveIBeenPwned refuses passwords that appear in the Have I Been Pwned
// corpus, as Better Auth's haveIBeenPwned plugin does, with
// betterauth.ErrPasswordCompromised (400 PASSWORD_COMPROMISED). Only the
// first five hex characters of the password's SHA-1 leave the process (the
// API's k-anonymity range query, with padding requested); the rest of the
// hash is matched locally.
//
// When the API cannot be asked (down, timing out, an unexpected answer) the
// error is not an *APIError, so the request fails with 503 unless
// EmailAndPasswordConfig.PasswordCheckFailOpen is set. The zero value is
// ready to use.
type HaveIBeenPwned struct {
	// Client sends the request; default http.DefaultClient.
	Client *http.Client
	// BaseURL is where the range API lives (the request goes to
	// BaseURL + "/range/" + prefix); default DefaultHaveIBeenPwnedURL.
	// Tests point it at an httptest server.
	BaseURL string
	// Timeout bounds one query within the caller's context; default 5 s.
	Timeout time.Duration
	// Message replaces the refusal's message (Better Auth's
	// customPasswordCompromisedMessage); the code stays PASSWORD_COMPROMISED.
	Message string
}

// CheckPassword implements betterauth.PasswordChecker.
func (h *HaveIBeenPwned) CheckPassword(ctx context.Context, password string) error {
	n, err := h.Count(ctx, password)
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if h.Message != "" {
		return &betterauth.APIError{Status: betterauth.ErrPasswordCompromised.Status, Code: betterauth.ErrPasswordCompromised.Code, Message: h.Message}
	}
	return betterauth.ErrPasswordCompromised
}

// Count returns how often the corpus has seen password (0: never).
func (h *HaveIBeenPwned) Count(ctx context.Context, password string) (int64, error) {
	sum := sha1.Sum([]byte(password))
	digest := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := digest[:5], digest[5:]

	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	base := h.BaseURL
	if base == "" {
		base = DefaultHaveIBeenPwnedURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/range/"+prefix, nil)
	if err != nil {
		return 0, fmt.Errorf("passwordcheck: haveibeenpwned: %w", scrub(err))
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", "go-betterauth password checker")
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("passwordcheck: haveibeenpwned: %w", scrub(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return 0, fmt.Errorf("passwordcheck: haveibeenpwned: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRangeResponse+1))
	if err != nil {
		return 0, fmt.Errorf("passwordcheck: haveibeenpwned: reading the answer: %w", scrub(err))
	}
	if len(body) > maxRangeResponse {
		return 0, errors.New("passwordcheck: haveibeenpwned: answer larger than 1 MiB")
	}
	return rangeCount(body, suffix)
}

// rangeCount finds suffix in a range answer: lines "SUFFIX:COUNT", CRLF or
// LF separated. Padding lines carry a count of 0.
func rangeCount(body []byte, suffix string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), maxRangeResponse)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		s, count, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(s, suffix) {
			continue
		}
		n, err := strconv.ParseInt(count, 10, 64)
		if err != nil || n < 0 || strconv.FormatInt(n, 10) != count {
			return 0, errors.New("passwordcheck: haveibeenpwned: malformed count in the answer")
		}
		return n, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("passwordcheck: haveibeenpwned: %w", err)
	}
	return 0, nil
}

// scrub drops the URL from a transport error: its path holds five hex
// characters of the password's hash, which have no place in a log.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

var (
	_ betterauth.PasswordChecker = (*HaveIBeenPwned)(nil)
	_ betterauth.PasswordChecker = (*Strength)(nil)
)
