// Command betterauth prints, applies and checks the database schema of the
// betterauth library, like Better Auth's own CLI:
//
//	betterauth generate [flags]          print the SQL for a configuration
//	betterauth migrate  [flags]          apply it (DATABASE_URL or --database-url)
//	betterauth check    [flags]          compare a live database with the configuration
//
// Run "betterauth <command> --help" for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `betterauth manages the database schema of the betterauth Go library.

Usage:
  betterauth generate [flags]   print the SQL for a configuration
  betterauth migrate  [flags]   create or complete the tables (needs a database)
  betterauth check    [flags]   list what a database lacks for a configuration

Run "betterauth <command> --help" for the flags of a command.
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("betterauth "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		plural   = fs.Bool("plural", false, "plural table names (users, sessions, accounts, verifications)")
		snake    = fs.Bool("snake-case", false, "snake_case column names, as Better Auth's Drizzle generator writes them")
		drizzle  = fs.Bool("drizzle", false, "Drizzle's default layout: snake_case columns and timestamps without time zone")
		uuid     = fs.Bool("uuid", false, "uuid ids made by the database (Better Auth's generateId: \"uuid\")")
		noTZ     = fs.Bool("timestamp-without-time-zone", false, "use timestamp instead of timestamptz columns")
		config   = fs.String("config", "", "a JSON file with the schema configuration (see README); flags override it")
		plugins  = fs.String("plugins", "", "first-party plugins whose tables to include, comma separated ("+knownPlugins()+"); added to the config's \"plugins\"")
		rlStore  = fs.String("rate-limit-storage", "memory", "Better Auth's rateLimit.storage: \"database\" includes its rateLimit table (after the plugins' tables, as Better Auth's migrator); memory or secondary-storage need none")
		dbURL    = fs.String("database-url", "", "PostgreSQL URL (default $DATABASE_URL); migrate and check only")
		timeout  = fs.Duration("timeout", time.Minute, "give up on the database after this long")
		describe string
	)
	switch cmd {
	case "generate":
		describe = "Print the SQL that migrate runs for this configuration, without connecting to a database."
	case "migrate":
		describe = "Create Better Auth's tables, or add to existing ones only what is missing, and print what was created. Safe to run again and from several replicas at once. Exits 1 if the result still does not pass check (a type mismatch, say)."
	case "check":
		describe = "Compare a live database with the configuration: every missing table, column or index and every type mismatch. Exits 1 if anything would stop the library from working."
	default:
		fmt.Fprintf(stderr, "betterauth: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: betterauth %s [flags]\n\n%s\n\nFlags:\n", cmd, describe)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "betterauth %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return 2
	}

	var sch schema.Schema
	var names []string
	if *config != "" {
		var err error
		if sch, names, err = loadConfig(*config); err != nil {
			fmt.Fprintf(stderr, "betterauth: %v\n", err)
			return 2
		}
	}
	for _, n := range strings.Split(*plugins, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	exts, err := pluginSchemas(names)
	if err != nil {
		fmt.Fprintf(stderr, "betterauth: %v\n", err)
		return 2
	}
	switch *rlStore {
	case betterauth.RateLimitStorageDatabase:
		exts = append(exts, betterauth.RateLimitSchema())
	case betterauth.RateLimitStorageMemory, betterauth.RateLimitStorageSecondary:
	default:
		fmt.Fprintf(stderr, "betterauth: --rate-limit-storage %q: want memory, database or secondary-storage\n", *rlStore)
		return 2
	}
	if *drizzle {
		sch.Naming, sch.TimestampWithoutTimeZone = schema.NamingSnakeCase, true
	}
	if *snake {
		sch.Naming = schema.NamingSnakeCase
	}
	if *noTZ {
		sch.TimestampWithoutTimeZone = true
	}
	if *plural {
		sch.UsePlural = true
	}
	if *uuid {
		sch.IDMode = schema.IDModeUUID
	}
	if _, err := sch.Layout(exts...); err != nil {
		fmt.Fprintf(stderr, "betterauth: %v\n", err)
		return 2
	}

	if cmd == "generate" {
		sql, err := migrations.Generate(sch, exts...)
		if err != nil {
			fmt.Fprintf(stderr, "betterauth: %v\n", err)
			return 1
		}
		fmt.Fprint(stdout, sql)
		return 0
	}

	url := *dbURL
	if url == "" {
		url = os.Getenv("DATABASE_URL")
	}
	if url == "" {
		fmt.Fprintf(stderr, "betterauth %s: no database: set DATABASE_URL or pass --database-url\n", cmd)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		fmt.Fprintf(stderr, "betterauth: database URL: %v\n", err)
		return 2
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		fmt.Fprintf(stderr, "betterauth: cannot reach the database: %v\n", err)
		return 1
	}

	if cmd == "migrate" {
		report, err := migrations.Apply(ctx, pool, sch, exts...)
		if err != nil && !errors.Is(err, migrations.ErrMismatch) {
			fmt.Fprintf(stderr, "betterauth: migrate: %v\n", err)
			return 1
		}
		if report.Changed() {
			fmt.Fprintln(stdout, report)
		}
		fatal := 0
		for _, p := range report.Problems {
			fmt.Fprintln(stdout, p)
			if p.Fatal {
				fatal++
			}
		}
		if fatal > 0 {
			fmt.Fprintf(stderr, "betterauth: migrate: the database still does not match the configuration: %d problem(s) above; migrations never drop, rename or retype, so these need a manual fix (or other flags)\n", fatal)
			return 1
		}
		if report.Changed() {
			fmt.Fprintln(stdout, "betterauth: the database is up to date")
		} else {
			fmt.Fprintln(stdout, "betterauth: nothing to do: the database was already up to date")
		}
		return 0
	}

	problems, err := migrations.Check(ctx, pool, sch, exts...)
	if err != nil {
		fmt.Fprintf(stderr, "betterauth: check: %v\n", err)
		return 1
	}
	fatal := 0
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
		if p.Fatal {
			fatal++
		}
	}
	if fatal > 0 {
		fmt.Fprintf(stdout, "\n%d problem(s): run `betterauth migrate` with the same flags to add what is missing; type mismatches need a manual fix.\n", fatal)
		return 1
	}
	fmt.Fprintln(stdout, "betterauth: the database matches the configuration")
	return 0
}

func loadConfig(path string) (schema.Schema, []string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return schema.Schema{}, nil, fmt.Errorf("config: %w", err)
	}
	s, err := schema.ParseJSON(raw)
	if err != nil {
		return s, nil, fmt.Errorf("config %s: %w", path, err)
	}
	names, err := schema.JSONPlugins(raw)
	if err != nil {
		return s, nil, fmt.Errorf("config %s: %w", path, err)
	}
	return s, names, nil
}
