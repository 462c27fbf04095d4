package betterauth

import (
	"context"
	"errors"
	"time"

	"github.com/go-betterauth/betterauth/schema"
)

// Sentinel errors shared by every Store implementation, together with
// schema.ErrInvalidField and schema.ErrInvalidSchema. Stores wrap them with
// context (fmt.Errorf("...: %w", ErrNotFound)); test with errors.Is.
var (
	// ErrNotFound reports that the row asked for does not exist (or, for
	// writes that reference a user, that the user does not exist). Stores never
	// return (nil, nil) for a missing row.
	ErrNotFound = errors.New("betterauth: not found")
	// ErrConflict reports that a write would break a uniqueness rule: a second
	// user with the same email (compared case-insensitively) or a second
	// session with the same token.
	ErrConflict = errors.New("betterauth: conflict")
)

// UserStore reads and writes the user table.
//
// Emails are stored and compared in lower case: CreateUser and UpdateUser
// lower-case the email they are given, GetUserByEmail lower-cases its argument.
type UserStore interface {
	// CreateUser inserts u. When u.ID is empty the store assigns one (a
	// 32-character random id, or a database-generated uuid in
	// schema.IDModeUUID) and writes it back into u, together with the stored
	// email and any additional-field defaults. Zero CreatedAt/UpdatedAt are
	// set to now. It returns ErrConflict if a user with the same email exists
	// and schema.ErrInvalidField if an additional field is unknown, mistyped
	// or missing.
	CreateUser(ctx context.Context, u *User) error
	// GetUserByID returns the user with that id, or ErrNotFound.
	GetUserByID(ctx context.Context, id string) (*User, error)
	// GetUserByEmail returns the user with that email (any case), or ErrNotFound.
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser applies the non-nil fields of upd to the user and returns
	// the user as stored afterwards. ErrNotFound if there is no such user,
	// ErrConflict if the new email belongs to another user.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
	// DeleteUser deletes the user together with its sessions and accounts,
	// also where the foreign keys have no ON DELETE CASCADE, and applies
	// the references of extension tables to user: their rows are deleted
	// (schema.OnDeleteCascade) or get NULL (schema.OnDeleteSetNull), or the
	// delete fails with ErrConflict (schema.OnDeleteRestrict). ErrNotFound if
	// there is no such user.
	DeleteUser(ctx context.Context, id string) error
}

// SessionStore reads and writes the session table. Stores keep expired rows
// as they are: deciding that a session has expired is the caller's policy.
type SessionStore interface {
	// CreateSession inserts s, assigning s.ID as CreateUser does.
	// ErrConflict if the token is taken, ErrNotFound if s.UserID names no user.
	CreateSession(ctx context.Context, s *Session) error
	// GetSessionByToken returns the session with that token and its user, in
	// one database round trip. ErrNotFound if there is no such session.
	GetSessionByToken(ctx context.Context, token string) (*Session, *User, error)
	// ListSessions returns the user's sessions whose ExpiresAt is after
	// liveAt (every session when liveAt is zero), oldest first. No sessions is
	// an empty slice, not an error.
	ListSessions(ctx context.Context, userID string, liveAt time.Time) ([]Session, error)
	// UpdateSession applies upd to the session with that token and returns it
	// as stored afterwards, or ErrNotFound.
	UpdateSession(ctx context.Context, token string, upd SessionUpdate) (*Session, error)
	// DeleteSession deletes the session with that token, or returns ErrNotFound.
	DeleteSession(ctx context.Context, token string) error
	// DeleteUserSessions deletes every session of the user except the one
	// whose token is exceptToken (none is kept when it is empty), and returns
	// how many it deleted.
	DeleteUserSessions(ctx context.Context, userID, exceptToken string) (int64, error)
	// DeleteExpiredSessions deletes at most limit sessions whose ExpiresAt is
	// at or before now and returns how many it deleted.
	DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int64, error)
}

// AccountStore reads and writes the account table: one row per way a user
// can sign in (the "credential" provider holds the password hash).
type AccountStore interface {
	// CreateAccount inserts a, assigning a.ID as CreateUser does.
	// ErrNotFound if a.UserID names no user.
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns the account of that provider with that
	// provider-side account id, or ErrNotFound. The credential account of a
	// user has ProviderID "credential" and AccountID equal to the user id.
	GetAccount(ctx context.Context, providerID, accountID string) (*Account, error)
	// ListAccounts returns the user's accounts, oldest first (an empty slice
	// when there are none).
	ListAccounts(ctx context.Context, userID string) ([]Account, error)
	// UpdateAccount applies the non-nil fields of upd to the account with
	// that row id and returns it as stored afterwards, or ErrNotFound.
	UpdateAccount(ctx context.Context, id string, upd AccountUpdate) (*Account, error)
	// DeleteAccount deletes the account with that row id, or returns ErrNotFound.
	DeleteAccount(ctx context.Context, id string) error
}

// VerificationStore reads and writes the verification table: short-lived
// values (reset tokens, delete-account tokens, OAuth state) under an identifier.
// Several rows may share an identifier; the newest (by CreatedAt) wins.
// Expired rows are returned as they are: expiry is the caller's policy.
type VerificationStore interface {
	// CreateVerification inserts v, assigning v.ID as CreateUser does.
	CreateVerification(ctx context.Context, v *Verification) error
	// GetVerification returns the newest row with that identifier, or ErrNotFound.
	GetVerification(ctx context.Context, identifier string) (*Verification, error)
	// ConsumeVerification atomically deletes every row with that identifier
	// and returns the newest of them, or ErrNotFound. Of several concurrent
	// callers exactly one gets the row; the others get ErrNotFound.
	ConsumeVerification(ctx context.Context, identifier string) (*Verification, error)
	// IncrementVerification counts under identifier, atomically: it adds one
	// to the integer value of the newest row under identifier whose ExpiresAt
	// is after now (leaving its ExpiresAt as it is) and returns the new
	// count; without such a row it creates one with value "1" expiring at
	// expiresAt and returns 1. A value that is not a non-negative integer
	// counts as 0. Of n concurrent calls on one identifier each returns a different
	// count and the count ends n higher; rows written by other methods at the
	// same time may be ignored or counted. Inside InTx the count is taken in
	// the transaction (and other callers wait for it to end).
	IncrementVerification(ctx context.Context, identifier string, now, expiresAt time.Time) (int64, error)
	// DeleteVerificationsByValue deletes every row whose Value equals value
	// and whose Identifier starts with identifierPrefix (whatever the
	// identifier when the prefix is empty) and returns how many it deleted.
	DeleteVerificationsByValue(ctx context.Context, value, identifierPrefix string) (int64, error)
	// DeleteVerification deletes the row with that id, or returns ErrNotFound.
	DeleteVerification(ctx context.Context, id string) error
	// DeleteExpiredVerifications deletes at most limit rows whose ExpiresAt is
	// at or before now and returns how many it deleted.
	DeleteExpiredVerifications(ctx context.Context, now time.Time, limit int) (int64, error)
}

// Store is everything the library needs from a database.
type Store interface {
	UserStore
	SessionStore
	AccountStore
	VerificationStore

	// InTx runs fn in one transaction. fn must use tx, not the receiver, for
	// every read and write that belongs to the transaction. If fn returns an
	// error (or panics) nothing it wrote is kept and InTx returns that error;
	// otherwise the transaction commits. Calling InTx on tx runs fn in the
	// same transaction.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error
}

// TableStore is the optional store capability that reads and writes the
// tables schema extensions declare (schema.Layout.Table(model).Extension),
// with equality conditions only. memstore and pgstore implement it, also on
// the Store an InTx callback receives. Every method returns an error
// wrapping schema.ErrInvalidSchema for a model that is not an extension
// table of the store's layout and schema.ErrInvalidField for an unknown
// field or a value of the wrong type.
type TableStore interface {
	// Insert writes a row and returns it as stored. The store makes the id
	// when r has none (as for users) and fills fields r leaves out with their
	// default (DefaultValue, or now for DefaultNow); a required field
	// without one is schema.ErrInvalidField. ErrConflict if a unique field's value
	// is taken, ErrNotFound if a reference points at no row.
	Insert(ctx context.Context, model string, r schema.Record) (schema.Record, error)
	// FindOne returns the first row (by id) matching every condition, or
	// ErrNotFound; never nil, nil.
	FindOne(ctx context.Context, model string, where ...schema.Where) (schema.Record, error)
	// FindMany returns the matching rows; none is an empty slice.
	FindMany(ctx context.Context, model string, q schema.Query) ([]schema.Record, error)
	// Update sets the fields of set on every matching row and returns how
	// many there were. At least one condition is required
	// (schema.ErrInvalidField otherwise), and the id cannot be set. ErrConflict and ErrNotFound as
	// for Insert.
	Update(ctx context.Context, model string, set schema.Record, where ...schema.Where) (int64, error)
	// Delete deletes every matching row and returns how many there were,
	// applying the ON DELETE action of the references to them. At least one
	// condition is required. ErrConflict if a schema.OnDeleteRestrict reference
	// still points at one of them.
	Delete(ctx context.Context, model string, where ...schema.Where) (int64, error)
}
