// Package memstore is an in-memory betterauth.Store: for examples, local
// development and the unit tests of applications that use betterauth. It
// keeps nothing across restarts.
//
// It follows the same contract as store/pgstore (both pass
// store/storetest), including transactions: InTx works on a copy of the data
// and swaps it in on success, holding the store's lock meanwhile, so other
// callers wait for the transaction to finish.
package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/randid"
	"github.com/go-betterauth/betterauth/schema"
)

// Store is an in-memory betterauth.Store. Use New; the zero value is not usable.
type Store struct {
	layout *schema.Layout
	st     *state
	tx     *data // non-nil inside InTx: the transaction's copy, already locked
}

type state struct {
	mu sync.Mutex
	d  *data
}

type row[T any] struct {
	v   T
	seq int64 // insertion order, to break CreatedAt ties
}

type data struct {
	seq      int64
	users    map[string]row[betterauth.User]
	emails   map[string]string // email -> user id
	sessions map[string]row[betterauth.Session]
	tokens   map[string]string // token -> session id
	accounts map[string]row[betterauth.Account]
	verifs   map[string]row[betterauth.Verification]
	ext      map[string]map[string]schema.Record // model -> id -> row
}

func newData() *data {
	return &data{
		users:    map[string]row[betterauth.User]{},
		emails:   map[string]string{},
		sessions: map[string]row[betterauth.Session]{},
		tokens:   map[string]string{},
		accounts: map[string]row[betterauth.Account]{},
		verifs:   map[string]row[betterauth.Verification]{},
		ext:      map[string]map[string]schema.Record{},
	}
}

// clone copies the maps; rows are values whose reference fields are copied
// on every read and write, so sharing them is safe.
func (d *data) clone() *data {
	return &data{
		seq:      d.seq,
		users:    maps.Clone(d.users),
		emails:   maps.Clone(d.emails),
		sessions: maps.Clone(d.sessions),
		tokens:   maps.Clone(d.tokens),
		accounts: maps.Clone(d.accounts),
		verifs:   maps.Clone(d.verifs),
		ext:      cloneExt(d.ext),
	}
}

var (
	_ betterauth.LayoutStore = (*Store)(nil)
	_ betterauth.TableStore  = (*Store)(nil)
)

// New returns an empty store for the schema and its extensions (which
// matter for additional fields, extension tables and the id mode). It
// returns an error if the schema is invalid.
func New(sch schema.Schema, ext ...schema.Extension) (*Store, error) {
	layout, err := sch.Layout(ext...)
	if err != nil {
		return nil, fmt.Errorf("memstore: %w", err)
	}
	return &Store{layout: layout, st: &state{d: newData()}}, nil
}

// do runs fn on the data under the store's lock (or inside the transaction).
func (s *Store) do(ctx context.Context, fn func(d *data) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.tx != nil {
		return fn(s.tx)
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return fn(s.st.d)
}

// InTx implements betterauth.Store.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx betterauth.Store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.tx != nil {
		return fn(ctx, s)
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	tx := &Store{layout: s.layout, st: s.st, tx: s.st.d.clone()}
	if err := fn(ctx, tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.st.d = tx.tx
	return nil
}

func (s *Store) newID() (string, error) {
	if s.layout.IDMode == schema.IDModeUUID {
		return randid.UUID()
	}
	return randid.ID()
}

func now() time.Time { return time.Now() }

// ts normalizes a time as PostgreSQL stores it: UTC, microseconds.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func tsp(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	v := ts(*t)
	return &v
}

func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return ts(now())
	}
	return ts(t)
}

func copyUser(u betterauth.User) *betterauth.User {
	if u.Image != nil {
		img := *u.Image
		u.Image = &img
	}
	u.Additional = maps.Clone(u.Additional)
	return &u
}

func copySession(s betterauth.Session) *betterauth.Session {
	s.Additional = maps.Clone(s.Additional)
	return &s
}

func copyAccount(a betterauth.Account) *betterauth.Account {
	a.AccessTokenExpiresAt = tsp(a.AccessTokenExpiresAt)
	a.RefreshTokenExpiresAt = tsp(a.RefreshTokenExpiresAt)
	return &a
}

func notFound(what, key string) error {
	return fmt.Errorf("memstore: %s %q: %w", what, key, betterauth.ErrNotFound)
}

// --- users ---

// CreateUser implements betterauth.UserStore.
func (s *Store) CreateUser(ctx context.Context, u *betterauth.User) error {
	add, err := s.layout.User.PrepareAdditional(u.Additional, true)
	if err != nil {
		return fmt.Errorf("memstore: create user: %w", err)
	}
	return s.do(ctx, func(d *data) error {
		v := *copyUser(*u)
		v.Email = strings.ToLower(v.Email)
		if _, dup := d.emails[v.Email]; dup {
			return fmt.Errorf("memstore: create user: email already used: %w", betterauth.ErrConflict)
		}
		if v.ID == "" {
			if v.ID, err = s.newID(); err != nil {
				return fmt.Errorf("memstore: create user: %w", err)
			}
		} else if _, dup := d.users[v.ID]; dup {
			return fmt.Errorf("memstore: create user: id already used: %w", betterauth.ErrConflict)
		}
		if v.Image != nil && *v.Image == "" {
			v.Image = nil
		}
		v.CreatedAt, v.UpdatedAt = orNow(v.CreatedAt), orNow(v.UpdatedAt)
		v.Additional = add
		d.seq++
		d.users[v.ID] = row[betterauth.User]{v: v, seq: d.seq}
		d.emails[v.Email] = v.ID
		*u = *copyUser(v)
		return nil
	})
}

// GetUserByID implements betterauth.UserStore.
func (s *Store) GetUserByID(ctx context.Context, id string) (*betterauth.User, error) {
	var out *betterauth.User
	err := s.do(ctx, func(d *data) error {
		r, ok := d.users[id]
		if !ok {
			return notFound("user", id)
		}
		out = copyUser(r.v)
		return nil
	})
	return out, err
}

// GetUserByEmail implements betterauth.UserStore.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*betterauth.User, error) {
	var out *betterauth.User
	err := s.do(ctx, func(d *data) error {
		id, ok := d.emails[strings.ToLower(email)]
		if !ok {
			return notFound("user with email", email)
		}
		out = copyUser(d.users[id].v)
		return nil
	})
	return out, err
}

// UpdateUser implements betterauth.UserStore.
func (s *Store) UpdateUser(ctx context.Context, id string, upd betterauth.UserUpdate) (*betterauth.User, error) {
	add, err := s.layout.User.PrepareAdditional(upd.Additional, false)
	if err != nil {
		return nil, fmt.Errorf("memstore: update user: %w", err)
	}
	var out *betterauth.User
	err = s.do(ctx, func(d *data) error {
		r, ok := d.users[id]
		if !ok {
			return notFound("user", id)
		}
		v := *copyUser(r.v)
		if upd.Email != nil {
			email := strings.ToLower(*upd.Email)
			if other, dup := d.emails[email]; dup && other != id {
				return fmt.Errorf("memstore: update user: email already used: %w", betterauth.ErrConflict)
			}
			delete(d.emails, v.Email)
			v.Email = email
			d.emails[email] = id
		}
		if upd.Name != nil {
			v.Name = *upd.Name
		}
		if upd.EmailVerified != nil {
			v.EmailVerified = *upd.EmailVerified
		}
		if upd.Image != nil {
			if *upd.Image == "" {
				v.Image = nil
			} else {
				img := *upd.Image
				v.Image = &img
			}
		}
		if len(add) > 0 && v.Additional == nil {
			v.Additional = map[string]any{}
		}
		maps.Copy(v.Additional, add)
		v.UpdatedAt = orNow(upd.UpdatedAt)
		r.v = v
		d.users[id] = r
		out = copyUser(v)
		return nil
	})
	return out, err
}

// DeleteUser implements betterauth.UserStore.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.do(ctx, func(d *data) error {
		r, ok := d.users[id]
		if !ok {
			return notFound("user", id)
		}
		p, err := d.planDelete(s.layout, schema.ModelUser, "id", []any{id})
		if err != nil {
			return fmt.Errorf("memstore: delete user: %w", err)
		}
		d.apply(p)
		delete(d.users, id)
		delete(d.emails, r.v.Email)
		for sid, sr := range d.sessions {
			if sr.v.UserID == id {
				delete(d.sessions, sid)
				delete(d.tokens, sr.v.Token)
			}
		}
		for aid, ar := range d.accounts {
			if ar.v.UserID == id {
				delete(d.accounts, aid)
			}
		}
		return nil
	})
}

// --- sessions ---

// CreateSession implements betterauth.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess *betterauth.Session) error {
	add, err := s.layout.Session.PrepareAdditional(sess.Additional, true)
	if err != nil {
		return fmt.Errorf("memstore: create session: %w", err)
	}
	return s.do(ctx, func(d *data) error {
		v := *copySession(*sess)
		if _, ok := d.users[v.UserID]; !ok {
			return notFound("user", v.UserID)
		}
		if _, dup := d.tokens[v.Token]; dup {
			return fmt.Errorf("memstore: create session: token already used: %w", betterauth.ErrConflict)
		}
		if v.ID == "" {
			if v.ID, err = s.newID(); err != nil {
				return fmt.Errorf("memstore: create session: %w", err)
			}
		} else if _, dup := d.sessions[v.ID]; dup {
			return fmt.Errorf("memstore: create session: id already used: %w", betterauth.ErrConflict)
		}
		v.ExpiresAt = ts(v.ExpiresAt)
		v.CreatedAt, v.UpdatedAt = orNow(v.CreatedAt), orNow(v.UpdatedAt)
		v.Additional = add
		d.seq++
		d.sessions[v.ID] = row[betterauth.Session]{v: v, seq: d.seq}
		d.tokens[v.Token] = v.ID
		*sess = *copySession(v)
		return nil
	})
}

// GetSessionByToken implements betterauth.SessionStore.
func (s *Store) GetSessionByToken(ctx context.Context, token string) (*betterauth.Session, *betterauth.User, error) {
	var sess *betterauth.Session
	var user *betterauth.User
	err := s.do(ctx, func(d *data) error {
		id, ok := d.tokens[token]
		if !ok {
			return notFound("session", "(token)")
		}
		r := d.sessions[id]
		u, ok := d.users[r.v.UserID]
		if !ok {
			return notFound("user", r.v.UserID)
		}
		sess, user = copySession(r.v), copyUser(u.v)
		return nil
	})
	return sess, user, err
}

// ListSessions implements betterauth.SessionStore.
func (s *Store) ListSessions(ctx context.Context, userID string, liveAt time.Time) ([]betterauth.Session, error) {
	out := []betterauth.Session{}
	err := s.do(ctx, func(d *data) error {
		var rows []row[betterauth.Session]
		for _, r := range d.sessions {
			if r.v.UserID == userID && (liveAt.IsZero() || r.v.ExpiresAt.After(liveAt)) {
				rows = append(rows, r)
			}
		}
		sortRows(rows, func(v betterauth.Session) time.Time { return v.CreatedAt })
		for _, r := range rows {
			out = append(out, *copySession(r.v))
		}
		return nil
	})
	return out, err
}

func sortRows[T any](rows []row[T], created func(T) time.Time) {
	slices.SortFunc(rows, func(a, b row[T]) int {
		if c := created(a.v).Compare(created(b.v)); c != 0 {
			return c
		}
		return int(a.seq - b.seq)
	})
}

// UpdateSession implements betterauth.SessionStore.
func (s *Store) UpdateSession(ctx context.Context, token string, upd betterauth.SessionUpdate) (*betterauth.Session, error) {
	add, err := s.layout.Session.PrepareAdditional(upd.Additional, false)
	if err != nil {
		return nil, fmt.Errorf("memstore: update session: %w", err)
	}
	var out *betterauth.Session
	err = s.do(ctx, func(d *data) error {
		id, ok := d.tokens[token]
		if !ok {
			return notFound("session", "(token)")
		}
		r := d.sessions[id]
		v := *copySession(r.v)
		if !upd.ExpiresAt.IsZero() {
			v.ExpiresAt = ts(upd.ExpiresAt)
		}
		if len(add) > 0 && v.Additional == nil {
			v.Additional = map[string]any{}
		}
		maps.Copy(v.Additional, add)
		v.UpdatedAt = orNow(upd.UpdatedAt)
		r.v = v
		d.sessions[id] = r
		out = copySession(v)
		return nil
	})
	return out, err
}

// DeleteSession implements betterauth.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.do(ctx, func(d *data) error {
		id, ok := d.tokens[token]
		if !ok {
			return notFound("session", "(token)")
		}
		delete(d.tokens, token)
		delete(d.sessions, id)
		return nil
	})
}

// DeleteUserSessions implements betterauth.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, exceptToken string) (int64, error) {
	var n int64
	err := s.do(ctx, func(d *data) error {
		for id, r := range d.sessions {
			if r.v.UserID == userID && (exceptToken == "" || r.v.Token != exceptToken) {
				delete(d.sessions, id)
				delete(d.tokens, r.v.Token)
				n++
			}
		}
		return nil
	})
	return n, err
}

// DeleteExpiredSessions implements betterauth.SessionStore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int64, error) {
	var n int64
	err := s.do(ctx, func(d *data) error {
		for id, r := range d.sessions {
			if int(n) >= limit {
				break
			}
			if !r.v.ExpiresAt.After(now) {
				delete(d.sessions, id)
				delete(d.tokens, r.v.Token)
				n++
			}
		}
		return nil
	})
	return n, err
}

// --- accounts ---

// CreateAccount implements betterauth.AccountStore.
func (s *Store) CreateAccount(ctx context.Context, a *betterauth.Account) error {
	return s.do(ctx, func(d *data) error {
		v := *copyAccount(*a)
		if _, ok := d.users[v.UserID]; !ok {
			return notFound("user", v.UserID)
		}
		if v.ID == "" {
			var err error
			if v.ID, err = s.newID(); err != nil {
				return fmt.Errorf("memstore: create account: %w", err)
			}
		} else if _, dup := d.accounts[v.ID]; dup {
			return fmt.Errorf("memstore: create account: id already used: %w", betterauth.ErrConflict)
		}
		v.CreatedAt, v.UpdatedAt = orNow(v.CreatedAt), orNow(v.UpdatedAt)
		d.seq++
		d.accounts[v.ID] = row[betterauth.Account]{v: v, seq: d.seq}
		*a = *copyAccount(v)
		return nil
	})
}

// GetAccount implements betterauth.AccountStore.
func (s *Store) GetAccount(ctx context.Context, providerID, accountID string) (*betterauth.Account, error) {
	var out *betterauth.Account
	err := s.do(ctx, func(d *data) error {
		var best *row[betterauth.Account]
		for _, r := range d.accounts {
			if r.v.ProviderID == providerID && r.v.AccountID == accountID && (best == nil || r.seq < best.seq) {
				r := r
				best = &r
			}
		}
		if best == nil {
			return notFound("account", providerID+":"+accountID)
		}
		out = copyAccount(best.v)
		return nil
	})
	return out, err
}

// ListAccounts implements betterauth.AccountStore.
func (s *Store) ListAccounts(ctx context.Context, userID string) ([]betterauth.Account, error) {
	out := []betterauth.Account{}
	err := s.do(ctx, func(d *data) error {
		var rows []row[betterauth.Account]
		for _, r := range d.accounts {
			if r.v.UserID == userID {
				rows = append(rows, r)
			}
		}
		sortRows(rows, func(v betterauth.Account) time.Time { return v.CreatedAt })
		for _, r := range rows {
			out = append(out, *copyAccount(r.v))
		}
		return nil
	})
	return out, err
}

// UpdateAccount implements betterauth.AccountStore.
func (s *Store) UpdateAccount(ctx context.Context, id string, upd betterauth.AccountUpdate) (*betterauth.Account, error) {
	var out *betterauth.Account
	err := s.do(ctx, func(d *data) error {
		r, ok := d.accounts[id]
		if !ok {
			return notFound("account", id)
		}
		v := *copyAccount(r.v)
		for _, f := range []struct {
			src *string
			dst *string
		}{
			{upd.AccessToken, &v.AccessToken}, {upd.RefreshToken, &v.RefreshToken},
			{upd.IDToken, &v.IDToken}, {upd.Scope, &v.Scope}, {upd.Password, &v.Password},
		} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		if upd.AccessTokenExpiresAt != nil {
			v.AccessTokenExpiresAt = tsp(upd.AccessTokenExpiresAt)
		}
		if upd.RefreshTokenExpiresAt != nil {
			v.RefreshTokenExpiresAt = tsp(upd.RefreshTokenExpiresAt)
		}
		v.UpdatedAt = orNow(upd.UpdatedAt)
		r.v = v
		d.accounts[id] = r
		out = copyAccount(v)
		return nil
	})
	return out, err
}

// DeleteAccount implements betterauth.AccountStore.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	return s.do(ctx, func(d *data) error {
		if _, ok := d.accounts[id]; !ok {
			return notFound("account", id)
		}
		delete(d.accounts, id)
		return nil
	})
}

// --- verifications ---

// CreateVerification implements betterauth.VerificationStore.
func (s *Store) CreateVerification(ctx context.Context, v *betterauth.Verification) error {
	return s.do(ctx, func(d *data) error {
		w := *v
		if w.ID == "" {
			var err error
			if w.ID, err = s.newID(); err != nil {
				return fmt.Errorf("memstore: create verification: %w", err)
			}
		} else if _, dup := d.verifs[w.ID]; dup {
			return fmt.Errorf("memstore: create verification: id already used: %w", betterauth.ErrConflict)
		}
		w.ExpiresAt = ts(w.ExpiresAt)
		w.CreatedAt, w.UpdatedAt = orNow(w.CreatedAt), orNow(w.UpdatedAt)
		d.seq++
		d.verifs[w.ID] = row[betterauth.Verification]{v: w, seq: d.seq}
		*v = w
		return nil
	})
}

// newest returns the newest row with the identifier (by CreatedAt, then insertion).
func (d *data) newest(identifier string) (row[betterauth.Verification], bool) {
	var best row[betterauth.Verification]
	found := false
	for _, r := range d.verifs {
		if r.v.Identifier != identifier {
			continue
		}
		if !found || r.v.CreatedAt.After(best.v.CreatedAt) || (r.v.CreatedAt.Equal(best.v.CreatedAt) && r.seq > best.seq) {
			best, found = r, true
		}
	}
	return best, found
}

// GetVerification implements betterauth.VerificationStore.
func (s *Store) GetVerification(ctx context.Context, identifier string) (*betterauth.Verification, error) {
	var out *betterauth.Verification
	err := s.do(ctx, func(d *data) error {
		r, ok := d.newest(identifier)
		if !ok {
			return notFound("verification", "(identifier)")
		}
		v := r.v
		out = &v
		return nil
	})
	return out, err
}

// ConsumeVerification implements betterauth.VerificationStore.
func (s *Store) ConsumeVerification(ctx context.Context, identifier string) (*betterauth.Verification, error) {
	var out *betterauth.Verification
	err := s.do(ctx, func(d *data) error {
		r, ok := d.newest(identifier)
		if !ok {
			return notFound("verification", "(identifier)")
		}
		for id, x := range d.verifs {
			if x.v.Identifier == identifier {
				delete(d.verifs, id)
			}
		}
		v := r.v
		out = &v
		return nil
	})
	return out, err
}

// IncrementVerification implements betterauth.VerificationStore. The
// store's lock is held from reading the count to writing it.
func (s *Store) IncrementVerification(ctx context.Context, identifier string, now, expiresAt time.Time) (int64, error) {
	var n int64
	err := s.do(ctx, func(d *data) error {
		var live row[betterauth.Verification]
		found := false
		for _, r := range d.verifs {
			if r.v.Identifier != identifier || !r.v.ExpiresAt.After(now) {
				continue
			}
			if !found || r.v.CreatedAt.After(live.v.CreatedAt) || (r.v.CreatedAt.Equal(live.v.CreatedAt) && r.seq > live.seq) {
				live, found = r, true
			}
		}
		if !found {
			id, err := s.newID()
			if err != nil {
				return fmt.Errorf("memstore: increment verification: %w", err)
			}
			n = 1
			d.seq++
			d.verifs[id] = row[betterauth.Verification]{seq: d.seq, v: betterauth.Verification{
				ID: id, Identifier: identifier, Value: "1", ExpiresAt: ts(expiresAt), CreatedAt: ts(now), UpdatedAt: ts(now),
			}}
			return nil
		}
		n = count(live.v.Value) + 1
		live.v.Value = strconv.FormatInt(n, 10)
		live.v.UpdatedAt = ts(now)
		d.verifs[live.v.ID] = live
		return nil
	})
	return n, err
}

// count reads a verification value as a count: 1 to 18 decimal digits, or
// else 0 (pgstore's rule).
func count(value string) int64 {
	if len(value) == 0 || len(value) > 18 || strings.Trim(value, "0123456789") != "" {
		return 0
	}
	n, _ := strconv.ParseInt(value, 10, 64)
	return n
}

// DeleteVerificationsByValue implements betterauth.VerificationStore.
func (s *Store) DeleteVerificationsByValue(ctx context.Context, value, identifierPrefix string) (int64, error) {
	var n int64
	err := s.do(ctx, func(d *data) error {
		for id, r := range d.verifs {
			if r.v.Value == value && strings.HasPrefix(r.v.Identifier, identifierPrefix) {
				delete(d.verifs, id)
				n++
			}
		}
		return nil
	})
	return n, err
}

// DeleteVerification implements betterauth.VerificationStore.
func (s *Store) DeleteVerification(ctx context.Context, id string) error {
	return s.do(ctx, func(d *data) error {
		if _, ok := d.verifs[id]; !ok {
			return notFound("verification", id)
		}
		delete(d.verifs, id)
		return nil
	})
}

// DeleteExpiredVerifications implements betterauth.VerificationStore.
func (s *Store) DeleteExpiredVerifications(ctx context.Context, now time.Time, limit int) (int64, error) {
	var n int64
	err := s.do(ctx, func(d *data) error {
		for id, r := range d.verifs {
			if int(n) >= limit {
				break
			}
			if !r.v.ExpiresAt.After(now) {
				delete(d.verifs, id)
				n++
			}
		}
		return nil
	})
	return n, err
}

// Layout returns the resolved schema the store was built with; betterauth.New
// takes Config.Schema from it.
func (s *Store) Layout() *schema.Layout { return s.layout }
