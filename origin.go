package betterauth

import (
	"net/http"
	"net/url"
	"strings"
)

// isTrusted reports whether u is a trusted origin (or, for callback-type
// URLs, a safe relative path), as Better Auth's matchesOriginPattern decides.
func (a *Auth) isTrusted(u string, allowRelative bool) bool {
	if strings.HasPrefix(u, "/") {
		return allowRelative && safeRelativeURL(u)
	}
	for _, p := range a.origins {
		if matchOrigin(u, p) {
			return true
		}
	}
	return false
}

func matchOrigin(u, pattern string) bool {
	wild := strings.ContainsAny(pattern, "*?")
	if wild && !strings.Contains(pattern, "://") {
		pu, err := url.Parse(u)
		if err != nil || pu.Host == "" {
			return false
		}
		return glob(strings.ToLower(pattern), strings.ToLower(pu.Host))
	}
	if o := originOf(u); o != "" {
		if wild {
			return glob(strings.ToLower(pattern), o)
		}
		return strings.TrimRight(strings.ToLower(pattern), "/") == o
	}
	// A custom scheme (myapp://...): the URL must start with the pattern.
	return !wild && strings.Contains(pattern, "://") && strings.HasPrefix(strings.ToLower(u), strings.ToLower(pattern))
}

// glob matches s against a pattern where * is any run and ? any one character.
func glob(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if glob(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

// safeRelativeURL accepts "/path" but not "//host", backslashes, control
// characters or encoded slashes, which browsers could turn into another origin.
func safeRelativeURL(v string) bool {
	if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || strings.Contains(v, `\`) {
		return false
	}
	for _, r := range v {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return false
		}
	}
	path := v
	if i := strings.IndexAny(v, "?#"); i >= 0 {
		path = v[:i]
	}
	lp := strings.ToLower(path)
	if strings.Contains(lp, "%2f") || strings.Contains(lp, "%5c") {
		return false
	}
	pu, err := url.Parse(v)
	return err == nil && pu.Host == "" && pu.Scheme == ""
}

// checkOrigin is Better Auth's validateOrigin: requests that carry cookies
// (or, with force, any request) need an Origin or Referer whose origin is trusted.
func (a *Auth) checkOrigin(r *http.Request, force bool) error {
	if a.cfg.DisableCSRFCheck {
		return nil
	}
	if !force && r.Header.Get("Cookie") == "" {
		return nil
	}
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" || o == "null" {
		return ErrMissingOrNullOrigin
	}
	if !a.isTrusted(o, false) {
		return ErrInvalidOrigin
	}
	return nil
}

// checkLoginCSRF is Better Auth's formCsrfMiddleware for sign-in and
// sign-up: with cookies, the origin check; without, a cross-site
// navigation is refused and any fetch-metadata or origin header is checked.
func (a *Auth) checkLoginCSRF(r *http.Request) error {
	if a.cfg.DisableCSRFCheck {
		return nil
	}
	h := r.Header
	if h.Get("Cookie") != "" {
		return a.checkOrigin(r, false)
	}
	site, mode, dest := strings.TrimSpace(h.Get("Sec-Fetch-Site")), strings.TrimSpace(h.Get("Sec-Fetch-Mode")), strings.TrimSpace(h.Get("Sec-Fetch-Dest"))
	if site != "" || mode != "" || dest != "" {
		if site == "cross-site" && mode == "navigate" {
			return ErrCrossSiteNavigationBlocked
		}
		return a.checkOrigin(r, true)
	}
	if h.Get("Origin") != "" || h.Get("Referer") != "" {
		return a.checkOrigin(r, true)
	}
	return nil
}

// checkCallback refuses a callback URL that is neither a safe relative path
// nor on a trusted origin.
func (a *Auth) checkCallback(u string) error {
	if u != "" && !a.isTrusted(u, true) {
		return ErrInvalidCallbackURL
	}
	return nil
}
