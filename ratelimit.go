package betterauth

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimitRule allows Max requests per Window.
type RateLimitRule struct {
	Window time.Duration
	Max    int
}

// RateLimitConfig configures Better Auth's rate limiter: requests are
// counted per client address and path, in this process's memory.
type RateLimitConfig struct {
	// Enabled turns it on. Better Auth turns it on in production
	// (NODE_ENV=production); Go has no such switch, so say so here.
	Enabled bool
	// Window and Max are the default rule; default 100 requests per 10 s.
	Window time.Duration
	Max    int
	// CustomRules override the rule by path (relative to BasePath, e.g.
	// "/sign-in/email"; a trailing * matches a prefix). Better Auth's own
	// rules come first: /sign-in*, /sign-up*, /change-password and
	// /change-email allow 3 per 10 s; /request-password-reset and
	// /send-verification-email 3 per 60 s.
	CustomRules map[string]RateLimitRule
	// TrustedProxies are the networks whose X-Forwarded-For is believed
	// (e.g. your load balancer's). A request from elsewhere is counted by
	// its own address, so a client cannot dodge the limit by inventing
	// headers. Better Auth instead believes X-Forwarded-For from anyone and
	// puts requests without it in one shared bucket.
	TrustedProxies []netip.Prefix
}

var builtinRateRules = []struct {
	prefix string
	rule   RateLimitRule
}{
	{"/sign-in", RateLimitRule{10 * time.Second, 3}},
	{"/sign-up", RateLimitRule{10 * time.Second, 3}},
	{"/change-password", RateLimitRule{10 * time.Second, 3}},
	{"/change-email", RateLimitRule{10 * time.Second, 3}},
	{"/request-password-reset", RateLimitRule{time.Minute, 3}},
	{"/send-verification-email", RateLimitRule{time.Minute, 3}},
}

// maxRateKeys bounds the limiter's memory, as Better Auth's does.
const maxRateKeys = 100_000

type rateEntry struct {
	count int
	last  time.Time
	until time.Time // when the entry can be forgotten
}

// rateLimiter is Better Auth's memory limiter: per key, the count restarts
// once Window has passed since the last allowed request.
type rateLimiter struct {
	cfg     RateLimitConfig
	mu      sync.Mutex
	entries map[string]*rateEntry
}

func newRateLimiter(cfg RateLimitConfig) *rateLimiter {
	if cfg.Window <= 0 {
		cfg.Window = 10 * time.Second
	}
	if cfg.Max <= 0 {
		cfg.Max = 100
	}
	return &rateLimiter{cfg: cfg, entries: map[string]*rateEntry{}}
}

func (l *rateLimiter) rule(path string) RateLimitRule {
	rule := RateLimitRule{l.cfg.Window, l.cfg.Max}
	for _, b := range builtinRateRules {
		if strings.HasPrefix(path, b.prefix) {
			rule = b.rule
		}
	}
	for p, r := range l.cfg.CustomRules {
		if p == path || (strings.HasSuffix(p, "*") && strings.HasPrefix(path, strings.TrimSuffix(p, "*"))) {
			rule = r
		}
	}
	return rule
}

// allow counts one request; when refused it says after how many seconds to retry.
func (l *rateLimiter) allow(key string, rule RateLimitRule, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[key]
	switch {
	case !ok:
		if len(l.entries) >= maxRateKeys {
			l.prune(now)
		}
		l.entries[key] = &rateEntry{count: 1, last: now, until: now.Add(rule.Window)}
		return true, 0
	case now.Sub(e.last) >= rule.Window:
		e.count, e.last = 1, now
	case e.count >= rule.Max:
		wait := e.last.Add(rule.Window).Sub(now)
		return false, int((wait + time.Second - 1) / time.Second)
	default:
		e.count++
		e.last = now
	}
	e.until = now.Add(rule.Window)
	return true, 0
}

// prune forgets finished entries, and the oldest if still too many.
func (l *rateLimiter) prune(now time.Time) {
	for k, e := range l.entries {
		if !now.Before(e.until) {
			delete(l.entries, k)
		}
	}
	for k := range l.entries {
		if len(l.entries) < maxRateKeys {
			break
		}
		delete(l.entries, k)
	}
}

// clientKey is the address a request is counted under.
func (l *rateLimiter) clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	for _, p := range l.cfg.TrustedProxies {
		if p.Contains(peer) {
			// Walk X-Forwarded-For from the right, skipping our own proxies.
			hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
				if err != nil {
					break
				}
				a = a.Unmap()
				if !trusted(l.cfg.TrustedProxies, a) {
					return prefix64(a)
				}
			}
			break
		}
	}
	return prefix64(peer)
}

func trusted(nets []netip.Prefix, a netip.Addr) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// prefix64 counts IPv6 clients by their /64, as Better Auth does.
func prefix64(a netip.Addr) string {
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return a.String()
}

// tooManyRequests is Better Auth's 429.
func tooManyRequests(w http.ResponseWriter, retryAfter int) {
	w.Header().Set("X-Retry-After", strconv.Itoa(retryAfter))
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	writeJSON(w, http.StatusTooManyRequests, object{{"message", "Too many requests. Please try again later."}})
}
