package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestGenerate(t *testing.T) {
	code, out, _ := runCLI(t, "generate")
	require.Equal(t, 0, code)
	want, err := migrations.Generate(schema.Schema{})
	require.NoError(t, err)
	assert.Equal(t, want, out)

	code, out, _ = runCLI(t, "generate", "--drizzle", "--plural", "--uuid")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `"email_verified" boolean not null`)
	assert.Contains(t, out, `create table if not exists "sessions"`)
	assert.Contains(t, out, `"expires_at" timestamp not null`)

	code, out, _ = runCLI(t, "generate", "--config", "testdata/custom.json")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `create table if not exists "members" ("id" uuid default pg_catalog.gen_random_uuid()`)
	assert.Contains(t, out, `"role" text not null`)
	assert.Contains(t, out, `"role" text not null, "age" integer)`, "declaration order")
	assert.Contains(t, out, `"ip" text`)
	assert.Contains(t, out, `create index if not exists "members_age_idx" on "members" ("age")`)
}

func TestUsageErrors(t *testing.T) {
	code, _, errOut := runCLI(t)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "Usage:")
	code, _, _ = runCLI(t, "generate", "--help")
	assert.Equal(t, 0, code)
	code, _, errOut = runCLI(t, "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "unknown command")
	t.Setenv("DATABASE_URL", "")
	code, _, errOut = runCLI(t, "migrate")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "DATABASE_URL")
	code, _, errOut = runCLI(t, "generate", "--config", "testdata/nope.json")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "nope.json")
}

func TestMigrateAndCheck(t *testing.T) {
	url := pgtest.NewDatabase(t)
	sql, err := pgtest.Layout("ba-pg-schema")
	require.NoError(t, err)
	pgtest.Exec(t, url, sql)

	code, out, _ := runCLI(t, "check", "--database-url", url)
	assert.Equal(t, 1, code, "Better Auth's own schema lacks the extra indexes")
	assert.Contains(t, out, `table "session" has no index on (expiresAt)`)

	t.Setenv("DATABASE_URL", url)
	code, out, errOut := runCLI(t, "migrate")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `created index "session_expiresAt_idx" on "session" (expiresAt)`)
	assert.Contains(t, out, "0 table(s), 0 column(s), 4 index(es) created")
	assert.NotContains(t, out, "created table")
	code, out, errOut = runCLI(t, "migrate")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "nothing to do")
	assert.Contains(t, out, "already up to date")
	code, out, _ = runCLI(t, "check")
	assert.Equal(t, 0, code, out)

	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	defer pool.Close()
	_, err = pool.Exec(context.Background(), `alter table "account" drop column "idToken"`)
	require.NoError(t, err)
	code, out, _ = runCLI(t, "check")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `table "account" has no column "idToken"`)
	code, out, errOut = runCLI(t, "migrate")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `added column "account"."idToken"`)
	assert.NotContains(t, out, "nothing to do")

	// A mismatch migrate cannot fix: it says so and exits 1.
	_, err = pool.Exec(context.Background(), `alter table "account" alter column "scope" type integer using null`)
	require.NoError(t, err)
	code, out, errOut = runCLI(t, "migrate")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `"account"."scope" has type int4`)
	assert.Contains(t, errOut, "does not match")
	assert.NotContains(t, out, "up to date")
}

// On an empty database, migrate says which tables and indexes it made.
func TestMigrateReportsCreation(t *testing.T) {
	code, out, errOut := runCLI(t, "migrate", "--database-url", pgtest.NewDatabase(t))
	require.Equal(t, 0, code, errOut)
	for _, table := range []string{"user", "session", "account", "verification"} {
		assert.Contains(t, out, fmt.Sprintf("created table %q\n", table))
	}
	assert.Contains(t, out, `created unique index "user_email_key" on "user" (email)`)
	assert.Contains(t, out, "4 table(s), 0 column(s)")
	assert.NotContains(t, out, "nothing to do")
}

// First-party plugins by id, from --plugins or the config's "plugins": their
// tables are generated, migrated and checked with the core's; the jwks DDL
// is Better Auth's own (spec §1.7).
func TestPlugins(t *testing.T) {
	const jwks = `create table if not exists "jwks" ("id" text not null primary key, "publicKey" text not null, "privateKey" text not null, "createdAt" timestamptz not null, "expiresAt" timestamptz, "alg" text, "crv" text);`
	code, out, _ := runCLI(t, "generate", "--plugins", "jwt,bearer")
	require.Equal(t, 0, code)
	assert.Contains(t, out, jwks)
	code, out, _ = runCLI(t, "generate")
	require.Equal(t, 0, code)
	assert.NotContains(t, out, `"jwks"`)

	// The two-factor plugin: Better Auth's twoFactor table and user.twoFactorEnabled.
	code, out, _ = runCLI(t, "generate", "--plugins", "two-factor")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `"updatedAt" timestamptz default CURRENT_TIMESTAMP not null, "twoFactorEnabled" boolean);`)
	assert.Contains(t, out, `create table if not exists "twoFactor" ("id" text not null primary key, "secret" text not null, "backupCodes" text not null, "userId" text not null references "user" ("id") on delete cascade, "verified" boolean, "failedVerificationCount" integer, "lockedUntil" timestamptz);`)
	assert.Contains(t, out, `create index if not exists "twoFactor_secret_idx" on "twoFactor" ("secret");`)
	assert.Contains(t, out, `create index if not exists "twoFactor_userId_idx" on "twoFactor" ("userId");`)

	cfg := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"plugins": ["jwt"], "models": {"jwks": {"modelName": "jwt_keys", "fields": {"publicKey": "public_key"}}}}`), 0o600))
	code, out, _ = runCLI(t, "generate", "--config", cfg)
	require.Equal(t, 0, code)
	assert.Contains(t, out, `create table if not exists "jwt_keys" ("id" text not null primary key, "public_key" text not null,`)

	code, out, _ = runCLI(t, "generate", "--config", cfg, "--plugins", "jwt")
	require.Equal(t, 0, code, "a plugin named in the config and by the flag counts once")
	assert.Equal(t, 1, strings.Count(out, `create table if not exists "jwt_keys"`))

	code, _, errOut := runCLI(t, "generate", "--plugins", "organization")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown plugin "organization" (known: bearer, jwt, two-factor)`)
	code, _, errOut = runCLI(t, "generate", "--config", filepath.Join(t.TempDir(), "nope.json"))
	assert.Equal(t, 2, code, errOut)

	url := pgtest.NewDatabase(t)
	code, out, errOut = runCLI(t, "migrate", "--database-url", url, "--plugins", "jwt")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "jwks")
	code, out, _ = runCLI(t, "check", "--database-url", url, "--plugins", "jwt")
	assert.Equal(t, 0, code, out)
	code, out, _ = runCLI(t, "check", "--database-url", url, "--config", cfg)
	assert.Equal(t, 1, code, "the renamed table is missing: %s", out)
	assert.Contains(t, out, "jwt_keys")
}

// --rate-limit-storage database: Better Auth's rateLimit table (spec §1.8),
// after the plugins' tables; migrated and checked like them.
func TestRateLimitStorageFlag(t *testing.T) {
	const rateLimit = `create table if not exists "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null);`
	code, out, _ := runCLI(t, "generate", "--rate-limit-storage", "database", "--plugins", "jwt")
	require.Equal(t, 0, code)
	assert.Contains(t, out, rateLimit)
	assert.Less(t, strings.Index(out, `"jwks"`), strings.Index(out, `"rateLimit"`), "after the plugins' tables")
	for _, other := range []string{"memory", "secondary-storage"} {
		code, out, _ = runCLI(t, "generate", "--rate-limit-storage", other)
		require.Equal(t, 0, code)
		assert.NotContains(t, out, `"rateLimit"`)
	}
	code, _, errOut := runCLI(t, "generate", "--rate-limit-storage", "redis")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `--rate-limit-storage "redis"`)

	url := pgtest.NewDatabase(t)
	code, out, errOut = runCLI(t, "migrate", "--database-url", url, "--rate-limit-storage", "database")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "rateLimit")
	code, out, _ = runCLI(t, "check", "--database-url", url, "--rate-limit-storage", "database")
	assert.Equal(t, 0, code, out)
}
