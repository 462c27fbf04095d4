package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/go-betterauth/betterauth"
)

var _ betterauth.RateLimitStore = (*Store)(nil)

// rateLimitSQL is the SQL of the rateLimit table (betterauth.RateLimitSchema).
type rateLimitSQL struct {
	// consume and consumeNoID count in one statement: an upsert whose
	// update only happens when the request is allowed, so a refused request
	// returns no row. $1 key, $2 now (ms), $3 window (ms), $4 max, $5 id.
	consume, consumeNoID string
	// last reads a row's lastRequest; $1 key.
	last string
	// prune deletes rows older than $1 (ms).
	prune string
}

// newRateLimitSQL builds the statements when the layout has the rateLimit
// table; nil otherwise.
func newRateLimitSQL(tb *table) *rateLimitSQL {
	if tb == nil {
		return nil
	}
	key, count, last := tb.c("key"), tb.c("count"), tb.c("lastRequest")
	upsert := func(idCol, idVal string) string {
		return fmt.Sprintf("INSERT INTO %[1]s AS r (%[5]s%[2]s, %[3]s, %[4]s) VALUES (%[6]s$1, 1, $2) "+
			"ON CONFLICT (%[2]s) DO UPDATE SET "+
			"%[3]s = CASE WHEN $2 - r.%[4]s >= $3 THEN 1 ELSE r.%[3]s + 1 END, %[4]s = $2 "+
			"WHERE $2 - r.%[4]s >= $3 OR r.%[3]s < $4 RETURNING 1",
			tb.name, key, count, last, idCol, idVal)
	}
	return &rateLimitSQL{
		consume:     upsert(tb.c("id")+", ", "$5, "),
		consumeNoID: upsert("", ""),
		last:        fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1", last, tb.name, key),
		prune:       fmt.Sprintf("DELETE FROM %s WHERE %s < $1", tb.name, last),
	}
}

func (s *Store) rateLimitSQL(op string) (*rateLimitSQL, error) {
	if s.sql.rateLimit == nil {
		_, err := s.layout.ExtensionTable(betterauth.RateLimitModel)
		return nil, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return s.sql.rateLimit, nil
}

// ConsumeRateLimit implements betterauth.RateLimitStore: one INSERT ... ON
// CONFLICT DO UPDATE, atomic under concurrency (PostgreSQL locks the row),
// and for a refused request a second statement that reads lastRequest.
func (s *Store) ConsumeRateLimit(ctx context.Context, key string, now time.Time, rule betterauth.RateLimitRule) (bool, time.Time, error) {
	const op = "consume rate limit"
	q, err := s.rateLimitSQL(op)
	if err != nil {
		return false, time.Time{}, err
	}
	nowMS := now.UnixMilli()
	stmt, args := q.consumeNoID, []any{key, nowMS, rule.Window.Milliseconds(), rule.Max}
	id, withID, err := s.newID("")
	if err != nil {
		return false, time.Time{}, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	if withID {
		stmt, args = q.consume, append(args, id)
	}
	var one int
	err = s.q.QueryRow(ctx, stmt, args...).Scan(&one)
	if err == nil {
		return true, now, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, time.Time{}, mapErr(op, err)
	}
	// Refused. The row has just been seen; should it be gone by now (an
	// old row is never refused, so never pruned in between), the request
	// stays refused for a window from now.
	var last int64
	switch err := s.q.QueryRow(ctx, q.last, key).Scan(&last); {
	case errors.Is(err, pgx.ErrNoRows):
		last = nowMS
	case err != nil:
		return false, time.Time{}, mapErr(op, err)
	}
	return false, time.UnixMilli(last).UTC(), nil
}

// DeleteRateLimits implements betterauth.RateLimitStore.
func (s *Store) DeleteRateLimits(ctx context.Context, before time.Time) (int64, error) {
	const op = "delete rate limits"
	q, err := s.rateLimitSQL(op)
	if err != nil {
		return 0, err
	}
	tag, err := s.q.Exec(ctx, q.prune, before.UnixMilli())
	if err != nil {
		return 0, mapErr(op, err)
	}
	return tag.RowsAffected(), nil
}
