package passwordcheck

import (
	"context"

	"github.com/trustelem/zxcvbn"

	"github.com/go-betterauth/betterauth"
)

// DefaultMinScore is the zxcvbn score Strength asks for by default: 3,
// "safely unguessable" (about 10^10 guesses or more), which zxcvbn's
// authors suggest as the bar for new passwords.
const DefaultMinScore = 3

// maxStrengthRunes bounds what zxcvbn examines: its matching grows faster
// than the length, and a password whose first 100 characters are strong is
// strong.
const maxStrengthRunes = 100

// Strength refuses passwords that zxcvbn (github.com/trustelem/zxcvbn, a Go
// port of Dropbox's estimator: dictionaries of common passwords, names and
// words, keyboard patterns, sequences, repeats, dates, l33t substitutions)
// scores below MinScore, with betterauth.ErrPasswordTooWeak (400
// PASSWORD_TOO_WEAK). Better Auth has no such check: the code is this
// library's. "password123", "qwertyuiop" and "a1b2c3d4" score 0; a random
// four-word passphrase scores 4. The zero value asks for DefaultMinScore.
type Strength struct {
	// MinScore is the lowest zxcvbn score accepted, 1 to 4; 0 means
	// DefaultMinScore and values above 4 act as 4.
	MinScore int
	// UserInputs are words particular to the site (its name, say) that
	// make a password weaker when it contains them.
	UserInputs []string
}

// CheckPassword implements betterauth.PasswordChecker. It never fails for
// want of a service: the estimate runs in process.
func (s *Strength) CheckPassword(ctx context.Context, password string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.Score(password) < s.minScore() {
		return betterauth.ErrPasswordTooWeak
	}
	return nil
}

// Score returns zxcvbn's score of password, 0 (too guessable) to 4 (very
// unguessable), judged on its first 100 characters.
func (s *Strength) Score(password string) int {
	if r := []rune(password); len(r) > maxStrengthRunes {
		password = string(r[:maxStrengthRunes])
	}
	return zxcvbn.PasswordStrength(password, s.UserInputs).Score
}

func (s *Strength) minScore() int {
	switch {
	case s.MinScore <= 0:
		return DefaultMinScore
	case s.MinScore > 4:
		return 4
	}
	return s.MinScore
}
