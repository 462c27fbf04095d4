package betterauth

import (
	"context"
	"log/slog"
	"net/http"
)

// Audit event names, from the OWASP Logging Vocabulary Cheat Sheet. Each
// audit record is one log/slog record whose message is the event name, with
// the attributes "user_id" (when known), "ip" and "user_agent" (when the
// event came through Handler or the middleware) and, where it helps,
// "reason". A record never holds a password, token, cookie or hash.
const (
	// EventUserCreated: a sign-up created a user.
	EventUserCreated = "user_created"
	// EventUserUpdated: a user's email changed (reason "email_change") or
	// was verified (reason "email_verified"); plugins add theirs (the
	// two-factor plugin: "two_factor_enabled", "two_factor_disabled").
	EventUserUpdated = "user_updated"
	// EventUserDeleted: a user was deleted.
	EventUserDeleted = "user_deleted"
	// EventLoginSuccess: a sign-in (or a sign-up that signs in, reason
	// "sign_up"; the second step of a challenged sign-in, reason
	// "two_factor") created a session.
	EventLoginSuccess = "authn_login_success"
	// EventLoginFail: a sign-in was refused (unknown email, wrong password,
	// unverified email, locked account).
	EventLoginFail = "authn_login_fail"
	// EventLoginLock: an account reached MaxFailedSignIns and is locked.
	EventLoginLock = "authn_login_lock"
	// EventPasswordChange: a password was changed (reason "change_password"
	// or, when a reset link was used, "reset").
	EventPasswordChange = "authn_password_change"
	// EventPasswordChangeFail: a wrong current password at change-password,
	// verify-password or delete-user, or one refused because the account is
	// locked (reason "locked").
	EventPasswordChangeFail = "authn_password_change_fail"
	// EventTokenCreated: a reset or deletion link was issued (reason
	// "reset_password", "delete_account").
	EventTokenCreated = "authn_token_created"
	// EventSessionExpired: a session ended (reason "logout", "revoked" by
	// revoke-session(s), or "timeout": an expired session was presented
	// and its row deleted).
	EventSessionExpired = "session_expired"
	// EventRateLimitExceeded: a request was refused with 429 ("path" names
	// the route), or a mail was not sent because its address had its share
	// (reason "mail_per_address", with "kind").
	EventRateLimitExceeded = "excess_rate_limit_exceeded"
	// EventCORSRefused: a cross-site request was refused (bad or missing
	// Origin, cross-site navigation to sign-in).
	EventCORSRefused = "malicious_cors"
	// EventInputValidationFail: a redirect target (callbackURL and the like)
	// was refused.
	EventInputValidationFail = "input_validation_fail"
)

// requestKey carries the request being served, so that audit records of
// HTTP-free code paths can name its client address and user agent. They
// are worked out only when a record is written, not on every request.
type requestKey struct{}

// withRequest returns ctx carrying r for audit records.
func withRequest(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// Audit writes one audit record to Config.AuditLogger, as the library's
// own: the message is event (one of the Event names, or a plugin's in the
// same vocabulary), with "user_id" (unless userID is ""), the client's
// "ip" and "user_agent" when ctx is a Handler request's, then attrs. Never
// pass a secret in attrs.
func (a *Auth) Audit(ctx context.Context, level slog.Level, event, userID string, attrs ...slog.Attr) {
	a.audit(ctx, level, event, userID, attrs...)
}

// audit writes one audit record to Config.AuditLogger. userID may be "".
func (a *Auth) audit(ctx context.Context, level slog.Level, event, userID string, attrs ...slog.Attr) {
	l := a.auditLogger
	if !l.Enabled(ctx, level) {
		return
	}
	all := make([]slog.Attr, 0, 3+len(attrs))
	if userID != "" {
		all = append(all, slog.String("user_id", userID))
	}
	if r, ok := ctx.Value(requestKey{}).(*http.Request); ok {
		m := a.RequestMeta(r)
		all = append(all, slog.String("ip", m.IPAddress), slog.String("user_agent", m.UserAgent))
	}
	all = append(all, attrs...)
	l.LogAttrs(ctx, level, event, all...)
}
