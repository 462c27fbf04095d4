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
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/pgstore"
	"github.com/go-betterauth/betterauth/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func drizzle(mod func(*schema.Schema)) schema.Schema {
	s := schema.Drizzle()
	mod(&s)
	return s
}

// customSchema renames every table and several columns and adds fields.
var customSchema = schema.Schema{
	User: schema.ModelSchema{
		ModelName: "app_users",
		Fields:    map[string]string{"emailVerified": "is_verified", "createdAt": "created"},
		AdditionalFields: map[string]schema.AdditionalField{
			"role":     {Type: schema.FieldString, DefaultValue: "member"},
			"age":      {Type: schema.FieldNumber, Optional: true, Index: true},
			"flags":    {Type: schema.FieldJSON},
			"handle":   {Type: schema.FieldString, Unique: true, FieldName: "user_handle"},
			"birthday": {Type: schema.FieldDate, Optional: true},
			"premium":  {Type: schema.FieldBoolean, DefaultValue: false},
			"credits":  {Type: schema.FieldNumber, BigInt: true, DefaultValue: 5000000000},
		},
	},
	Session: schema.ModelSchema{
		ModelName: "app_sessions",
		Fields:    map[string]string{"userId": "owner_id", "token": "secret"},
		AdditionalFields: map[string]schema.AdditionalField{
			"activeOrganizationId": {Type: schema.FieldString, Optional: true},
		},
	},
	Account:         schema.ModelSchema{ModelName: "app_accounts"},
	Verification:    schema.ModelSchema{ModelName: "app_verifications"},
	MigrationsTable: "app_auth_migrations",
}

// layouts is every physical layout pgstore promises to work on: ours, Better
// Auth's own migrator's, and those Drizzle users have.
var layouts = []struct {
	name string
	file string // a layout from internal/pgtest/layouts, or "" for our migrations
	sch  schema.Schema
}{
	{"migrations-text-ids", "", schema.Schema{}},
	{"migrations-uuid-ids", "", schema.Schema{IDMode: schema.IDModeUUID}},
	{"migrations-drizzle", "", schema.Drizzle()},
	{"migrations-custom-names-additional-fields", "", customSchema},
	{"ba-pg-schema", "ba-pg-schema", schema.Schema{}},
	{"ba-pg-schema-uuid", "ba-pg-schema-uuid", schema.Schema{IDMode: schema.IDModeUUID}},
	{"ba-drizzle", "ba-drizzle", schema.Drizzle()},
	{"ba-drizzle-plural", "ba-drizzle-plural", drizzle(func(s *schema.Schema) { s.UsePlural = true })},
	{"ba-drizzle-uuid", "ba-drizzle-uuid", drizzle(func(s *schema.Schema) { s.IDMode = schema.IDModeUUID })},
	{"ba-drizzle-camel", "ba-drizzle-camel", schema.Schema{TimestampWithoutTimeZone: true}},
	{"seed-drizzle", "seed-drizzle", schema.Schema{IDMode: schema.IDModeUUID, TimestampWithoutTimeZone: true}},
}

// newLayoutPool makes a database with the layout's tables.
func newLayoutPool(t *testing.T, file string, sch schema.Schema) *pgxpool.Pool {
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
		require.NoError(t, migrations.Up(context.Background(), pool, sch))
	}
	return pool
}

func TestConformance(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			pool := newLayoutPool(t, l.file, l.sch)
			st, err := pgstore.New(pool, l.sch)
			require.NoError(t, err)
			storetest.Run(t, l.sch, func(*testing.T) betterauth.Store { return st })

			// The same database, completed with the test extension's tables
			// and fields, as an application adds a plugin later.
			require.NoError(t, migrations.Up(context.Background(), pool, l.sch, storetest.Extension()))
			ext, err := pgstore.New(pool, l.sch, storetest.Extension())
			require.NoError(t, err)
			storetest.RunTables(t, l.sch, func(*testing.T) betterauth.Store { return ext })

			// And Better Auth's rateLimit table (rateLimit.storage "database").
			require.NoError(t, migrations.Up(context.Background(), pool, l.sch, storetest.Extension(), betterauth.RateLimitSchema()))
			rl, err := pgstore.New(pool, l.sch, storetest.Extension(), betterauth.RateLimitSchema())
			require.NoError(t, err)
			storetest.RunRateLimit(t, rl)
		})
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	_, err := pgstore.New(nil, schema.Schema{})
	require.Error(t, err)
	pool, err := pgxpool.New(context.Background(), "postgres://localhost/unused")
	require.NoError(t, err)
	defer pool.Close()
	_, err = pgstore.New(pool, schema.Schema{Session: schema.ModelSchema{Fields: map[string]string{"token": "a b"}}})
	require.ErrorIs(t, err, schema.ErrInvalidSchema)
}

// Better Auth (node-postgres on a UTC server) writes UTC wall-clock time into
// "timestamp without time zone" columns; so must we, whatever the session's
// time zone, or the two would disagree about expiry.
func TestTimestampWithoutTimeZoneHoldsUTC(t *testing.T) {
	sch := schema.Drizzle()
	pool := newLayoutPool(t, "ba-drizzle", sch)
	st, err := pgstore.New(pool, sch)
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
	pool := newLayoutPool(t, "", schema.Schema{})
	st, err := pgstore.New(pool, schema.Schema{})
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
	pool := newLayoutPool(t, "", schema.Schema{})
	require.NoError(t, migrations.Up(ctx, pool, schema.Schema{}, storetest.Extension()))
	pgtest.Exec(t, pool.Config().ConnString(), `
		alter table "testNote" drop constraint "testNote_userId_fkey";
		alter table "testNote" add foreign key ("userId") references "user" ("id")`)
	st, err := pgstore.New(pool, schema.Schema{}, storetest.Extension())
	require.NoError(t, err)
	u := &betterauth.User{Name: "U", Email: "nocascade@example.com", Additional: map[string]any{"testLevel": 1}}
	require.NoError(t, st.CreateUser(ctx, u))
	n, err := st.Insert(ctx, "testNote", schema.Record{"userId": u.ID, "slug": "nc"})
	require.NoError(t, err)
	require.NoError(t, st.DeleteUser(ctx, u.ID))
	_, err = st.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: n["id"]})
	require.ErrorIs(t, err, betterauth.ErrNotFound)
}
