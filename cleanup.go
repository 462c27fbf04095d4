package betterauth

import (
	"context"
	"sync"
	"time"
)

// CleanupResult counts what DeleteExpired removed.
type CleanupResult struct {
	Sessions      int64
	Verifications int64
}

// cleanupBatch bounds one DELETE, so cleanup never holds long locks.
const cleanupBatch = 1000

// DeleteExpired removes expired sessions and verification rows in batches
// of 1000 (cheap with the expiresAt indexes) and reports how many it
// removed. Expired rows read as absent whether or not this runs.
func (a *Auth) DeleteExpired(ctx context.Context) (CleanupResult, error) {
	var res CleanupResult
	now := a.clock()
	for {
		n, err := a.store.DeleteExpiredSessions(ctx, now, cleanupBatch)
		if err != nil {
			return res, unavailable("delete expired sessions", err)
		}
		res.Sessions += n
		if n < cleanupBatch {
			break
		}
	}
	for {
		n, err := a.store.DeleteExpiredVerifications(ctx, now, cleanupBatch)
		if err != nil {
			return res, unavailable("delete expired verifications", err)
		}
		res.Verifications += n
		if n < cleanupBatch {
			break
		}
	}
	return res, nil
}

// StartCleanup runs DeleteExpired every interval (default 1 hour) until
// the returned stop function or Shutdown is called. Failures are logged.
func (a *Auth) StartCleanup(interval time.Duration) (stop func()) {
	if interval <= 0 {
		interval = time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				res, err := a.DeleteExpired(ctx)
				if err != nil && ctx.Err() == nil {
					a.logger.ErrorContext(ctx, "betterauth: cleanup failed", "err", err)
				} else if res.Sessions+res.Verifications > 0 {
					a.logger.InfoContext(ctx, "betterauth: cleanup", "sessions", res.Sessions, "verifications", res.Verifications)
				}
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	a.cleanupMu.Lock()
	if a.stopCleanup != nil {
		a.stopCleanup()
	}
	a.stopCleanup = stop
	a.cleanupMu.Unlock()
	return stop
}
