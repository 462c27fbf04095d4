// Package storetest is the conformance suite every betterauth.Store must
// pass. A store package calls Run from its tests:
//
//	func TestConformance(t *testing.T) {
//		sch := schema.Schema{}
//		storetest.Run(t, sch, func(t *testing.T) betterauth.Store {
//			st, err := memstore.New(sch) // your store's constructor
//			if err != nil {
//				t.Fatal(err)
//			}
//			return st
//		})
//	}
//
// The function may return a fresh store for each case or the same one: the cases
// use fresh random emails, tokens and identifiers and do not assume empty
// tables.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/randid"
	"github.com/go-betterauth/betterauth/schema"
)

// Run runs every case against stores made by newStore for the given schema
// (the one the stores were built with: it tells the suite which additional
// fields exist and what ids look like).
func Run(t *testing.T, sch schema.Schema, newStore func(t *testing.T) betterauth.Store) {
	layout, err := sch.Layout()
	require.NoError(t, err)
	s := &suite{layout: layout, newStore: newStore}
	cases := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"UserCRUD", s.userCRUD},
		{"UserNotFound", s.userNotFound},
		{"EmailUniqueAnyCase", s.emailUnique},
		{"ConcurrentSignUpsOneEmail", s.concurrentCreate},
		{"Timestamps", s.timestamps},
		{"AdditionalFields", s.additionalFields},
		{"SessionCRUD", s.sessionCRUD},
		{"SessionWithUserInOneLookup", s.sessionLookup},
		{"ListSessions", s.listSessions},
		{"DeleteUserSessions", s.deleteUserSessions},
		{"DeleteExpiredSessions", s.deleteExpiredSessions},
		{"AccountCRUD", s.accountCRUD},
		{"CascadeOnUserDelete", s.cascade},
		{"VerificationNewestWins", s.verificationNewest},
		{"VerificationConsume", s.verificationConsume},
		{"VerificationConsumeConcurrent", s.verificationConcurrent},
		{"DeleteExpiredVerifications", s.deleteExpiredVerifications},
		{"IncrementVerificationConcurrent", s.incrementConcurrent},
		{"IncrementVerificationExpiry", s.incrementExpiry},
		{"IncrementVerificationInTx", s.incrementInTx},
		{"DeleteVerificationsByValue", s.deleteVerificationsByValue},
		{"TxCommit", s.txCommit},
		{"TxRollback", s.txRollback},
		{"TxRollbackOnPanic", s.txPanic},
	}
	for _, c := range cases {
		t.Run(c.name, c.fn)
	}
}

type suite struct {
	layout   *schema.Layout
	newStore func(t *testing.T) betterauth.Store
}

var (
	textIDRE = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	uuidRE   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

func (s *suite) assertID(t *testing.T, id string) {
	t.Helper()
	if s.layout.IDMode == schema.IDModeUUID {
		assert.Regexp(t, uuidRE, id)
	} else {
		assert.Regexp(t, textIDRE, id)
	}
}

func rnd(t *testing.T) string {
	t.Helper()
	v, err := randid.String(12, "abcdefghijklmnopqrstuvwxyz0123456789")
	require.NoError(t, err)
	return v
}

func token(t *testing.T) string {
	t.Helper()
	v, err := randid.ID()
	require.NoError(t, err)
	return v
}

// base is a time with microseconds only, as PostgreSQL keeps it.
var base = time.Date(2026, 11, 27, 10, 30, 15, 123456000, time.UTC)

// additional returns a valid value for every additional column of the table.
func additional(t *testing.T, tbl *schema.Table) map[string]any {
	out := map[string]any{}
	for _, c := range tbl.AdditionalColumns() {
		switch c.Type {
		case schema.FieldString:
			out[c.Field] = "v-" + rnd(t) // unique, in case the field is
		case schema.FieldNumber:
			out[c.Field] = int64(42)
		case schema.FieldBoolean:
			out[c.Field] = true
		case schema.FieldDate:
			out[c.Field] = base.Add(time.Hour)
		case schema.FieldJSON:
			out[c.Field] = map[string]any{"a": []any{1.0, "two"}, "b": nil}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (s *suite) newUser(t *testing.T, st betterauth.Store) *betterauth.User {
	t.Helper()
	u := &betterauth.User{
		Name: "Ada " + rnd(t), Email: "Ada." + rnd(t) + "@Example.COM",
		CreatedAt: base, UpdatedAt: base, Additional: additional(t, s.layout.User),
	}
	require.NoError(t, st.CreateUser(context.Background(), u))
	return u
}

func (s *suite) newSession(t *testing.T, st betterauth.Store, userID string, expires time.Time) *betterauth.Session {
	t.Helper()
	sess := &betterauth.Session{
		Token: token(t), UserID: userID, ExpiresAt: expires, CreatedAt: base, UpdatedAt: base,
		IPAddress: "203.0.113.7", UserAgent: "storetest", Additional: additional(t, s.layout.Session),
	}
	require.NoError(t, st.CreateSession(context.Background(), sess))
	return sess
}

func (s *suite) userCRUD(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	img := "https://example.com/a.png"
	u := &betterauth.User{
		Name: "Ada", Email: "Ada." + rnd(t) + "@Example.COM", Image: &img,
		CreatedAt: base, UpdatedAt: base, Additional: additional(t, s.layout.User),
	}
	email := u.Email
	require.NoError(t, st.CreateUser(ctx, u))
	s.assertID(t, u.ID)
	assert.Equal(t, strings.ToLower(email), u.Email, "email is stored in lower case")

	got, err := st.GetUserByID(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, u, got)
	assert.False(t, got.EmailVerified)
	require.NotNil(t, got.Image)
	assert.Equal(t, img, *got.Image)

	got, err = st.GetUserByEmail(ctx, strings.ToUpper(email))
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)

	name, verified, empty := "Ada Lovelace", true, ""
	later := base.Add(time.Minute)
	upd, err := st.UpdateUser(ctx, u.ID, betterauth.UserUpdate{Name: &name, EmailVerified: &verified, Image: &empty, UpdatedAt: later})
	require.NoError(t, err)
	assert.Equal(t, "Ada Lovelace", upd.Name)
	assert.True(t, upd.EmailVerified)
	assert.Nil(t, upd.Image, "a pointer to \"\" clears the image")
	assert.True(t, upd.UpdatedAt.Equal(later))
	assert.True(t, upd.CreatedAt.Equal(base), "CreatedAt is not touched by updates")
	got, err = st.GetUserByID(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, upd, got)

	newEmail := "NEW." + rnd(t) + "@example.com"
	upd, err = st.UpdateUser(ctx, u.ID, betterauth.UserUpdate{Email: &newEmail})
	require.NoError(t, err)
	assert.Equal(t, strings.ToLower(newEmail), upd.Email)
	_, err = st.GetUserByEmail(ctx, email)
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "the old email no longer finds the user")
	_, err = st.GetUserByEmail(ctx, newEmail)
	assert.NoError(t, err)

	require.NoError(t, st.DeleteUser(ctx, u.ID))
	_, err = st.GetUserByID(ctx, u.ID)
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
	assert.ErrorIs(t, st.DeleteUser(ctx, u.ID), betterauth.ErrNotFound)
}

func (s *suite) userNotFound(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	missing := s.missingID(t)
	u, err := st.GetUserByID(ctx, missing)
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
	assert.Nil(t, u)
	u, err = st.GetUserByID(ctx, "not-an-id")
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "a malformed id is simply not found")
	assert.Nil(t, u)
	u, err = st.GetUserByEmail(ctx, "nobody-"+rnd(t)+"@example.com")
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
	assert.Nil(t, u)
	name := "x"
	u, err = st.UpdateUser(ctx, missing, betterauth.UserUpdate{Name: &name})
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
	assert.Nil(t, u)
	assert.ErrorIs(t, st.DeleteUser(ctx, missing), betterauth.ErrNotFound)
}

func (s *suite) missingID(t *testing.T) string {
	var id string
	var err error
	if s.layout.IDMode == schema.IDModeUUID {
		id, err = randid.UUID()
	} else {
		id, err = randid.ID()
	}
	require.NoError(t, err)
	return id
}

func (s *suite) emailUnique(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	a := s.newUser(t, st)
	dup := &betterauth.User{Name: "Twin", Email: strings.ToUpper(a.Email), Additional: additional(t, s.layout.User)}
	err := st.CreateUser(ctx, dup)
	assert.ErrorIs(t, err, betterauth.ErrConflict)

	b := s.newUser(t, st)
	taken := strings.ToUpper(a.Email)
	_, err = st.UpdateUser(ctx, b.ID, betterauth.UserUpdate{Email: &taken})
	assert.ErrorIs(t, err, betterauth.ErrConflict)
	got, err := st.GetUserByID(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, b.Email, got.Email, "a refused update changes nothing")
}

func (s *suite) concurrentCreate(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	email := "race." + rnd(t) + "@example.com"
	var ok, conflict atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := &betterauth.User{Name: fmt.Sprint("racer ", i), Email: email, Additional: additional(t, s.layout.User)}
			err := st.CreateUser(ctx, u)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, betterauth.ErrConflict):
				conflict.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, ok.Load(), "exactly one user is created")
	assert.EqualValues(t, 19, conflict.Load())
}

func (s *suite) timestamps(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	tokyo := time.FixedZone("UTC+9", 9*3600)
	created := time.Date(2026, 1, 2, 3, 4, 5, 678901000, tokyo)
	u := &betterauth.User{Name: "T", Email: rnd(t) + "@example.com", CreatedAt: created, UpdatedAt: created, Additional: additional(t, s.layout.User)}
	require.NoError(t, st.CreateUser(ctx, u))
	got, err := st.GetUserByID(ctx, u.ID)
	require.NoError(t, err)
	assert.True(t, got.CreatedAt.Equal(created), "got %v, want %v", got.CreatedAt, created)
	assert.Equal(t, time.UTC, got.CreatedAt.Location(), "times come back in UTC")

	expires := time.Date(2026, 12, 4, 3, 4, 5, 0, tokyo)
	sess := &betterauth.Session{Token: token(t), UserID: u.ID, ExpiresAt: expires, Additional: additional(t, s.layout.Session)}
	require.NoError(t, st.CreateSession(ctx, sess))
	gs, _, err := st.GetSessionByToken(ctx, sess.Token)
	require.NoError(t, err)
	assert.True(t, gs.ExpiresAt.Equal(expires))
	assert.Equal(t, time.UTC, gs.ExpiresAt.Location())
	assert.False(t, gs.CreatedAt.IsZero(), "zero CreatedAt is set to now")
	assert.WithinDuration(t, time.Now(), gs.CreatedAt, time.Hour)
}

func (s *suite) additionalFields(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	for _, tbl := range []*schema.Table{s.layout.User, s.layout.Session} {
		if len(tbl.AdditionalColumns()) == 0 {
			continue
		}
		t.Run(tbl.Model, func(t *testing.T) {
			// Unknown fields are refused, and nothing is written.
			bad := &betterauth.User{Name: "X", Email: rnd(t) + "@example.com", Additional: map[string]any{"noSuchField": 1}}
			if tbl.Model == schema.ModelUser {
				assert.ErrorIs(t, st.CreateUser(ctx, bad), schema.ErrInvalidField)
				_, err := st.GetUserByEmail(ctx, bad.Email)
				assert.ErrorIs(t, err, betterauth.ErrNotFound)
			}
			for _, c := range tbl.AdditionalColumns() {
				vals := additional(t, tbl)
				delete(vals, c.Field)
				u := &betterauth.User{Name: "X", Email: rnd(t) + "@example.com"}
				var err error
				if tbl.Model == schema.ModelUser {
					u.Additional = vals
					err = st.CreateUser(ctx, u)
				} else {
					owner := s.newUser(t, st)
					err = st.CreateSession(ctx, &betterauth.Session{Token: token(t), UserID: owner.ID, ExpiresAt: base, Additional: vals})
				}
				switch {
				case c.Default != nil:
					require.NoError(t, err, "field %s has a default", c.Field)
				case c.Required:
					assert.ErrorIs(t, err, schema.ErrInvalidField, "required field %s missing", c.Field)
				default:
					require.NoError(t, err, "field %s is optional", c.Field)
				}
				if err == nil && tbl.Model == schema.ModelUser {
					got, err := st.GetUserByID(ctx, u.ID)
					require.NoError(t, err)
					want := c.Default
					assert.Equal(t, want, got.Additional[c.Field], "field %s", c.Field)
					assert.Contains(t, got.Additional, c.Field)
				}
			}
			// Mistyped values are refused.
			for _, c := range tbl.AdditionalColumns() {
				vals := additional(t, tbl)
				vals[c.Field] = struct{ X chan int }{}
				if c.Type == schema.FieldJSON {
					vals[c.Field] = func() {}
				}
				if tbl.Model == schema.ModelUser {
					err := st.CreateUser(ctx, &betterauth.User{Name: "X", Email: rnd(t) + "@example.com", Additional: vals})
					assert.ErrorIs(t, err, schema.ErrInvalidField, "field %s", c.Field)
				}
			}
		})
	}
	if cols := s.layout.User.AdditionalColumns(); len(cols) > 0 {
		u := s.newUser(t, st)
		got, err := st.GetUserByID(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, u.Additional, got.Additional)
		changes := map[string]any{}
		for _, c := range cols {
			switch c.Type {
			case schema.FieldString:
				changes[c.Field] = "changed-" + rnd(t)
			case schema.FieldNumber:
				changes[c.Field] = 7 // an int is accepted and read back as int64
			case schema.FieldBoolean:
				changes[c.Field] = false
			case schema.FieldDate:
				changes[c.Field] = base.Add(48 * time.Hour)
			case schema.FieldJSON:
				changes[c.Field] = []any{"x"}
			}
		}
		upd, err := st.UpdateUser(ctx, u.ID, betterauth.UserUpdate{Additional: changes})
		require.NoError(t, err)
		got, err = st.GetUserByID(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, upd, got)
		for _, c := range cols {
			want, err := c.Normalize(changes[c.Field])
			require.NoError(t, err)
			assert.Equal(t, want, got.Additional[c.Field], "field %s", c.Field)
		}
	}
	if len(s.layout.Session.AdditionalColumns()) > 0 {
		u := s.newUser(t, st)
		sess := s.newSession(t, st, u.ID, base.Add(time.Hour))
		got, _, err := st.GetSessionByToken(ctx, sess.Token)
		require.NoError(t, err)
		assert.Equal(t, sess.Additional, got.Additional)
	}
}

func (s *suite) sessionCRUD(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	u := s.newUser(t, st)
	expires := base.Add(7 * 24 * time.Hour)
	sess := s.newSession(t, st, u.ID, expires)
	s.assertID(t, sess.ID)

	dup := &betterauth.Session{Token: sess.Token, UserID: u.ID, ExpiresAt: expires, Additional: additional(t, s.layout.Session)}
	assert.ErrorIs(t, st.CreateSession(ctx, dup), betterauth.ErrConflict)
	orphan := &betterauth.Session{Token: token(t), UserID: s.missingID(t), ExpiresAt: expires, Additional: additional(t, s.layout.Session)}
	assert.ErrorIs(t, st.CreateSession(ctx, orphan), betterauth.ErrNotFound)

	later := expires.Add(24 * time.Hour)
	upd, err := st.UpdateSession(ctx, sess.Token, betterauth.SessionUpdate{ExpiresAt: later, UpdatedAt: base.Add(time.Hour)})
	require.NoError(t, err)
	assert.True(t, upd.ExpiresAt.Equal(later))
	assert.True(t, upd.UpdatedAt.Equal(base.Add(time.Hour)))
	assert.Equal(t, sess.Token, upd.Token, "the token is never rotated by an update")
	_, err = st.UpdateSession(ctx, token(t), betterauth.SessionUpdate{ExpiresAt: later})
	assert.ErrorIs(t, err, betterauth.ErrNotFound)

	require.NoError(t, st.DeleteSession(ctx, sess.Token))
	_, _, err = st.GetSessionByToken(ctx, sess.Token)
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
	assert.ErrorIs(t, st.DeleteSession(ctx, sess.Token), betterauth.ErrNotFound)
}

func (s *suite) sessionLookup(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	u := s.newUser(t, st)
	sess := s.newSession(t, st, u.ID, base.Add(time.Hour))
	gs, gu, err := st.GetSessionByToken(ctx, sess.Token)
	require.NoError(t, err)
	assert.Equal(t, sess, gs)
	assert.Equal(t, u, gu)
	assert.Equal(t, "203.0.113.7", gs.IPAddress)
	assert.Equal(t, "storetest", gs.UserAgent)

	// Expired sessions are returned as they are: expiry is the caller's policy.
	old := s.newSession(t, st, u.ID, base.Add(-time.Hour))
	gs, _, err = st.GetSessionByToken(ctx, old.Token)
	require.NoError(t, err)
	assert.True(t, gs.ExpiresAt.Equal(base.Add(-time.Hour)))

	gs, gu, err = st.GetSessionByToken(ctx, token(t))
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
	assert.Nil(t, gs)
	assert.Nil(t, gu)
}

func (s *suite) listSessions(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	u := s.newUser(t, st)
	other := s.newUser(t, st)
	var want []string
	for i := range 3 {
		sess := &betterauth.Session{
			Token: token(t), UserID: u.ID, ExpiresAt: base.Add(time.Duration(i+1) * time.Hour),
			CreatedAt: base.Add(time.Duration(i) * time.Minute), UpdatedAt: base, Additional: additional(t, s.layout.Session),
		}
		require.NoError(t, st.CreateSession(ctx, sess))
		want = append(want, sess.Token)
	}
	s.newSession(t, st, other.ID, base.Add(time.Hour))

	all, err := st.ListSessions(ctx, u.ID, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, want, tokens(all), "oldest first, only this user's")

	live, err := st.ListSessions(ctx, u.ID, base.Add(90*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, want[1:], tokens(live), "only sessions expiring after liveAt")

	none, err := st.ListSessions(ctx, s.missingID(t), time.Time{})
	require.NoError(t, err)
	assert.NotNil(t, none)
	assert.Empty(t, none)
}

func tokens(ss []betterauth.Session) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.Token)
	}
	return out
}

func (s *suite) deleteUserSessions(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	u := s.newUser(t, st)
	other := s.newUser(t, st)
	keep := s.newSession(t, st, u.ID, base.Add(time.Hour))
	s.newSession(t, st, u.ID, base.Add(time.Hour))
	s.newSession(t, st, u.ID, base.Add(time.Hour))
	otherSess := s.newSession(t, st, other.ID, base.Add(time.Hour))

	n, err := st.DeleteUserSessions(ctx, u.ID, keep.Token)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	left, err := st.ListSessions(ctx, u.ID, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, []string{keep.Token}, tokens(left))

	n, err = st.DeleteUserSessions(ctx, u.ID, "")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	_, _, err = st.GetSessionByToken(ctx, otherSess.Token)
	assert.NoError(t, err, "other users' sessions stay")
}

// ancient is long before any time the other cases use, so deleting what
// expired before it touches only this case's rows.
var ancient = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

func (s *suite) deleteExpiredSessions(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	u := s.newUser(t, st)
	for range 5 {
		s.newSession(t, st, u.ID, ancient.Add(-time.Hour))
	}
	live := s.newSession(t, st, u.ID, ancient.Add(time.Hour))
	n, err := st.DeleteExpiredSessions(ctx, ancient, 3)
	require.NoError(t, err)
	assert.EqualValues(t, 3, n, "at most limit rows")
	n, err = st.DeleteExpiredSessions(ctx, ancient, 100)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	n, err = st.DeleteExpiredSessions(ctx, ancient, 100)
	require.NoError(t, err)
	assert.EqualValues(t, 0, n)
	_, _, err = st.GetSessionByToken(ctx, live.Token)
	assert.NoError(t, err)
}

func (s *suite) accountCRUD(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	u := s.newUser(t, st)
	cred := &betterauth.Account{
		AccountID: u.ID, ProviderID: betterauth.ProviderCredential, UserID: u.ID,
		Password: "ab1fb0ae9b036cc9d3693c5010ecfb18:00", CreatedAt: base, UpdatedAt: base,
	}
	require.NoError(t, st.CreateAccount(ctx, cred))
	s.assertID(t, cred.ID)
	exp := base.Add(time.Hour)
	gh := &betterauth.Account{
		AccountID: "gh-" + rnd(t), ProviderID: "github", UserID: u.ID, AccessToken: "at", RefreshToken: "rt",
		IDToken: "idt", AccessTokenExpiresAt: &exp, Scope: "read:user,user:email",
		CreatedAt: base.Add(time.Second), UpdatedAt: base,
	}
	require.NoError(t, st.CreateAccount(ctx, gh))

	got, err := st.GetAccount(ctx, betterauth.ProviderCredential, u.ID)
	require.NoError(t, err)
	assert.Equal(t, cred, got)
	got, err = st.GetAccount(ctx, "github", gh.AccountID)
	require.NoError(t, err)
	assert.Equal(t, gh, got)
	assert.Nil(t, got.RefreshTokenExpiresAt)
	_, err = st.GetAccount(ctx, "google", gh.AccountID)
	assert.ErrorIs(t, err, betterauth.ErrNotFound)

	list, err := st.ListAccounts(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, cred.ID, list[0].ID)
	assert.Equal(t, gh.ID, list[1].ID)

	pw, empty := "new-hash", ""
	rexp := base.Add(48 * time.Hour)
	upd, err := st.UpdateAccount(ctx, gh.ID, betterauth.AccountUpdate{
		Password: &pw, AccessToken: &empty, RefreshTokenExpiresAt: &rexp, AccessTokenExpiresAt: &time.Time{},
	})
	require.NoError(t, err)
	assert.Equal(t, "new-hash", upd.Password)
	assert.Equal(t, "", upd.AccessToken)
	assert.Equal(t, "rt", upd.RefreshToken, "fields not named are left alone")
	assert.Nil(t, upd.AccessTokenExpiresAt, "a zero time stores NULL")
	require.NotNil(t, upd.RefreshTokenExpiresAt)
	assert.True(t, upd.RefreshTokenExpiresAt.Equal(rexp))
	got, err = st.GetAccount(ctx, "github", gh.AccountID)
	require.NoError(t, err)
	assert.Equal(t, upd, got)

	orphan := &betterauth.Account{AccountID: "x", ProviderID: "github", UserID: s.missingID(t)}
	assert.ErrorIs(t, st.CreateAccount(ctx, orphan), betterauth.ErrNotFound)
	_, err = st.UpdateAccount(ctx, s.missingID(t), betterauth.AccountUpdate{Password: &pw})
	assert.ErrorIs(t, err, betterauth.ErrNotFound)

	require.NoError(t, st.DeleteAccount(ctx, gh.ID))
	assert.ErrorIs(t, st.DeleteAccount(ctx, gh.ID), betterauth.ErrNotFound)
	list, err = st.ListAccounts(ctx, u.ID)
	require.NoError(t, err)
	assert.Len(t, list, 1)
	none, err := st.ListAccounts(ctx, s.missingID(t))
	require.NoError(t, err)
	assert.NotNil(t, none)
	assert.Empty(t, none)
}

func (s *suite) cascade(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	u := s.newUser(t, st)
	keep := s.newUser(t, st)
	sess := s.newSession(t, st, u.ID, base.Add(time.Hour))
	keepSess := s.newSession(t, st, keep.ID, base.Add(time.Hour))
	require.NoError(t, st.CreateAccount(ctx, &betterauth.Account{AccountID: u.ID, ProviderID: betterauth.ProviderCredential, UserID: u.ID, Password: "h"}))

	require.NoError(t, st.DeleteUser(ctx, u.ID))
	_, _, err := st.GetSessionByToken(ctx, sess.Token)
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "sessions go with their user")
	_, err = st.GetAccount(ctx, betterauth.ProviderCredential, u.ID)
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "accounts go with their user")
	_, _, err = st.GetSessionByToken(ctx, keepSess.Token)
	assert.NoError(t, err, "other users keep theirs")
}

func (s *suite) verificationNewest(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	id := "reset-password:" + token(t)
	older := &betterauth.Verification{Identifier: id, Value: "old", ExpiresAt: base.Add(time.Hour), CreatedAt: base, UpdatedAt: base}
	newer := &betterauth.Verification{Identifier: id, Value: "new", ExpiresAt: base.Add(time.Hour), CreatedAt: base.Add(time.Second), UpdatedAt: base}
	// Insert the newer one first: "newest" means by CreatedAt, not insertion order.
	require.NoError(t, st.CreateVerification(ctx, newer))
	require.NoError(t, st.CreateVerification(ctx, older))
	s.assertID(t, newer.ID)
	got, err := st.GetVerification(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, newer, got)

	_, err = st.GetVerification(ctx, "reset-password:"+token(t))
	assert.ErrorIs(t, err, betterauth.ErrNotFound)

	require.NoError(t, st.DeleteVerification(ctx, newer.ID))
	got, err = st.GetVerification(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "old", got.Value)
	assert.ErrorIs(t, st.DeleteVerification(ctx, newer.ID), betterauth.ErrNotFound)
}

func (s *suite) verificationConsume(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	id := "reset-password:" + token(t)
	for i := range 3 {
		v := &betterauth.Verification{Identifier: id, Value: fmt.Sprint(i), ExpiresAt: base.Add(time.Hour), CreatedAt: base.Add(time.Duration(i) * time.Second)}
		require.NoError(t, st.CreateVerification(ctx, v))
	}
	otherID := "reset-password:" + token(t)
	require.NoError(t, st.CreateVerification(ctx, &betterauth.Verification{Identifier: otherID, Value: "x", ExpiresAt: base}))

	got, err := st.ConsumeVerification(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "2", got.Value, "the newest row is returned")
	_, err = st.GetVerification(ctx, id)
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "every row of the identifier is gone")
	_, err = st.ConsumeVerification(ctx, id)
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "a consumed value cannot be replayed")
	_, err = st.GetVerification(ctx, otherID)
	assert.NoError(t, err, "other identifiers are untouched")
}

func (s *suite) verificationConcurrent(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	id := "reset-password:" + token(t)
	require.NoError(t, st.CreateVerification(ctx, &betterauth.Verification{Identifier: id, Value: "user", ExpiresAt: base.Add(time.Hour)}))
	var wins, misses atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := st.ConsumeVerification(ctx, id)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, betterauth.ErrNotFound):
				misses.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.EqualValues(t, 1, wins.Load(), "exactly one consumer wins")
	assert.EqualValues(t, 9, misses.Load())
}

func (s *suite) deleteExpiredVerifications(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	for range 4 {
		require.NoError(t, st.CreateVerification(ctx, &betterauth.Verification{Identifier: "x:" + token(t), Value: "v", ExpiresAt: ancient.Add(-time.Minute)}))
	}
	live := &betterauth.Verification{Identifier: "x:" + token(t), Value: "v", ExpiresAt: ancient.Add(time.Minute)}
	require.NoError(t, st.CreateVerification(ctx, live))
	n, err := st.DeleteExpiredVerifications(ctx, ancient, 3)
	require.NoError(t, err)
	assert.EqualValues(t, 3, n)
	n, err = st.DeleteExpiredVerifications(ctx, ancient, 3)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	_, err = st.GetVerification(ctx, live.Identifier)
	assert.NoError(t, err)
}

func (s *suite) txCommit(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	var u *betterauth.User
	err := st.InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
		u = &betterauth.User{Name: "Tx", Email: rnd(t) + "@example.com", Additional: additional(t, s.layout.User)}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.CreateAccount(ctx, &betterauth.Account{AccountID: u.ID, ProviderID: betterauth.ProviderCredential, UserID: u.ID, Password: "h"}); err != nil {
			return err
		}
		// Reads inside the transaction see its writes; nested InTx joins it.
		return tx.InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
			_, err := tx.GetUserByEmail(ctx, u.Email)
			return err
		})
	})
	require.NoError(t, err)
	_, err = st.GetUserByID(ctx, u.ID)
	assert.NoError(t, err)
	_, err = st.GetAccount(ctx, betterauth.ProviderCredential, u.ID)
	assert.NoError(t, err)
}

var errBoom = errors.New("boom")

func (s *suite) txRollback(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	victim := s.newUser(t, st)
	sess := s.newSession(t, st, victim.ID, base.Add(time.Hour))
	vid := "reset-password:" + token(t)
	require.NoError(t, st.CreateVerification(ctx, &betterauth.Verification{Identifier: vid, Value: victim.ID, ExpiresAt: base.Add(time.Hour)}))
	email := rnd(t) + "@example.com"
	err := st.InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
		u := &betterauth.User{Name: "Ghost", Email: email, Additional: additional(t, s.layout.User)}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if _, err := tx.ConsumeVerification(ctx, vid); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, victim.ID, ""); err != nil {
			return err
		}
		return errBoom
	})
	assert.ErrorIs(t, err, errBoom, "InTx returns fn's error")
	_, err = st.GetUserByEmail(ctx, email)
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "the user created in the failed transaction is gone")
	_, err = st.GetVerification(ctx, vid)
	assert.NoError(t, err, "the consumed verification is back")
	_, _, err = st.GetSessionByToken(ctx, sess.Token)
	assert.NoError(t, err, "the deleted session is back")
}

func (s *suite) txPanic(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	email := rnd(t) + "@example.com"
	assert.Panics(t, func() {
		_ = st.InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
			u := &betterauth.User{Name: "Ghost", Email: email, Additional: additional(t, s.layout.User)}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			panic("boom")
		})
	})
	_, err := st.GetUserByEmail(ctx, email)
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
	// The store is still usable after the panic.
	s.newUser(t, st)
}

// Twenty concurrent increments of one identifier: each caller sees a
// different count, and the count ends at 20, in one row.
func (s *suite) incrementConcurrent(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	id := "failed-sign-in:" + token(t)
	const n = 20
	got := make([]int64, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			c, err := st.IncrementVerification(ctx, id, base, base.Add(time.Hour))
			if err != nil {
				t.Errorf("increment: %v", err)
			}
			got[i] = c
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(got)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	assert.Equal(t, want, got, "every caller saw a distinct count")
	v, err := st.ConsumeVerification(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "20", v.Value)
	assert.Equal(t, base.Add(time.Hour), v.ExpiresAt)
	_, err = st.GetVerification(ctx, id)
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "one row holds the count")
}

// An expired row does not count: the next increment starts again at 1.
// Increments leave the expiry alone; a value that is no count counts as 0.
func (s *suite) incrementExpiry(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	id := "failed-sign-in:" + token(t)
	inc := func(now, expires time.Time) int64 {
		t.Helper()
		n, err := st.IncrementVerification(ctx, id, now, expires)
		require.NoError(t, err)
		return n
	}
	assert.EqualValues(t, 1, inc(base, base.Add(time.Minute)))
	v, err := st.GetVerification(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "1", v.Value)
	assert.Equal(t, base.Add(time.Minute), v.ExpiresAt)
	assert.Equal(t, base, v.CreatedAt)
	s.assertID(t, v.ID)

	assert.EqualValues(t, 2, inc(base.Add(30*time.Second), base.Add(90*time.Second)))
	v, err = st.GetVerification(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, base.Add(time.Minute), v.ExpiresAt, "the expiry stays")
	assert.Equal(t, base.Add(30*time.Second), v.UpdatedAt)

	// At its expiry the row is dead: counting starts again.
	assert.EqualValues(t, 1, inc(base.Add(time.Minute), base.Add(3*time.Minute)))
	assert.EqualValues(t, 2, inc(base.Add(100*time.Second), base.Add(3*time.Minute)))

	other := "failed-sign-in:" + token(t)
	require.NoError(t, st.CreateVerification(ctx, &betterauth.Verification{Identifier: other, Value: "-7", ExpiresAt: base.Add(time.Hour), CreatedAt: base}))
	n, err := st.IncrementVerification(ctx, other, base, base.Add(time.Hour))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "a value that is no count counts as 0")
}

// Inside InTx the count belongs to the transaction: rolled back, it is gone.
func (s *suite) incrementInTx(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	id := "failed-sign-in:" + token(t)
	_, err := st.IncrementVerification(ctx, id, base, base.Add(time.Hour))
	require.NoError(t, err)
	err = st.InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
		n, err := tx.IncrementVerification(ctx, id, base, base.Add(time.Hour))
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		n, err = tx.IncrementVerification(ctx, id, base, base.Add(time.Hour))
		require.NoError(t, err)
		assert.EqualValues(t, 3, n, "the transaction sees its own increments")
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	v, err := st.GetVerification(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "1", v.Value, "a rolled-back increment is gone")

	err = st.InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
		_, err := tx.IncrementVerification(ctx, id, base, base.Add(time.Hour))
		return err
	})
	require.NoError(t, err)
	v, err = st.GetVerification(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "2", v.Value, "a committed one stays")
}

func (s *suite) deleteVerificationsByValue(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	mine, theirs := "user-"+token(t), "user-"+token(t)
	add := func(identifier, value string) string {
		t.Helper()
		v := &betterauth.Verification{Identifier: identifier, Value: value, ExpiresAt: base.Add(time.Hour)}
		require.NoError(t, st.CreateVerification(ctx, v))
		return v.Identifier
	}
	reset1 := add("reset-password:"+token(t), mine)
	reset2 := add("reset-password:"+token(t), mine)
	del := add("delete-account-"+token(t), mine)
	hashedLike := add(token(t), mine)
	keep := add("reset-password:"+token(t), theirs)
	wild := add("reset_password:"+token(t), mine)

	n, err := st.DeleteVerificationsByValue(ctx, mine, "reset-password:")
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	for _, id := range []string{reset1, reset2} {
		_, err := st.GetVerification(ctx, id)
		assert.ErrorIs(t, err, betterauth.ErrNotFound)
	}
	for _, id := range []string{del, hashedLike, keep, wild} {
		_, err := st.GetVerification(ctx, id)
		assert.NoError(t, err, "other prefixes and other values stay")
	}
	n, err = st.DeleteVerificationsByValue(ctx, mine, "reset%")
	require.NoError(t, err)
	assert.EqualValues(t, 0, n, "the prefix is text, not a pattern")

	n, err = st.DeleteVerificationsByValue(ctx, mine, "")
	require.NoError(t, err)
	assert.EqualValues(t, 3, n, "an empty prefix: every row with the value")
	_, err = st.GetVerification(ctx, keep)
	assert.NoError(t, err)
}
