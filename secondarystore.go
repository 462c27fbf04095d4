package betterauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/go-betterauth/betterauth/internal/randid"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/secondary"
)

// secondaryStore keeps sessions and verification values in
// Config.SecondaryStorage exactly as Better Auth 1.7.25 keeps them there,
// in front of the Store, which keeps everything else (and, with
// Session.StoreSessionInDatabase or Verification.StoreInDatabase, a copy):
//
//	<token>                           {"session":{…},"user":{…}}, until the session expires
//	active-sessions-<userId>          [{"token","expiresAt":<ms>}] sorted by expiry, until the last one
//	revoked-sessions-before-<userId>  <ms>: sessions created earlier are revoked (revoke-sessions)
//	verification:<identifier>         {"createdAt","updatedAt","value","identifier","expiresAt"}
//
// Keys and JSON are Better Auth's, so a Better Auth server on the same
// storage shares the sessions and verification values. A storage failure
// is an error wrapping ErrUnavailable (503), never "not found".
type secondaryStore struct {
	Store
	ss                secondary.Storage
	a                 *Auth
	sessionsInDB      bool
	verificationsInDB bool
	// undo, inside InTx, collects what to take back from secondary storage
	// if the transaction rolls back (the values it wrote).
	undo *[]func(context.Context)
}

// newSecondaryStore puts ss in front of st.
func newSecondaryStore(a *Auth, st Store, ss secondary.Storage) *secondaryStore {
	return &secondaryStore{
		Store: st, ss: ss, a: a,
		sessionsInDB:      a.cfg.Session.StoreSessionInDatabase,
		verificationsInDB: a.cfg.Verification.StoreInDatabase,
	}
}

// errNoTableStore is what the TableStore methods answer when the database
// store cannot hold plugin tables (New refuses plugins that need them).
var errNoTableStore = fmt.Errorf("%w: the store holds no plugin tables", schema.ErrInvalidSchema)

func (s *secondaryStore) tables() (TableStore, error) {
	ts, ok := s.Store.(TableStore)
	if !ok {
		return nil, errNoTableStore
	}
	return ts, nil
}

// The tables of plugins stay in the database.

func (s *secondaryStore) Insert(ctx context.Context, model string, r schema.Record) (schema.Record, error) {
	ts, err := s.tables()
	if err != nil {
		return nil, err
	}
	return ts.Insert(ctx, model, r)
}

func (s *secondaryStore) FindOne(ctx context.Context, model string, where ...schema.Where) (schema.Record, error) {
	ts, err := s.tables()
	if err != nil {
		return nil, err
	}
	return ts.FindOne(ctx, model, where...)
}

func (s *secondaryStore) FindMany(ctx context.Context, model string, q schema.Query) ([]schema.Record, error) {
	ts, err := s.tables()
	if err != nil {
		return nil, err
	}
	return ts.FindMany(ctx, model, q)
}

func (s *secondaryStore) Update(ctx context.Context, model string, set schema.Record, where ...schema.Where) (int64, error) {
	ts, err := s.tables()
	if err != nil {
		return 0, err
	}
	return ts.Update(ctx, model, set, where...)
}

func (s *secondaryStore) Delete(ctx context.Context, model string, where ...schema.Where) (int64, error) {
	ts, err := s.tables()
	if err != nil {
		return 0, err
	}
	return ts.Delete(ctx, model, where...)
}

// InTx runs fn in the database's transaction with this store in front of
// it. Values written to secondary storage cannot take part in the
// transaction: those it wrote are deleted again if it rolls back
// (consumed values stay consumed, as in Better Auth).
func (s *secondaryStore) InTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error {
	if s.undo != nil {
		return fn(ctx, s)
	}
	var undo []func(context.Context)
	err := s.Store.InTx(ctx, func(ctx context.Context, tx Store) error {
		inner := *s
		inner.Store, inner.undo = tx, &undo
		return fn(ctx, &inner)
	})
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.a.cfg.RequestTimeout)
		defer cancel()
		for _, u := range slices.Backward(undo) {
			u(cctx)
		}
	}
	return err
}

// written records a key to delete if the transaction rolls back.
func (s *secondaryStore) written(key string) {
	if s.undo == nil {
		return
	}
	*s.undo = append(*s.undo, func(ctx context.Context) {
		if err := s.ss.Delete(ctx, key); err != nil {
			s.a.logger.ErrorContext(ctx, "betterauth: taking back a value of a rolled-back transaction from secondary storage failed", "err", err)
		}
	})
}

// ssErr wraps a secondary-storage failure as ErrUnavailable (503).
func ssErr(op string, err error) error {
	return fmt.Errorf("%w: secondary storage: %s: %w", ErrUnavailable, op, err)
}

// ttlUntil is Better Auth's getTTLSeconds: whole seconds until t, at least 0.
func ttlUntil(t, now time.Time) time.Duration {
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	return d.Truncate(time.Second)
}

const (
	activeSessionsPrefix = "active-sessions-"
	revokedBeforePrefix  = "revoked-sessions-before-"
	verificationPrefix   = "verification:"
)

// activeSession is an entry of active-sessions-<userId>.
type activeSession struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expiresAt"`
}

func (s *secondaryStore) activeSessions(ctx context.Context, userID string) ([]activeSession, error) {
	raw, ok, err := s.ss.Get(ctx, activeSessionsPrefix+userID)
	if err != nil {
		return nil, ssErr("read active sessions", err)
	}
	var list []activeSession
	if ok {
		_ = json.Unmarshal([]byte(raw), &list) // unreadable: none, as Better Auth's safeJSONParse
	}
	return list, nil
}

// setActiveSessions writes the list sorted by expiry, living until its last
// entry expires; an empty (or expired) list is deleted.
func (s *secondaryStore) setActiveSessions(ctx context.Context, userID string, list []activeSession, now time.Time) error {
	slices.SortStableFunc(list, func(a, b activeSession) int { return cmpInt64(a.ExpiresAt, b.ExpiresAt) })
	var ttl time.Duration
	if len(list) > 0 {
		ttl = ttlUntil(time.UnixMilli(list[len(list)-1].ExpiresAt), now)
	}
	if ttl <= 0 {
		if err := s.ss.Delete(ctx, activeSessionsPrefix+userID); err != nil {
			return ssErr("write active sessions", err)
		}
		return nil
	}
	b, err := json.Marshal(list)
	if err != nil {
		return fmt.Errorf("betterauth: active sessions: %w", err)
	}
	if err := s.ss.Set(ctx, activeSessionsPrefix+userID, string(b), ttl); err != nil {
		return ssErr("write active sessions", err)
	}
	return nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// liveExcept returns the entries that are live at now and not in drop.
func liveExcept(list []activeSession, now time.Time, drop ...string) []activeSession {
	out := list[:0:0]
	for _, e := range list {
		if e.ExpiresAt > now.UnixMilli() && !slices.Contains(drop, e.Token) {
			out = append(out, e)
		}
	}
	return out
}

// CreateSession stores the session in secondary storage (and in the
// database with StoreSessionInDatabase, which then makes the id), adds it
// to the user's active sessions, and caches it with its user.
func (s *secondaryStore) CreateSession(ctx context.Context, sess *Session) error {
	if s.sessionsInDB {
		if err := s.Store.CreateSession(ctx, sess); err != nil {
			return err
		}
	} else if sess.ID == "" {
		id, err := s.newID()
		if err != nil {
			return err
		}
		sess.ID = id
	}
	u, err := s.Store.GetUserByID(ctx, sess.UserID)
	if err != nil {
		return err
	}
	now := s.a.clock()
	list, err := s.activeSessions(ctx, sess.UserID)
	if err != nil {
		return err
	}
	list = append(liveExcept(list, now, sess.Token), activeSession{Token: sess.Token, ExpiresAt: sess.ExpiresAt.UnixMilli()})
	if err := s.setActiveSessions(ctx, sess.UserID, list, now); err != nil {
		return err
	}
	if ttl := ttlUntil(sess.ExpiresAt, now); ttl > 0 {
		if err := s.ss.Set(ctx, sess.Token, s.encodeSession(sess, u), ttl); err != nil {
			return ssErr("write session", err)
		}
		s.written(sess.Token)
	}
	return nil
}

// newID makes a row id as the store would: a uuid in schema.IDModeUUID,
// else 32 characters of [A-Za-z0-9] (Better Auth's generateId).
func (s *secondaryStore) newID() (string, error) {
	var (
		id  string
		err error
	)
	if s.a.layout.IDMode == schema.IDModeUUID {
		id, err = randid.UUID()
	} else {
		id, err = randid.ID()
	}
	if err != nil {
		return "", fmt.Errorf("betterauth: session id: %w", err)
	}
	return id, nil
}

// GetSessionByToken reads the cached session and its user (a session
// created before the user's revoked-sessions-before mark is none); without
// a cached copy, the database's with StoreSessionInDatabase (not written
// back, as in Better Auth).
func (s *secondaryStore) GetSessionByToken(ctx context.Context, token string) (*Session, *User, error) {
	raw, ok, err := s.ss.Get(ctx, token)
	if err != nil {
		return nil, nil, ssErr("read session", err)
	}
	if !ok {
		if s.sessionsInDB {
			return s.Store.GetSessionByToken(ctx, token)
		}
		return nil, nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	sess, u, err := s.decodeSession(raw)
	if err != nil {
		// Unreadable: no session, as Better Auth's safeJSONParse.
		s.a.logger.WarnContext(ctx, "betterauth: an unreadable session value in secondary storage", "err", err)
		return nil, nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	revoked, err := s.revoked(ctx, sess)
	if err != nil {
		return nil, nil, err
	}
	if revoked {
		return nil, nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	return sess, u, nil
}

// revoked reports whether the session was created before its user's
// revoked-sessions-before mark.
func (s *secondaryStore) revoked(ctx context.Context, sess *Session) (bool, error) {
	raw, ok, err := s.ss.Get(ctx, revokedBeforePrefix+sess.UserID)
	if err != nil {
		return false, ssErr("read revocation mark", err)
	}
	if !ok {
		return false, nil
	}
	before, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return false, nil // Number("garbage") is NaN: nothing is before it
	}
	return float64(sess.CreatedAt.UnixMilli()) < before, nil
}

// ListSessions lists the database's rows with StoreSessionInDatabase, else
// the user's cached sessions that are live at liveAt and not revoked.
func (s *secondaryStore) ListSessions(ctx context.Context, userID string, liveAt time.Time) ([]Session, error) {
	if s.sessionsInDB {
		return s.Store.ListSessions(ctx, userID, liveAt)
	}
	list, err := s.activeSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := []Session{}
	seen := map[string]bool{}
	for _, e := range list {
		if (!liveAt.IsZero() && e.ExpiresAt <= liveAt.UnixMilli()) || seen[e.Token] {
			continue
		}
		seen[e.Token] = true
		sess, _, err := s.GetSessionByToken(ctx, e.Token)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if sess.UserID != userID || (!liveAt.IsZero() && !sess.ExpiresAt.After(liveAt)) {
			continue
		}
		out = append(out, *sess)
	}
	slices.SortStableFunc(out, func(a, b Session) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// UpdateSession rewrites the cached session (and its entry in the active
// sessions) and, with StoreSessionInDatabase, the row.
func (s *secondaryStore) UpdateSession(ctx context.Context, token string, upd SessionUpdate) (*Session, error) {
	raw, ok, err := s.ss.Get(ctx, token)
	if err != nil {
		return nil, ssErr("read session", err)
	}
	var dbSess *Session
	if s.sessionsInDB {
		if dbSess, err = s.Store.UpdateSession(ctx, token, upd); err != nil {
			return nil, err
		}
	}
	if !ok {
		if dbSess != nil {
			return dbSess, nil
		}
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	sess, u, err := s.decodeSession(raw)
	if err != nil {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	now := s.a.clock()
	if !upd.ExpiresAt.IsZero() {
		sess.ExpiresAt = upd.ExpiresAt
	}
	sess.UpdatedAt = upd.UpdatedAt
	if sess.UpdatedAt.IsZero() {
		sess.UpdatedAt = now
	}
	for k, v := range upd.Additional {
		if sess.Additional == nil {
			sess.Additional = map[string]any{}
		}
		sess.Additional[k] = v
	}
	if ttl := ttlUntil(sess.ExpiresAt, now); ttl > 0 {
		if err := s.ss.Set(ctx, token, s.encodeSession(sess, u), ttl); err != nil {
			return nil, ssErr("write session", err)
		}
		list, err := s.activeSessions(ctx, sess.UserID)
		if err != nil {
			return nil, err
		}
		list = append(liveExcept(list, now, token), activeSession{Token: token, ExpiresAt: sess.ExpiresAt.UnixMilli()})
		if err := s.setActiveSessions(ctx, sess.UserID, list, now); err != nil {
			return nil, err
		}
	}
	return sess, nil
}

// DeleteSession removes the cached session and its entry in the active
// sessions, and the row with StoreSessionInDatabase.
func (s *secondaryStore) DeleteSession(ctx context.Context, token string) error {
	raw, ok, err := s.ss.Get(ctx, token)
	if err != nil {
		return ssErr("read session", err)
	}
	if ok {
		if sess, _, derr := s.decodeSession(raw); derr == nil {
			now := s.a.clock()
			list, err := s.activeSessions(ctx, sess.UserID)
			if err != nil {
				return err
			}
			if err := s.setActiveSessions(ctx, sess.UserID, liveExcept(list, now, token), now); err != nil {
				return err
			}
		}
		if err := s.ss.Delete(ctx, token); err != nil {
			return ssErr("delete session", err)
		}
	}
	if s.sessionsInDB {
		err := s.Store.DeleteSession(ctx, token)
		if ok && errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	if !ok {
		return fmt.Errorf("session: %w", ErrNotFound)
	}
	return nil
}

// DeleteUserSessions removes the user's cached sessions but exceptToken's.
// Removing all of them (revoke-sessions, a password reset) also writes the
// revoked-sessions-before mark, as Better Auth does, so that a session
// missing from the list is revoked too.
func (s *secondaryStore) DeleteUserSessions(ctx context.Context, userID, exceptToken string) (int64, error) {
	var n int64
	if s.sessionsInDB {
		var err error
		if n, err = s.Store.DeleteUserSessions(ctx, userID, exceptToken); err != nil {
			return 0, err
		}
	}
	now := s.a.clock()
	list, err := s.activeSessions(ctx, userID)
	if err != nil {
		return 0, err
	}
	if exceptToken == "" {
		if err := s.markRevoked(ctx, userID, now); err != nil {
			return 0, err
		}
	}
	var keep []activeSession
	var cached int64
	for _, e := range list {
		if e.Token == exceptToken {
			keep = append(keep, e)
			continue
		}
		if err := s.ss.Delete(ctx, e.Token); err != nil {
			return 0, ssErr("delete session", err)
		}
		if e.ExpiresAt > now.UnixMilli() {
			cached++
		}
	}
	if err := s.setActiveSessions(ctx, userID, liveExcept(keep, now), now); err != nil {
		return 0, err
	}
	if !s.sessionsInDB {
		n = cached
	}
	return n, nil
}

// markRevoked writes revoked-sessions-before-<userId> = now (or keeps a
// later mark), for max(ExpiresIn, one day).
func (s *secondaryStore) markRevoked(ctx context.Context, userID string, now time.Time) error {
	mark := now.UnixMilli()
	raw, ok, err := s.ss.Get(ctx, revokedBeforePrefix+userID)
	if err != nil {
		return ssErr("read revocation mark", err)
	}
	if ok {
		if prev, perr := strconv.ParseInt(raw, 10, 64); perr == nil && prev > mark {
			mark = prev
		}
	}
	ttl := max(s.a.cfg.Session.ExpiresIn, 24*time.Hour)
	if err := s.ss.Set(ctx, revokedBeforePrefix+userID, strconv.FormatInt(mark, 10), ttl); err != nil {
		return ssErr("write revocation mark", err)
	}
	return nil
}

// DeleteExpiredSessions deletes expired rows with StoreSessionInDatabase;
// secondary storage expires its values itself.
func (s *secondaryStore) DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int64, error) {
	if s.sessionsInDB {
		return s.Store.DeleteExpiredSessions(ctx, now, limit)
	}
	return 0, nil
}

// UpdateUser updates the user and rewrites every cached session of the
// user with the new user, as Better Auth's refreshUserSessions.
func (s *secondaryStore) UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error) {
	u, err := s.Store.UpdateUser(ctx, id, upd)
	if err != nil {
		return nil, err
	}
	now := s.a.clock()
	list, err := s.activeSessions(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, e := range liveExcept(list, now) {
		raw, ok, err := s.ss.Get(ctx, e.Token)
		if err != nil {
			return nil, ssErr("read session", err)
		}
		if !ok {
			continue
		}
		sess, _, derr := s.decodeSession(raw)
		if derr != nil {
			continue
		}
		if ttl := ttlUntil(sess.ExpiresAt, now); ttl > 0 {
			if err := s.ss.Set(ctx, e.Token, s.encodeSession(sess, u), ttl); err != nil {
				return nil, ssErr("write session", err)
			}
		}
	}
	return u, nil
}

// DeleteUser deletes the user and revokes its cached sessions (with the
// revocation mark), as Better Auth does.
func (s *secondaryStore) DeleteUser(ctx context.Context, id string) error {
	if err := s.Store.DeleteUser(ctx, id); err != nil {
		return err
	}
	_, err := s.DeleteUserSessions(ctx, id, "")
	return err
}

// Verification values.

// cachedVerification is Better Auth's JSON of a verification value.
type cachedVerification struct {
	ID         string    `json:"id,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	Value      string    `json:"value"`
	Identifier string    `json:"identifier"`
	ExpiresAt  time.Time `json:"expiresAt"`
}

// CreateVerification stores the value under verification:<identifier>
// until it expires (and in the database with Verification.StoreInDatabase).
func (s *secondaryStore) CreateVerification(ctx context.Context, v *Verification) error {
	if s.verificationsInDB {
		if err := s.Store.CreateVerification(ctx, v); err != nil {
			return err
		}
	}
	now := s.a.clock()
	ttl := ttlUntil(v.ExpiresAt, now)
	if ttl <= 0 {
		return nil
	}
	o := object{{"createdAt", jsTime(v.CreatedAt)}, {"updatedAt", jsTime(v.UpdatedAt)}, {"value", v.Value}, {"identifier", v.Identifier}, {"expiresAt", jsTime(v.ExpiresAt)}}
	if v.ID != "" {
		o = append(object{{"id", v.ID}}, o...)
	}
	b, err := marshalJS(o)
	if err != nil {
		return fmt.Errorf("betterauth: verification: %w", err)
	}
	if err := s.ss.Set(ctx, verificationPrefix+v.Identifier, string(b), ttl); err != nil {
		return ssErr("write verification", err)
	}
	s.written(verificationPrefix + v.Identifier)
	return nil
}

func decodeVerification(raw string) (*Verification, bool) {
	var c cachedVerification
	if err := json.Unmarshal([]byte(raw), &c); err != nil || c.Identifier == "" {
		return nil, false
	}
	return &Verification{ID: c.ID, Identifier: c.Identifier, Value: c.Value, ExpiresAt: c.ExpiresAt.UTC(), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}, true
}

// GetVerification reads verification:<identifier>, then the database with
// Verification.StoreInDatabase.
func (s *secondaryStore) GetVerification(ctx context.Context, identifier string) (*Verification, error) {
	raw, ok, err := s.ss.Get(ctx, verificationPrefix+identifier)
	if err != nil {
		return nil, ssErr("read verification", err)
	}
	if ok {
		if v, ok := decodeVerification(raw); ok {
			return v, nil
		}
	}
	if s.verificationsInDB {
		return s.Store.GetVerification(ctx, identifier)
	}
	return nil, fmt.Errorf("verification: %w", ErrNotFound)
}

// ConsumeVerification takes verification:<identifier> with GETDEL (the
// database's rows with Verification.StoreInDatabase, then deletes the copy).
func (s *secondaryStore) ConsumeVerification(ctx context.Context, identifier string) (*Verification, error) {
	if s.verificationsInDB {
		v, err := s.Store.ConsumeVerification(ctx, identifier)
		if err != nil {
			return nil, err
		}
		if err := s.ss.Delete(ctx, verificationPrefix+identifier); err != nil {
			return nil, ssErr("delete verification", err)
		}
		return v, nil
	}
	raw, ok, err := s.ss.GetAndDelete(ctx, verificationPrefix+identifier)
	if err != nil {
		return nil, ssErr("consume verification", err)
	}
	if !ok {
		return nil, fmt.Errorf("verification: %w", ErrNotFound)
	}
	v, ok := decodeVerification(raw)
	if !ok {
		return nil, fmt.Errorf("verification: %w", ErrNotFound)
	}
	return v, nil
}

// IncrementVerification counts in secondary storage (an atomic INCR whose
// window is set by the first count), or in the database with
// Verification.StoreInDatabase.
func (s *secondaryStore) IncrementVerification(ctx context.Context, identifier string, now, expiresAt time.Time) (int64, error) {
	if s.verificationsInDB {
		return s.Store.IncrementVerification(ctx, identifier, now, expiresAt)
	}
	ttl := expiresAt.Sub(now)
	if ttl <= 0 {
		ttl = time.Second
	}
	n, err := s.ss.Increment(ctx, verificationPrefix+identifier, ttl)
	if err != nil {
		return 0, ssErr("count", err)
	}
	return n, nil
}

// DeleteVerificationsByValue deletes database rows with
// Verification.StoreInDatabase. Secondary storage has no index by value:
// there the other values of the user stay until they expire, as in Better
// Auth.
func (s *secondaryStore) DeleteVerificationsByValue(ctx context.Context, value, identifierPrefix string) (int64, error) {
	if s.verificationsInDB {
		return s.Store.DeleteVerificationsByValue(ctx, value, identifierPrefix)
	}
	return 0, nil
}

// DeleteVerification deletes a database row (values in secondary storage
// have no id; ConsumeVerification deletes them).
func (s *secondaryStore) DeleteVerification(ctx context.Context, id string) error {
	if s.verificationsInDB {
		return s.Store.DeleteVerification(ctx, id)
	}
	return fmt.Errorf("verification: %w", ErrNotFound)
}

// DeleteExpiredVerifications deletes expired rows with
// Verification.StoreInDatabase; secondary storage expires its own.
func (s *secondaryStore) DeleteExpiredVerifications(ctx context.Context, now time.Time, limit int) (int64, error) {
	if s.verificationsInDB {
		return s.Store.DeleteExpiredVerifications(ctx, now, limit)
	}
	return 0, nil
}
