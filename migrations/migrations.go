// Package migrations creates Better Auth's tables on PostgreSQL, or
// completes a database that already has them.
//
// The SQL is embedded (sql/*.up.sql.tmpl), rendered for the configured
// schema.Schema and applied by golang-migrate over the application's
// pgx pool, in its own version table (Schema.MigrationsTable, default
// "betterauth_schema_migrations") and under golang-migrate's advisory lock,
// so several replicas may run Up at once. With the zero Schema on an empty
// database the result is exactly Better Auth 1.7.25's schema plus four
// indexes its setup guide asks for (see Files).
//
// Every statement is "if not exists", and Up then adds, like Better Auth's
// own migrator, any column or index the configuration has and the database
// lacks (an additional field added later, say). It never drops, renames or
// retypes anything and never touches a row. Apply does the same and reports
// what was created; both fail (ErrMismatch) when the result does not pass
// Check.
package migrations

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"
	"text/template"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/go-betterauth/betterauth/internal/pgident"
	"github.com/go-betterauth/betterauth/schema"
)

//go:embed sql/*.up.sql.tmpl
var templates embed.FS

// ErrUnsafe reports a change Up refuses to make: adding a required column
// with no default to a table that has rows (the rows would violate it).
var ErrUnsafe = errors.New("migrations: unsafe change")

// File is one rendered migration.
type File struct {
	Version uint
	Name    string // e.g. "000001_init.up.sql"
	SQL     string
}

type tableView struct{ Name, Columns string }
type indexView struct{ Name, Table, Columns string }

// Files renders the embedded migrations for the schema, in order. They
// create the core tables only: the tables and fields of extensions are made
// by Up's completion step, as Better Auth's migrator makes those of plugins.
func Files(sch schema.Schema, ext ...schema.Extension) ([]File, error) {
	l, err := sch.Layout(ext...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var tables []tableView
	for _, t := range l.Tables() {
		if t.Extension {
			continue
		}
		var cols []string
		for _, c := range t.Columns {
			cols = append(cols, columnDDL(l, c, false))
		}
		tables = append(tables, tableView{Name: pgident.Quote(t.Name), Columns: strings.Join(cols, ", ")})
	}
	// Indexes on additional fields are left to Up's completion step: on a
	// table Better Auth created, the column does not exist yet when these
	// files run.
	var base, extra []indexView
	for _, ix := range l.Indexes() {
		v := indexView{Name: pgident.Quote(ix.Name), Table: pgident.Quote(ix.Table), Columns: quoteList(ix.Columns)}
		switch {
		case ix.Extra:
			extra = append(extra, v)
		case !ix.Additional:
			base = append(base, v)
		}
	}
	data := map[string]any{
		"000001_init.up.sql.tmpl":          map[string]any{"Tables": tables, "Indexes": base},
		"000002_extra_indexes.up.sql.tmpl": map[string]any{"Indexes": extra},
	}
	names, err := fs.Glob(templates, "sql/*.up.sql.tmpl")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []File
	for i, n := range names {
		base := strings.TrimPrefix(n, "sql/")
		tpl, err := template.ParseFS(templates, n)
		if err != nil {
			return nil, fmt.Errorf("migrations: %s: %w", base, err)
		}
		var buf bytes.Buffer
		if err := tpl.Execute(&buf, data[base]); err != nil {
			return nil, fmt.Errorf("migrations: %s: %w", base, err)
		}
		out = append(out, File{Version: uint(i + 1), Name: strings.TrimSuffix(base, ".tmpl"), SQL: buf.String()})
	}
	return out, nil
}

// Generate returns every migration for the schema and extensions as one SQL
// script, as `betterauth generate` prints it: the files, then the tables of
// extensions and the indexes Up adds after the files.
func Generate(sch schema.Schema, ext ...schema.Extension) (string, error) {
	files, err := Files(sch, ext...)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "-- %s\n%s", f.Name, f.SQL)
	}
	l, err := sch.Layout(ext...)
	if err != nil {
		return "", fmt.Errorf("migrations: %w", err)
	}
	for _, t := range l.Tables() {
		if t.Extension {
			fmt.Fprintf(&b, "-- table of model %s (Up creates it after the files)\n%s;\n\n", t.Model, createTableDDL(l, t))
		}
	}
	first := true
	for _, ix := range l.Indexes() {
		if !ix.Additional {
			continue
		}
		if first {
			b.WriteString("-- indexes of additional fields (Up adds them after the files)\n")
			first = false
		}
		fmt.Fprintf(&b, "%s;\n\n", indexDDL(ix))
	}
	return b.String(), nil
}

func indexDDL(ix schema.Index) string {
	return fmt.Sprintf("create index if not exists %s on %s (%s)", pgident.Quote(ix.Name), pgident.Quote(ix.Table), quoteList(ix.Columns))
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = pgident.Quote(n)
	}
	return strings.Join(q, ", ")
}

// columnDDL renders a column definition the way Better Auth's migrator
// does. forAdd renders it for ALTER TABLE ADD COLUMN, where (like Better
// Auth) static defaults are emitted so existing rows get a value.
func columnDDL(l *schema.Layout, c schema.Column, forAdd bool) string {
	var b strings.Builder
	b.WriteString(pgident.Quote(c.Name))
	b.WriteByte(' ')
	b.WriteString(sqlType(l, c))
	if c.Type == "id" && l.IDMode == schema.IDModeUUID && c.References == nil {
		b.WriteString(" default pg_catalog.gen_random_uuid()")
	}
	if c.DefaultNow {
		b.WriteString(" default CURRENT_TIMESTAMP")
	} else if forAdd && c.Default != nil {
		b.WriteString(" default " + literal(c))
	}
	if c.Required {
		b.WriteString(" not null")
	}
	if c.Field == "id" {
		b.WriteString(" primary key")
	}
	if c.Unique {
		b.WriteString(" unique")
	}
	if r := c.References; r != nil {
		target := l.Table(r.Model)
		fmt.Fprintf(&b, " references %s (%s) on delete %s", pgident.Quote(target.Name), pgident.Quote(target.Col(r.Field)), r.OnDelete)
	}
	return b.String()
}

// createTableDDL creates a table of an extension as Better Auth's migrator
// creates a plugin's: id first, unique fields inline, indexes afterwards.
func createTableDDL(l *schema.Layout, t *schema.Table) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = columnDDL(l, c, false)
	}
	return fmt.Sprintf("create table if not exists %s (%s)", pgident.Quote(t.Name), strings.Join(cols, ", "))
}

func sqlType(l *schema.Layout, c schema.Column) string {
	switch c.Type {
	case "id":
		if l.IDMode == schema.IDModeUUID {
			return "uuid"
		}
		return "text"
	case schema.FieldNumber:
		if c.BigInt {
			return "bigint"
		}
		return "integer"
	case schema.FieldBoolean:
		return "boolean"
	case schema.FieldDate:
		return l.TimestampType
	case schema.FieldJSON:
		return "jsonb"
	}
	return "text"
}

// literal renders a normalized default value as SQL.
func literal(c schema.Column) string {
	switch v := c.Default.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case int64:
		return fmt.Sprint(v)
	}
	// Dates and JSON: written by the application on create, not by the database.
	return "NULL"
}

// Up applies the migrations to the database behind pool, then adds any
// column or index the schema has and the database lacks. Running it again
// changes nothing. It is Apply without the report: it returns an error
// wrapping ErrUnsafe, and changes nothing more, if a required column without
// a default would have to be added to a table that has rows, and one
// wrapping ErrMismatch if the result still does not pass Check.
//
// With extensions, Up also creates their tables (the tables they reference
// first) and adds their fields, as Better Auth's migrator does for plugins.
func Up(ctx context.Context, pool *pgxpool.Pool, sch schema.Schema, ext ...schema.Extension) error {
	_, err := Apply(ctx, pool, sch, ext...)
	return err
}

// ErrMismatch reports a database that Apply could not make fit the schema:
// after it ran, Check still finds fatal problems (a column of the wrong
// type, say, which migrations never change). Report.Problems lists them.
var ErrMismatch = errors.New("migrations: the database does not match the schema")

// ColumnRef names a column of a table.
type ColumnRef struct{ Table, Column string }

// IndexRef names an index (or unique constraint) and the columns it covers.
type IndexRef struct {
	Table, Name string
	Columns     []string
	Unique      bool
}

// Report is what Apply did: the tables, columns and indexes the database
// gained while it ran, and what Check found afterwards.
type Report struct {
	// Tables are the tables created.
	Tables []string
	// Columns are the columns added to tables that existed before.
	Columns []ColumnRef
	// Indexes are the indexes created, primary keys left out.
	Indexes []IndexRef
	// Problems is Check's verdict on the result: notes only, unless Apply
	// returned ErrMismatch.
	Problems []Problem
}

// Changed reports whether Apply created or added anything.
func (r Report) Changed() bool {
	return len(r.Tables)+len(r.Columns)+len(r.Indexes) > 0
}

// String lists the changes one per line, as `betterauth migrate` prints
// them, or says that there were none.
func (r Report) String() string {
	if !r.Changed() {
		return "nothing to do: the database already had every table, column and index"
	}
	var b strings.Builder
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "created table %q\n", t)
	}
	for _, c := range r.Columns {
		fmt.Fprintf(&b, "added column %q.%q\n", c.Table, c.Column)
	}
	for _, ix := range r.Indexes {
		kind := "index"
		if ix.Unique {
			kind = "unique index"
		}
		fmt.Fprintf(&b, "created %s %q on %q (%s)\n", kind, ix.Name, ix.Table, strings.Join(ix.Columns, ", "))
	}
	fmt.Fprintf(&b, "%d table(s), %d column(s), %d index(es) created", len(r.Tables), len(r.Columns), len(r.Indexes))
	return b.String()
}

// Apply is Up with a report of what it did. It inspects the database
// before and after; if other replicas migrate at the same moment, the
// report may also count what they created. When the result does not pass
// Check, the error wraps ErrMismatch and names the problems, and the
// report lists them.
func Apply(ctx context.Context, pool *pgxpool.Pool, sch schema.Schema, ext ...schema.Extension) (Report, error) {
	l, err := sch.Layout(ext...)
	if err != nil {
		return Report{}, fmt.Errorf("migrations: %w", err)
	}
	before, err := inspect(ctx, pool, l)
	if err != nil {
		return Report{}, err
	}
	files, err := Files(sch, ext...)
	if err != nil {
		return Report{}, err
	}
	if err := runFiles(files, pool, l); err != nil {
		return Report{}, err
	}
	if err := complete(ctx, pool, l); err != nil {
		return Report{}, err
	}
	after, err := inspect(ctx, pool, l)
	if err != nil {
		return Report{}, err
	}
	r := diff(l, before, after)
	r.Problems = problems(l, after)
	var fatal []string
	for _, p := range r.Problems {
		if p.Fatal {
			fatal = append(fatal, p.Message)
		}
	}
	if len(fatal) > 0 {
		return r, fmt.Errorf("%w: %s", ErrMismatch, strings.Join(fatal, "; "))
	}
	return r, nil
}

// diff lists what after has and before lacked, in the layout's order.
func diff(l *schema.Layout, before, after *dbState) Report {
	var r Report
	for _, t := range l.Tables() {
		cols, ok := after.columns[t.Name]
		if !ok {
			continue
		}
		had, existed := before.columns[t.Name]
		if !existed {
			r.Tables = append(r.Tables, t.Name)
			continue
		}
		for _, c := range t.Columns {
			if _, now := cols[c.Name]; now {
				if _, was := had[c.Name]; !was {
					r.Columns = append(r.Columns, ColumnRef{Table: t.Name, Column: c.Name})
				}
			}
		}
	}
	old := map[string]bool{}
	for _, ix := range before.indexes {
		old[ix.table+"\x00"+ix.name] = true
	}
	for _, t := range l.Tables() {
		for _, ix := range after.indexes {
			if ix.table != t.Name || old[ix.table+"\x00"+ix.name] || ix.primary {
				continue
			}
			r.Indexes = append(r.Indexes, IndexRef{Table: ix.table, Name: ix.name, Columns: ix.columns, Unique: ix.unique})
		}
	}
	return r
}

// runFiles applies the rendered files with golang-migrate over pool.
func runFiles(files []File, pool *pgxpool.Pool, l *schema.Layout) error {
	mfs := fstest.MapFS{}
	for _, f := range files {
		mfs[f.Name] = &fstest.MapFile{Data: []byte(f.SQL)}
	}
	src, err := iofs.New(mfs, ".")
	if err != nil {
		return fmt.Errorf("migrations: source: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	drv, err := pgxmigrate.WithInstance(db, &pgxmigrate.Config{MigrationsTable: l.MigrationsTable})
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	m.Log = nil
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrations: up: %w", err)
	}
	if srcErr, dbErr := m.Close(); srcErr != nil || dbErr != nil {
		return fmt.Errorf("migrations: close: %w", errors.Join(srcErr, dbErr))
	}
	return nil
}

// complete adds what the layout has and the database lacks, in one
// transaction under an advisory lock.
func complete(ctx context.Context, pool *pgxpool.Pool, l *schema.Layout) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock(hashtext($1))", "betterauth:"+l.MigrationsTable); err != nil {
			return fmt.Errorf("migrations: lock: %w", err)
		}
		db, err := inspect(ctx, tx, l)
		if err != nil {
			return err
		}
		for _, t := range l.Tables() {
			cols, ok := db.columns[t.Name]
			if !ok && t.Extension {
				// In creation order, so the tables it references exist.
				if _, err := tx.Exec(ctx, createTableDDL(l, t)); err != nil {
					return fmt.Errorf("migrations: creating table %s: %w", t.Name, err)
				}
				continue
			}
			for _, c := range t.Columns {
				if _, ok := cols[c.Name]; ok {
					continue
				}
				if c.Required && !c.DefaultNow && (c.Default == nil || literal(c) == "NULL") {
					var hasRows bool
					if err := tx.QueryRow(ctx, fmt.Sprintf("select exists (select 1 from %s)", pgident.Quote(t.Name))).Scan(&hasRows); err != nil {
						return fmt.Errorf("migrations: %w", err)
					}
					if hasRows {
						return fmt.Errorf("%w: column %s.%s is required and has no default, and the table has rows: add it yourself with a default, or make the field optional", ErrUnsafe, t.Name, c.Name)
					}
				}
				// As Better Auth's migrator: the column first, then its unique
				// index <table>_<column>_uidx.
				unique := c.Unique
				c.Unique = false
				stmt := fmt.Sprintf("alter table %s add column if not exists %s", pgident.Quote(t.Name), columnDDL(l, c, true))
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("migrations: adding %s.%s: %w", t.Name, c.Name, err)
				}
				if unique {
					name := pgident.Quote(schema.IndexName(t.Name+"_"+c.Name, "_uidx"))
					stmt = fmt.Sprintf("create unique index if not exists %s on %s (%s)", name, pgident.Quote(t.Name), pgident.Quote(c.Name))
					if _, err := tx.Exec(ctx, stmt); err != nil {
						return fmt.Errorf("migrations: unique index on %s.%s: %w", t.Name, c.Name, err)
					}
				}
			}
		}
		for _, ix := range l.Indexes() {
			if db.hasIndexOn(ix.Table, ix.Columns) {
				continue
			}
			if _, err := tx.Exec(ctx, indexDDL(ix)); err != nil {
				return fmt.Errorf("migrations: index %s: %w", ix.Name, err)
			}
		}
		return nil
	})
}
