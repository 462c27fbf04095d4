package betterauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/secondary"
)

// The values of RateLimitConfig.Storage, as Better Auth's rateLimit.storage.
const (
	// RateLimitStorageMemory counts in this process's memory: each replica
	// counts on its own. Better Auth's default without secondary storage.
	RateLimitStorageMemory = "memory"
	// RateLimitStorageDatabase counts in Better Auth's rateLimit table, in
	// Config.Store (a RateLimitStore), shared by every replica and by a
	// Better Auth server on the same database. The store and the migrations
	// need RateLimitSchema.
	RateLimitStorageDatabase = "database"
	// RateLimitStorageSecondary counts in Config.SecondaryStorage under
	// Better Auth's keys ("<ip>|<path>", "better-auth:"-prefixed on Redis),
	// shared by every replica and by a Better Auth server on the same Redis.
	// The default when Config.SecondaryStorage is set, as in Better Auth.
	RateLimitStorageSecondary = "secondary-storage"
)

// RateLimitModel is the model name of Better Auth's rateLimit table, the
// table of RateLimitSchema.
const RateLimitModel = "rateLimit"

// RateLimitSchema is Better Auth's rateLimit table (id, key unique, count,
// lastRequest as epoch milliseconds in a bigint), which
// RateLimitConfig.Storage "database" counts in. Better Auth's migrator
// creates it only with that storage; likewise, pass it to the store's New
// and to the migrations after the plugins' extensions:
//
//	exts := append(betterauth.PluginSchemas(plugins...), betterauth.RateLimitSchema())
//
// Schema.Models["rateLimit"] renames it (Better Auth's rateLimit.modelName
// and fields).
func RateLimitSchema() schema.Extension {
	return schema.Extension{Tables: []schema.TableDef{{Model: RateLimitModel, Fields: []schema.FieldDef{
		{Name: "key", AdditionalField: schema.AdditionalField{Type: schema.FieldString, Unique: true}},
		{Name: "count", AdditionalField: schema.AdditionalField{Type: schema.FieldNumber}},
		{Name: "lastRequest", AdditionalField: schema.AdditionalField{Type: schema.FieldNumber, BigInt: true}},
	}}}}
}

// RateLimitStore is a Store that counts in Better Auth's rateLimit table
// (RateLimitSchema), as RateLimitConfig.Storage "database" needs; memstore
// and pgstore are RateLimitStores when built with RateLimitSchema. Another
// store proves itself with storetest.RunRateLimit.
type RateLimitStore interface {
	// ConsumeRateLimit counts one request under key at now, in one atomic
	// step, with Better Auth's rule: without a row, or when the row's
	// lastRequest is rule.Window or more before now, the row becomes count 1
	// and lastRequest now (allowed); when its count is below rule.Max, count
	// grows by one and lastRequest becomes now (allowed); otherwise nothing
	// changes (refused), and lastRequest is the row's. lastRequest is kept
	// as epoch milliseconds.
	ConsumeRateLimit(ctx context.Context, key string, now time.Time, rule RateLimitRule) (allowed bool, lastRequest time.Time, err error)
	// DeleteRateLimits deletes the rows whose lastRequest is before t and
	// reports how many there were.
	DeleteRateLimits(ctx context.Context, before time.Time) (int64, error)
}

// RateLimitStorage counts requests for the rate limits: Better Auth's
// rateLimit.customStorage, with its consume. Set one as
// RateLimitConfig.CustomStorage to count somewhere else than the three
// built-in storages. It must be safe for concurrent use, and atomic across
// the replicas that share it.
type RateLimitStorage interface {
	// Consume counts one request under key against rule and says whether
	// it may go on; when not, retryAfter is how long until it would be
	// allowed (sent as X-Retry-After, in whole seconds rounded up). Keys are
	// "<ip>|<path>" as in Better Auth (and other keys of this library's own
	// limits). An error means the storage failed: the request is answered
	// 503, never let through, and the error should wrap ErrUnavailable or
	// ctx.Err().
	Consume(ctx context.Context, key string, rule RateLimitRule) (allowed bool, retryAfter time.Duration, err error)
}

// memoryRateStorage is the memory storage: one process's rateLimiter.
type memoryRateStorage struct{ l *rateLimiter }

func (m memoryRateStorage) Consume(_ context.Context, key string, rule RateLimitRule) (bool, time.Duration, error) {
	ok, wait := m.l.allow(key, rule)
	return ok, wait, nil
}

// secondaryRateStorage counts as Better Auth does in secondary storage: a
// fixed window opened by the first request (Increment sets the expiry only
// then), every request counted, refused requests too; over rule.Max the
// request is refused with Retry-After = the whole window.
type secondaryRateStorage struct{ ss secondary.Storage }

func (s secondaryRateStorage) Consume(ctx context.Context, key string, rule RateLimitRule) (bool, time.Duration, error) {
	n, err := s.ss.Increment(ctx, key, rule.Window)
	if err != nil {
		return false, 0, ssErr("rate limit", err)
	}
	if n > int64(rule.Max) {
		return false, rule.Window, nil
	}
	return true, 0, nil
}

// databaseRateStorage counts in the rateLimit table of a RateLimitStore,
// and deletes rows older than the longest window of its rules, as
// Better Auth does, but at most once per that window in each process
// (Better Auth deletes at every window reset; each delete scans the table).
type databaseRateStorage struct {
	st     RateLimitStore
	now    func() time.Time
	logger func(ctx context.Context, msg string, err error)

	mu        sync.Mutex
	longest   time.Duration
	lastPrune time.Time
}

func (d *databaseRateStorage) Consume(ctx context.Context, key string, rule RateLimitRule) (bool, time.Duration, error) {
	now := d.now()
	ok, last, err := d.st.ConsumeRateLimit(ctx, key, now, rule)
	if err != nil {
		return false, 0, unavailable("rate limit", err)
	}
	d.prune(ctx, now)
	if !ok {
		return false, last.Add(rule.Window).Sub(now), nil
	}
	return true, 0, nil
}

// prune deletes the rows no window can count any more (lastRequest older
// than the longest window), once per longest window. A failure is
// logged: the rows stay for the next prune.
func (d *databaseRateStorage) prune(ctx context.Context, now time.Time) {
	d.mu.Lock()
	due := now.Sub(d.lastPrune) >= d.longest
	if due {
		d.lastPrune = now
	}
	cutoff := now.Add(-d.longest)
	d.mu.Unlock()
	if !due {
		return
	}
	if _, err := d.st.DeleteRateLimits(ctx, cutoff); err != nil {
		d.logger(ctx, "betterauth: deleting old rate-limit rows failed", err)
	}
}

// newRateStorage builds the storage RateLimitConfig.Storage names (the
// config has its defaults), once the routes are mounted; raw is
// Config.Store before secondary storage is put in front of it.
func (a *Auth) newRateStorage(raw Store) (RateLimitStorage, error) {
	rl := a.cfg.RateLimit
	// A rule without a window would never count (memory, database) or
	// fail every request (secondary storage).
	for _, m := range a.routes {
		if m.rule.Window <= 0 || m.rule.Max < 0 {
			return nil, fmt.Errorf("betterauth: the rate limit of route %s %s has Window %v and Max %d: want a positive window and a Max of 0 or more", m.Method, m.Path, m.rule.Window, m.rule.Max)
		}
	}
	for p, r := range rl.CustomRules {
		if r.Window <= 0 || r.Max < 0 {
			return nil, fmt.Errorf("betterauth: RateLimit.CustomRules[%q] has Window %v and Max %d: want a positive window and a Max of 0 or more", p, r.Window, r.Max)
		}
	}
	if rl.CustomStorage != nil {
		return rl.CustomStorage, nil
	}
	switch rl.Storage {
	case RateLimitStorageMemory:
		return memoryRateStorage{newRateLimiter(a.now, maxRateKeys)}, nil
	case RateLimitStorageSecondary:
		if a.cfg.SecondaryStorage == nil {
			return nil, errors.New("betterauth: RateLimit.Storage \"secondary-storage\" needs Config.SecondaryStorage")
		}
		return secondaryRateStorage{a.cfg.SecondaryStorage}, nil
	case RateLimitStorageDatabase:
		st, ok := raw.(RateLimitStore)
		if !ok {
			return nil, errors.New("betterauth: RateLimit.Storage \"database\" needs a Store that keeps the rateLimit table (a RateLimitStore, as memstore and pgstore are)")
		}
		if _, err := a.layout.ExtensionTable(RateLimitModel); err != nil {
			return nil, fmt.Errorf("betterauth: %w: RateLimit.Storage \"database\" needs the rateLimit table, which the store was not built with: pass betterauth.RateLimitSchema() to the store's New and to the migrations", schema.ErrInvalidSchema)
		}
		// The longest window of any rule, as in Better Auth.
		longest := rl.Window
		for _, m := range a.routes {
			longest = max(longest, m.rule.Window)
		}
		for _, r := range rl.CustomRules {
			longest = max(longest, r.Window)
		}
		if rl.MailPerAddress.Max > 0 {
			longest = max(longest, rl.MailPerAddress.Window)
		}
		return &databaseRateStorage{st: st, now: a.clock, longest: longest, logger: func(ctx context.Context, msg string, err error) {
			a.logger.ErrorContext(ctx, msg, "err", err)
		}}, nil
	}
	return nil, fmt.Errorf("betterauth: RateLimit.Storage %q: want %q, %q or %q", rl.Storage, RateLimitStorageMemory, RateLimitStorageDatabase, RateLimitStorageSecondary)
}

// mailKey is the rate-limit key of a mail recipient in a shared storage:
// a keyed hash of the address, so that addresses do not show in Redis or
// the rateLimit table, and every replica (same secret) agrees on it.
func (a *Auth) mailKey(addr string) string {
	m := hmac.New(sha256.New, []byte(a.secret))
	m.Write([]byte("betterauth mail-per-address\x00" + addr))
	return "mail-per-address|" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
