package betterauth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func authWithOrigins(t *testing.T, patterns ...string) *Auth {
	t.Helper()
	a := &Auth{}
	for _, p := range patterns {
		op, err := parseOriginPattern(p)
		require.NoError(t, err, p)
		a.origins = append(a.origins, op)
	}
	return a
}

// TestRedirectTargetsAsABrowserReadsThem decides redirect targets the way a
// browser parses them (WHATWG URL): each refused case is one a browser sends
// somewhere other than a trusted origin, or one this code cannot be sure of.
func TestRedirectTargetsAsABrowserReadsThem(t *testing.T) {
	a := authWithOrigins(t,
		"http://127.0.0.1:8080", "https://app.example.com", "*.wild.test", "https://*.pat.test",
		"myapp://", "exp://host/cb", "192.168.*.*", "http://localhost:*", "wapp://*.host.test",
		"papp://*/cb/*", "http://10.*")
	cases := []struct {
		url  string
		want bool
	}{
		// Same-origin paths.
		{"/dashboard", true},
		{"/dashboard?x=1#top", true},
		{"/a/b%20c", true},
		{"//evil.example/x", false},
		{`/\evil.example`, false},
		{"/%2f%2fevil.example", false}, // a router may decode it to //evil.example
		{"/%2F/evil.example", false},
		{"/%5cevil.example", false},
		{"/%5Cevil.example", false},
		{"/\t/evil.example", false}, // a browser drops the tab: //evil.example
		{"/\n/evil.example", false},
		{"/\r/evil.example", false},
		{"/\x00x", false},
		{"/\u0085x", false}, // a C1 control
		{"dashboard", false},
		{"?next=/x", false},
		{" /dashboard", false},

		// Exact origins.
		{"http://127.0.0.1:8080/after", true},
		{"http://127.0.0.1:8080", true},
		{"HTTP://127.0.0.1:8080/x", true},
		{"https://app.example.com/x", true},
		{"https://app.example.com:443/x", true},
		{"https://APP.example.com/x", true},
		{"http://app.example.com/x", false}, // another scheme
		{"https://app.example.com:8443/x", false},
		{"http://127.0.0.1:8081/x", false},
		{"https://app.example.com.evil.test/x", false},
		{"https://evilapp.example.com/x", false},
		{"https://app.example.com./x", false},

		// What the attack used: text that merely starts with a trusted origin.
		{"http://127.0.0.1:8080@evil.example/%zz", false},
		{"http://127.0.0.1:8080@evil.example/", false},
		{"https://app.example.com@evil.example", false},
		{"https://user:pw@app.example.com/", false},
		{"http://127.0.0.1:8080\t@evil.example/", false},
		{"http://127.0.0.1:8080%09@evil.example/", false},
		{`https://app.example.com\@evil.example`, false},
		{`https:\\evil.example`, false},
		{"https:evil.example", false},
		{"https:app.example.com/x", false}, // only the plain form, though a browser reads it as trusted
		{"https:/evil.example", false},
		{"https:///evil.example", false},
		{"https://%65vil.example/", false},
		{"https://app.example.com%2eevil.example/", false},
		{"https://ａｐｐ.example.com/", false}, // IDNA maps it: refused rather than guessed
		{"http://2130706433:8080/", false},  // 127.0.0.1 to a browser
		{"http://0x7f.1:8080/", false},
		{"http://127.0.0.1:08080/", true}, // the same port
		{"http://127.0.0.1:99999/", false},
		{"https://app.example.com:/x", true}, // an empty port is the default
		{"https://app.example.com:x/", false},
		{"https://app.example.com:+443/x", false}, // no port to a browser
		{"http://localhost:3000/", true},
		{"http://localhost:99999/", false}, // no port to a browser
		{"http://localhost:1@evil.example/", false},
		{"https://[::1]/", false},
		{"https://[::1/", false},
		{"https://app.example.com /x", false},

		// Wildcards without a scheme match http and https only.
		{"https://a.wild.test/x", true},
		{"http://a.wild.test/x", true},
		{"javascript://a.wild.test/%0aalert(1)", false},
		{"javascript://app.example.com/%0aalert(1)", false},
		{"data://a.wild.test/x", false},
		{"ftp://a.wild.test/x", false},
		{"https://wild.test.evil.example/", false},
		{"https://a.wild.test@evil.example/", false},

		// Wildcards with a scheme.
		{"https://x.pat.test/y", true},
		{"http://x.pat.test/y", false},
		{"https://x.pat.test.evil.example/", false},

		// An address range admits addresses only.
		{"http://192.168.1.2/", true},
		{"http://192.168.attacker.com/", false},
		{"http://10.1.2.3/", true},
		{"http://10.attacker.com/", false},

		// Custom schemes: the scheme, then the authority and path if pinned.
		{"myapp://signed-in", true},
		{"MYAPP://x/y", true},
		{"exp://host/cb", true},
		{"exp://host/cb/deeper", true},
		{"exp://host/cb/../evil", false},
		{"exp://host/cbx", false},
		{"exp://other/cb", false},
		{"exp://host@other/cb", false},
		{"wapp://a.host.test/x", true},
		{"wapp://a.other.test/x", false},
		{"wapp://evil@a.host.test/x", false},
		{"papp://x/cb/y", true},
		{"papp://x/other", false},
		{"otherapp://x", false},
		{"javascript:alert(1)", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, a.isTrusted(tc.url, true), "%q", tc.url)
	}
	// Origin and Referer take no relative paths.
	assert.False(t, a.isTrusted("/dashboard", false))
	assert.True(t, a.isTrusted("http://127.0.0.1:8080", false))
	assert.True(t, a.isTrusted("http://127.0.0.1:8080/some/page?x=1", false), "a Referer")
}

// TestSchemelessWildcardIsHTTPOnly: "*" trusts every http(s) origin, and
// nothing else.
func TestSchemelessWildcardIsHTTPOnly(t *testing.T) {
	a := authWithOrigins(t, "*")
	assert.True(t, a.isTrusted("https://any.example/x", true))
	assert.False(t, a.isTrusted("otherapp://x", true))
	assert.False(t, a.isTrusted("otherapp:x", true))
	assert.False(t, a.isTrusted("https://[not-an-address]/", true))
	assert.True(t, a.isTrusted("https://[::1]:8443/", true))
}

// TestJavascriptSchemeNeverTrusted: even a configured custom scheme
// cannot be one that runs code.
func TestJavascriptSchemeNeverTrusted(t *testing.T) {
	for _, p := range []string{"javascript://", "data://", "file://", "vbscript://"} {
		_, err := parseOriginPattern(p)
		assert.Error(t, err, p)
	}
	_, err := parseOriginPattern("https://app.example.com@evil.example")
	assert.Error(t, err)
	_, err = parseOriginPattern("")
	assert.Error(t, err)
}
