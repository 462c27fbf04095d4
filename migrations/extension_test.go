package migrations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/storetest"
)

// A plugin added to a migrated database: Check names what is missing, Apply
// creates its tables (referenced tables first) with Better Auth's DDL and
// adds its field to user, and a second run has nothing to do.
func TestUpCreatesExtensionTables(t *testing.T) {
	ctx := context.Background()
	p := pool(t, pgtest.NewDatabase(t))
	sch, ext := schema.Schema{}, storetest.Extension()
	require.NoError(t, migrations.Up(ctx, p, sch))

	problems, err := migrations.Check(ctx, p, sch, ext)
	require.NoError(t, err)
	var msgs []string
	for _, pr := range problems {
		if pr.Fatal {
			msgs = append(msgs, pr.Message)
		}
	}
	all := strings.Join(msgs, "\n")
	assert.Contains(t, all, `table "testNote" (model testNote) is missing`)
	assert.Contains(t, all, `table "user" has no column "testLevel"`)

	r, err := migrations.Apply(ctx, p, sch, ext)
	require.NoError(t, err)
	assert.Equal(t, []string{"testNote", "testTag", "testAudit", "testLock"}, r.Tables, "referenced tables first")
	assert.Equal(t, []migrations.ColumnRef{{Table: "user", Column: "testLevel"}}, r.Columns)

	rows, err := p.Query(ctx, `
		select t.relname || '.' || a.attname || ' -> ' || rt.relname || '.' || ra.attname || ' ' || c.confdeltype::text
		from pg_constraint c
		join pg_class t on t.oid = c.conrelid join pg_attribute a on a.attrelid = t.oid and a.attnum = c.conkey[1]
		join pg_class rt on rt.oid = c.confrelid join pg_attribute ra on ra.attrelid = rt.oid and ra.attnum = c.confkey[1]
		where c.contype = 'f' and t.relname like 'test%' order by 1`)
	require.NoError(t, err)
	var fks []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		fks = append(fks, s)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{
		"testAudit.userId -> user.id n", // set null
		"testLock.userId -> user.id r",  // restrict
		"testNote.userId -> user.id c",  // cascade
		"testTag.noteSlug -> testNote.slug c",
	}, fks)
	var types string
	require.NoError(t, p.QueryRow(ctx, `select string_agg(column_name || ' ' || udt_name || ' ' || is_nullable || ' ' || coalesce(column_default, '-'), ', ' order by ordinal_position)
		from information_schema.columns where table_name = 'testNote'`).Scan(&types))
	assert.Equal(t, `id text NO -, userId text NO -, slug text NO -, dueAt timestamptz YES -, meta jsonb YES -, counter int8 NO -, done bool NO -, createdAt timestamptz NO CURRENT_TIMESTAMP`, types)
	for _, ix := range []string{"testNote_userId_idx", "testTag_noteSlug_idx", "testNote_slug_key"} {
		var n int
		require.NoError(t, p.QueryRow(ctx, `select count(*) from pg_class where relname = $1 and relkind = 'i'`, ix).Scan(&n))
		assert.Equal(t, 1, n, ix)
	}

	r, err = migrations.Apply(ctx, p, sch, ext)
	require.NoError(t, err)
	assert.False(t, r.Changed(), "a second run has nothing to do: %s", r)
	assert.Empty(t, r.Problems, "not even a note: every foreign key points where it should")
}

func TestGenerateExtensionTables(t *testing.T) {
	sql, err := migrations.Generate(schema.Schema{IDMode: schema.IDModeUUID}, storetest.Extension())
	require.NoError(t, err)
	assert.Contains(t, sql, `create table if not exists "testLock" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key, "userId" uuid not null references "user" ("id") on delete restrict)`)
	assert.Less(t, strings.Index(sql, `"testNote" (`), strings.Index(sql, `"testTag" (`))
	assert.Contains(t, sql, `create index if not exists "testTag_noteSlug_idx" on "testTag" ("noteSlug")`)

	core, err := migrations.Files(schema.Schema{})
	require.NoError(t, err)
	tablesOnly := storetest.Extension()
	tablesOnly.Fields = nil // fields on user go into its create table, as additional fields do
	withExt, err := migrations.Files(schema.Schema{}, tablesOnly)
	require.NoError(t, err)
	assert.Equal(t, core, withExt, "the numbered files create the core tables only, whatever the extensions")
}
