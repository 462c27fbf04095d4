package migrations

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/go-betterauth/betterauth/schema"
)

// Querier runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type dbColumn struct {
	udt        string // udt_name: text, varchar, uuid, int4, timestamptz, ...
	nullable   bool
	hasDefault bool
}

type dbIndex struct {
	name    string
	table   string
	columns []string
	unique  bool
	primary bool
}

type dbFK struct {
	table, column, refTable string
	cascade                 bool
}

// dbState is what inspect found of the layout's tables in the current schema.
type dbState struct {
	columns map[string]map[string]dbColumn // table -> column -> info
	indexes []dbIndex
	fks     []dbFK
}

func (d *dbState) hasIndexOn(table string, cols []string) bool {
	for _, ix := range d.indexes {
		if ix.table == table && slices.Equal(ix.columns, cols) {
			return true
		}
	}
	return false
}

func (d *dbState) hasUniqueOn(table, col string) bool {
	for _, ix := range d.indexes {
		if ix.table == table && ix.unique && slices.Equal(ix.columns, []string{col}) {
			return true
		}
	}
	return false
}

func inspect(ctx context.Context, q Querier, l *schema.Layout) (*dbState, error) {
	var names []string
	for _, t := range l.Tables() {
		names = append(names, t.Name)
	}
	d := &dbState{columns: map[string]map[string]dbColumn{}}
	rows, err := q.Query(ctx, `
		select table_name, column_name, udt_name, is_nullable = 'YES', column_default is not null
		from information_schema.columns
		where table_schema = current_schema() and table_name = any($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("migrations: inspect columns: %w", err)
	}
	for rows.Next() {
		var table, col string
		var c dbColumn
		if err := rows.Scan(&table, &col, &c.udt, &c.nullable, &c.hasDefault); err != nil {
			rows.Close()
			return nil, fmt.Errorf("migrations: inspect columns: %w", err)
		}
		if d.columns[table] == nil {
			d.columns[table] = map[string]dbColumn{}
		}
		d.columns[table][col] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrations: inspect columns: %w", err)
	}
	rows, err = q.Query(ctx, `
		select ic.relname, t.relname, i.indisunique, i.indisprimary,
		       array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n)
		             join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.n)
		from pg_index i
		join pg_class t on t.oid = i.indrelid
		join pg_class ic on ic.oid = i.indexrelid
		where t.relnamespace = current_schema()::regnamespace and t.relname = any($1) and i.indpred is null`, names)
	if err != nil {
		return nil, fmt.Errorf("migrations: inspect indexes: %w", err)
	}
	for rows.Next() {
		var ix dbIndex
		if err := rows.Scan(&ix.name, &ix.table, &ix.unique, &ix.primary, &ix.columns); err != nil {
			rows.Close()
			return nil, fmt.Errorf("migrations: inspect indexes: %w", err)
		}
		d.indexes = append(d.indexes, ix)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrations: inspect indexes: %w", err)
	}
	rows, err = q.Query(ctx, `
		select t.relname, a.attname, r.relname, c.confdeltype = 'c'
		from pg_constraint c
		join pg_class t on t.oid = c.conrelid
		join pg_class r on r.oid = c.confrelid
		join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
		where c.contype = 'f' and t.relnamespace = current_schema()::regnamespace and t.relname = any($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("migrations: inspect foreign keys: %w", err)
	}
	for rows.Next() {
		var fk dbFK
		if err := rows.Scan(&fk.table, &fk.column, &fk.refTable, &fk.cascade); err != nil {
			rows.Close()
			return nil, fmt.Errorf("migrations: inspect foreign keys: %w", err)
		}
		d.fks = append(d.fks, fk)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrations: inspect foreign keys: %w", err)
	}
	return d, nil
}

// Problem is one difference between a database and a schema.
type Problem struct {
	// Fatal problems stop the library from working (a missing table or
	// column, a type it cannot read or write, a missing index); the others
	// are notes on harmless differences.
	Fatal   bool
	Table   string
	Column  string // "" for table-level problems
	Message string
}

// String describes the problem in one line, as check prints it.
func (p Problem) String() string {
	kind := "problem"
	if !p.Fatal {
		kind = "note"
	}
	return kind + ": " + p.Message
}

// accepted lists the column types each logical type can live in, as Better
// Auth's migrator accepts them when it checks for drift.
var accepted = map[schema.FieldType][]string{
	schema.FieldString:  {"text", "varchar", "bpchar", "uuid"},
	schema.FieldNumber:  {"int2", "int4", "int8", "numeric", "float4", "float8"},
	schema.FieldBoolean: {"bool"},
	schema.FieldDate:    {"timestamptz", "timestamp", "date"},
	schema.FieldJSON:    {"json", "jsonb"},
}

// Check compares the database behind q (a pool, a connection or a
// transaction) with the schema and returns every difference it finds, fatal
// ones first; an empty list means the library can use the database as is.
//
// With extensions it checks their tables and fields too.
func Check(ctx context.Context, q Querier, sch schema.Schema, ext ...schema.Extension) ([]Problem, error) {
	l, err := sch.Layout(ext...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	d, err := inspect(ctx, q, l)
	if err != nil {
		return nil, err
	}
	return problems(l, d), nil
}

// problems compares what inspect found with the layout.
func problems(l *schema.Layout, d *dbState) []Problem {
	var out []Problem
	add := func(fatal bool, table, col, format string, args ...any) {
		out = append(out, Problem{Fatal: fatal, Table: table, Column: col, Message: fmt.Sprintf(format, args...)})
	}
	for _, t := range l.Tables() {
		cols, ok := d.columns[t.Name]
		if !ok {
			add(true, t.Name, "", "table %q (model %s) is missing", t.Name, t.Model)
			continue
		}
		for _, c := range t.Columns {
			dc, ok := cols[c.Name]
			if !ok {
				add(true, t.Name, c.Name, "table %q has no column %q (field %s)", t.Name, c.Name, c.Field)
				continue
			}
			checkColumn(l, t, c, dc, add)
		}
		for _, c := range t.Columns {
			if c.Unique {
				if _, ok := cols[c.Name]; ok && !d.hasUniqueOn(t.Name, c.Name) {
					add(true, t.Name, c.Name, "column %q.%q has no unique constraint", t.Name, c.Name)
				}
			}
			if c.References != nil {
				checkFK(l, t, c, d, add)
			}
		}
	}
	for _, ix := range l.Indexes() {
		cols, ok := d.columns[ix.Table]
		if !ok {
			continue
		}
		present := true
		for _, c := range ix.Columns {
			if _, ok := cols[c]; !ok {
				present = false
			}
		}
		if present && !d.hasIndexOn(ix.Table, ix.Columns) {
			add(true, ix.Table, "", "table %q has no index on (%s); migrate would create %q", ix.Table, strings.Join(ix.Columns, ", "), ix.Name)
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int {
		switch {
		case a.Fatal == b.Fatal:
			return 0
		case a.Fatal:
			return -1
		}
		return 1
	})
	return out
}

func checkColumn(l *schema.Layout, t *schema.Table, c schema.Column, dc dbColumn, add func(bool, string, string, string, ...any)) {
	where := fmt.Sprintf("%q.%q", t.Name, c.Name)
	if c.Type == "id" {
		switch {
		case l.IDMode == schema.IDModeUUID && dc.udt != "uuid" && c.Field == "id" && !dc.hasDefault:
			add(true, t.Name, c.Name, "%s is %s without a default, but IDModeUUID lets the database make ids: use a uuid column with default gen_random_uuid(), or the default IDMode", where, dc.udt)
		case l.IDMode == schema.IDModeDefault && dc.udt == "uuid":
			add(true, t.Name, c.Name, "%s is uuid, but the default IDMode writes 32-character text ids: set IDMode to IDModeUUID", where)
		case !slices.Contains([]string{"text", "varchar", "uuid"}, dc.udt):
			add(true, t.Name, c.Name, "%s has type %s; ids need text or uuid", where, dc.udt)
		}
	} else if ok := slices.Contains(accepted[c.Type], dc.udt); !ok {
		add(true, t.Name, c.Name, "%s has type %s, which cannot hold a %s (want one of %s)", where, dc.udt, c.Type, strings.Join(accepted[c.Type], ", "))
	}
	switch {
	case !c.Required && !dc.nullable && !dc.hasDefault:
		add(true, t.Name, c.Name, "%s is NOT NULL, but field %s is optional and may be written as NULL", where, c.Field)
	case c.Required && dc.nullable:
		add(false, t.Name, c.Name, "%s is nullable where Better Auth makes it NOT NULL; NULL reads as empty", where)
	}
	if c.Type == schema.FieldDate && dc.udt == "timestamp" && l.TimestampType == "timestamptz" {
		add(false, t.Name, c.Name, "%s is timestamp without time zone; times are written in UTC (set TimestampWithoutTimeZone to generate the same)", where)
	}
}

func checkFK(l *schema.Layout, t *schema.Table, c schema.Column, d *dbState, add func(bool, string, string, string, ...any)) {
	target := l.Table(c.References.Model).Name
	for _, fk := range d.fks {
		if fk.table == t.Name && fk.column == c.Name && fk.refTable == target {
			if !fk.cascade && c.References.OnDelete == schema.OnDeleteCascade {
				add(false, t.Name, c.Name, "foreign key %q.%q has no ON DELETE CASCADE; the store deletes a user's sessions, accounts and the rows of extension tables that reference the user itself", t.Name, c.Name)
			}
			return
		}
	}
	if _, ok := d.columns[t.Name][c.Name]; ok {
		add(false, t.Name, c.Name, "%q.%q has no foreign key to %q", t.Name, c.Name, target)
	}
}
