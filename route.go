package betterauth

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strings"
)

// Access says who may call a Route; the chain checks it before the route's
// Handle runs.
type Access int

const (
	// AccessPublic routes run for anyone (they may still look a session up
	// themselves, with ResolveSession).
	AccessPublic Access = iota
	// AccessSession routes need a valid session: 401 UNAUTHORIZED otherwise.
	AccessSession
	// AccessFreshSession routes need a session younger than
	// Session.FreshAge: 401 without one, 403 SESSION_NOT_FRESH when older.
	AccessFreshSession
)

// String names the access level as Routes lists it.
func (x Access) String() string {
	switch x {
	case AccessPublic:
		return "public"
	case AccessSession:
		return "session"
	case AccessFreshSession:
		return "fresh-session"
	}
	return fmt.Sprintf("Access(%d)", int(x))
}

// RouteInput is what the chain hands a Route's Handle: the parsed body and,
// for AccessSession and AccessFreshSession routes, the caller's session.
type RouteInput struct {
	// Body is the decoded JSON object (or form) of a non-GET request; nil
	// when there was no body or for GET and HEAD.
	Body map[string]any
	// Session is the caller's session; nil on AccessPublic routes.
	Session *SessionData
}

// Route is one endpoint of the HTTP API. The core's endpoints are Routes,
// and plugins add theirs (RouteContributor). Handler mounts every route on
// a net/http ServeMux at BasePath+Path and runs each request through one
// chain: request timeout, rate limit, body, origin (or login-CSRF) check,
// redirect-target check (callbackURL and the like), access; then Handle.
type Route struct {
	// Method is the HTTP method ("GET", "POST", ...); a GET route also
	// answers HEAD.
	Method string
	// Path is a ServeMux path pattern relative to BasePath, starting with
	// "/": "/two-factor/enable", "/callback/{id}".
	Path string
	// Access is who may call it.
	Access Access
	// LoginCSRF applies the sign-in style fetch-metadata checks (a
	// cross-site navigation is refused even without cookies) instead of
	// the plain origin check.
	LoginCSRF bool
	// Form also accepts an application/x-www-form-urlencoded body.
	Form bool
	// RateLimit is the route's own rule. The rule a request is counted
	// under is, as in Better Auth: the default rule, then the core's rules
	// by path prefix (/sign-in*, /sign-up*, ...), then this one, then
	// RateLimitConfig.CustomRules.
	RateLimit *RateLimitRule
	// Handle serves the request. An error is answered by the chain: an
	// *APIError in Better Auth's {message, code} envelope, ErrUnavailable
	// as 503, anything else as 500 (logged).
	Handle func(w http.ResponseWriter, r *http.Request, in RouteInput) error

	// getOnly: GET without HEAD (the reset link, as before).
	getOnly bool
}

// RouteInfo describes one endpoint, as Routes lists it.
type RouteInfo struct {
	Method string
	// Path is relative to BasePath.
	Path   string
	Access Access
	// Plugin is the id of the plugin that contributed the route; "" for
	// the core.
	Plugin string
	// RateLimit is the rule the route is counted under before
	// RateLimitConfig.CustomRules (which match the request's path).
	RateLimit RateLimitRule
}

// mounted is a Route ready to serve.
type mounted struct {
	Route
	plugin string
	// key is the rate-limit key's path: the pattern with {x} written :x,
	// so that /reset-password/{token} counts as one route.
	key  string
	rule RateLimitRule
}

var wildcardRE = regexp.MustCompile(`\{([^}]*?)(\.\.\.)?\}`)

// Routes lists every endpoint the Handler serves, core and plugins, in
// mounting order.
func (a *Auth) Routes() []RouteInfo {
	out := make([]RouteInfo, len(a.routes))
	for i, m := range a.routes {
		out[i] = RouteInfo{Method: m.Method, Path: m.Path, Access: m.Access, Plugin: m.plugin, RateLimit: m.rule}
	}
	return out
}

// mountRoutes checks the routes (core first, then each plugin's) and
// builds the mux. A clash (the same method and path twice, or patterns
// ServeMux cannot tell apart) is an error, never a panic.
func (a *Auth) mountRoutes(contributed []pluginRoutes) error {
	mux := http.NewServeMux()
	seen := map[string]string{} // "METHOD path" -> owner
	paths := map[string]*mounted{}
	add := func(owner string, rt Route) error {
		who := "the core"
		if owner != "" {
			who = fmt.Sprintf("plugin %q", owner)
		}
		if rt.Method == "" || strings.ContainsAny(rt.Method, " \t/") || !strings.HasPrefix(rt.Path, "/") || rt.Handle == nil {
			return fmt.Errorf("betterauth: %s: route %q %q needs a method, a path starting with / and a Handle", who, rt.Method, rt.Path)
		}
		rt.Method = strings.ToUpper(rt.Method)
		id := rt.Method + " " + rt.Path
		if prev, dup := seen[id]; dup {
			return fmt.Errorf("betterauth: %s: route %s clashes with %s's", who, id, prev)
		}
		seen[id] = who
		m := &mounted{Route: rt, plugin: owner, key: wildcardRE.ReplaceAllString(rt.Path, ":$1")}
		m.rule = a.cfg.RateLimit.routeRule(m.key, rt.RateLimit)
		if err := handle(mux, rt.Method+" "+a.basePath+rt.Path, a.chain(m)); err != nil {
			return fmt.Errorf("betterauth: %s: route %s: %w", who, id, err)
		}
		if !wildcardRE.MatchString(rt.Path) {
			if _, ok := paths[rt.Path]; !ok {
				paths[rt.Path] = m
				// Other methods on a known path: counted, then 404.
				if err := handle(mux, a.basePath+rt.Path, a.wrongMethod(m)); err != nil {
					return fmt.Errorf("betterauth: %s: route %s: %w", who, id, err)
				}
			}
		}
		a.routes = append(a.routes, m)
		return nil
	}
	for _, rt := range a.coreRoutes() {
		if err := add("", rt); err != nil {
			return err
		}
	}
	for _, pr := range contributed {
		for _, rt := range pr.routes {
			if err := add(pr.id, rt); err != nil {
				return err
			}
		}
	}
	// Anything else: Better Auth's bare 404 (ServeMux's own 404 and 405
	// bodies never reach the client).
	if err := handle(mux, "/", http.HandlerFunc(notFound)); err != nil {
		return fmt.Errorf("betterauth: %w", err)
	}
	a.mux = mux
	return nil
}

// handle registers h, turning ServeMux's panic on a bad or conflicting
// pattern into an error.
func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

func notFound(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }

// Handler returns the HTTP API, Better Auth 1.7.25's paths, methods, JSON
// shapes, status codes and cookies, and the routes of Config.Plugins.
// Mount it at BasePath:
//
//	mux.Handle("/api/auth/", auth.Handler())
//
// An unknown path or a wrong method answers 404 with an empty body, as
// Better Auth does.
//
// Every response says Cache-Control: no-store and Pragma: no-cache (many
// carry a session token, in the body or a cookie, and none is worth
// caching), and every redirect Referrer-Policy: no-referrer (the URL that
// led to it may hold a token).
func (a *Auth) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), a.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(withRequest(ctx, r))
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		if !strings.HasPrefix(r.URL.Path, a.basePath+"/") || !cleanPath(r.URL.Path) {
			// ServeMux would redirect an unclean path; Better Auth answers 404.
			notFound(w, r)
			return
		}
		// Match on the decoded path, so that an escaped "/" (%2F) is a
		// separator, as in Better Auth's router.
		u := *r.URL
		u.RawPath = ""
		r2 := *r
		r2.URL = &u
		a.mux.ServeHTTP(w, &r2)
	})
}

// cleanPath reports whether p is in ServeMux's canonical form.
func cleanPath(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// chain is the one way into a route: rate limit, query, body, origin,
// redirect targets, access, Handle.
func (a *Auth) chain(m *mounted) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.getOnly && r.Method != http.MethodGet {
			notFound(w, r)
			return
		}
		if !a.limit(w, r, m) {
			return
		}
		if err := a.serveRoute(w, r, m); err != nil {
			a.writeError(w, r, err)
		}
	})
}

func (a *Auth) serveRoute(w http.ResponseWriter, r *http.Request, m *mounted) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	var in RouteInput
	if m.Method != http.MethodGet && m.Method != http.MethodHead {
		b, err := readBody(w, r, m.Form)
		if err != nil {
			return err
		}
		in.Body = b
		if m.LoginCSRF {
			err = a.checkLoginCSRF(r)
		} else {
			err = a.checkOrigin(r, false)
		}
		if err != nil {
			return err
		}
	}
	if err := a.checkRedirectTargets(r, in.Body); err != nil {
		return err
	}
	if m.Access != AccessPublic {
		sd, err := a.requireSession(r)
		if err != nil {
			return err
		}
		if m.Access == AccessFreshSession && !a.isFresh(sd.Session) {
			return errSessionNotFresh
		}
		in.Session = sd
	}
	return m.Handle(w, r, in)
}

// wrongMethod answers a known path called with another method: counted
// like the route, then Better Auth's bare 404 (or, for POST
// /get-session, its 405).
func (a *Auth) wrongMethod(m *mounted) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.limit(w, r, m) {
			return
		}
		if m.plugin == "" && m.Path == "/get-session" && r.Method == http.MethodPost {
			a.writeError(w, r, errMethodNotAllowedDeferRequired)
			return
		}
		notFound(w, r)
	})
}

// requireSession resolves the caller's session or answers 401 UNAUTHORIZED.
func (a *Auth) requireSession(r *http.Request) (*SessionData, error) {
	sd, err := a.ResolveSession(r.Context(), r)
	if err != nil {
		return nil, err
	}
	if sd == nil {
		return nil, errUnauthorized
	}
	return sd, nil
}

// relPath is r's path relative to BasePath.
func (a *Auth) relPath(r *http.Request) string {
	p, _ := strings.CutPrefix(r.URL.Path, a.basePath)
	return p
}
