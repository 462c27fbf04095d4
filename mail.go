package betterauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
)

// Email is what a Send* callback gets: whom to write to and the link to put
// in the mail. Sending mail is the application's job.
type Email struct {
	// User is the account the mail is about. For a verification of a new
	// address (change email), User.Email is already the new address.
	User *User
	// To is the address to send to.
	To string
	// URL is the link the user follows; Token is the secret inside it.
	URL   string
	Token string
	// NewEmail is the requested address, in a change-email confirmation
	// sent to the old one.
	NewEmail string
}

// SendEmailFunc sends one mail. It gets a context bounded by
// Config.MailTimeout and should honour it.
type SendEmailFunc func(ctx context.Context, e Email) error

// ErrSendEmail is returned when a mail callback failed while the caller
// waited for it.
var ErrSendEmail = errSendEmail.clone()

// sendNow calls fn within MailTimeout (not cut short when the request's
// client goes away) and reports a failure as ErrSendEmail. A recipient
// over RateLimitConfig.MailPerAddress gets nothing: the error is then a
// *RateLimitError. When the rate-limit storage fails nothing is sent
// either, and the error wraps ErrUnavailable.
func (a *Auth) sendNow(ctx context.Context, kind string, fn SendEmailFunc, e Email) error {
	if err := a.allowMail(ctx, e.To); err != nil {
		if !errors.Is(err, ErrTooManyRequests) {
			a.logger.ErrorContext(ctx, "betterauth: mail not sent: the rate-limit storage failed", "kind", kind, "err", err)
			return err
		}
		var userID string
		if e.User != nil {
			userID = e.User.ID
		}
		a.audit(ctx, slog.LevelWarn, EventRateLimitExceeded, userID, slog.String("reason", "mail_per_address"), slog.String("kind", kind))
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.MailTimeout)
	defer cancel()
	if err := fn(ctx, e); err != nil {
		a.logger.ErrorContext(ctx, "betterauth: sending mail failed", "kind", kind, "err", err)
		return errSendEmail
	}
	return nil
}

// sendLater calls fn in the background, after the response, within
// MailTimeout (sendNow logs a failure). Shutdown waits for it.
func (a *Auth) sendLater(ctx context.Context, kind string, fn SendEmailFunc, e Email) {
	a.goBackground(ctx, func(ctx context.Context) {
		_ = a.sendNow(ctx, kind, fn, e)
	})
}

// goBackground runs fn after the response, tracked so that Shutdown waits
// for it, with ctx detached from the request: fn keeps its values (the
// client address of audit records) but not its deadline or cancellation,
// and must bound its own work.
func (a *Auth) goBackground(ctx context.Context, fn func(context.Context)) {
	ctx = context.WithoutCancel(ctx)
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		fn(ctx)
	}()
}

// Shutdown waits for mail being sent in the background and stops the
// cleanup loop. Call it when the server stops; it returns ctx's error if
// ctx ends first.
func (a *Auth) Shutdown(ctx context.Context) error {
	a.cleanupMu.Lock()
	if a.stopCleanup != nil {
		a.stopCleanup()
		a.stopCleanup = nil
	}
	a.cleanupMu.Unlock()
	done := make(chan struct{})
	go func() {
		a.bg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.Join(errors.New("betterauth: shutdown: mail still being sent"), ctx.Err())
	}
}

// The values the library answers with. The exported errors are copies of
// them, so an importer that changes one changes nothing the library sends.
var (
	errSendEmail = &APIError{Status: http.StatusInternalServerError, Code: "FAILED_TO_SEND_EMAIL", Message: "Failed to send email"}
)
