package pgstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/store/pgstore"
	"github.com/go-betterauth/betterauth/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func drizzle(mod func(*betterauth.Schema)) betterauth.Schema {
	s := betterauth.DrizzleSchema()
	mod(&s)
	return s
}

// customSchema renames every table and several columns and adds fields.
var customSchema = betterauth.Schema{
	User: betterauth.ModelSchema{
		ModelName: "app_users",
		Fields:    map[string]string{"emailVerified": "is_verified", "createdAt": "created"},
		AdditionalFields: map[string]betterauth.AdditionalField{
			"role":     {Type: betterauth.FieldString, DefaultValue: "member"},
			"age":      {Type: betterauth.FieldNumber, Optional: true, Index: true},
			"flags":    {Type: betterauth.FieldJSON},
			"handle":   {Type: betterauth.FieldString, Unique: true, FieldName: "user_handle"},
			"birthday": {Type: betterauth.FieldDate, Optional: true},
			"premium":  {Type: betterauth.FieldBoolean, DefaultValue: false},
			"credits":  {Type: betterauth.FieldNumber, BigInt: true, DefaultValue: 5000000000},
		},
	},
	Session: betterauth.ModelSchema{
		ModelName: "app_sessions",
		Fields:    map[string]string{"userId": "owner_id", "token": "secret"},
		AdditionalFields: map[string]betterauth.AdditionalField{
			"activeOrganizationId": {Type: betterauth.FieldString, Optional: true},
		},
	},
	Account:         betterauth.ModelSchema{ModelName: "app_accounts"},
	Verification:    betterauth.ModelSchema{ModelName: "app_verifications"},
	MigrationsTable: "app_auth_migrations",
}

// layouts is every physical layout pgstore promises to work on: ours, Better
// Auth's own migrator's, and those Drizzle users have.
var layouts = []struct {
	name   string
	file   string // a layout from internal/pgtest/layouts, or "" for our migrations
	schema betterauth.Schema
}{
	{"migrations-text-ids", "", betterauth.Schema{}},
	{"migrations-uuid-ids", "", betterauth.Schema{IDMode: betterauth.IDModeUUID}},
	{"migrations-drizzle", "", betterauth.DrizzleSchema()},
	{"migrations-custom-names-additional-fields", "", customSchema},
	{"ba-pg-schema", "ba-pg-schema", betterauth.Schema{}},
	{"ba-pg-schema-uuid", "ba-pg-schema-uuid", betterauth.Schema{IDMode: betterauth.IDModeUUID}},
	{"ba-drizzle", "ba-drizzle", betterauth.DrizzleSchema()},
	{"ba-drizzle-plural", "ba-drizzle-plural", drizzle(func(s *betterauth.Schema) { s.UsePlural = true })},
	{"ba-drizzle-uuid", "ba-drizzle-uuid", drizzle(func(s *betterauth.Schema) { s.IDMode = betterauth.IDModeUUID })},
	{"ba-drizzle-camel", "ba-drizzle-camel", betterauth.Schema{TimestampWithoutTimeZone: true}},
	{"seed-drizzle", "seed-drizzle", betterauth.Schema{IDMode: betterauth.IDModeUUID, TimestampWithoutTimeZone: true}},
}

// newLayoutPool makes a database with the layout's tables.
func newLayoutPool(t *testing.T, file string, schema betterauth.Schema) *pgxpool.Pool {
	t.Helper()
	url := pgtest.NewDatabase(t)
	if file != "" {
		sql, err := pgtest.Layout(file)
		require.NoError(t, err)
		pgtest.Exec(t, url, sql)
	}
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	// A session time zone far from UTC: times must still be written and read
	// as UTC, also in "timestamp without time zone" columns.
	cfg.ConnConfig.RuntimeParams["timezone"] = "Pacific/Chatham"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	if file == "" {
		require.NoError(t, migrations.Up(context.Background(), pool, schema))
	}
	return pool
}

func TestConformance(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			pool := newLayoutPool(t, l.file, l.schema)
			st, err := pgstore.New(pool, l.schema)
			require.NoError(t, err)
			storetest.Run(t, l.schema, func(*testing.T) betterauth.Store { return st })

			// The same database, completed with the test extension's tables
			// and fields, as an application adds a plugin later.
			require.NoError(t, migrations.Up(context.Background(), pool, l.schema, storetest.Extension()))
			ext, err := pgstore.New(pool, l.schema, storetest.Extension())
			require.NoError(t, err)
			storetest.RunTables(t, l.schema, func(*testing.T) betterauth.Store { return ext })
		})
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	_, err := pgstore.New(nil, betterauth.Schema{})
	require.Error(t, err)
	pool, err := pgxpool.New(context.Background(), "postgres://localhost/unused")
	require.NoError(t, err)
	defer pool.Close()
	_, err = pgstore.New(pool, betterauth.Schema{Session: betterauth.ModelSchema{Fields: map[string]string{"token": "a b"}}})
	require.ErrorIs(t, err, betterauth.ErrInvalidSchema)
}

// Better Auth (node-postgres on a UTC server) writes UTC wall-clock time into
// "timestamp without time zone" columns; so must we, whatever the session's
// time zone, or the two would disagree about expiry.
func TestTimestampWithoutTimeZoneHoldsUTC(t *testing.T) {
	schema := betterauth.DrizzleSchema()
	pool := newLayoutPool(t, "ba-drizzle", schema)
	st, err := pgstore.New(pool, schema)
	require.NoError(t, err)
	ctx := context.Background()
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("X", -7*3600))
	u := &betterauth.User{Name: "U", Email: "utc@example.com", CreatedAt: created, UpdatedAt: created}
	require.NoError(t, st.CreateUser(ctx, u))
	var raw string
	require.NoError(t, pool.QueryRow(ctx, `select created_at::text from "user" where id = $1`, u.ID).Scan(&raw))
	require.Equal(t, "2026-03-04 12:06:07", raw)
}

// Errors must not carry row values: a duplicate token stays out of the message.
func TestErrorsDoNotLeakValues(t *testing.T) {
	pool := newLayoutPool(t, "", betterauth.Schema{})
	st, err := pgstore.New(pool, betterauth.Schema{})
	require.NoError(t, err)
	ctx := context.Background()
	u := &betterauth.User{Name: "U", Email: "leak@example.com"}
	require.NoError(t, st.CreateUser(ctx, u))
	s := &betterauth.Session{Token: "SECRETTOKENVALUE0000000000000000", UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}
	require.NoError(t, st.CreateSession(ctx, s))
	s2 := *s
	s2.ID = ""
	err = st.CreateSession(ctx, &s2)
	require.ErrorIs(t, err, betterauth.ErrConflict)
	require.NotContains(t, err.Error(), "SECRETTOKENVALUE")
	err = st.CreateUser(ctx, &betterauth.User{Name: "U", Email: "leak@example.com"})
	require.ErrorIs(t, err, betterauth.ErrConflict)
	require.NotContains(t, err.Error(), "leak@example.com")
}

// On a database whose extension tables reference the user without ON DELETE
// CASCADE (made by hand, say), DeleteUser still deletes their rows, as it
// deletes sessions and accounts there.
func TestDeleteUserWithoutCascadeOnExtensionTables(t *testing.T) {
	ctx := context.Background()
	pool := newLayoutPool(t, "", betterauth.Schema{})
	require.NoError(t, migrations.Up(ctx, pool, betterauth.Schema{}, storetest.Extension()))
	pgtest.Exec(t, pool.Config().ConnString(), `
		alter table "testNote" drop constraint "testNote_userId_fkey";
		alter table "testNote" add foreign key ("userId") references "user" ("id")`)
	st, err := pgstore.New(pool, betterauth.Schema{}, storetest.Extension())
	require.NoError(t, err)
	u := &betterauth.User{Name: "U", Email: "nocascade@example.com", Additional: map[string]any{"testLevel": 1}}
	require.NoError(t, st.CreateUser(ctx, u))
	n, err := st.Insert(ctx, "testNote", betterauth.Record{"userId": u.ID, "slug": "nc"})
	require.NoError(t, err)
	require.NoError(t, st.DeleteUser(ctx, u.ID))
	_, err = st.FindOne(ctx, "testNote", betterauth.Where{Field: "id", Value: n["id"]})
	require.ErrorIs(t, err, betterauth.ErrNotFound)
}
