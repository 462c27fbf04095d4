package betterauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-betterauth/betterauth/internal/randid"
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
	// writes it). ClientIP extracts it the way Better Auth does.
	IPAddress string
	UserAgent string
}

// MetaFromRequest returns the client address and user agent of r as Better
// Auth records them: the address comes from X-Forwarded-For when it holds a
// single address (IPv6 reduced to its /64), never from the socket.
func MetaFromRequest(r *http.Request) RequestMeta {
	return RequestMeta{IPAddress: clientIP(r), UserAgent: r.UserAgent()}
}

func clientIP(r *http.Request) string {
	v := strings.TrimSpace(r.Header.Get("X-Forwarded-For"))
	if v == "" || strings.Contains(v, ",") {
		return ""
	}
	addr, err := netip.ParseAddr(v)
	if err != nil {
		return ""
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, err := addr.Prefix(64)
		if err != nil {
			return ""
		}
		return p.Addr().String()
	}
	return addr.String()
}

// createSession makes a session for the user with a fresh random token
// (never one chosen by the client). dontRemember makes it last one day, as
// Better Auth's rememberMe: false does.
func (a *Auth) createSession(ctx context.Context, st Store, userID string, dontRemember bool, meta RequestMeta) (*Session, error) {
	token, err := randid.ID()
	if err != nil {
		return nil, fmt.Errorf("betterauth: session token: %w", err)
	}
	now := a.clock()
	life := a.cfg.Session.ExpiresIn
	if dontRemember {
		life = 24 * time.Hour
	}
	s := &Session{
		Token: token, UserID: userID, ExpiresAt: now.Add(life), CreatedAt: now, UpdatedAt: now,
		IPAddress: meta.IPAddress, UserAgent: meta.UserAgent,
	}
	if err := st.CreateSession(ctx, s); err != nil {
		return nil, unavailable("create session", err)
	}
	return s, nil
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
// it has none, is expired or its cookie is not validly signed. It writes
// nothing (no refresh, no cookie): use it from routers that are not Handler.
// A store failure is an error wrapping ErrUnavailable, never "no session".
// It costs one query.
func (a *Auth) ResolveSession(ctx context.Context, r *http.Request) (*SessionData, error) {
	token := a.requestToken(r)
	if token == "" {
		return nil, nil
	}
	s, u, err := a.store.GetSessionByToken(ctx, token)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("get session", err)
	}
	if !s.ExpiresAt.After(a.clock()) {
		return nil, nil
	}
	return &SessionData{Session: s, User: u}, nil
}

// GetSession runs Better Auth's get-session algorithm: look the token up
// (one query), delete an expired row, and slide the expiry forward at most
// once per UpdateAge (a second query) unless refresh is disabled, the
// dont_remember marker is present or disableRefresh is set. A store failure
// is an error wrapping ErrUnavailable.
func (a *Auth) GetSession(ctx context.Context, r *http.Request, disableRefresh bool) (*SessionState, error) {
	st := &SessionState{DontRemember: a.dontRemember(r)}
	token := a.requestToken(r)
	if token == "" {
		return st, nil
	}
	s, u, err := a.store.GetSessionByToken(ctx, token)
	if errors.Is(err, ErrNotFound) {
		st.Clear = true
		return st, nil
	}
	if err != nil {
		return nil, unavailable("get session", err)
	}
	now := a.clock()
	if !s.ExpiresAt.After(now) {
		st.Clear = true
		if err := a.store.DeleteSession(ctx, token); err != nil && !errors.Is(err, ErrNotFound) {
			a.logger.WarnContext(ctx, "betterauth: deleting an expired session failed", "err", err)
		}
		return st, nil
	}
	st.SessionData = &SessionData{Session: s, User: u}
	cfg := a.cfg.Session
	if st.DontRemember || disableRefresh || cfg.DisableSessionRefresh {
		return st, nil
	}
	if !s.ExpiresAt.Add(-cfg.ExpiresIn).Add(cfg.UpdateAge).After(now) {
		upd, err := a.store.UpdateSession(ctx, token, SessionUpdate{ExpiresAt: now.Add(cfg.ExpiresIn), UpdatedAt: now})
		if errors.Is(err, ErrNotFound) {
			return nil, ErrFailedToGetSession
		}
		if err != nil {
			return nil, unavailable("refresh session", err)
		}
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
func (a *Auth) RevokeSession(ctx context.Context, userID, token string) error {
	s, _, err := a.store.GetSessionByToken(ctx, token)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return unavailable("revoke session", err)
	}
	if s.UserID != userID {
		return nil
	}
	if err := a.store.DeleteSession(ctx, token); err != nil && !errors.Is(err, ErrNotFound) {
		return unavailable("revoke session", err)
	}
	return nil
}

// RevokeSessions deletes every session of the user except keepToken (all
// of them when keepToken is "").
func (a *Auth) RevokeSessions(ctx context.Context, userID, keepToken string) error {
	if _, err := a.store.DeleteUserSessions(ctx, userID, keepToken); err != nil {
		return unavailable("revoke sessions", err)
	}
	return nil
}
