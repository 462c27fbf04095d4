package pgtest

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	os.Exit(Main(m))
}

// userTables lists the tables of url's database outside the system schemas, sorted.
func userTables(t *testing.T, url string) []string {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT table_schema || '.' || table_name FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return tables
}

func currentDatabase(t *testing.T, url string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var name string
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name))
	return name
}

func TestNewDatabaseDistinctAndEmpty(t *testing.T) {
	url1, url2 := NewDatabase(t), NewDatabase(t)
	require.NotEqual(t, url1, url2)

	name1, name2 := currentDatabase(t, url1), currentDatabase(t, url2)
	require.NotEqual(t, name1, name2)
	require.True(t, strings.HasPrefix(name1, "bat_"), name1)

	require.Empty(t, userTables(t, url1))
	require.Empty(t, userTables(t, url2))
}

func TestDatabaseDroppedOnCleanup(t *testing.T) {
	var name string
	t.Run("create", func(t *testing.T) {
		name = currentDatabase(t, NewDatabase(t))
	})
	if name == "" {
		t.Skip("no database was created") // the subtest has reported why
	}

	admin, err := adminURL()
	require.NoError(t, err)
	conn, err := pgx.Connect(t.Context(), admin)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var exists bool
	require.NoError(t, conn.QueryRow(t.Context(),
		"SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists))
	require.False(t, exists, "database %s should have been dropped", name)
}

func TestNewPool(t *testing.T) {
	pool := NewPool(t)
	var one int
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT 1").Scan(&one))
	require.Equal(t, 1, one)
}

func TestLayouts(t *testing.T) {
	names := Layouts()
	require.Equal(t, []string{
		"ba-drizzle", "ba-drizzle-camel", "ba-drizzle-plural", "ba-drizzle-uuid",
		"ba-pg-schema", "ba-pg-schema-uuid", "seed-drizzle",
	}, names)

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			script, err := Layout(name)
			require.NoError(t, err)
			require.NotEmpty(t, script)

			url := NewDatabase(t)
			Exec(t, url, script)

			want := []string{"public.account", "public.session", "public.user", "public.verification"}
			if strings.Contains(name, "plural") {
				want = []string{"public.accounts", "public.sessions", "public.users", "public.verifications"}
			}
			require.Equal(t, want, userTables(t, url))
		})
	}
}

// The pg_dump layouts empty search_path; that must stay on Exec's own connection.
func TestExecDoesNotLeakSessionSettings(t *testing.T) {
	script, err := Layout("ba-pg-schema")
	require.NoError(t, err)
	require.Contains(t, script, `\restrict`)
	require.Contains(t, script, "set_config('search_path', '', false)")

	pool := NewPool(t)
	url := pool.Config().ConnConfig.ConnString()
	Exec(t, url, script)

	var n int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM "user"`).Scan(&n))
	require.Zero(t, n)
}

func TestLayoutUnknown(t *testing.T) {
	_, err := Layout("nope")
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = Layout("../pgtest")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestStripMetaCommands(t *testing.T) {
	in := "\\restrict x\nSELECT 1;\n  \\not-at-start\nSELECT '\\x';\n\\unrestrict x"
	require.Equal(t, "SELECT 1;\n  \\not-at-start\nSELECT '\\x';\n", stripMetaCommands(in))
}

func TestWithDatabase(t *testing.T) {
	got, err := withDatabase("postgres://u:p@localhost:5432/postgres?sslmode=disable", "bat_1")
	require.NoError(t, err)
	require.Equal(t, "postgres://u:p@localhost:5432/bat_1?sslmode=disable", got)

	got, err = withDatabase("host=/tmp user=u dbname=postgres", "bat_1")
	require.NoError(t, err)
	cfg, err := pgx.ParseConfig(got)
	require.NoError(t, err)
	require.Equal(t, "bat_1", cfg.Database)
}
