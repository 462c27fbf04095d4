package betterauth

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// readEnv fills what Config leaves empty from the environment, as Better
// Auth does: Secret from BETTER_AUTH_SECRET, then AUTH_SECRET; BaseURL from
// BETTER_AUTH_URL. It returns the extra trusted origins of
// BETTER_AUTH_TRUSTED_ORIGINS (comma separated). This is the only place
// the library reads the environment.
func (cfg *Config) readEnv() (trustedOrigins []string) {
	if cfg.Secret == "" {
		cfg.Secret = os.Getenv("BETTER_AUTH_SECRET")
	}
	if cfg.Secret == "" {
		cfg.Secret = os.Getenv("AUTH_SECRET")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = os.Getenv("BETTER_AUTH_URL")
	}
	for _, o := range strings.Split(os.Getenv("BETTER_AUTH_TRUSTED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			trustedOrigins = append(trustedOrigins, o)
		}
	}
	return trustedOrigins
}

// withDefaults fills Better Auth's session defaults and checks the rest.
func (s *SessionConfig) withDefaults() error {
	if s.ExpiresIn == 0 {
		s.ExpiresIn = 7 * 24 * time.Hour
	}
	if s.UpdateAge == 0 {
		s.UpdateAge = 24 * time.Hour
	}
	if s.FreshAge == 0 {
		s.FreshAge = 24 * time.Hour
	}
	if s.ExpiresIn < 0 || s.UpdateAge < 0 || s.AbsoluteLifetime < 0 {
		return errors.New("betterauth: Session.ExpiresIn, UpdateAge and AbsoluteLifetime must not be negative")
	}
	if s.CookieCache.Enabled {
		return s.CookieCache.withDefaults()
	}
	return nil
}

// withDefaults fills the email-and-password defaults and checks the rest.
func (ep *EmailAndPasswordConfig) withDefaults() error {
	if ep.MinPasswordLength == 0 {
		ep.MinPasswordLength = 8
	}
	if ep.MaxPasswordLength == 0 {
		ep.MaxPasswordLength = 128
	}
	if ep.MinPasswordLength < 0 || ep.MaxPasswordLength < ep.MinPasswordLength {
		return fmt.Errorf("betterauth: password lengths %d..%d make no sense", ep.MinPasswordLength, ep.MaxPasswordLength)
	}
	if slices.Contains(ep.PasswordCheckers, nil) {
		return errors.New("betterauth: EmailAndPassword.PasswordCheckers holds a nil checker")
	}
	ep.PasswordCheckers = slices.Clone(ep.PasswordCheckers)
	if ep.FailedSignInWindow == 0 {
		ep.FailedSignInWindow = 15 * time.Minute
	}
	if ep.MaxFailedSignIns < 0 || ep.FailedSignInWindow < 0 {
		return errors.New("betterauth: MaxFailedSignIns and FailedSignInWindow must not be negative")
	}
	if ep.ResetPasswordTokenExpiresIn == 0 {
		ep.ResetPasswordTokenExpiresIn = time.Hour
	}
	return nil
}

// withDefaults fills the verification link's lifetime.
func (ev *EmailVerificationConfig) withDefaults() {
	if ev.ExpiresIn == 0 {
		ev.ExpiresIn = time.Hour
	}
}

// withDefaults fills the deletion link's lifetime.
func (du *DeleteUserConfig) withDefaults() {
	if du.DeleteTokenExpiresIn == 0 {
		du.DeleteTokenExpiresIn = 24 * time.Hour
	}
}

// withDefaults fills the cookie defaults, checks SameSite and reports
// whether cookies are Secure (by default when base is https).
func (c *CookieConfig) withDefaults(base *url.URL) (secure bool, err error) {
	if c.Prefix == "" {
		c.Prefix = "better-auth"
	}
	switch c.SameSite {
	case "":
		c.SameSite = "Lax"
	case "Lax", "Strict", "None":
	default:
		return false, fmt.Errorf("betterauth: Cookies.SameSite %q: want Lax, Strict or None", c.SameSite)
	}
	secure = base.Scheme == "https"
	if c.Secure != nil {
		secure = *c.Secure
	}
	if c.SameSite == "None" && !secure {
		return false, errors.New("betterauth: SameSite=None cookies need Secure (an https BaseURL)")
	}
	return secure, nil
}

// withDefaults fills Better Auth's default rule and storage, and the mail
// limit.
func (rl *RateLimitConfig) withDefaults(secondaryStorage bool) {
	if rl.Storage == "" {
		rl.Storage = RateLimitStorageMemory
		if secondaryStorage {
			rl.Storage = RateLimitStorageSecondary
		}
	}
	if rl.Window <= 0 {
		rl.Window = 10 * time.Second
	}
	if rl.Max <= 0 {
		rl.Max = 100
	}
	if rl.MailPerAddress.Window <= 0 {
		rl.MailPerAddress.Window = time.Hour
	}
	if rl.MailPerAddress.Max == 0 {
		rl.MailPerAddress.Max = 5
	}
}
