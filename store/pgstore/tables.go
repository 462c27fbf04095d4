package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// The tables of schema extensions: INSERT statements are built in New (see
// newTable); the others differ only in their conditions and are put
// together per call from the quoted names, one statement each.

func (s *Store) extTable(op, model string) (*table, error) {
	t, err := s.layout.ExtensionTable(model)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return s.sql.ext[t.Model], nil
}

// where renders the conditions, numbering arguments from after args.
func (tb *table) where(ws []schema.Where, args []any) (string, []any, error) {
	if len(ws) == 0 {
		return "", args, nil
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		if w.Value == nil {
			parts[i] = tb.c(w.Field) + " IS NULL"
			continue
		}
		c, _ := tb.t.Column(w.Field)
		a, err := additionalArg(c, w.Value)
		if err != nil {
			return "", nil, err
		}
		args = append(args, a)
		parts[i] = fmt.Sprintf("%s = $%d", tb.c(w.Field), len(args))
	}
	return " WHERE " + strings.Join(parts, " AND "), args, nil
}

// scanRecord reads one row in layout order.
func scanRecord(t *schema.Table, scan func(dest ...any) error) (schema.Record, error) {
	dests := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		if c.Type == "id" {
			dests[i] = new(*string) // uuid columns scan into text
		} else {
			dests[i] = new(any)
		}
	}
	if err := scan(dests...); err != nil {
		return nil, err
	}
	r := make(schema.Record, len(t.Columns))
	for i, c := range t.Columns {
		var raw any
		if p, ok := dests[i].(**string); ok {
			if *p != nil {
				raw = **p
			}
		} else {
			raw = *dests[i].(*any)
		}
		v, err := c.Normalize(raw)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", c.Field, err)
		}
		r[c.Field] = v
	}
	return r, nil
}

// Insert implements betterauth.TableStore.
func (s *Store) Insert(ctx context.Context, model string, r schema.Record) (schema.Record, error) {
	op := "insert " + model
	tb, err := s.extTable("insert", model)
	if err != nil {
		return nil, err
	}
	rec, err := tb.t.PrepareRecord(r, true, time.Now())
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	id, _ := rec["id"].(string)
	id, withID, err := s.newID(id)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	rec["id"] = id
	var args []any
	for _, c := range tb.t.Columns {
		if c.Field == "id" && !withID {
			continue
		}
		a, err := additionalArg(c, rec[c.Field])
		if err != nil {
			return nil, fmt.Errorf("pgstore: %s: %w", op, err)
		}
		args = append(args, a)
	}
	stmt := tb.insert
	if !withID {
		stmt = tb.insertNoID
	}
	got, err := scanRecord(tb.t, s.q.QueryRow(ctx, stmt, args...).Scan)
	if err != nil {
		return nil, mapErr(op, err)
	}
	return got, nil
}

func (s *Store) selectStmt(op, model string, q schema.Query) (*table, string, []any, error) {
	tb, err := s.extTable(op, model)
	if err != nil {
		return nil, "", nil, err
	}
	ws, err := tb.t.PrepareWhere(q.Where)
	if err != nil {
		return nil, "", nil, fmt.Errorf("pgstore: %s %s: %w", op, model, err)
	}
	cond, args, err := tb.where(ws, nil)
	if err != nil {
		return nil, "", nil, fmt.Errorf("pgstore: %s %s: %w", op, model, err)
	}
	order := tb.c("id")
	if q.OrderBy != "" {
		c, ok := tb.t.Column(q.OrderBy)
		if !ok || c.Type == schema.FieldJSON {
			return nil, "", nil, fmt.Errorf("pgstore: %s %s: cannot order by %q: %w", op, model, q.OrderBy, schema.ErrInvalidField)
		}
		dir := ""
		if q.Desc {
			dir = " DESC"
		}
		order = tb.c(q.OrderBy) + dir + ", " + order
	}
	stmt := fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s", tb.cols, tb.name, cond, order)
	if q.Limit > 0 {
		stmt += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	return tb, stmt, args, nil
}

// FindOne implements betterauth.TableStore.
func (s *Store) FindOne(ctx context.Context, model string, where ...schema.Where) (schema.Record, error) {
	tb, stmt, args, err := s.selectStmt("find", model, schema.Query{Where: where, Limit: 1})
	if err != nil {
		return nil, err
	}
	r, err := scanRecord(tb.t, s.q.QueryRow(ctx, stmt, args...).Scan)
	if err != nil {
		return nil, mapErr("find "+model, err)
	}
	return r, nil
}

// FindMany implements betterauth.TableStore.
func (s *Store) FindMany(ctx context.Context, model string, q schema.Query) ([]schema.Record, error) {
	op := "find many " + model
	tb, stmt, args, err := s.selectStmt("find many", model, q)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.Query(ctx, stmt, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	out := []schema.Record{}
	for rows.Next() {
		r, err := scanRecord(tb.t, rows.Scan)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		if errors.Is(mapErr("", err), betterauth.ErrNotFound) {
			return []schema.Record{}, nil // a malformed uuid matches no row
		}
		return nil, mapErr(op, err)
	}
	return out, nil
}

// Update implements betterauth.TableStore.
func (s *Store) Update(ctx context.Context, model string, set schema.Record, where ...schema.Where) (int64, error) {
	op := "update " + model
	tb, err := s.extTable("update", model)
	if err != nil {
		return 0, err
	}
	if len(where) == 0 || len(set) == 0 {
		return 0, fmt.Errorf("pgstore: %s: a condition and a field to set are required: %w", op, schema.ErrInvalidField)
	}
	upd, err := tb.t.PrepareRecord(set, false, time.Now())
	if err != nil {
		return 0, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	ws, err := tb.t.PrepareWhere(where)
	if err != nil {
		return 0, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	var sets []string
	var args []any
	for _, c := range tb.t.Columns { // layout order: the same statement text for the same fields
		v, ok := upd[c.Field]
		if !ok {
			continue
		}
		a, err := additionalArg(c, v)
		if err != nil {
			return 0, fmt.Errorf("pgstore: %s: %w", op, err)
		}
		args = append(args, a)
		sets = append(sets, fmt.Sprintf("%s$%d", tb.set[c.Field], len(args)))
	}
	cond, args, err := tb.where(ws, args)
	if err != nil {
		return 0, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	tag, err := s.q.Exec(ctx, fmt.Sprintf("UPDATE %s SET %s%s", tb.name, strings.Join(sets, ", "), cond), args...)
	if err != nil {
		return 0, mapErr(op, err)
	}
	return tag.RowsAffected(), nil
}

// Delete implements betterauth.TableStore.
func (s *Store) Delete(ctx context.Context, model string, where ...schema.Where) (int64, error) {
	op := "delete " + model
	tb, err := s.extTable("delete", model)
	if err != nil {
		return 0, err
	}
	if len(where) == 0 {
		return 0, fmt.Errorf("pgstore: %s: a condition is required: %w", op, schema.ErrInvalidField)
	}
	ws, err := tb.t.PrepareWhere(where)
	if err != nil {
		return 0, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	cond, args, err := tb.where(ws, nil)
	if err != nil {
		return 0, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	tag, err := s.q.Exec(ctx, "DELETE FROM "+tb.name+cond, args...)
	if err != nil {
		if err := restricted(op, err); err != nil {
			return 0, err
		}
		if errors.Is(mapErr(op, err), betterauth.ErrNotFound) {
			return 0, nil // a malformed uuid matches no row
		}
		return 0, mapErr(op, err)
	}
	return tag.RowsAffected(), nil
}

// restricted reports a delete refused by a foreign key (ON DELETE RESTRICT
// or NO ACTION) as ErrConflict, or returns nil for other errors.
func restricted(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23503" || pgErr.Code == "23001") {
		return fmt.Errorf("pgstore: %s: still referenced (%s): %w", op, pgErr.ConstraintName, betterauth.ErrConflict)
	}
	return nil
}
