package betterauth

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"net/http"
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
// counted per client address (see Config.TrustedProxies) and path, under
// Better Auth's key "<ip>|<path>", in the storage Storage names.
type RateLimitConfig struct {
	// Enabled turns rate limiting on or off. Nil means on unless
	// Config.Development is set, as Better Auth turns it on when
	// NODE_ENV=production. Off, the per-address mail limit is off too.
	Enabled *bool
	// Storage is where requests are counted, as Better Auth's
	// rateLimit.storage: RateLimitStorageMemory (each process on its own),
	// RateLimitStorageDatabase (the rateLimit table, see RateLimitSchema) or
	// RateLimitStorageSecondary (Config.SecondaryStorage). Default:
	// secondary storage when Config.SecondaryStorage is set, else memory.
	// The database and secondary storages are shared by every replica, and
	// by a Better Auth server on the same database or Redis. Memory and
	// database count with Better Auth's rule (the window restarts at each
	// allowed request, refused requests are not counted); secondary storage
	// with its fixed window (opened by the first request, refused requests
	// counted, Retry-After the whole window). When the storage fails, the
	// request is answered 503 and not served.
	Storage string
	// CustomStorage, when set, counts instead of Storage (Better Auth's
	// rateLimit.customStorage).
	CustomStorage RateLimitStorage
	// Window and Max are the default rule; default 100 requests per 10 s.
	Window time.Duration
	Max    int
	// CustomRules override the rule by path (relative to BasePath, e.g.
	// "/sign-in/email"; a trailing * matches a prefix). Better Auth's own
	// rules come first: /sign-in*, /sign-up*, /change-password and
	// /change-email allow 3 per 10 s; /request-password-reset and
	// /send-verification-email 3 per 60 s.
	CustomRules map[string]RateLimitRule
	// MailPerAddress caps the mails sent to one recipient address (compared
	// in lower case), whoever asks for them; default 5 per hour. Over it, a
	// mail the answer does not wait for (reset, verification, change-email)
	// is silently not sent and its link removed, so the answer stays the
	// same; one the answer waits for (delete-user confirmation, verification
	// mail for the signed-in user) answers 429. Max < 0 turns this limit off.
	// Better Auth has no such limit. It is counted in the same storage as
	// the requests (so every replica sharing it agrees), under a keyed hash
	// of the address; in memory, in a limiter of its own. When the storage
	// fails, the mail is not sent (a 503 where the answer waits for it).
	MailPerAddress RateLimitRule
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

// ErrTooManyRequests is what a refused call's error matches (errors.Is):
// a rate limit said no. The HTTP API answers it as Better Auth's 429.
var ErrTooManyRequests = errors.New("betterauth: too many requests")

// RateLimitError is returned when a rate limit refuses a call. It matches
// ErrTooManyRequests.
type RateLimitError struct {
	// RetryAfter is how long until the call would be allowed again.
	RetryAfter time.Duration
}

// Error says that a rate limit refused the call.
func (e *RateLimitError) Error() string { return ErrTooManyRequests.Error() }

// Is makes errors.Is(err, ErrTooManyRequests) hold.
func (e *RateLimitError) Is(target error) bool { return target == ErrTooManyRequests }

// retrySeconds is RetryAfter rounded up to whole seconds, as Better Auth
// sends it.
func (e *RateLimitError) retrySeconds() int {
	return int((e.RetryAfter + time.Second - 1) / time.Second)
}

type rateEntry struct {
	key   string
	count int
	last  time.Time
	until time.Time     // last + window: when the entry can be forgotten
	queue *list.List    // the entries of this window, ordered by until
	elem  *list.Element // this entry in queue
}

// rateLimiter is Better Auth's memory limiter: per key, the count restarts
// once Window has passed since the last allowed request. Each distinct
// window keeps its entries in a list ordered by expiry (an allowed request
// moves its entry to the back), so finding what to forget is O(1) per
// window instead of a scan of every key.
type rateLimiter struct {
	now     func() time.Time
	maxKeys int
	mu      sync.Mutex
	entries map[string]*rateEntry
	queues  map[time.Duration]*list.List
}

func newRateLimiter(now func() time.Time, maxKeys int) *rateLimiter {
	return &rateLimiter{now: now, maxKeys: maxKeys, entries: map[string]*rateEntry{}, queues: map[time.Duration]*list.List{}}
}

// routeRule is a route's rule before CustomRules: the default, then
// Better Auth's core rules by path prefix (so that a plugin's /sign-in/x is
// limited like /sign-in/email, as in Better Auth), then the route's own.
func (c *RateLimitConfig) routeRule(path string, own *RateLimitRule) RateLimitRule {
	rule := RateLimitRule{c.Window, c.Max}
	for _, b := range builtinRateRules {
		if strings.HasPrefix(path, b.prefix) {
			rule = b.rule
		}
	}
	if own != nil {
		rule = *own
	}
	return rule
}

// customRule applies CustomRules, which match the request's path
// (relative to BasePath), to a route's rule.
func (c *RateLimitConfig) customRule(path string, rule RateLimitRule) RateLimitRule {
	for p, r := range c.CustomRules {
		if p == path || (strings.HasSuffix(p, "*") && strings.HasPrefix(path, strings.TrimSuffix(p, "*"))) {
			rule = r
		}
	}
	return rule
}

// allow counts one request under key; when refused it says how long until
// a retry would pass. A key must always come with the same rule.Window.
func (l *rateLimiter) allow(key string, rule RateLimitRule) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now() // under the lock, so each queue stays in order
	l.forgetExpired(now)
	e, ok := l.entries[key]
	switch {
	case !ok:
		if len(l.entries) >= l.maxKeys {
			l.forgetNextToExpire()
		}
		q := l.queues[rule.Window]
		if q == nil {
			q = list.New()
			l.queues[rule.Window] = q
		}
		e = &rateEntry{key: key, count: 1, last: now, until: now.Add(rule.Window), queue: q}
		e.elem = q.PushBack(e)
		l.entries[key] = e
		return true, 0
	case now.Sub(e.last) >= rule.Window:
		e.count = 1
	case e.count >= rule.Max:
		return false, e.last.Add(rule.Window).Sub(now)
	default:
		e.count++
	}
	e.last, e.until = now, now.Add(rule.Window)
	e.queue.MoveToBack(e.elem)
	return true, 0
}

// forgetExpired drops the finished entries at the front of every queue;
// each entry is dropped once, so this is O(1) amortized per request (and
// O(number of distinct windows) to look).
func (l *rateLimiter) forgetExpired(now time.Time) {
	for w, q := range l.queues {
		for f := q.Front(); f != nil && !now.Before(f.Value.(*rateEntry).until); f = q.Front() {
			l.drop(f.Value.(*rateEntry))
		}
		if q.Len() == 0 {
			delete(l.queues, w)
		}
	}
}

// forgetNextToExpire drops the live entry closest to its expiry, the one
// whose loss forgives its client least.
func (l *rateLimiter) forgetNextToExpire() {
	var next *rateEntry
	for _, q := range l.queues {
		if f := q.Front(); f != nil && (next == nil || f.Value.(*rateEntry).until.Before(next.until)) {
			next = f.Value.(*rateEntry)
		}
	}
	if next != nil {
		l.drop(next)
	}
}

func (l *rateLimiter) drop(e *rateEntry) {
	e.queue.Remove(e.elem)
	delete(l.entries, e.key)
}

// len reports how many keys the limiter holds.
func (l *rateLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// limit counts one request to the route by the client of r, and answers
// Better Auth's 429 when over the rule. Requests are counted per client
// and route (a route with a token in its path is one key). It reports
// whether the request may go on.
func (a *Auth) limit(w http.ResponseWriter, r *http.Request, m *mounted) bool {
	if a.limiter == nil {
		return true
	}
	rule := a.cfg.RateLimit.customRule(a.relPath(r), m.rule)
	ip := a.clientIP(r)
	if ip == "" {
		ip = noTrustedIP
	}
	ok, wait, err := a.limiter.Consume(r.Context(), ip+"|"+m.key, rule)
	if err != nil {
		a.writeError(w, r, unavailable("rate limit", err))
		return false
	}
	if ok {
		return true
	}
	a.audit(r.Context(), slog.LevelWarn, EventRateLimitExceeded, "", slog.String("path", m.key))
	tooManyRequests(w, (&RateLimitError{RetryAfter: wait}).retrySeconds())
	return false
}

// noTrustedIP is the address part of the key of requests whose client
// address is unknown (a unix socket): one shared bucket per path, as in
// Better Auth.
const noTrustedIP = "no-trusted-ip"

// allowMail counts one mail to the address, within RequestTimeout; the
// error is a *RateLimitError when the address has had its share, and wraps
// ErrUnavailable when the storage failed.
func (a *Auth) allowMail(ctx context.Context, to string) error {
	if a.mailLimiter == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.RequestTimeout)
	defer cancel()
	ok, wait, err := a.mailLimiter.Consume(ctx, a.mailKey(strings.ToLower(strings.TrimSpace(to))), a.cfg.RateLimit.MailPerAddress)
	if err != nil {
		return unavailable("mail rate limit", err)
	}
	if !ok {
		return &RateLimitError{RetryAfter: wait}
	}
	return nil
}

// tooManyRequests is Better Auth's 429.
func tooManyRequests(w http.ResponseWriter, retryAfter int) {
	w.Header().Set("X-Retry-After", strconv.Itoa(retryAfter))
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	writeJSON(w, http.StatusTooManyRequests, object{{"message", "Too many requests. Please try again later."}})
}
