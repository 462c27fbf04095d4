package betterauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-betterauth/betterauth/internal/randid"
)

// The ways a user signs in, as SignIn.Method names them.
const (
	// SignInMethodEmail is POST /sign-in/email (SignInEmail).
	SignInMethodEmail = "email"
	// SignInMethodSignUp is the automatic sign-in after a sign-up.
	SignInMethodSignUp = "sign-up"
	// SignInMethodVerifyEmail is the automatic sign-in after a followed
	// verification link (AutoSignInAfterVerification).
	SignInMethodVerifyEmail = "verify-email"
)

// SignIn is a sign-in whose credentials have been checked: every
// credential flow ends in Auth.SignIn with one.
type SignIn struct {
	// User is the user signing in. Required.
	User *User
	// Method names the flow (SignInMethodEmail, ...; plugins add theirs).
	Method string
	// DontRemember makes a one-day, browser-session session (Better Auth's
	// rememberMe: false).
	DontRemember bool
	// Meta is the client's address and user agent.
	Meta RequestMeta
	// Request is the HTTP request the sign-in answers, for hooks that read
	// its cookies (a trusted-device cookie, say); nil outside the Handler.
	// SignIn fills it from ctx when the Handler serves the request.
	Request *http.Request

	// tx is the transaction the sign-in belongs to (sign-up); nil: none.
	tx Store
}

// Challenge is what a BeforeSignInHook answers instead of a session (a
// second factor, say): the sign-in answers Reply as its JSON body, with
// Cookies set, and no session is created. Over HTTP the answer also
// expires the session cookies (the dont_remember marker is kept, or set
// for a rememberMe: false sign-in, for the step that completes it), as
// Better Auth's two-factor plugin leaves them.
type Challenge struct {
	// Reply is the JSON body, e.g. map[string]any{"twoFactorRedirect": true}.
	Reply any
	// Cookies are set on the response.
	Cookies []*http.Cookie
}

// SessionOptions are the choices behind a new session.
type SessionOptions struct {
	// DontRemember makes the session last one day instead of
	// Session.ExpiresIn.
	DontRemember bool
	// Meta is recorded in the session (address, user agent).
	Meta RequestMeta
}

// BeforeSignInHook is a Plugin that sees every sign-in before its session
// exists. A non-nil Challenge stops the sign-in: it is the answer, and no
// session is created. An error refuses the sign-in (an *APIError reaches
// the client as is).
type BeforeSignInHook interface {
	BeforeSignIn(ctx context.Context, in *SignIn) (*Challenge, error)
}

// AfterSignInHook is a Plugin that runs after a sign-in's session was
// created; the cookies it returns are set on the response. An error
// removes the session again and refuses the sign-in.
type AfterSignInHook interface {
	AfterSignIn(ctx context.Context, in *SignIn, s *Session) ([]*http.Cookie, error)
}

// BeforeCreateSessionHook is a Plugin that sees every new session (sign-in
// or not, e.g. change-password's) before it is stored, and may change its
// ExpiresAt, IPAddress, UserAgent and Additional fields. Token is not set
// yet. An error refuses the session.
type BeforeCreateSessionHook interface {
	BeforeCreateSession(ctx context.Context, s *Session) error
}

// SessionReplyHook is a Plugin that runs when GET /get-session answers
// with a session, and may set response headers (a set-auth-jwt header, say).
type SessionReplyHook interface {
	OnSessionReply(ctx context.Context, h http.Header, sd *SessionData) error
}

// BeforeCreateUserHook is a Plugin that runs inside the transaction that
// creates a user, before the insert; it may change u. An error rolls the
// transaction back and refuses the sign-up. Use tx for every write.
type BeforeCreateUserHook interface {
	BeforeCreateUser(ctx context.Context, tx Store, u *User) error
}

// AfterCreateUserHook is a Plugin that runs inside the transaction that
// creates a user, after the insert (u.ID is set): rows it writes through tx
// commit with the user. An error rolls everything back.
type AfterCreateUserHook interface {
	AfterCreateUser(ctx context.Context, tx Store, u *User) error
}

// BeforeDeleteUserHook is a Plugin that runs inside the transaction that
// deletes a user, before the delete. An error rolls back and refuses.
type BeforeDeleteUserHook interface {
	BeforeDeleteUser(ctx context.Context, tx Store, userID string) error
}

// Hooks are Better Auth's databaseHooks (and a few more) for applications
// that do not want to write a Plugin: each non-nil field runs at its point,
// after the plugins' hooks of the same kind. See the hook interfaces
// (BeforeSignInHook, ...) for what each may do.
type Hooks struct {
	// BeforeCreateUser may change or refuse a user about to be created
	// (inside the transaction), as BeforeCreateUserHook.
	BeforeCreateUser func(ctx context.Context, tx Store, u *User) error
	// AfterCreateUser runs after the insert, inside the transaction; an
	// error rolls the sign-up back (AfterCreateUserHook).
	AfterCreateUser func(ctx context.Context, tx Store, u *User) error
	// BeforeDeleteUser may refuse a deletion, inside its transaction
	// (BeforeDeleteUserHook).
	BeforeDeleteUser func(ctx context.Context, tx Store, userID string) error
	// BeforeCreateSession may fill or refuse a session about to be created
	// (BeforeCreateSessionHook).
	BeforeCreateSession func(ctx context.Context, s *Session) error
	// BeforeSignIn may answer a Challenge instead of a session
	// (BeforeSignInHook).
	BeforeSignIn func(ctx context.Context, in *SignIn) (*Challenge, error)
	// AfterSignIn may return cookies to set once signed in
	// (AfterSignInHook).
	AfterSignIn func(ctx context.Context, in *SignIn, s *Session) ([]*http.Cookie, error)
	// OnSessionReply may set headers on a get-session answer that has a
	// session (SessionReplyHook).
	OnSessionReply func(ctx context.Context, h http.Header, sd *SessionData) error
}

type (
	beforeCreateUserFunc    func(ctx context.Context, tx Store, u *User) error
	afterCreateUserFunc     func(ctx context.Context, tx Store, u *User) error
	beforeDeleteUserFunc    func(ctx context.Context, tx Store, userID string) error
	beforeCreateSessionFunc func(ctx context.Context, s *Session) error
	beforeSignInFunc        func(ctx context.Context, in *SignIn) (*Challenge, error)
	afterSignInFunc         func(ctx context.Context, in *SignIn, s *Session) ([]*http.Cookie, error)
	sessionReplyFunc        func(ctx context.Context, h http.Header, sd *SessionData) error
)

func (f beforeCreateUserFunc) BeforeCreateUser(ctx context.Context, tx Store, u *User) error {
	return f(ctx, tx, u)
}
func (f afterCreateUserFunc) AfterCreateUser(ctx context.Context, tx Store, u *User) error {
	return f(ctx, tx, u)
}
func (f beforeDeleteUserFunc) BeforeDeleteUser(ctx context.Context, tx Store, userID string) error {
	return f(ctx, tx, userID)
}
func (f beforeCreateSessionFunc) BeforeCreateSession(ctx context.Context, s *Session) error {
	return f(ctx, s)
}
func (f beforeSignInFunc) BeforeSignIn(ctx context.Context, in *SignIn) (*Challenge, error) {
	return f(ctx, in)
}
func (f afterSignInFunc) AfterSignIn(ctx context.Context, in *SignIn, s *Session) ([]*http.Cookie, error) {
	return f(ctx, in, s)
}
func (f sessionReplyFunc) OnSessionReply(ctx context.Context, h http.Header, sd *SessionData) error {
	return f(ctx, h, sd)
}

// addFuncs registers the non-nil fields of h.
func (hs *hooks) addFuncs(h Hooks) {
	if h.BeforeCreateUser != nil {
		hs.beforeCreateUser = append(hs.beforeCreateUser, beforeCreateUserFunc(h.BeforeCreateUser))
	}
	if h.AfterCreateUser != nil {
		hs.afterCreateUser = append(hs.afterCreateUser, afterCreateUserFunc(h.AfterCreateUser))
	}
	if h.BeforeDeleteUser != nil {
		hs.beforeDeleteUser = append(hs.beforeDeleteUser, beforeDeleteUserFunc(h.BeforeDeleteUser))
	}
	if h.BeforeCreateSession != nil {
		hs.beforeCreateSession = append(hs.beforeCreateSession, beforeCreateSessionFunc(h.BeforeCreateSession))
	}
	if h.BeforeSignIn != nil {
		hs.beforeSignIn = append(hs.beforeSignIn, beforeSignInFunc(h.BeforeSignIn))
	}
	if h.AfterSignIn != nil {
		hs.afterSignIn = append(hs.afterSignIn, afterSignInFunc(h.AfterSignIn))
	}
	if h.OnSessionReply != nil {
		hs.sessionReply = append(hs.sessionReply, sessionReplyFunc(h.OnSessionReply))
	}
}

// SignIn finishes a sign-in whose credentials were checked: the
// BeforeSignIn hooks (a Challenge ends it there: AuthResult.Challenge, no
// session), the session (CreateSession), then the AfterSignIn hooks (their
// cookies in AuthResult.Cookies). Every credential flow of the core ends
// here; plugins' flows (OAuth, magic link, passkeys) should too.
func (a *Auth) SignIn(ctx context.Context, in SignIn) (*AuthResult, error) {
	if in.User == nil || in.User.ID == "" {
		return nil, errors.New("betterauth: SignIn needs a stored user")
	}
	if in.Request == nil {
		in.Request, _ = ctx.Value(requestKey{}).(*http.Request)
	}
	for _, h := range a.hooks.beforeSignIn {
		ch, err := h.BeforeSignIn(ctx, &in)
		if err != nil {
			return nil, wrapHook(err)
		}
		if ch != nil {
			return &AuthResult{User: in.User, Challenge: ch}, nil
		}
	}
	st := in.tx
	if st == nil {
		st = a.store
	}
	s, err := a.createSession(ctx, st, in.User.ID, SessionOptions{DontRemember: in.DontRemember, Meta: in.Meta})
	if err != nil {
		return nil, err
	}
	res := &AuthResult{User: in.User, Session: s}
	for _, h := range a.hooks.afterSignIn {
		cs, err := h.AfterSignIn(ctx, &in, s)
		if err != nil {
			if in.tx == nil { // in a transaction the rollback removes it
				if derr := a.store.DeleteSession(ctx, a.storedToken(s.Token)); derr != nil && !errors.Is(derr, ErrNotFound) {
					a.logger.ErrorContext(ctx, "betterauth: removing a refused sign-in's session failed", "err", derr)
				}
			}
			return nil, wrapHook(err)
		}
		res.Cookies = append(res.Cookies, cs...)
	}
	return res, nil
}

// CreateSession makes a session for the user, with a fresh random token,
// through the BeforeCreateSession hooks. It is not a sign-in (no sign-in
// hooks run): flows that sign a user in call SignIn.
func (a *Auth) CreateSession(ctx context.Context, userID string, o SessionOptions) (*Session, error) {
	return a.createSession(ctx, a.store, userID, o)
}

// createSession makes a session for the user with a fresh random token
// (never one chosen by the client) in st. DontRemember makes it last one
// day, as Better Auth's rememberMe: false does.
func (a *Auth) createSession(ctx context.Context, st Store, userID string, o SessionOptions) (*Session, error) {
	token, err := randid.ID()
	if err != nil {
		return nil, fmt.Errorf("betterauth: session token: %w", err)
	}
	now := a.clock()
	life := a.cfg.Session.ExpiresIn
	if o.DontRemember {
		life = 24 * time.Hour
	}
	if abs := a.cfg.Session.AbsoluteLifetime; abs > 0 && abs < life {
		life = abs
	}
	s := &Session{
		UserID: userID, ExpiresAt: now.Add(life), CreatedAt: now, UpdatedAt: now,
		IPAddress: o.Meta.IPAddress, UserAgent: o.Meta.UserAgent,
	}
	for _, h := range a.hooks.beforeCreateSession {
		if err := h.BeforeCreateSession(ctx, s); err != nil {
			return nil, wrapHook(err)
		}
	}
	s.Token, s.UserID = a.storedToken(token), userID
	if err := st.CreateSession(ctx, s); err != nil {
		return nil, unavailable("create session", err)
	}
	s.Token = token
	return s, nil
}

// setCookies adds plugin cookies to the response.
func setCookies(w http.ResponseWriter, cs []*http.Cookie) {
	for _, c := range cs {
		if c != nil {
			http.SetCookie(w, c)
		}
	}
}

// writeChallenge answers a sign-in that a hook stopped: no session cookie,
// the dont_remember marker as a sign-in would leave it, the hook's cookies
// and its reply.
func (a *Auth) writeChallenge(w http.ResponseWriter, r *http.Request, ch *Challenge, dontRemember bool) {
	a.expireCookie(w, a.cookies.sessionToken)
	a.expireCookie(w, a.cookies.sessionData)
	if dontRemember {
		addCookie(w, a.cookies.make(a.cookies.dontRemember, encodeCookieValue(SignCookieValue(a.secret, "true"))))
	} else if a.dontRemember(r) {
		a.expireCookie(w, a.cookies.dontRemember)
	}
	setCookies(w, ch.Cookies)
	writeJSON(w, http.StatusOK, ch.Reply)
}
