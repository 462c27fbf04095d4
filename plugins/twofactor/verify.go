package twofactor

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/randid"
)

// challengeAttempts is how many wrong codes one challenge takes (Better
// Auth's beginAttempt(5)); the next try ends it.
const challengeAttempts = 5

// pending is the subject of a verification: a challenged sign-in (its
// challenge id, from the two_factor cookie) or a signed-in user.
type pending struct {
	user *betterauth.User
	// session is the caller's session; nil for a challenged sign-in.
	session *betterauth.SessionData
	// challenge is the challenge id; expires is its row's expiry.
	challenge string
	expires   time.Time
}

// signIn reports whether this completes a challenged sign-in.
func (v *pending) signIn() bool { return v.session == nil }

// key names the pending verification in OTP rows: the challenge id, or
// "<userId>!<sessionId>" for a signed-in user.
func (v *pending) key() string {
	if v.signIn() {
		return v.challenge
	}
	return v.user.ID + "!" + v.session.Session.ID
}

// begin finds what a verify or send-otp request is about: the caller's
// session if it has one, else the challenge its two_factor cookie names.
func (p *Plugin) begin(r *http.Request) (*pending, error) {
	ctx := r.Context()
	sd, err := p.auth.ResolveSession(ctx, r)
	if err != nil {
		return nil, err
	}
	if sd != nil {
		return &pending{user: sd.User, session: sd}, nil
	}
	id, ok := p.auth.SignedCookie(r, p.auth.CookieName(ChallengeCookie))
	if !ok {
		return nil, ErrInvalidTwoFactorCookie
	}
	v, err := p.auth.FindVerification(ctx, id)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, ErrInvalidTwoFactorCookie
	}
	u, err := p.auth.Store().GetUserByID(ctx, v.Value)
	if err != nil {
		if isNotFound(err) {
			return nil, ErrInvalidTwoFactorCookie
		}
		return nil, storeErr("find user", err)
	}
	return &pending{user: u, challenge: id, expires: v.ExpiresAt}, nil
}

// attempt is one try on a challenge: Better Auth counts wrong codes per
// challenge in the row "2fa-attempts-<id>", taken while the try runs.
type attempt struct {
	p     *Plugin
	v     *pending
	count int
}

// beginAttempt takes the challenge's attempt count; a challenge that has
// had challengeAttempts wrong codes is ended (400
// TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE, the cookie expired). For a signed-in
// user there is no count (nil).
func (p *Plugin) beginAttempt(ctx context.Context, w http.ResponseWriter, v *pending) (*attempt, error) {
	if !v.signIn() {
		return nil, nil
	}
	row, err := p.auth.ConsumeVerification(ctx, "2fa-attempts-"+v.challenge)
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, ErrInvalidTwoFactorCookie
	}
	n, perr := strconv.Atoi(row.Value)
	if perr != nil || n < 0 {
		n = challengeAttempts
	}
	if n >= challengeAttempts {
		p.auth.ExpireCookie(w, p.auth.CookieName(ChallengeCookie))
		if _, err := p.auth.ConsumeVerification(ctx, v.challenge); err != nil {
			return nil, err
		}
		return nil, ErrTooManyAttempts
	}
	return &attempt{p: p, v: v, count: n}, nil
}

// rearm writes the count back, for the challenge's remaining life.
func (a *attempt) rearm(ctx context.Context, n int) error {
	_, err := a.p.auth.CreateVerification(ctx, "2fa-attempts-"+a.v.challenge, strconv.Itoa(n), a.v.expires.Sub(a.p.auth.Now()))
	return err
}

// failed counts a wrong code; restore puts the count back unchanged (the
// try did not get to compare a code).
func (a *attempt) failed(ctx context.Context) error {
	if a == nil {
		return nil
	}
	return a.rearm(ctx, a.count+1)
}

func (a *attempt) restore(ctx context.Context) error {
	if a == nil {
		return nil
	}
	return a.rearm(ctx, a.count)
}

// complete answers a verified request. A challenged sign-in is ended (its
// row taken: one challenge makes one session) and its session created and
// set, with the rememberMe choice of the sign-in; trustDevice then marks
// the device. A signed-in user gets its session back.
func (p *Plugin) complete(w http.ResponseWriter, r *http.Request, v *pending, method string, trustDevice bool) error {
	ctx := r.Context()
	if !v.signIn() {
		return p.reply(w, v.session.Session.Token, v.user)
	}
	ch, err := p.auth.ConsumeVerification(ctx, v.challenge)
	if err != nil {
		return err
	}
	if ch == nil {
		p.auth.ExpireCookie(w, p.auth.CookieName(ChallengeCookie))
		return ErrInvalidTwoFactorCookie
	}
	dontRemember := p.auth.DontRemember(r)
	s, err := p.auth.CreateSession(ctx, v.user.ID, betterauth.SessionOptions{DontRemember: dontRemember, Meta: p.auth.RequestMeta(r)})
	if err != nil {
		return err
	}
	var trust *http.Cookie
	if trustDevice {
		if trust, err = p.trustDevice(ctx, v.user.ID); err != nil {
			return err
		}
	}
	p.auth.SetSessionCookie(w, r, s, dontRemember)
	p.auth.ExpireCookie(w, p.auth.CookieName(ChallengeCookie))
	if trust != nil {
		http.SetCookie(w, trust)
		p.auth.ExpireCookie(w, p.auth.CookieName("dont_remember"))
	}
	p.auth.Audit(ctx, slog.LevelInfo, betterauth.EventLoginSuccess, v.user.ID, slog.String("reason", "two_factor"), slog.String("method", method))
	return p.reply(w, s.Token, v.user)
}

// reply is the verify endpoints' {token, user}.
func (p *Plugin) reply(w http.ResponseWriter, token string, u *betterauth.User) error {
	betterauth.WriteJSON(w, http.StatusOK, struct {
		Token string         `json:"token,omitempty"`
		User  json.Marshaler `json:"user"`
	}{token, p.auth.UserJSON(u)})
	return nil
}

// trustToken binds a trust id to the user: base64url(HMAC-SHA256(secret,
// "<userId>!<trustId>")), unpadded, as Better Auth.
func (p *Plugin) trustToken(userID, trustID string) string {
	return base64.RawURLEncoding.EncodeToString(p.auth.MAC(userID + "!" + trustID))
}

// trustDevice stores a new trust id for the user (TrustDeviceMaxAge) and
// returns the trust_device cookie that carries it.
func (p *Plugin) trustDevice(ctx context.Context, userID string) (*http.Cookie, error) {
	suffix, err := randid.String(32, randomAlphabet)
	if err != nil {
		return nil, err
	}
	id := "trust-device-" + suffix
	if _, err := p.auth.CreateVerification(ctx, id, userID, p.opts.TrustDeviceMaxAge); err != nil {
		return nil, err
	}
	return p.auth.NewSignedCookie(p.auth.CookieName(TrustDeviceCookie), p.trustToken(userID, id)+"!"+id, int(p.opts.TrustDeviceMaxAge/time.Second)), nil
}

// readTrustCookie returns the trust id of a validly signed trust_device
// cookie bound to the user (present reports a signed cookie at all).
func (p *Plugin) readTrustCookie(r *http.Request, userID string) (trustID string, present bool) {
	if r == nil {
		return "", false
	}
	val, ok := p.auth.SignedCookie(r, p.auth.CookieName(TrustDeviceCookie))
	if !ok {
		return "", false
	}
	token, id, ok := strings.Cut(val, "!")
	if !ok {
		return "", true
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(p.trustToken(userID, id))) != 1 {
		return "", true
	}
	return id, true
}

// expiredCookie is a cookie that deletes name, for a Challenge.
func (p *Plugin) expiredCookie(name string) *http.Cookie {
	c := p.auth.NewSignedCookie(p.auth.CookieName(name), "", 0)
	c.Value, c.MaxAge = "", -1
	return c
}

// auditFail records a wrong code of a challenged sign-in in the audit log.
func (p *Plugin) auditFail(ctx context.Context, v *pending, method string) {
	if v.signIn() {
		p.auth.Audit(ctx, slog.LevelWarn, betterauth.EventLoginFail, v.user.ID, slog.String("reason", "two_factor"), slog.String("method", method))
	}
}

// firstErr returns err, or second when err is nil: a failure to put the
// attempt count back matters less than the failure that led there.
func firstErr(err, second error) error {
	if err != nil {
		return err
	}
	return second
}
