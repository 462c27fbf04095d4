package betterauth_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// from sends a JSON POST (or a GET when body is "") as a client at remote
// (host:port), with X-Forwarded-For when xff is not "".
func from(t *testing.T, h http.Handler, remote, xff, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := newRequest(t, method, path, body)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", testOrigin)
	}
	req.RemoteAddr = remote
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	return serve(h, req)
}

// wrongSignIn is a sign-in that fails fast (400, no password hashed) but counts.
const wrongSignIn = `{}`

// syncWriter is a log destination safe for background mail goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// Rate limiting is on by default, as Better Auth has it in production, and
// off under Config.Development unless asked for.
func TestRateLimitOnByDefault(t *testing.T) {
	st := backends[0].new(t, schema.Schema{})
	for _, tc := range []struct {
		name    string
		mod     func(*betterauth.Config)
		limited bool
	}{
		{"zero config", func(c *betterauth.Config) { c.RateLimit.Enabled = nil }, true},
		{"development", func(c *betterauth.Config) { c.RateLimit.Enabled = nil; c.Development = true }, false},
		{"development, enabled", func(c *betterauth.Config) { c.RateLimit.Enabled = new(true); c.Development = true }, true},
		{"disabled", func(c *betterauth.Config) { c.RateLimit.Enabled = new(false) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newAuth(t, st, tc.mod)
			h := a.Handler()
			for range 3 {
				require.Equal(t, 400, from(t, h, "192.0.2.1:1", "", "POST", "/sign-in/email", wrongSignIn).Code)
			}
			want := 400
			if tc.limited {
				want = 429
			}
			assert.Equal(t, want, from(t, h, "192.0.2.1:1", "", "POST", "/sign-in/email", wrongSignIn).Code)
		})
	}
}

// The client address is the socket's peer: an X-Forwarded-For from anyone
// else changes neither the rate-limit bucket nor session.ipAddress; another
// source port of the same address is the same client.
func TestClientAddressIsThePeer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, _ := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) {
			c.RateLimit.Enabled = new(true)
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}
		})
		h := a.Handler()
		rec := from(t, h, "192.0.2.7:40000", "6.6.6.6", "POST", "/sign-up/email", `{"name":"Ip","email":"ip@example.com","password":"correct-horse-1"}`)
		require.Equal(t, 200, rec.Code, rec.Body.String())
		c := newClient(t, h)
		for _, sc := range rec.Result().Cookies() {
			c.cookies[sc.Name] = sc.Value
		}
		sess := c.do("GET", "/get-session", nil).obj(t)["session"].(map[string]any)
		assert.Equal(t, "192.0.2.7", sess["ipAddress"], "an invented X-Forwarded-For is not stored")

		for i, xff := range []string{"6.6.6.1", "6.6.6.2", ""} {
			assert.Equal(t, 400, from(t, h, fmt.Sprintf("192.0.2.8:%d", 1000+i), xff, "POST", "/sign-in/email", wrongSignIn).Code)
		}
		assert.Equal(t, 429, from(t, h, "192.0.2.8:2000", "6.6.6.3", "POST", "/sign-in/email", wrongSignIn).Code,
			"other ports and invented headers are still the same client")
		assert.Equal(t, 400, from(t, h, "192.0.2.9:2000", "192.0.2.8", "POST", "/sign-in/email", wrongSignIn).Code,
			"nor can a client borrow another's bucket")
	})
}

// Behind a trusted proxy the client is whom X-Forwarded-For names, resolved
// as Better Auth does with advanced.ipAddress.trustedProxies.
func TestClientAddressBehindTrustedProxy(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("10.0.1.0/24"),
			netip.MustParsePrefix("::ffff:10.0.2.0/120")}
	})
	for _, tc := range []struct{ remote, xff, want string }{
		{"10.0.0.1:5000", "203.0.113.5", "203.0.113.5"},
		{"[::ffff:10.0.0.1]:5000", "203.0.113.5", "203.0.113.5"},                             // a mapped peer is the IPv4 proxy
		{"10.0.0.1:5000", "203.0.113.5, 10.0.1.7", "203.0.113.5"},                            // trusted hops are skipped
		{"10.0.0.1:5000", "203.0.113.5, 198.51.100.9, 10.0.1.7", "198.51.100.9"},             // the first untrusted hop from the right
		{"10.0.0.1:5000", "203.0.113.5,198.51.100.9 , 10.0.2.3", "198.51.100.9"},             // a mapped trusted prefix matches IPv4 hops
		{"10.0.0.1:5000", "::ffff:203.0.113.7", "203.0.113.7"},                               // IPv4-mapped becomes IPv4
		{"10.0.0.1:5000", "2001:DB8:1:2:3:4:5:6", "2001:0db8:0001:0002:0000:0000:0000:0000"}, // IPv6: its /64, written out
		{"10.0.0.1:5000", "203.0.113.5, not-an-ip, 10.0.1.7", "10.0.0.1"},                    // a hop that is no address: no client named
		{"10.0.0.1:5000", "10.0.1.8", "10.0.0.1"},                                            // only proxies: the peer
		{"10.0.0.1:5000", "", "10.0.0.1"},
		{"192.0.2.1:5000", "203.0.113.5", "192.0.2.1"}, // not from a proxy: the header is ignored
		{"[2001:db8:aa:bb:1:2:3:4]:443", "", "2001:0db8:00aa:00bb:0000:0000:0000:0000"},
		{"[::1]:443", "", "0000:0000:0000:0000:0000:0000:0000:0000"},
		{"127.0.0.1:443", "", "127.0.0.1"},
		{"@", "", ""}, // a unix socket
	} {
		req := newRequest(t, "GET", "/ok", "")
		req.RemoteAddr = tc.remote
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		assert.Equal(t, tc.want, a.RequestMeta(req).IPAddress, "peer %s, X-Forwarded-For %q", tc.remote, tc.xff)
	}
	// Two header lines read as one list, as Better Auth's Headers.get joins them.
	req := newRequest(t, "GET", "/ok", "")
	req.RemoteAddr = "10.0.0.1:1"
	req.Header.Add("X-Forwarded-For", "198.51.100.1")
	req.Header.Add("X-Forwarded-For", "10.0.1.2")
	assert.Equal(t, "198.51.100.1", a.RequestMeta(req).IPAddress)

	_, err := betterauth.New(betterauth.Config{Store: backends[0].new(t, schema.Schema{}), Secret: testSecret,
		TrustedProxies: []netip.Prefix{{}}})
	assert.Error(t, err, "an invalid prefix is refused")
}

// Behind the proxy, sessions record the forwarded client and the limiter
// counts it (PostgreSQL too, where the column is text).
func TestTrustedProxySessionAndBucket(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, _ := newAuth(t, b.new(t, schema.Schema{}), func(c *betterauth.Config) {
			c.RateLimit.Enabled = new(true)
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}
		})
		h := a.Handler()
		rec := from(t, h, "10.0.0.1:1", "2001:db8::1", "POST", "/sign-up/email", `{"name":"Px","email":"px@example.com","password":"correct-horse-1"}`)
		require.Equal(t, 200, rec.Code, rec.Body.String())
		sd, err := a.ResolveSession(context.Background(), withCookies(newRequest(t, "GET", "/get-session", ""), rec))
		require.NoError(t, err)
		require.NotNil(t, sd)
		assert.Equal(t, "2001:0db8:0000:0000:0000:0000:0000:0000", sd.Session.IPAddress)

		for range 3 {
			assert.Equal(t, 400, from(t, h, "10.0.0.1:2", "198.51.100.1", "POST", "/sign-in/email", wrongSignIn).Code)
		}
		assert.Equal(t, 429, from(t, h, "10.0.0.1:3", "198.51.100.1", "POST", "/sign-in/email", wrongSignIn).Code)
		assert.Equal(t, 400, from(t, h, "10.0.0.1:2", "198.51.100.2", "POST", "/sign-in/email", wrongSignIn).Code,
			"another client behind the same proxy has its own bucket")
	})
}

func withCookies(req *http.Request, rec *httptest.ResponseRecorder) *http.Request {
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	return req
}

// Only routes are counted: unknown paths create no keys, and reset links
// count under one key per client, whatever the token.
func TestRateLimitCountsRoutesOnly(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.RateLimit.Enabled = new(true)
		c.RateLimit.CustomRules = map[string]betterauth.RateLimitRule{"/reset-password/*": {Window: time.Minute, Max: 2}}
	})
	h := a.Handler()
	for i := range 50 {
		require.Equal(t, 404, from(t, h, "192.0.2.1:1", "", "GET", fmt.Sprintf("/no-such-path-%d", i), "").Code)
	}
	require.Equal(t, 404, from(t, h, "192.0.2.1:1", "", "GET", "/reset-password/a/b", "").Code)
	assert.Zero(t, a.RateLimitKeys(), "404 paths create no keys")

	for i := range 2 {
		rec := from(t, h, "192.0.2.1:1", "", "GET", fmt.Sprintf("/reset-password/tok%d?callbackURL=/r", i), "")
		assert.Equal(t, 302, rec.Code)
	}
	assert.Equal(t, 1, a.RateLimitKeys(), "one key for every reset link")
	assert.Equal(t, 429, from(t, h, "192.0.2.1:1", "", "GET", "/reset-password/tok9?callbackURL=/r", "").Code,
		"a new token does not make a new bucket")
	assert.Equal(t, 200, from(t, h, "192.0.2.1:1", "", "GET", "/ok", "").Code)
	assert.Equal(t, 2, a.RateLimitKeys())
}

// A 429 leaves an audit record with the path.
func TestRateLimitAudited(t *testing.T) {
	audit := &syncWriter{w: &bytes.Buffer{}}
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.RateLimit.Enabled = new(true)
		c.AuditLogger = slog.New(slog.NewTextHandler(audit, nil))
	})
	h := a.Handler()
	for range 3 {
		from(t, h, "192.0.2.1:1", "", "POST", "/sign-in/email", wrongSignIn)
	}
	assert.NotContains(t, audit.String(), betterauth.EventRateLimitExceeded)
	require.Equal(t, 429, from(t, h, "192.0.2.1:1", "", "POST", "/sign-in/email", wrongSignIn).Code)
	assert.Regexp(t, `level=WARN msg=excess_rate_limit_exceeded ip=192\.0\.2\.1 user_agent=\S* path=/sign-in/email`, audit.String())
}

// Mail to one address is capped, whoever asks for it and from wherever:
// the enumeration-safe answers stay identical, the unsent links are
// removed, and a caller who waits for the mail gets 429.
func TestMailPerAddressLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		mail := &mailbox{}
		audit := &syncWriter{w: &bytes.Buffer{}}
		st := b.new(t, schema.Schema{})
		a, _ := newAuth(t, st, func(c *betterauth.Config) {
			c.RateLimit.Enabled = new(true)
			c.EmailAndPassword.SendResetPassword = mail.send
			c.User.DeleteUser.Enabled = true
			c.User.DeleteUser.SendDeleteAccountVerification = mail.send
			c.AuditLogger = slog.New(slog.NewTextHandler(audit, nil))
		})
		h := a.Handler()
		owner := newClient(t, h)
		owner.signUp("Vi", "victim@example.com", "correct-horse-1")

		var first *httptest.ResponseRecorder
		for i := range 10 {
			rec := from(t, h, fmt.Sprintf("198.51.100.%d:1", i+1), "", "POST", "/request-password-reset", `{"email":"victim@example.com"}`)
			if first == nil {
				first = rec
			}
			assert.Equal(t, first.Code, rec.Code, "request %d", i+1)
			assert.Equal(t, first.Body.String(), rec.Body.String(), "request %d", i+1)
			assert.Equal(t, first.Header(), rec.Header(), "request %d", i+1)
		}
		assert.Equal(t, 200, first.Code)
		assert.Equal(t, 5, mail.count(t, a), "the default allows 5 mails per address per hour")
		n, err := st.DeleteExpiredVerifications(context.Background(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 100)
		require.NoError(t, err)
		assert.EqualValues(t, 5, n, "the links that were not sent are gone")
		assert.Contains(t, audit.String(), "msg=excess_rate_limit_exceeded")
		assert.Contains(t, audit.String(), "reason=mail_per_address")
		assert.NotContains(t, audit.String(), "victim@", "the address is not logged")

		res := owner.do("POST", "/delete-user", map[string]any{})
		assert.Equal(t, 429, res.status, "%s", res.body)
		assert.Equal(t, `{"message":"Too many requests. Please try again later."}`, string(res.body))
		assert.Equal(t, "3600", res.header.Get("X-Retry-After"))
		assert.Equal(t, 5, mail.count(t, a))
		_, err = st.GetUserByEmail(context.Background(), "victim@example.com")
		assert.NoError(t, err, "the user is still there")
	})
}
