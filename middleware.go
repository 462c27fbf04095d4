package betterauth

import (
	"context"
	"net/http"
)

type sessionKey struct{}

// SessionFromContext returns the session that LoadSession or
// RequireSession put into the request context, or nil.
func SessionFromContext(ctx context.Context) *SessionData {
	sd, _ := ctx.Value(sessionKey{}).(*SessionData)
	return sd
}

// WithSession returns a copy of ctx carrying sd, as the middleware stores it
// (useful in tests of handlers that read SessionFromContext).
func WithSession(ctx context.Context, sd *SessionData) context.Context {
	return context.WithValue(ctx, sessionKey{}, sd)
}

// LoadSession resolves the request's session (one query) and puts it into
// the request context for SessionFromContext; requests without a session
// pass through with none. When the store fails it answers 503 rather than
// treating the caller as signed out.
func (a *Auth) LoadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sd, err := a.resolveWithTimeout(r)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		if sd != nil {
			r = r.WithContext(WithSession(r.Context(), sd))
		}
		next.ServeHTTP(w, r)
	})
}

// RequireSession is LoadSession that answers 401 {"message":"Unauthorized",
// "code":"UNAUTHORIZED"} when there is no valid session.
func (a *Auth) RequireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sd, err := a.resolveWithTimeout(r)
		if err == nil && sd == nil {
			err = errUnauthorized
		}
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithSession(r.Context(), sd)))
	})
}

// resolveWithTimeout is ResolveSession bounded by RequestTimeout (the next
// handler keeps the request's own context).
func (a *Auth) resolveWithTimeout(r *http.Request) (*SessionData, error) {
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.RequestTimeout)
	defer cancel()
	return a.ResolveSession(ctx, r)
}
