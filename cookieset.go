package betterauth

import (
	"net/http"
	"strings"
)

// cookieSet knows the names and attributes of the auth cookies.
type cookieSet struct {
	sessionToken string
	sessionData  string
	dontRemember string
	// sessionTokenReads are the names a session token is read from, in
	// order: the configured one, then the prefixed/unprefixed and legacy
	// hyphenated forms Better Auth's getSessionCookie also accepts. With
	// secure cookies only the __Secure- forms: any page of a sibling
	// subdomain, or a plain-http response, can plant an unprefixed cookie
	// (for instance an attacker's own valid session, to sign the victim in
	// to the attacker's account), but only a secure origin can set
	// __Secure- ones.
	sessionTokenReads []string
	secure            bool
	domain            string
	sameSite          string
}

func newCookieSet(c CookieConfig, secure bool) cookieSet {
	pre := ""
	if secure {
		pre = "__Secure-"
	}
	cs := cookieSet{
		sessionToken: pre + c.Prefix + ".session_token",
		sessionData:  pre + c.Prefix + ".session_data",
		dontRemember: pre + c.Prefix + ".dont_remember",
		secure:       secure, domain: c.Domain, sameSite: c.SameSite,
	}
	seen := map[string]bool{}
	for _, n := range []string{
		cs.sessionToken,
		"__Secure-" + c.Prefix + ".session_token", c.Prefix + ".session_token",
		"__Secure-" + c.Prefix + "-session_token", c.Prefix + "-session_token",
	} {
		if secure && !strings.HasPrefix(n, "__Secure-") {
			continue
		}
		if !seen[n] {
			seen[n] = true
			cs.sessionTokenReads = append(cs.sessionTokenReads, n)
		}
	}
	return cs
}

func (cs cookieSet) make(name, value string) cookie {
	return cookie{
		Name: name, Value: value, Path: "/", Domain: cs.domain,
		HTTPOnly: true, Secure: cs.secure, SameSite: cs.sameSite,
	}
}

func addCookie(w http.ResponseWriter, c cookie) {
	w.Header().Add("Set-Cookie", c.String())
}

// setSessionCookies writes the signed session cookie, lasting ExpiresIn
// or, with dontRemember, for the browser session plus the signed
// dont_remember marker (cleared again when hadDontRemember and not
// dontRemember), then the cookie cache, as Better Auth's setSessionCookie
// does. sd.User may be nil: with the cookie cache on it is then read from
// the store.
func (a *Auth) setSessionCookies(w http.ResponseWriter, r *http.Request, sd *SessionData, dontRemember, hadDontRemember bool) {
	token := sd.Session.Token
	c := a.cookies.make(a.cookies.sessionToken, encodeCookieValue(SignCookieValue(a.secret, token)))
	if !dontRemember {
		c.HasMaxAge, c.MaxAge = true, int(a.cfg.Session.ExpiresIn.Seconds())
	}
	addCookie(w, c)
	if dontRemember {
		addCookie(w, a.cookies.make(a.cookies.dontRemember, encodeCookieValue(SignCookieValue(a.secret, "true"))))
	} else if hadDontRemember {
		a.expireCookie(w, a.cookies.dontRemember)
	}
	if a.cache != nil {
		u := sd.User
		if u == nil {
			var err error
			if u, err = a.store.GetUserByID(r.Context(), sd.Session.UserID); err != nil {
				// No cache is safe: get-session reads the store and writes one.
				a.logger.WarnContext(r.Context(), "betterauth: reading the user for the cookie cache failed", "err", err)
				a.cleanCookieCache(w, r)
			}
		}
		if u != nil {
			a.setCookieCache(w, r, &SessionData{Session: sd.Session, User: u}, dontRemember)
		}
	}
	if len(a.hooks.sessionCookie) > 0 {
		signed := SignCookieValue(a.secret, token)
		for _, h := range a.hooks.sessionCookie {
			h.OnSessionCookie(w.Header(), signed)
		}
	}
}

// reissueSessionCookie sets the session cookie (and the cookie cache, with
// u, the user as it is now; nil reads it) again, keeping the request's
// rememberMe choice (Better Auth's setSessionCookie without an explicit one).
func (a *Auth) reissueSessionCookie(w http.ResponseWriter, r *http.Request, s *Session, u *User) {
	dr := a.dontRemember(r)
	a.setSessionCookies(w, r, &SessionData{Session: s, User: u}, dr, dr)
}

func (a *Auth) expireCookie(w http.ResponseWriter, name string) {
	c := a.cookies.make(name, "")
	c.HasMaxAge, c.MaxAge = true, 0
	addCookie(w, c)
}

// clearSessionCookies expires session_token, session_data (and the
// request's session_data chunks) and dont_remember.
func (a *Auth) clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	a.expireCookie(w, a.cookies.sessionToken)
	a.expireCookie(w, a.cookies.sessionData)
	for _, n := range a.cacheCookieNames(r.Header) {
		if n != a.cookies.sessionData {
			a.expireCookie(w, n)
		}
	}
	a.expireCookie(w, a.cookies.dontRemember)
}

// dontRemember reports whether the request carries a valid dont_remember cookie.
func (a *Auth) dontRemember(r *http.Request) bool {
	v, ok := readCookie(r.Header, a.cookies.dontRemember)
	if !ok {
		return false
	}
	val, ok := VerifyCookieValue(a.secret, v)
	return ok && val == "true"
}

// requestToken extracts the session token from the request: what the
// first TokenReader plugin finds (the bearer plugin's Authorization
// header), else the signed session cookie. An absent or badly signed token
// is "", and so is one the database could not read (NUL, invalid UTF-8).
func (a *Auth) requestToken(r *http.Request) string {
	for _, tr := range a.hooks.tokenReaders {
		if t, found := tr.ReadSessionToken(r); found {
			if textProblem(t) != "" {
				return ""
			}
			return t
		}
	}
	v, ok := readCookie(r.Header, a.cookies.sessionTokenReads...)
	if !ok {
		return ""
	}
	t, _ := VerifyCookieValue(a.secret, v)
	return t
}
