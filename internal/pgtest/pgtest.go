// Package pgtest gives tests a real, throwaway PostgreSQL.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// envURL names the environment variable with the URL of an existing server to use instead of a throwaway cluster.
const envURL = "TEST_DATABASE_URL"

// opTimeout bounds each database operation done by this package.
const opTimeout = 2 * time.Minute

// State set by Main before m.Run and only read afterwards.
var (
	mainCalled bool
	serverURL  string // admin URL of the server in use, "" if none
	serverErr  error  // why there is no server, when serverURL is ""
)

// Main is called from a test package's TestMain: os.Exit(pgtest.Main(m)).
// If TEST_DATABASE_URL is set, that server is used (the URL's user must be allowed to CREATE DATABASE).
// Otherwise it starts a throwaway cluster with the installed binaries: initdb into a fresh temp dir
// (owned by the unprivileged user when running as root, processes started with SysProcAttr.Credential),
// listening ONLY on a unix socket in that temp dir (listen_addresses empty, unix_socket_directories=dir),
// fsync=off, full_page_writes=off, synchronous_commit=off for speed, auth trust; after m.Run it stops
// the cluster (pg_ctl stop -m immediate) and removes the directory, also when tests fail. Locate binaries
// via env PG_BIN (a directory) first, then PATH (initdb, pg_ctl), then /usr/lib/postgresql/*/bin (newest).
// If the cluster cannot be started, Main records the reason and still runs the tests: NewDatabase then
// fails or skips (below). Never leaves a postgres process running after Main returns.
func Main(m *testing.M) int {
	mainCalled = true
	if u := os.Getenv(envURL); u != "" {
		serverURL = u
		return m.Run()
	}
	c, err := startCluster()
	if err != nil {
		serverErr = err
		fmt.Fprintf(os.Stderr, "pgtest: no PostgreSQL for these tests: %v\n", err)
		return m.Run()
	}
	defer func() {
		if err := c.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}()
	serverURL = c.url("postgres")
	return m.Run()
}

// NewDatabase creates a fresh, empty database (unique name, e.g. "bat_<random hex>") on the server and
// returns a connection URL for it (usable by pgxpool.New and pgx.Connect); it is dropped in t.Cleanup
// (DROP DATABASE ... WITH (FORCE)). When no server is available: t.Fatalf with the reason if the
// environment variable CI is non-empty, else t.Skipf with the reason.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin, err := adminURL()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pgtest: %v", err)
		}
		t.Skipf("pgtest: %v", err)
	}

	name, err := randomName()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := adminExec(admin, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := adminExec(admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dbURL
}

// NewPool is NewDatabase plus a *pgxpool.Pool for it, closed in t.Cleanup (before the drop).
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dbURL := NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: new pool: %v", err)
	}
	t.Cleanup(pool.Close) // registered after the drop, so it runs before it
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("pgtest: ping: %v", err)
	}
	return pool
}

// Exec runs a SQL script (several statements) on one dedicated connection to url (not a pool, because
// scripts such as pg_dump output may change session settings like search_path), after removing lines
// that start with a backslash (psql meta-commands such as "\restrict x"). Fails the test on error.
func Exec(t testing.TB, url, script string) {
	t.Helper()
	script = stripMetaCommands(script)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: exec: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.PgConn().Exec(ctx, script).ReadAll(); err != nil {
		t.Fatalf("pgtest: exec: %v", describeError(script, err))
	}
}

// adminURL returns the URL of the server to create databases on, or why there is none.
func adminURL() (string, error) {
	if serverURL != "" {
		return serverURL, nil
	}
	if u := os.Getenv(envURL); u != "" {
		return u, nil // no TestMain, but a server was given
	}
	if !mainCalled {
		return "", errors.New("no PostgreSQL server: TestMain must call pgtest.Main (or set " + envURL + ")")
	}
	return "", fmt.Errorf("no PostgreSQL server (set %s to use an existing one): %w", envURL, serverErr)
}

// adminExec runs one statement (outside a transaction) on a fresh connection to connString.
func adminExec(connString, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// randomName returns a fresh database name like "bat_0123456789abcdef".
func randomName() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	return "bat_" + hex.EncodeToString(b[:]), nil
}

// withDatabase returns connString with its database replaced by name. It accepts URLs
// (postgres://...) and keyword/value strings ("host=... user=...").
func withDatabase(connString, name string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", envURL, err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In a keyword/value string a later setting wins over an earlier one.
	return connString + " dbname=" + name, nil
}

// stripMetaCommands removes the lines that start with a backslash (psql meta-commands).
func stripMetaCommands(script string) string {
	lines := strings.SplitAfter(script, "\n")
	kept := lines[:0]
	for _, line := range lines {
		if !strings.HasPrefix(line, `\`) {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}

// describeError adds the script's line number to a server error that has a position.
func describeError(script string, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Position <= 0 {
		return err
	}
	// Position counts characters (not bytes), starting at 1.
	line, n := 1, int32(0)
	for _, r := range script {
		n++
		if n >= pgErr.Position {
			break
		}
		if r == '\n' {
			line++
		}
	}
	return fmt.Errorf("line %d (after removing backslash lines): %w", line, err)
}
