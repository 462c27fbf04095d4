package betterauth_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// The open redirect an attack on examples/basic found: text that starts
// with a trusted origin but that a browser reads as another host. Every
// endpoint that takes a redirect target, GET or POST, refuses it with 403
// and redirects nowhere.
func TestOpenRedirectRefusedEverywhere(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.TrustedOrigins = []string{"*.example.com"}
		mail := &mailbox{}
		c.EmailAndPassword.SendResetPassword = mail.send
		c.EmailVerification.SendVerificationEmail = mail.send
		c.User.ChangeEmail.Enabled = true
		c.User.DeleteUser.Enabled = true
	})
	h := a.Handler()
	evil := []string{
		testOrigin + "@evil.example/%zz",
		testOrigin + "\t@evil.example/",
		testOrigin + "%09@evil.example/",
		"https://evil.example/",
		"//evil.example/",
		`/\evil.example`,
		"javascript://app.example.com/%0aalert(1)",
		"http://127.0.0.1:3005.evil.test/", // a look-alike of the test origin
		"http://127.0.0.1:3006/",           // another port
	}
	type call struct {
		method, path, field string
		code                string
	}
	calls := []call{
		{"GET", "/verify-email?token=x", "callbackURL", "INVALID_CALLBACK_URL"},
		{"GET", "/reset-password/abc", "callbackURL", "INVALID_CALLBACK_URL"},
		{"GET", "/delete-user/callback?token=x", "callbackURL", "INVALID_CALLBACK_URL"},
		{"GET", "/verify-email?token=x", "errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"},
		{"POST", "/sign-in/email", "callbackURL", "INVALID_CALLBACK_URL"},
		{"POST", "/sign-up/email", "callbackURL", "INVALID_CALLBACK_URL"},
		{"POST", "/change-email", "callbackURL", "INVALID_CALLBACK_URL"},
		{"POST", "/send-verification-email", "callbackURL", "INVALID_CALLBACK_URL"},
		{"POST", "/delete-user", "callbackURL", "INVALID_CALLBACK_URL"},
		{"POST", "/request-password-reset", "redirectTo", "INVALID_REDIRECT_URL"},
		{"POST", "/sign-in/email", "errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"},
		{"POST", "/sign-in/email", "newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"},
		{"POST", "/sign-up/email?callbackURL=x", "callbackURL", "INVALID_CALLBACK_URL"}, // in the query of a POST
	}
	for _, target := range evil {
		for _, cl := range calls {
			c := newClient(t, h)
			var res *response
			if cl.method == "GET" {
				sep := "?"
				if strings.Contains(cl.path, "?") {
					sep = "&"
				}
				res = c.do("GET", cl.path+sep+cl.field+"="+url.QueryEscape(target), nil)
			} else if strings.HasSuffix(cl.path, "?callbackURL=x") {
				path := strings.TrimSuffix(cl.path, "x") + url.QueryEscape(target)
				res = c.do("POST", path, map[string]any{"name": "E", "email": "e@example.com", "password": "correct-horse-1"})
			} else {
				res = c.do("POST", cl.path, map[string]any{
					"name": "E", "email": "e@example.com", "password": "correct-horse-1", "newEmail": "f@example.com",
					cl.field: target,
				})
			}
			name := cl.method + " " + cl.path + " " + cl.field + "=" + target
			assert.Equal(t, http.StatusForbidden, res.status, "%s: %s", name, res.body)
			assert.Contains(t, string(res.body), `"code":"`+cl.code+`"`, name)
			assert.Empty(t, res.header.Get("Location"), name)
			assert.Empty(t, res.setCookies, name)
		}
	}
	// The same endpoints accept a safe relative path and a trusted origin.
	c := newClient(t, h)
	c.signUp("Ok", "ok@example.com", "correct-horse-1")
	res := c.do("POST", "/sign-in/email", map[string]any{"email": "ok@example.com", "password": "correct-horse-1", "callbackURL": "https://app.example.com/home"})
	assert.Equal(t, 200, res.status, "%s", res.body)
	assert.Equal(t, "https://app.example.com/home", res.header.Get("Location"))
	res = c.do("GET", "/verify-email?token=x&callbackURL=%2Fdone", nil)
	assert.Equal(t, http.StatusFound, res.status)
	assert.Equal(t, "/done?error=INVALID_TOKEN", res.header.Get("Location"))
}

// A POST that carries a cookie needs a trusted Origin, or failing that a
// trusted Referer; look-alikes of the trusted origin are refused.
func TestOriginOfCookieBearingPosts(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	h := a.Handler()
	owner := newClient(t, h)
	owner.signUp("Olga", "olga@example.com", "correct-horse-1")
	for _, tc := range []struct {
		origin, referer string
		status          int
		code            string
	}{
		{"https://evil.test", "", 403, "INVALID_ORIGIN"},
		{"http://127.0.0.1:3005.evil.test", "", 403, "INVALID_ORIGIN"},
		{"http://127.0.0.1:3006", "", 403, "INVALID_ORIGIN"},
		{"https://127.0.0.1:3005", "", 403, "INVALID_ORIGIN"},
		{"http://127.0.0.1:3005@evil.test", "", 403, "INVALID_ORIGIN"},
		{"", "https://evil.test/page", 403, "INVALID_ORIGIN"},
		{"", testOrigin + "/settings", 200, ""}, // the Referer fallback
		{"", "", 403, "MISSING_OR_NULL_ORIGIN"},
		{testOrigin, "https://evil.test/page", 200, ""}, // Origin wins over Referer
	} {
		c := newClient(t, h)
		c.cookies = owner.cookies
		c.origin = tc.origin
		if tc.referer != "" {
			c.header.Set("Referer", tc.referer)
		}
		res := c.do("POST", "/update-user", map[string]any{"name": "Olga " + tc.origin})
		assert.Equal(t, tc.status, res.status, "Origin %q Referer %q: %s", tc.origin, tc.referer, res.body)
		if tc.code != "" {
			assert.Contains(t, string(res.body), `"code":"`+tc.code+`"`)
		}
	}
	// Nothing refused changed the name.
	res := owner.do("GET", "/get-session", nil)
	name := res.obj(t)["user"].(map[string]any)["name"]
	assert.Contains(t, []any{"Olga ", "Olga " + testOrigin}, name)
}

// Sign-in by a cross-site form: refused by fetch metadata, or by Origin.
func TestFormSignInFromAnotherSite(t *testing.T) {
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), nil)
	h := a.Handler()
	newClient(t, h).signUp("Fay", "fay@example.com", "correct-horse-1")
	form := "email=fay%40example.com&password=correct-horse-1"
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"cross-site navigation", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}, 403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"},
		{"evil Origin", map[string]string{"Origin": "https://evil.test"}, 403, "INVALID_ORIGIN"},
		{"evil Referer", map[string]string{"Referer": "https://evil.test/form"}, 403, "INVALID_ORIGIN"},
		{"fetch metadata without Origin", map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"}, 403, "MISSING_OR_NULL_ORIGIN"},
		{"same-origin form", map[string]string{"Origin": testOrigin, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate"}, 200, ""},
	} {
		req := newRequest(t, "POST", "/sign-in/email", form)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tc.headers {
			req.Header.Set(k, v)
		}
		rec := serve(h, req)
		assert.Equal(t, tc.status, rec.Code, "%s: %s", tc.name, rec.Body)
		if tc.code != "" {
			assert.Contains(t, rec.Body.String(), tc.code, tc.name)
			assert.Empty(t, rec.Header().Values("Set-Cookie"), tc.name)
		}
	}
}

// New refuses a trusted origin it cannot read, rather than matching it by
// prefix.
func TestNewRefusesUnreadableTrustedOrigins(t *testing.T) {
	for _, o := range []string{"javascript://", "https://app.example.com@evil.test", "not an origin"} {
		_, err := betterauth.New(betterauth.Config{Store: backends[0].new(t, schema.Schema{}), Secret: testSecret, BaseURL: testOrigin, TrustedOrigins: []string{o}})
		assert.Error(t, err, o)
	}
}

// A refusal leaves an audit record naming the reason, and in development
// the trusted origins it was compared with (a curl user learns to send
// Origin).
func TestRefusalsAreLogged(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, _ := newAuth(t, backends[0].new(t, schema.Schema{}), func(c *betterauth.Config) {
		c.Logger = logger
		c.Development = true
	})
	h := a.Handler()
	c := newClient(t, h)
	c.signUp("Lou", "lou@example.com", "correct-horse-1")
	c.origin = ""
	require.Equal(t, 403, c.do("POST", "/sign-out", nil).status)
	c.origin = "https://evil.test"
	require.Equal(t, 403, c.do("POST", "/sign-out", nil).status)
	c.origin = testOrigin
	require.Equal(t, 403, c.do("POST", "/sign-in/email", map[string]any{"email": "lou@example.com", "password": "x", "callbackURL": "https://evil.test/"}).status)
	out := buf.String()
	assert.Contains(t, out, "msg=malicious_cors")
	assert.Contains(t, out, "reason=missing_origin")
	assert.Contains(t, out, "reason=untrusted_origin")
	assert.Contains(t, out, "value=https://evil.test")
	assert.Contains(t, out, "msg=input_validation_fail")
	assert.Contains(t, out, "field=callbackURL")
	assert.Contains(t, out, "trusted_origins="+"["+testOrigin+"]")
	assert.Contains(t, out, "ip=")
}
