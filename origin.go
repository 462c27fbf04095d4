package betterauth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// This file decides which origins may send credentialed requests and where
// the API may redirect a browser. Every decision reads a URL the way a
// browser would (the WHATWG URL standard), and anything a browser could read
// differently from this code is refused rather than guessed at: control
// characters (a browser strips tabs and newlines anywhere), backslashes (a
// browser reads them as slashes), user information ("trusted@evil"),
// percent-encoded or non-ASCII hosts, and http(s) URLs without "//".

// target is a URL as a browser resolves it: a same-origin relative path, an
// http(s) origin, or a custom-scheme URL (myapp://host/path).
type target struct {
	relative bool
	// origin is "scheme://host[:port]" for http(s): lower case, default
	// port dropped.
	origin string
	// hostPort is origin's host[:port].
	hostPort string
	// scheme, authority and path of a custom-scheme URL (path with "." and
	// ".." resolved).
	scheme, authority, path string
}

// parseTarget reads s as a browser would, or reports false when s is not a
// URL that every browser reads the same way.
func parseTarget(s string) (target, bool) {
	if s == "" || strings.ContainsRune(s, '\\') || hasControl(s) {
		return target{}, false
	}
	if s[0] == '/' {
		return target{relative: true}, safeRelativeURL(s)
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return target{}, false
	}
	scheme, rest := strings.ToLower(s[:colon]), s[colon+1:]
	if scheme != "http" && scheme != "https" {
		return parseCustomScheme(scheme, rest)
	}
	// A browser reads "http:evil", "http:/evil" and "http:///evil" as
	// http://evil; only the plain form is accepted.
	rest, ok := strings.CutPrefix(rest, "//")
	if !ok {
		return target{}, false
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	hostPort, ok := canonicalHostPort(scheme, authority)
	if !ok {
		return target{}, false
	}
	return target{origin: scheme + "://" + hostPort, hostPort: hostPort, scheme: scheme}, true
}

// hasControl reports C0 and C1 control characters and DEL, as Better
// Auth's CONTROL_CHARACTER_PATTERN does.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return true
		}
	}
	return false
}

func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// canonicalHostPort checks an http(s) authority and returns it in lower
// case without the scheme's default port. Only ASCII host names, IPv4
// addresses in dotted decimal and bracketed IPv6 addresses are accepted:
// no user information, no percent-encoding, nothing a browser would map to
// another host (IDNA, other IPv4 notations).
func canonicalHostPort(scheme, authority string) (string, bool) {
	host, port := authority, ""
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "", false
		}
		if _, err := netip.ParseAddr(host[1:end]); err != nil || strings.ContainsRune(host[1:end], '%') {
			return "", false
		}
		host, port = host[:end+1], host[end+1:]
		if port != "" {
			var ok bool
			if port, ok = strings.CutPrefix(port, ":"); !ok {
				return "", false
			}
		}
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		host, port = host[:i], host[i+1:]
		if !validHostName(host) {
			return "", false
		}
	} else if !validHostName(host) {
		return "", false
	}
	host = strings.ToLower(host)
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
			return "", false
		}
		port = strconv.Itoa(n)
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			port = ""
		}
	}
	if port != "" {
		return host + ":" + port, true
	}
	return host, true
}

// validHostName accepts letters, digits, '-' and '.', with at least one
// character. A name whose last label is a number (digits, or 0x and hex
// digits) is an IPv4 address to a browser ("0x7f.1" and "2130706433" are
// 127.0.0.1), so it must then be one in dotted decimal.
func validHostName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if hex, ok := strings.CutPrefix(last, "0x"); (ok && strings.Trim(hex, "0123456789abcdef") == "") || (last != "" && strings.Trim(last, "0123456789") == "") {
		a, err := netip.ParseAddr(h)
		return err == nil && a.Is4()
	}
	return true
}

// parseCustomScheme splits a custom-scheme URL (myapp://host/path) as
// Better Auth's parseCustomSchemeOrigin does. Schemes that run code or
// read local data are never targets.
func parseCustomScheme(scheme, rest string) (target, bool) {
	switch scheme {
	case "javascript", "data", "vbscript", "file", "blob", "about", "filesystem":
		return target{}, false
	}
	t := target{scheme: scheme}
	if r, ok := strings.CutPrefix(rest, "//"); ok {
		end := strings.IndexAny(r, "/?#")
		if end < 0 {
			end = len(r)
		}
		t.authority, rest = strings.ToLower(r[:end]), r[end:]
		if strings.ContainsAny(t.authority, "@%") {
			return target{}, false
		}
	}
	if end := strings.IndexAny(rest, "?#"); end >= 0 {
		rest = rest[:end]
	}
	t.path = normalizePath(rest)
	return t, true
}

// normalizePath percent-decodes a path and resolves "." and "..", so that a
// path-pinned pattern cannot be escaped by traversal.
func normalizePath(p string) string {
	if d, err := url.PathUnescape(p); err == nil {
		p = d
	}
	var segs []string
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		case ".", "":
		default:
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 {
		return ""
	}
	return "/" + strings.Join(segs, "/")
}

// safeRelativeURL accepts "/path" but not "//host" or encoded slashes in
// the path, which browsers or routers could turn into another origin (Better
// Auth's isSafeRelativeURL; parseTarget has already refused backslashes and
// control characters).
func safeRelativeURL(v string) bool {
	if strings.HasPrefix(v, "//") { // parseTarget has refused backslashes and controls
		return false
	}
	path := v
	if i := strings.IndexAny(v, "?#"); i >= 0 {
		path = v[:i]
	}
	lp := strings.ToLower(path)
	return !strings.Contains(lp, "%2f") && !strings.Contains(lp, "%5c")
}

// originPattern is one trusted origin, parsed once in New.
type originPattern struct {
	raw  string // lower case, trailing "/" trimmed
	wild bool
	// hostOnly: a wildcard pattern without a scheme ("*.example.com"),
	// matched against the host of http and https URLs only.
	hostOnly bool
	// ipRange: the pattern's host is digits, dots and wildcards
	// ("192.168.*.*"), so it admits only IPv4 addresses.
	ipRange bool
	// custom is the parsed custom-scheme pattern (myapp://...).
	custom *target
	// origin is the canonical origin of a plain http(s) pattern.
	origin string
}

// parseOriginPattern reads a trusted origin or pattern.
func parseOriginPattern(p string) (originPattern, error) {
	raw := strings.ToLower(strings.TrimSpace(p))
	if !strings.HasSuffix(raw, "://") {
		raw = strings.TrimRight(raw, "/")
	}
	op := originPattern{raw: raw, wild: strings.ContainsAny(raw, "*?")}
	if raw == "" {
		return op, fmt.Errorf("empty trusted origin")
	}
	schemeEnd := strings.Index(raw, "://")
	if op.wild && schemeEnd < 0 {
		op.hostOnly = true
		op.ipRange = isIPRangePattern(raw)
		return op, nil
	}
	if schemeEnd <= 0 {
		return op, fmt.Errorf("trusted origin %q: want scheme://host[:port] or a pattern such as *.example.com", p)
	}
	scheme := raw[:schemeEnd]
	if scheme == "http" || scheme == "https" {
		host := raw[schemeEnd+3:]
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if op.wild {
			op.ipRange = isIPRangePattern(host)
			return op, nil
		}
		t, ok := parseTarget(raw)
		if !ok {
			return op, fmt.Errorf("trusted origin %q is not a valid http(s) origin", p)
		}
		op.origin = t.origin
		return op, nil
	}
	rest := raw[schemeEnd+1:]
	t, ok := parseCustomScheme(scheme, rest)
	if !ok || !validScheme(scheme) {
		return op, fmt.Errorf("trusted origin %q: scheme %q cannot be trusted", p, scheme)
	}
	op.custom = &t
	return op, nil
}

func isIPRangePattern(host string) bool {
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	digit := false
	for i := 0; i < len(host); i++ {
		switch c := host[i]; {
		case '0' <= c && c <= '9':
			digit = true
		case c == '.' || c == '*' || c == '?':
		default:
			return false
		}
	}
	return digit
}

// matches reports whether t is allowed by the pattern.
func (p originPattern) matches(t target) bool {
	if t.relative {
		return false
	}
	if p.custom != nil {
		c := p.custom
		if t.scheme != c.scheme {
			return false
		}
		if p.wild {
			if c.authority != "" && !glob(c.authority, t.authority) {
				return false
			}
			return c.path == "" || glob(c.path, orRoot(t.path))
		}
		if c.authority != "" && t.authority != c.authority {
			return false
		}
		return c.path == "" || t.path == c.path || strings.HasPrefix(t.path, c.path+"/")
	}
	if t.origin == "" { // a custom-scheme URL against an http(s) pattern
		return false
	}
	switch {
	case p.hostOnly:
		return glob(p.raw, t.hostPort) && p.ipAllowed(t.hostPort)
	case p.wild:
		return glob(p.raw, t.origin) && p.ipAllowed(t.hostPort)
	default:
		return t.origin == p.origin
	}
}

func orRoot(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// ipAllowed: an address-range pattern admits only IPv4 addresses, so that
// "192.168.*" cannot match "192.168.attacker.com".
func (p originPattern) ipAllowed(hostPort string) bool {
	if !p.ipRange {
		return true
	}
	host := hostPort
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Is4()
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

// isTrusted reports whether u is a trusted origin or, when allowRelative,
// a safe relative path: Better Auth's isTrustedOrigin, reading u as a
// browser does.
func (a *Auth) isTrusted(u string, allowRelative bool) bool {
	t, ok := parseTarget(u)
	if !ok {
		return false
	}
	if t.relative {
		return allowRelative
	}
	for _, p := range a.origins {
		if p.matches(t) {
			return true
		}
	}
	return false
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
		a.refuse(r.Context(), EventCORSRefused, "missing_origin", "Origin", o)
		return errMissingOrNullOrigin
	}
	if !a.isTrusted(o, false) {
		a.refuse(r.Context(), EventCORSRefused, "untrusted_origin", "Origin", o)
		return errInvalidOrigin
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
			a.refuse(r.Context(), EventCORSRefused, "cross_site_navigation", "Sec-Fetch-Site", site)
			return errCrossSiteNavigationBlocked
		}
		return a.checkOrigin(r, true)
	}
	if h.Get("Origin") != "" || h.Get("Referer") != "" {
		return a.checkOrigin(r, true)
	}
	return nil
}

// redirectTargets are the parameters that name where a browser is sent,
// with the code Better Auth refuses each with.
var redirectTargets = []struct {
	field string
	err   *APIError
}{
	{"callbackURL", errInvalidCallbackURL},
	{"redirectTo", errInvalidRedirectURL},
	{"errorCallbackURL", errInvalidErrorCallbackURL},
	{"newUserCallbackURL", errInvalidNewUserCallbackURL},
}

// checkRedirectTargets refuses a request whose query or body names a
// redirect target that is neither a safe relative path nor on a trusted
// origin. Handler runs it for every endpoint, GET and POST alike.
func (a *Auth) checkRedirectTargets(r *http.Request, b body) error {
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	for _, f := range redirectTargets {
		values := q[f.field]
		if v, ok := b[f.field]; ok {
			switch s := v.(type) {
			case string:
				values = append(values, s)
			case nil:
			default:
				return validationError(fmt.Sprintf("[body.%s] Invalid input: expected string, received %s", f.field, jsType(v)))
			}
		}
		for _, v := range values {
			if v != "" && !a.isTrusted(v, true) {
				a.refuse(r.Context(), EventInputValidationFail, "untrusted_redirect", f.field, v)
				return f.err
			}
		}
	}
	return nil
}

// refuse writes the audit record of a refused origin or redirect target:
// which header or field, the value offered (cut to 200 bytes) and, in
// Development, the trusted origins it was compared with.
func (a *Auth) refuse(ctx context.Context, event, reason, field, value string) {
	if len(value) > 200 {
		value = value[:200] + "..."
	}
	attrs := []slog.Attr{slog.String("reason", reason), slog.String("field", field), slog.String("value", value)}
	if a.cfg.Development {
		trusted := make([]string, len(a.origins))
		for i, p := range a.origins {
			trusted[i] = p.raw
		}
		attrs = append(attrs, slog.Any("trusted_origins", trusted))
	}
	a.audit(ctx, slog.LevelWarn, event, "", attrs...)
}
