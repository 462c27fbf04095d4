package migrations_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func pool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

// fingerprint describes every column, constraint and index of the public
// schema, leaving out the migrations' own version table.
func fingerprint(t *testing.T, p *pgxpool.Pool, skipTable string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	q := func(sql string) {
		rows, err := p.Query(ctx, sql, skipTable)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			require.NoError(t, err)
			out = append(out, fmt.Sprint(vals...))
		}
		require.NoError(t, rows.Err())
	}
	q(`select 'column ', table_name, '.', column_name, ' ', data_type, ' nullable=', is_nullable, ' default=', coalesce(column_default, '-')
	   from information_schema.columns where table_schema = 'public' and table_name <> $1 order by table_name, ordinal_position`)
	q(`select 'constraint ', conrelid::regclass::text, ' ', conname, ' ', pg_get_constraintdef(oid)
	   from pg_constraint where connamespace = 'public'::regnamespace and conrelid::regclass::text <> quote_ident($1) order by 2, 4`)
	q(`select 'index ', indexdef from pg_indexes where schemaname = 'public' and tablename <> $1 order by indexname`)
	return out
}

var extraIndexes = []string{
	`index CREATE INDEX "account_providerId_accountId_idx" ON public.account USING btree ("providerId", "accountId")`,
	`index CREATE INDEX "session_expiresAt_idx" ON public.session USING btree ("expiresAt")`,
	`index CREATE INDEX "user_createdAt_idx" ON public."user" USING btree ("createdAt")`,
	`index CREATE INDEX "verification_expiresAt_idx" ON public.verification USING btree ("expiresAt")`,
}

// With default options on an empty database, Up yields Better Auth 1.7.25's
// schema exactly (ba-pg-schema*.sql, dumped from its own migrator) plus the
// four extra indexes.
func TestUpMatchesBetterAuthSchema(t *testing.T) {
	for _, c := range []struct {
		layout string
		sch    schema.Schema
	}{
		{"ba-pg-schema", schema.Schema{}},
		{"ba-pg-schema-uuid", schema.Schema{IDMode: schema.IDModeUUID}},
	} {
		t.Run(c.layout, func(t *testing.T) {
			ref := pgtest.NewDatabase(t)
			sql, err := pgtest.Layout(c.layout)
			require.NoError(t, err)
			pgtest.Exec(t, ref, sql)
			want := fingerprint(t, pool(t, ref), "betterauth_schema_migrations")
			want = append(want, extraIndexes...)

			ours := pool(t, pgtest.NewDatabase(t))
			require.NoError(t, migrations.Up(context.Background(), ours, c.sch))
			got := fingerprint(t, ours, "betterauth_schema_migrations")
			assert.ElementsMatch(t, want, got)
		})
	}
}

// On a database Better Auth already created, Up succeeds, twice, adds only
// the missing indexes and leaves every row alone.
func TestUpAdoptsExistingDatabases(t *testing.T) {
	for _, c := range []struct {
		layout string
		sch    schema.Schema
	}{
		{"ba-pg-schema", schema.Schema{}},
		{"ba-pg-schema-uuid", schema.Schema{IDMode: schema.IDModeUUID}},
		{"ba-drizzle", schema.Drizzle()},
		{"seed-drizzle", schema.Schema{IDMode: schema.IDModeUUID, TimestampWithoutTimeZone: true}},
	} {
		t.Run(c.layout, func(t *testing.T) {
			ctx := context.Background()
			url := pgtest.NewDatabase(t)
			sql, err := pgtest.Layout(c.layout)
			require.NoError(t, err)
			pgtest.Exec(t, url, sql)
			p := pool(t, url)
			l, err := c.sch.Layout()
			require.NoError(t, err)
			id := "'00000000-0000-4000-8000-000000000001'"
			if c.sch.IDMode == "" {
				id = "'existinguser0000000000000000000'"
			}
			_, err = p.Exec(ctx, fmt.Sprintf(`insert into "user" (id, name, email, %q, %q, %q) values (%s, 'Old', 'old@example.com', true, '2025-01-01', '2025-01-01')`,
				l.User.Col("emailVerified"), l.User.Col("createdAt"), l.User.Col("updatedAt"), id))
			require.NoError(t, err)
			before := fingerprint(t, p, "betterauth_schema_migrations")

			require.NoError(t, migrations.Up(ctx, p, c.sch))
			after := fingerprint(t, p, "betterauth_schema_migrations")
			require.NoError(t, migrations.Up(ctx, p, c.sch), "a second run is a no-op")
			assert.Equal(t, after, fingerprint(t, p, "betterauth_schema_migrations"))

			for _, line := range before {
				assert.Contains(t, after, line, "nothing existing changes")
			}
			for _, line := range after {
				if !strings.Contains(strings.Join(before, "\n"), line) {
					assert.True(t, strings.HasPrefix(line, "index CREATE INDEX"), "only indexes are added, got %s", line)
				}
			}
			var name string
			require.NoError(t, p.QueryRow(ctx, `select name from "user"`).Scan(&name))
			assert.Equal(t, "Old", name)
			problems, err := migrations.Check(ctx, p, c.sch)
			require.NoError(t, err)
			for _, pr := range problems {
				assert.False(t, pr.Fatal, "after Up: %s", pr)
			}
		})
	}
}

func TestUpConcurrentReplicas(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := pgxpool.New(context.Background(), url)
			if err != nil {
				errs <- err
				return
			}
			defer p.Close()
			errs <- migrations.Up(context.Background(), p, schema.Schema{})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	problems, err := migrations.Check(context.Background(), pool(t, url), schema.Schema{})
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestCheckNamesWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	p := pool(t, pgtest.NewDatabase(t))
	problems, err := migrations.Check(ctx, p, schema.Schema{})
	require.NoError(t, err)
	require.Len(t, problems, 4, "an empty database misses the four tables")
	assert.Contains(t, problems[0].Message, `table "user"`)

	require.NoError(t, migrations.Up(ctx, p, schema.Schema{}))
	_, err = p.Exec(ctx, `alter table "session" drop column "userAgent"; drop index "verification_expiresAt_idx"; alter table "account" alter column "scope" type integer using null`)
	require.NoError(t, err)
	problems, err = migrations.Check(ctx, p, schema.Schema{})
	require.NoError(t, err)
	var msgs []string
	for _, pr := range problems {
		assert.True(t, pr.Fatal)
		msgs = append(msgs, pr.String())
	}
	joined := strings.Join(msgs, "\n")
	assert.Contains(t, joined, `table "session" has no column "userAgent"`)
	assert.Contains(t, joined, `table "verification" has no index on (expiresAt)`)
	assert.Contains(t, joined, `"account"."scope" has type int4`)
	assert.Len(t, problems, 3, joined)

	// A uuid database checked against the default (text id) configuration.
	uuidDB := pool(t, pgtest.NewDatabase(t))
	require.NoError(t, migrations.Up(ctx, uuidDB, schema.Schema{IDMode: schema.IDModeUUID}))
	problems, err = migrations.Check(ctx, uuidDB, schema.Schema{})
	require.NoError(t, err)
	require.NotEmpty(t, problems)
	assert.Contains(t, problems[0].Message, "is uuid, but the default IDMode")
}

func TestUpAddsFieldsLater(t *testing.T) {
	ctx := context.Background()
	p := pool(t, pgtest.NewDatabase(t))
	require.NoError(t, migrations.Up(ctx, p, schema.Schema{}))
	_, err := p.Exec(ctx, `insert into "user" values ('u1', 'A', 'a@example.com', false, null, now(), now())`)
	require.NoError(t, err)

	with := func(fields map[string]schema.AdditionalField) schema.Schema {
		return schema.Schema{User: schema.ModelSchema{AdditionalFields: fields}}
	}
	// An optional, indexed field and a required one with a default are added.
	s := with(map[string]schema.AdditionalField{
		"nickname": {Type: schema.FieldString, Optional: true, Index: true},
		"role":     {Type: schema.FieldString, DefaultValue: "member"},
		"handle":   {Type: schema.FieldString, Optional: true, Unique: true},
	})
	require.NoError(t, migrations.Up(ctx, p, s))
	var uidx string
	require.NoError(t, p.QueryRow(ctx, `select indexname from pg_indexes where tablename = 'user' and indexdef like '%UNIQUE%(handle)%'`).Scan(&uidx))
	assert.Equal(t, "user_handle_uidx", uidx, "a unique field added later gets Better Auth's unique index")
	var role string
	require.NoError(t, p.QueryRow(ctx, `select role from "user" where id = 'u1'`).Scan(&role))
	assert.Equal(t, "member", role, "existing rows get the default")
	problems, err := migrations.Check(ctx, p, s)
	require.NoError(t, err)
	assert.Empty(t, problems)

	// A required field with no default cannot be added to a table with rows.
	err = migrations.Up(ctx, p, with(map[string]schema.AdditionalField{"tier": {Type: schema.FieldNumber}}))
	require.ErrorIs(t, err, migrations.ErrUnsafe)
	var n int
	require.NoError(t, p.QueryRow(ctx, `select count(*) from information_schema.columns where table_name = 'user' and column_name = 'tier'`).Scan(&n))
	assert.Zero(t, n, "nothing was half-done")
}

func TestGenerateOptions(t *testing.T) {
	sql, err := migrations.Generate(schema.Schema{IDMode: schema.IDModeUUID, UsePlural: true, Naming: schema.NamingSnakeCase, TimestampWithoutTimeZone: true})
	require.NoError(t, err)
	assert.Contains(t, sql, `create table if not exists "users" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key`)
	assert.Contains(t, sql, `"email_verified" boolean not null`)
	assert.Contains(t, sql, `"user_id" uuid not null references "users" ("id") on delete cascade`)
	assert.Contains(t, sql, `"expires_at" timestamp not null`)
	assert.Contains(t, sql, `create index if not exists "sessions_userId_idx" on "sessions" ("user_id")`)

	_, err = migrations.Generate(schema.Schema{User: schema.ModelSchema{ModelName: "bad name"}})
	assert.ErrorIs(t, err, schema.ErrInvalidSchema)
}
