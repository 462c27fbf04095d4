package betterauth

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-betterauth/betterauth/schema"
)

// Plugin is a value listed in Config.Plugins. Its only duty is an id,
// unique among the plugins ("jwt", "two-factor"); what else it does is
// found in New from the optional capabilities it implements
// (SchemaContributor, RouteContributor, Initializer, BeforeSignInHook, AfterSignInHook,
// BeforeCreateSessionHook, SessionReplyHook, the user lifecycle hooks,
// TokenReader, SessionCookieHook), so
// a plugin implements only what it uses and a new capability never breaks
// an old plugin.
type Plugin interface {
	ID() string
}

// RouteContributor is a Plugin that adds endpoints. New refuses a route
// with the method and path of another (core or plugin).
type RouteContributor interface {
	Routes() []Route
}

// SchemaContributor is a Plugin that needs tables, or fields on the core
// tables (which then travel in User.Additional and Session.Additional). New
// resolves them with Config.Schema and checks that the store holds them:
// build the store with the plugins' extensions (PluginSchemas), and run the
// migrations with them, as for additional fields.
type SchemaContributor interface {
	Schema() schema.Extension
}

// PluginSchemas returns the schema extensions of the plugins that declare
// one, in order: what pgstore.New, memstore.New and migrations.Up take
// after the Schema.
func PluginSchemas(plugins ...Plugin) []schema.Extension {
	var out []schema.Extension
	for _, p := range plugins {
		if sc, ok := p.(SchemaContributor); ok {
			out = append(out, sc.Schema())
		}
	}
	return out
}

// checkPluginSchemas makes sure the store was built with every table and
// field the plugins declare, and can hold plugin tables at all.
func checkPluginSchemas(st Store, layout *schema.Layout, exts []schema.Extension) error {
	for _, ext := range exts {
		if len(ext.Tables) > 0 {
			if _, ok := st.(TableStore); !ok {
				return fmt.Errorf("betterauth: a plugin needs tables (%s) and the store cannot hold them (it is no TableStore)", ext.Tables[0].Model)
			}
		}
		for _, td := range ext.Tables {
			if _, err := layout.ExtensionTable(td.Model); err != nil {
				return fmt.Errorf("betterauth: %w: a plugin needs table %q, which the store was not built with: pass betterauth.PluginSchemas(plugins...) to the store's New", schema.ErrInvalidSchema, td.Model)
			}
		}
		for model, fields := range ext.Fields {
			t := layout.Table(model)
			for _, f := range fields {
				if t == nil {
					return fmt.Errorf("betterauth: %w: a plugin adds fields to unknown model %q", schema.ErrInvalidSchema, model)
				}
				if _, ok := t.Column(f.Name); !ok {
					return fmt.Errorf("betterauth: %w: a plugin needs field %s.%s, which the store was not built with: pass betterauth.PluginSchemas(plugins...) to the store's New", schema.ErrInvalidSchema, model, f.Name)
				}
			}
		}
	}
	return nil
}

// TokenReader is a Plugin that finds a request's session token somewhere
// other than the session cookie, as the bearer plugin reads the
// Authorization header. Readers are asked in Config.Plugins order before
// the cookie is read, by the Handler, ResolveSession and the middleware;
// the first that answers found wins, and the cookie is not read. It
// returns the raw session token (what the cookie's signed value carries);
// found with an empty token means the request has a credential that names
// no session (no session, cookies untouched); not found leaves the
// decision to the next reader and the cookie.
type TokenReader interface {
	ReadSessionToken(r *http.Request) (token string, found bool)
}

// SessionCookieHook is a Plugin told of every response that sets the
// session cookie (sign-up, sign-in, a refreshed session, ...), with the
// cookie's value: "<token>.<signature>", not percent-encoded. The bearer
// plugin copies it into the set-auth-token header.
type SessionCookieHook interface {
	OnSessionCookie(h http.Header, signedToken string)
}

// ExposeHeader adds name to the response's Access-Control-Expose-Headers,
// keeping the names already there, as one comma-separated value (as Better
// Auth's plugins do for set-auth-token and set-auth-jwt), so that a
// browser's script may read that header.
func ExposeHeader(h http.Header, name string) {
	var names []string
	for _, v := range h.Values("Access-Control-Expose-Headers") {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if !slices.Contains(names, name) {
		names = append(names, name)
	}
	h.Set("Access-Control-Expose-Headers", strings.Join(names, ", "))
}

// Initializer is a Plugin that is set up with the Auth once New has built
// it (and before any request): keep a for CreateSession, SignIn, the
// store and the cookie helpers. An error makes New fail.
type Initializer interface {
	Init(a *Auth) error
}

// pluginRoutes are one plugin's routes, for mountRoutes.
type pluginRoutes struct {
	id     string
	routes []Route
}

// hooks are the capabilities found in New, each list in Config.Plugins'
// order, Config.Hooks last.
type hooks struct {
	beforeSignIn        []BeforeSignInHook
	afterSignIn         []AfterSignInHook
	beforeCreateSession []BeforeCreateSessionHook
	sessionReply        []SessionReplyHook
	beforeCreateUser    []BeforeCreateUserHook
	afterCreateUser     []AfterCreateUserHook
	beforeDeleteUser    []BeforeDeleteUserHook
	tokenReaders        []TokenReader
	sessionCookie       []SessionCookieHook
}

// add registers the hook capabilities x implements.
func (h *hooks) add(x any) {
	h.beforeSignIn = appendIf(h.beforeSignIn, x)
	h.afterSignIn = appendIf(h.afterSignIn, x)
	h.beforeCreateSession = appendIf(h.beforeCreateSession, x)
	h.sessionReply = appendIf(h.sessionReply, x)
	h.beforeCreateUser = appendIf(h.beforeCreateUser, x)
	h.afterCreateUser = appendIf(h.afterCreateUser, x)
	h.beforeDeleteUser = appendIf(h.beforeDeleteUser, x)
	h.tokenReaders = appendIf(h.tokenReaders, x)
	h.sessionCookie = appendIf(h.sessionCookie, x)
}

// appendIf appends x to list when x implements the list's capability.
func appendIf[T any](list []T, x any) []T {
	if v, ok := x.(T); ok {
		return append(list, v)
	}
	return list
}

// setupPlugins checks Config.Plugins, finds their capabilities and mounts
// every route. Init runs later (initPlugins), once the Auth is complete.
func (a *Auth) setupPlugins() error {
	seen := map[string]bool{}
	var routes []pluginRoutes
	for i, p := range a.cfg.Plugins {
		if p == nil {
			return fmt.Errorf("betterauth: Config.Plugins[%d] is nil", i)
		}
		id := p.ID()
		if id == "" {
			return fmt.Errorf("betterauth: Config.Plugins[%d] has an empty id", i)
		}
		if seen[id] {
			return fmt.Errorf("betterauth: %w: %q", ErrDuplicatePlugin, id)
		}
		seen[id] = true
		if rc, ok := p.(RouteContributor); ok {
			routes = append(routes, pluginRoutes{id: id, routes: rc.Routes()})
		}
		a.hooks.add(p)
	}
	a.hooks.addFuncs(a.cfg.Hooks)
	return a.mountRoutes(routes)
}

// initPlugins runs each Initializer, in order.
func (a *Auth) initPlugins() error {
	for _, p := range a.cfg.Plugins {
		if in, ok := p.(Initializer); ok {
			if err := in.Init(a); err != nil {
				return fmt.Errorf("betterauth: plugin %q: init: %w", p.ID(), err)
			}
		}
	}
	return nil
}

// ErrDuplicatePlugin is what New's error wraps when two plugins share an id.
var ErrDuplicatePlugin = errors.New("betterauth: duplicate plugin id")

// hookError wraps an error a hook returned, so that it is told apart from
// a store failure: it is answered as is (an *APIError inside reaches the
// client, anything else is a 500), never as 503.
type hookError struct{ err error }

func (e *hookError) Error() string { return "betterauth: hook: " + e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }

func wrapHook(err error) error {
	if err == nil {
		return nil
	}
	var he *hookError
	if errors.As(err, &he) {
		return err
	}
	return &hookError{err}
}
