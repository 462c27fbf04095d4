// Package pgstore is the PostgreSQL betterauth.Store, on a *pgxpool.Pool.
//
// Its SQL is built once, in New, from the schema's layout (quoted
// identifiers, so renamed tables and columns, reserved words such as "user"
// and additional fields all work). Every operation is one round trip
// (IncrementVerification excepted: a short transaction that takes an
// advisory lock); GetSessionByToken joins the session and its user. PostgreSQL errors are
// mapped to betterauth's sentinels (unique violation → ErrConflict, missing
// row or referenced user → ErrNotFound), so callers never import pgx.
//
// It reads and writes Better Auth's own tables (text or uuid ids,
// timestamptz or timestamp columns, camelCase or snake_case names), and
// writes every time in UTC.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/randid"
	"github.com/go-betterauth/betterauth/schema"
)

// querier is what a pool and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store is the PostgreSQL betterauth.Store. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	q      querier
	inTx   bool
	layout *schema.Layout
	sql    *statements
}

var (
	_ betterauth.LayoutStore = (*Store)(nil)
	_ betterauth.TableStore  = (*Store)(nil)
)

// New returns a store that runs on pool with the given schema and
// extensions (whose tables it serves through betterauth.TableStore). It
// checks the schema but does not touch the database; run the migrations
// (package migrations, with the same extensions) first.
func New(pool *pgxpool.Pool, sch schema.Schema, ext ...schema.Extension) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: nil pool")
	}
	layout, err := sch.Layout(ext...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return &Store{pool: pool, q: pool, layout: layout, sql: buildStatements(layout)}, nil
}

// Layout returns the resolved schema the store was built with; betterauth.New
// takes Config.Schema from it.
func (s *Store) Layout() *schema.Layout { return s.layout }

// InTx implements betterauth.Store. The transaction uses PostgreSQL's
// default isolation (read committed).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx betterauth.Store) error) error {
	if s.inTx {
		return fn(ctx, s)
	}
	return s.tx(ctx, func(tx *Store) error { return fn(ctx, tx) })
}

// tx runs fn with a store bound to a transaction: the current one inside
// InTx, else a new one.
func (s *Store) tx(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	// BeginFunc rolls back when fn fails or panics, and commits otherwise.
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return fn(&Store{pool: s.pool, q: tx, inTx: true, layout: s.layout, sql: s.sql})
	})
}

// mapErr turns PostgreSQL errors into betterauth's sentinels. The error text
// never includes row values (PostgreSQL puts them in the detail, which is
// dropped), so tokens and emails do not reach logs.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgstore: %s: %w", op, betterauth.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("pgstore: %s: %s: %w", op, pgErr.ConstraintName, betterauth.ErrConflict)
		case "23503": // foreign_key_violation: the referenced user is missing
			return fmt.Errorf("pgstore: %s: referenced row missing: %w", op, betterauth.ErrNotFound)
		case "22P02": // invalid_text_representation: e.g. "abc" as a uuid id
			return fmt.Errorf("pgstore: %s: malformed id: %w", op, betterauth.ErrNotFound)
		case "23502": // not_null_violation
			return fmt.Errorf("pgstore: %s: column %s is required: %w", op, pgErr.ColumnName, schema.ErrInvalidField)
		}
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// needID reports whether the store must make the id (schema.IDModeDefault) and
// whether the insert includes the id column at all.
func (s *Store) newID(id string) (string, bool, error) {
	if id != "" {
		return id, true, nil
	}
	if s.layout.IDMode == schema.IDModeUUID {
		return "", false, nil // the column default, gen_random_uuid(), makes it
	}
	v, err := randid.ID()
	return v, true, err
}

// --- users ---

// CreateUser implements betterauth.UserStore.
func (s *Store) CreateUser(ctx context.Context, u *betterauth.User) error {
	t := s.sql.user
	add, err := t.t.PrepareAdditional(u.Additional, true)
	if err != nil {
		return fmt.Errorf("pgstore: create user: %w", err)
	}
	v := *u
	v.Email = strings.ToLower(v.Email)
	id, withID, err := s.newID(v.ID)
	if err != nil {
		return fmt.Errorf("pgstore: create user: %w", err)
	}
	v.ID = id
	args, err := userArgs(t.t, &v, add, withID)
	if err != nil {
		return fmt.Errorf("pgstore: create user: %w", err)
	}
	stmt := t.insert
	if !withID {
		stmt = t.insertNoID
	}
	got, err := s.scanUser(ctx, "create user", stmt, args...)
	if err != nil {
		return err
	}
	*u = *got
	return nil
}

func (s *Store) scanUser(ctx context.Context, op, stmt string, args ...any) (*betterauth.User, error) {
	var sc userScan
	if err := s.q.QueryRow(ctx, stmt, args...).Scan(sc.dests(s.layout.User)...); err != nil {
		return nil, mapErr(op, err)
	}
	u, err := sc.user(s.layout.User)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return u, nil
}

// GetUserByID implements betterauth.UserStore.
func (s *Store) GetUserByID(ctx context.Context, id string) (*betterauth.User, error) {
	return s.scanUser(ctx, "get user", s.sql.userByID, id)
}

// GetUserByEmail implements betterauth.UserStore.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*betterauth.User, error) {
	return s.scanUser(ctx, "get user by email", s.sql.userByEmail, strings.ToLower(email))
}

// UpdateUser implements betterauth.UserStore.
func (s *Store) UpdateUser(ctx context.Context, id string, upd betterauth.UserUpdate) (*betterauth.User, error) {
	t := s.sql.user
	add, err := t.t.PrepareAdditional(upd.Additional, false)
	if err != nil {
		return nil, fmt.Errorf("pgstore: update user: %w", err)
	}
	var fields []string
	var args []any
	set := func(f string, v any) { fields, args = append(fields, f), append(args, v) }
	if upd.Name != nil {
		set("name", *upd.Name)
	}
	if upd.Email != nil {
		set("email", strings.ToLower(*upd.Email))
	}
	if upd.EmailVerified != nil {
		set("emailVerified", *upd.EmailVerified)
	}
	if upd.Image != nil {
		set("image", nullString(*upd.Image))
	}
	for _, c := range t.t.AdditionalColumns() {
		if v, ok := add[c.Field]; ok {
			a, err := additionalArg(c, v)
			if err != nil {
				return nil, fmt.Errorf("pgstore: update user: %w", err)
			}
			set(c.Field, a)
		}
	}
	set("updatedAt", orNow(upd.UpdatedAt))
	return s.scanUser(ctx, "update user", t.update(fields, "id"), append(args, id)...)
}

// DeleteUser implements betterauth.UserStore.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	tag, err := s.q.Exec(ctx, s.sql.deleteUser, id)
	if err != nil {
		if err := restricted("delete user", err); err != nil {
			return err
		}
		return mapErr("delete user", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: delete user: %w", betterauth.ErrNotFound)
	}
	return nil
}

// --- sessions ---

// CreateSession implements betterauth.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess *betterauth.Session) error {
	t := s.sql.session
	add, err := t.t.PrepareAdditional(sess.Additional, true)
	if err != nil {
		return fmt.Errorf("pgstore: create session: %w", err)
	}
	v := *sess
	id, withID, err := s.newID(v.ID)
	if err != nil {
		return fmt.Errorf("pgstore: create session: %w", err)
	}
	v.ID = id
	args, err := sessionArgs(t.t, &v, add, withID)
	if err != nil {
		return fmt.Errorf("pgstore: create session: %w", err)
	}
	stmt := t.insert
	if !withID {
		stmt = t.insertNoID
	}
	got, err := s.scanSession(ctx, "create session", stmt, args...)
	if err != nil {
		return err
	}
	*sess = *got
	return nil
}

func (s *Store) scanSession(ctx context.Context, op, stmt string, args ...any) (*betterauth.Session, error) {
	var sc sessionScan
	if err := s.q.QueryRow(ctx, stmt, args...).Scan(sc.dests(s.layout.Session)...); err != nil {
		return nil, mapErr(op, err)
	}
	v, err := sc.session(s.layout.Session)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return v, nil
}

// GetSessionByToken implements betterauth.SessionStore: one query joining
// the session and its user.
func (s *Store) GetSessionByToken(ctx context.Context, token string) (*betterauth.Session, *betterauth.User, error) {
	var ss sessionScan
	var us userScan
	dests := append(ss.dests(s.layout.Session), us.dests(s.layout.User)...)
	if err := s.q.QueryRow(ctx, s.sql.sessionByToken, token).Scan(dests...); err != nil {
		return nil, nil, mapErr("get session", err)
	}
	sess, err := ss.session(s.layout.Session)
	if err != nil {
		return nil, nil, fmt.Errorf("pgstore: get session: %w", err)
	}
	u, err := us.user(s.layout.User)
	if err != nil {
		return nil, nil, fmt.Errorf("pgstore: get session: %w", err)
	}
	return sess, u, nil
}

// ListSessions implements betterauth.SessionStore.
func (s *Store) ListSessions(ctx context.Context, userID string, liveAt time.Time) ([]betterauth.Session, error) {
	stmt, args := s.sql.listSessions, []any{userID}
	if !liveAt.IsZero() {
		stmt, args = s.sql.listLiveSessions, append(args, liveAt.UTC())
	}
	rows, err := s.q.Query(ctx, stmt, args...)
	if err != nil {
		return nil, mapErr("list sessions", err)
	}
	defer rows.Close()
	out := []betterauth.Session{}
	for rows.Next() {
		var sc sessionScan
		if err := rows.Scan(sc.dests(s.layout.Session)...); err != nil {
			return nil, mapErr("list sessions", err)
		}
		v, err := sc.session(s.layout.Session)
		if err != nil {
			return nil, fmt.Errorf("pgstore: list sessions: %w", err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		if errors.Is(mapErr("", err), betterauth.ErrNotFound) {
			return []betterauth.Session{}, nil // a malformed uuid owns no sessions
		}
		return nil, mapErr("list sessions", err)
	}
	return out, nil
}

// UpdateSession implements betterauth.SessionStore.
func (s *Store) UpdateSession(ctx context.Context, token string, upd betterauth.SessionUpdate) (*betterauth.Session, error) {
	t := s.sql.session
	add, err := t.t.PrepareAdditional(upd.Additional, false)
	if err != nil {
		return nil, fmt.Errorf("pgstore: update session: %w", err)
	}
	var fields []string
	var args []any
	if !upd.ExpiresAt.IsZero() {
		fields, args = append(fields, "expiresAt"), append(args, upd.ExpiresAt.UTC())
	}
	for _, c := range t.t.AdditionalColumns() {
		if v, ok := add[c.Field]; ok {
			a, err := additionalArg(c, v)
			if err != nil {
				return nil, fmt.Errorf("pgstore: update session: %w", err)
			}
			fields, args = append(fields, c.Field), append(args, a)
		}
	}
	fields, args = append(fields, "updatedAt"), append(args, orNow(upd.UpdatedAt))
	return s.scanSession(ctx, "update session", t.update(fields, "token"), append(args, token)...)
}

func (s *Store) execOne(ctx context.Context, op, stmt string, args ...any) error {
	tag, err := s.q.Exec(ctx, stmt, args...)
	if err != nil {
		return mapErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: %s: %w", op, betterauth.ErrNotFound)
	}
	return nil
}

func (s *Store) execCount(ctx context.Context, op, stmt string, args ...any) (int64, error) {
	tag, err := s.q.Exec(ctx, stmt, args...)
	if err != nil {
		if errors.Is(mapErr(op, err), betterauth.ErrNotFound) {
			return 0, nil // a malformed id matches no row
		}
		return 0, mapErr(op, err)
	}
	return tag.RowsAffected(), nil
}

// DeleteSession implements betterauth.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.execOne(ctx, "delete session", s.sql.deleteSession, token)
}

// DeleteUserSessions implements betterauth.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, exceptToken string) (int64, error) {
	if exceptToken == "" {
		return s.execCount(ctx, "delete user sessions", s.sql.deleteUserSessions, userID)
	}
	return s.execCount(ctx, "delete user sessions", s.sql.deleteUserSessionsExcept, userID, exceptToken)
}

// DeleteExpiredSessions implements betterauth.SessionStore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int64, error) {
	return s.execCount(ctx, "delete expired sessions", s.sql.deleteExpiredSessions, now.UTC(), limit)
}

// --- accounts ---

// CreateAccount implements betterauth.AccountStore.
func (s *Store) CreateAccount(ctx context.Context, a *betterauth.Account) error {
	t := s.sql.account
	v := *a
	id, withID, err := s.newID(v.ID)
	if err != nil {
		return fmt.Errorf("pgstore: create account: %w", err)
	}
	v.ID = id
	stmt := t.insert
	if !withID {
		stmt = t.insertNoID
	}
	got, err := s.scanAccount(ctx, "create account", stmt, accountArgs(t.t, &v, withID)...)
	if err != nil {
		return err
	}
	*a = *got
	return nil
}

func (s *Store) scanAccount(ctx context.Context, op, stmt string, args ...any) (*betterauth.Account, error) {
	var sc accountScan
	if err := s.q.QueryRow(ctx, stmt, args...).Scan(sc.dests(s.layout.Account)...); err != nil {
		return nil, mapErr(op, err)
	}
	return sc.account(), nil
}

// GetAccount implements betterauth.AccountStore.
func (s *Store) GetAccount(ctx context.Context, providerID, accountID string) (*betterauth.Account, error) {
	return s.scanAccount(ctx, "get account", s.sql.accountByKey, providerID, accountID)
}

// ListAccounts implements betterauth.AccountStore.
func (s *Store) ListAccounts(ctx context.Context, userID string) ([]betterauth.Account, error) {
	rows, err := s.q.Query(ctx, s.sql.listAccounts, userID)
	if err != nil {
		return nil, mapErr("list accounts", err)
	}
	defer rows.Close()
	out := []betterauth.Account{}
	for rows.Next() {
		var sc accountScan
		if err := rows.Scan(sc.dests(s.layout.Account)...); err != nil {
			return nil, mapErr("list accounts", err)
		}
		out = append(out, *sc.account())
	}
	if err := rows.Err(); err != nil {
		if errors.Is(mapErr("", err), betterauth.ErrNotFound) {
			return []betterauth.Account{}, nil
		}
		return nil, mapErr("list accounts", err)
	}
	return out, nil
}

// UpdateAccount implements betterauth.AccountStore.
func (s *Store) UpdateAccount(ctx context.Context, id string, upd betterauth.AccountUpdate) (*betterauth.Account, error) {
	var fields []string
	var args []any
	for _, f := range []struct {
		field string
		v     *string
	}{
		{"accessToken", upd.AccessToken}, {"refreshToken", upd.RefreshToken}, {"idToken", upd.IDToken},
		{"scope", upd.Scope}, {"password", upd.Password},
	} {
		if f.v != nil {
			fields, args = append(fields, f.field), append(args, nullString(*f.v))
		}
	}
	if upd.AccessTokenExpiresAt != nil {
		fields, args = append(fields, "accessTokenExpiresAt"), append(args, nullTime(upd.AccessTokenExpiresAt))
	}
	if upd.RefreshTokenExpiresAt != nil {
		fields, args = append(fields, "refreshTokenExpiresAt"), append(args, nullTime(upd.RefreshTokenExpiresAt))
	}
	fields, args = append(fields, "updatedAt"), append(args, orNow(upd.UpdatedAt))
	return s.scanAccount(ctx, "update account", s.sql.account.update(fields, "id"), append(args, id)...)
}

// DeleteAccount implements betterauth.AccountStore.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	return s.execOne(ctx, "delete account", s.sql.deleteAccount, id)
}

// --- verifications ---

// CreateVerification implements betterauth.VerificationStore.
func (s *Store) CreateVerification(ctx context.Context, v *betterauth.Verification) error {
	t := s.sql.verification
	w := *v
	id, withID, err := s.newID(w.ID)
	if err != nil {
		return fmt.Errorf("pgstore: create verification: %w", err)
	}
	w.ID = id
	stmt := t.insert
	if !withID {
		stmt = t.insertNoID
	}
	got, err := s.scanVerification(ctx, "create verification", stmt, verificationArgs(t.t, &w, withID)...)
	if err != nil {
		return err
	}
	*v = *got
	return nil
}

func (s *Store) scanVerification(ctx context.Context, op, stmt string, args ...any) (*betterauth.Verification, error) {
	var sc verificationScan
	if err := s.q.QueryRow(ctx, stmt, args...).Scan(sc.dests(s.layout.Verification)...); err != nil {
		return nil, mapErr(op, err)
	}
	return sc.verification(), nil
}

// GetVerification implements betterauth.VerificationStore.
func (s *Store) GetVerification(ctx context.Context, identifier string) (*betterauth.Verification, error) {
	return s.scanVerification(ctx, "get verification", s.sql.verificationNewest, identifier)
}

// ConsumeVerification implements betterauth.VerificationStore.
func (s *Store) ConsumeVerification(ctx context.Context, identifier string) (*betterauth.Verification, error) {
	rows, err := s.q.Query(ctx, s.sql.consumeVerification, identifier)
	if err != nil {
		return nil, mapErr("consume verification", err)
	}
	defer rows.Close()
	var newest *betterauth.Verification
	for rows.Next() {
		var sc verificationScan
		if err := rows.Scan(sc.dests(s.layout.Verification)...); err != nil {
			return nil, mapErr("consume verification", err)
		}
		if v := sc.verification(); newest == nil || v.CreatedAt.After(newest.CreatedAt) {
			newest = v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr("consume verification", err)
	}
	if newest == nil {
		return nil, fmt.Errorf("pgstore: consume verification: %w", betterauth.ErrNotFound)
	}
	return newest, nil
}

// lockClass is the first key of the advisory locks the store takes
// ("bavf"); the second is a hash of the table and identifier. A collision
// only makes two unrelated counters wait for each other.
const lockClass int32 = 0x62617666

func identifierLockKey(table, identifier string) int32 {
	h := fnv.New32a()
	h.Write([]byte(table))
	h.Write([]byte{0})
	h.Write([]byte(identifier))
	return int32(h.Sum32())
}

// IncrementVerification implements betterauth.VerificationStore: in one
// transaction (the caller's, inside InTx) it takes an advisory lock on the
// identifier, then updates the live row or inserts one.
func (s *Store) IncrementVerification(ctx context.Context, identifier string, now, expiresAt time.Time) (int64, error) {
	const op = "increment verification"
	var n int64
	err := s.tx(ctx, func(tx *Store) error {
		if _, err := tx.q.Exec(ctx, s.sql.lockIdentifier, lockClass, identifierLockKey(s.sql.verification.name, identifier)); err != nil {
			return mapErr(op, err)
		}
		var value string
		err := tx.q.QueryRow(ctx, s.sql.incrementVerification, identifier, now.UTC()).Scan(&value)
		if errors.Is(err, pgx.ErrNoRows) {
			n = 1
			return tx.CreateVerification(ctx, &betterauth.Verification{Identifier: identifier, Value: "1", ExpiresAt: expiresAt, CreatedAt: now, UpdatedAt: now})
		}
		if err != nil {
			return mapErr(op, err)
		}
		if n, err = strconv.ParseInt(value, 10, 64); err != nil {
			return fmt.Errorf("pgstore: %s: %w", op, err)
		}
		return nil
	})
	return n, err
}

// DeleteVerificationsByValue implements betterauth.VerificationStore.
func (s *Store) DeleteVerificationsByValue(ctx context.Context, value, identifierPrefix string) (int64, error) {
	return s.execCount(ctx, "delete verifications by value", s.sql.deleteVerificationsByValue, value, identifierPrefix)
}

// DeleteVerification implements betterauth.VerificationStore.
func (s *Store) DeleteVerification(ctx context.Context, id string) error {
	return s.execOne(ctx, "delete verification", s.sql.deleteVerification, id)
}

// DeleteExpiredVerifications implements betterauth.VerificationStore.
func (s *Store) DeleteExpiredVerifications(ctx context.Context, now time.Time, limit int) (int64, error) {
	return s.execCount(ctx, "delete expired verifications", s.sql.deleteExpiredVerifications, now.UTC(), limit)
}
