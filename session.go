package betterauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Session is a row of Better Auth's session table.
type Session struct {
	ID string
	// Token is the secret the session cookie carries (signed). Unique.
	Token     string
	UserID    string
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// IPAddress and UserAgent are "" when unknown, as Better Auth writes them.
	// NULL reads as "".
	IPAddress string
	UserAgent string
	// Additional holds the values of the schema's additional session fields.
	Additional map[string]any
}

// SessionUpdate names the session columns to change; zero fields are left alone.
type SessionUpdate struct {
	ExpiresAt  time.Time
	Additional map[string]any
	// UpdatedAt is written as is; when zero the store writes now.
	UpdatedAt time.Time
}

// SessionData is a session together with its user.
type SessionData struct {
	Session *Session
	User    *User
}

// RequestMeta is what a session records about the request that created it.
type RequestMeta struct {
	// IPAddress is the client address; "" when unknown (as Better Auth
	// writes it).
	IPAddress string
	UserAgent string
}

// RequestMeta returns the client address and user agent of r as a session
// records them. The address is the socket's peer, or behind one of
// Config.TrustedProxies the client named in X-Forwarded-For; IPv6
// addresses are reduced to their /64 as Better Auth writes them (see
// Config.TrustedProxies). The user agent is made storable: invalid UTF-8
// becomes U+FFFD, control characters (NUL included) are dropped, and it is
// cut to MaxUserAgentLength bytes.
func (a *Auth) RequestMeta(r *http.Request) RequestMeta {
	return RequestMeta{IPAddress: a.clientIP(r), UserAgent: cleanHeader(r.UserAgent(), MaxUserAgentLength)}
}

// storedToken is the session token as the session table holds it: the
// token itself, or its SHA-256 with StoreTokenHashed.
func (a *Auth) storedToken(token string) string {
	if !a.cfg.Session.StoreTokenHashed || token == "" {
		return token
	}
	return sha256URL(token)
}

// sha256URL is base64url (no padding) of SHA-256(s): how Better Auth
// stores hashed verification identifiers, and how hashed session tokens
// are stored here.
func sha256URL(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// lookup returns the live session of a raw token and its user, with
// Session.Token set to the raw token. expired is the row of a session that
// exists but is past its expiry or its absolute lifetime (then sd is nil).
func (a *Auth) lookup(ctx context.Context, token string) (sd *SessionData, expired *Session, err error) {
	s, u, err := a.store.GetSessionByToken(ctx, a.storedToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, unavailable("get session", err)
	}
	now := a.clock()
	abs := a.cfg.Session.AbsoluteLifetime
	if !s.ExpiresAt.After(now) || (abs > 0 && !s.CreatedAt.Add(abs).After(now)) {
		return nil, s, nil
	}
	s.Token = token
	return &SessionData{Session: s, User: u}, nil, nil
}

// SessionState is the outcome of GetSession: the session (nil when there
// is none) and what the response must do with cookies.
type SessionState struct {
	*SessionData
	// Refreshed: the expiry slid forward; the session cookie is re-issued.
	Refreshed bool
	// Clear: the request carried a valid token whose session is gone or
	// expired; the auth cookies are expired.
	Clear bool
	// DontRemember: the request carries the dont_remember marker.
	DontRemember bool
}

// ResolveSession returns the request's session and user, or (nil, nil) when
// it has none, is expired or its cookie is not validly signed. It is the
// HTTP convenience: it reads the session cookie (or what a TokenReader
// plugin finds, such as the bearer plugin's Authorization header). It writes nothing (no refresh, no cookie): use it
// from routers that are not Handler.
// A store failure is an error wrapping ErrUnavailable, never "no session".
// It costs one query.
func (a *Auth) ResolveSession(ctx context.Context, r *http.Request) (*SessionData, error) {
	token := a.requestToken(r)
	if token == "" {
		return nil, nil
	}
	sd, _, err := a.lookup(ctx, token)
	return sd, err
}

// GetSessionOptions are GetSession's inputs besides the token.
type GetSessionOptions struct {
	// DisableRefresh leaves the expiry alone (get-session's
	// ?disableRefresh=true).
	DisableRefresh bool
	// DontRemember: the client carries the dont_remember marker (a
	// rememberMe: false session), whose sessions never slide.
	DontRemember bool
}

// GetSession runs Better Auth's get-session algorithm on a session token
// (the raw token, as the verified cookie or bearer header carries it): look
// it up (one query), delete an expired row, and slide the expiry forward
// at most once per UpdateAge (a second query) unless refresh is disabled
// (Session.DisableSessionRefresh, opts.DisableRefresh) or
// opts.DontRemember is set. An empty token is no session. A store failure
// is an error wrapping ErrUnavailable. It reads no cookies: the HTTP layer
// does that (ResolveSession is the request-taking convenience).
func (a *Auth) GetSession(ctx context.Context, token string, opts GetSessionOptions) (*SessionState, error) {
	st := &SessionState{DontRemember: opts.DontRemember}
	disableRefresh := opts.DisableRefresh
	if token == "" {
		return st, nil
	}
	sd, expired, err := a.lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	if sd == nil {
		st.Clear = true
		if expired != nil {
			if err := a.store.DeleteSession(ctx, a.storedToken(token)); err != nil && !errors.Is(err, ErrNotFound) {
				a.logger.WarnContext(ctx, "betterauth: deleting an expired session failed", "err", err)
			} else {
				a.audit(ctx, slog.LevelInfo, EventSessionExpired, expired.UserID, slog.String("reason", "timeout"))
			}
		}
		return st, nil
	}
	st.SessionData = sd
	s, now, cfg := sd.Session, a.clock(), a.cfg.Session
	if st.DontRemember || disableRefresh || cfg.DisableSessionRefresh {
		return st, nil
	}
	if !s.ExpiresAt.Add(-cfg.ExpiresIn).Add(cfg.UpdateAge).After(now) {
		next := now.Add(cfg.ExpiresIn)
		if cfg.AbsoluteLifetime > 0 && s.CreatedAt.Add(cfg.AbsoluteLifetime).Before(next) {
			next = s.CreatedAt.Add(cfg.AbsoluteLifetime)
		}
		if !next.After(s.ExpiresAt) {
			return st, nil // capped: nothing to slide
		}
		upd, err := a.store.UpdateSession(ctx, a.storedToken(token), SessionUpdate{ExpiresAt: next, UpdatedAt: now})
		if errors.Is(err, ErrNotFound) {
			return nil, errFailedToGetSession
		}
		if err != nil {
			return nil, unavailable("refresh session", err)
		}
		upd.Token = token
		st.Session, st.Refreshed = upd, true
	}
	return st, nil
}

// isFresh reports whether the session is younger than FreshAge.
func (a *Auth) isFresh(s *Session) bool {
	if a.cfg.Session.FreshAge < 0 {
		return true
	}
	return a.clock().Sub(s.CreatedAt) < a.cfg.Session.FreshAge
}

// ListSessions returns the user's live sessions, oldest first.
func (a *Auth) ListSessions(ctx context.Context, userID string) ([]Session, error) {
	ss, err := a.store.ListSessions(ctx, userID, a.clock())
	if err != nil {
		return nil, unavailable("list sessions", err)
	}
	return ss, nil
}

// RevokeSession deletes the user's session with that token. A token that
// is unknown or belongs to someone else is silently ignored, as in Better Auth.
//
// With StoreTokenHashed the token may be the raw one or the stored form
// that list-sessions shows.
func (a *Auth) RevokeSession(ctx context.Context, userID, token string) error {
	forms := []string{a.storedToken(token)}
	if forms[0] != token {
		forms = append(forms, token)
	}
	for _, stored := range forms {
		s, _, err := a.store.GetSessionByToken(ctx, stored)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return unavailable("revoke session", err)
		}
		if s.UserID != userID {
			return nil
		}
		if err := a.store.DeleteSession(ctx, stored); err != nil && !errors.Is(err, ErrNotFound) {
			return unavailable("revoke session", err)
		}
		a.audit(ctx, slog.LevelInfo, EventSessionExpired, userID, slog.String("reason", "revoked"))
		return nil
	}
	return nil
}

// RevokeSessions deletes every session of the user except keepToken (all
// of them when keepToken is "").
func (a *Auth) RevokeSessions(ctx context.Context, userID, keepToken string) error {
	n, err := a.store.DeleteUserSessions(ctx, userID, a.storedToken(keepToken))
	if err != nil {
		return unavailable("revoke sessions", err)
	}
	a.audit(ctx, slog.LevelInfo, EventSessionExpired, userID, slog.String("reason", "revoked"), slog.Int64("sessions", n))
	return nil
}
