package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// Rows of extension tables are Records that are never changed in place: an
// update stores a new map, so a transaction's copy may share them.

func cloneExt(ext map[string]map[string]schema.Record) map[string]map[string]schema.Record {
	out := make(map[string]map[string]schema.Record, len(ext))
	for m, rows := range ext {
		out[m] = maps.Clone(rows)
	}
	return out
}

// prepared normalizes dates as PostgreSQL keeps them.
func prepared(t *schema.Table, r schema.Record) {
	for k, v := range r {
		if tm, ok := v.(time.Time); ok {
			r[k] = ts(tm)
		}
	}
}

// out returns a copy of a stored row that the caller may change (JSON values
// are decoded afresh).
func out(t *schema.Table, r schema.Record) schema.Record {
	c := make(schema.Record, len(t.Columns))
	for _, col := range t.Columns {
		v := r[col.Field]
		if col.Type == schema.FieldJSON && v != nil {
			v, _ = col.Normalize(v)
		}
		c[col.Field] = v
	}
	return c
}

func equal(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}

func matches(r schema.Record, where []schema.Where) bool {
	for _, w := range where {
		v := r[w.Field]
		if w.Value == nil {
			if v != nil {
				return false
			}
		} else if v == nil || !equal(v, w.Value) {
			return false
		}
	}
	return true
}

// check enforces unique fields and references for a row about to be stored
// under id.
func (d *data) check(l *schema.Layout, t *schema.Table, id string, r schema.Record) error {
	for _, c := range t.Columns {
		v := r[c.Field]
		if v == nil {
			continue
		}
		if c.Unique {
			for oid, o := range d.ext[t.Model] {
				if oid != id && equal(o[c.Field], v) {
					return fmt.Errorf("%s.%s already used: %w", t.Model, c.Field, betterauth.ErrConflict)
				}
			}
		}
		if ref := c.References; ref != nil && !d.exists(l, ref.Model, ref.Field, v) && !(ref.Model == t.Model && equal(r[ref.Field], v)) {
			return fmt.Errorf("%s.%s: referenced %s missing: %w", t.Model, c.Field, ref.Model, betterauth.ErrNotFound)
		}
	}
	return nil
}

func (d *data) exists(l *schema.Layout, model, field string, v any) bool {
	if model == schema.ModelUser {
		id, _ := v.(string)
		_, ok := d.users[id]
		return ok
	}
	for _, r := range d.ext[model] {
		if equal(r[field], v) {
			return true
		}
	}
	return false
}

// deletePlan is what deleting rows does to the extension tables.
type deletePlan struct {
	del  map[string]map[string]bool     // model -> ids to delete
	null map[string]map[string][]string // model -> id -> fields to set NULL
}

// planDelete works out, without changing anything, what deleting the rows of
// model whose field holds one of values does to the rows that reference
// them: ErrConflict if a restricting reference is in the way.
func (d *data) planDelete(l *schema.Layout, model, field string, values []any) (*deletePlan, error) {
	p := &deletePlan{del: map[string]map[string]bool{}, null: map[string]map[string][]string{}}
	return p, d.plan(l, p, model, func(f string) []any {
		if f == field {
			return values
		}
		return nil
	})
}

// plan follows the referrers of model; valuesOf gives the values of one
// of its fields in the rows being deleted.
func (d *data) plan(l *schema.Layout, p *deletePlan, model string, valuesOf func(field string) []any) error {
	for _, ref := range l.Referrers(model) {
		vals := valuesOf(ref.Column.References.Field)
		if len(vals) == 0 {
			continue
		}
		m := ref.Table.Model
		var cascaded []schema.Record
		for id, r := range d.ext[m] {
			if p.del[m][id] || !slices.ContainsFunc(vals, func(v any) bool { return equal(r[ref.Column.Field], v) }) {
				continue
			}
			switch ref.Column.References.OnDelete {
			case schema.OnDeleteRestrict:
				return fmt.Errorf("%s.%s still references the row: %w", m, ref.Column.Field, betterauth.ErrConflict)
			case schema.OnDeleteSetNull:
				if p.null[m] == nil {
					p.null[m] = map[string][]string{}
				}
				p.null[m][id] = append(p.null[m][id], ref.Column.Field)
			default:
				if p.del[m] == nil {
					p.del[m] = map[string]bool{}
				}
				p.del[m][id] = true
				cascaded = append(cascaded, r)
			}
		}
		if len(cascaded) > 0 {
			err := d.plan(l, p, m, func(f string) []any {
				var vs []any
				for _, r := range cascaded {
					if v := r[f]; v != nil {
						vs = append(vs, v)
					}
				}
				return vs
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *data) apply(p *deletePlan) {
	for m, ids := range p.null {
		for id, fields := range ids {
			r, ok := d.ext[m][id]
			if !ok || p.del[m][id] {
				continue
			}
			nr := maps.Clone(r)
			for _, f := range fields {
				nr[f] = nil
			}
			d.ext[m][id] = nr
		}
	}
	for m, ids := range p.del {
		for id := range ids {
			delete(d.ext[m], id)
		}
	}
}

func (s *Store) extTable(op, model string) (*schema.Table, error) {
	t, err := s.layout.ExtensionTable(model)
	if err != nil {
		return nil, fmt.Errorf("memstore: %s: %w", op, err)
	}
	return t, nil
}

// Insert implements betterauth.TableStore.
func (s *Store) Insert(ctx context.Context, model string, r schema.Record) (schema.Record, error) {
	t, err := s.extTable("insert", model)
	if err != nil {
		return nil, err
	}
	rec, err := t.PrepareRecord(r, true, now())
	if err != nil {
		return nil, fmt.Errorf("memstore: insert %s: %w", model, err)
	}
	prepared(t, rec)
	var res schema.Record
	err = s.do(ctx, func(d *data) error {
		id, _ := rec["id"].(string)
		if id == "" {
			if id, err = s.newID(); err != nil {
				return err
			}
			rec["id"] = id
		} else if _, dup := d.ext[model][id]; dup {
			return fmt.Errorf("id already used: %w", betterauth.ErrConflict)
		}
		if err := d.check(s.layout, t, id, rec); err != nil {
			return err
		}
		if d.ext[model] == nil {
			d.ext[model] = map[string]schema.Record{}
		}
		d.ext[model][id] = rec
		res = out(t, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("memstore: insert %s: %w", model, err)
	}
	return res, nil
}

// find returns the matching rows, ordered.
func (d *data) find(t *schema.Table, q schema.Query) []schema.Record {
	var rows []schema.Record
	for _, r := range d.ext[t.Model] {
		if matches(r, q.Where) {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b schema.Record) int {
		if q.OrderBy != "" {
			c := compare(a[q.OrderBy], b[q.OrderBy])
			if q.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(a["id"].(string), b["id"].(string))
	})
	if q.Limit > 0 && len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	return rows
}

// compare orders values as PostgreSQL does in ascending order: NULLs last.
func compare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch x := a.(type) {
	case string:
		return cmp.Compare(x, b.(string))
	case int64:
		return cmp.Compare(x, b.(int64))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		return x.Compare(b.(time.Time))
	}
	return 0
}

func (s *Store) query(op, model string, q schema.Query) (*schema.Table, schema.Query, error) {
	t, err := s.extTable(op, model)
	if err != nil {
		return nil, q, err
	}
	if q.Where, err = t.PrepareWhere(q.Where); err != nil {
		return nil, q, fmt.Errorf("memstore: %s %s: %w", op, model, err)
	}
	if q.OrderBy != "" {
		c, ok := t.Column(q.OrderBy)
		if !ok || c.Type == schema.FieldJSON {
			return nil, q, fmt.Errorf("memstore: %s %s: cannot order by %q: %w", op, model, q.OrderBy, schema.ErrInvalidField)
		}
	}
	return t, q, nil
}

// FindOne implements betterauth.TableStore.
func (s *Store) FindOne(ctx context.Context, model string, where ...schema.Where) (schema.Record, error) {
	t, q, err := s.query("find", model, schema.Query{Where: where, Limit: 1})
	if err != nil {
		return nil, err
	}
	var res schema.Record
	err = s.do(ctx, func(d *data) error {
		rows := d.find(t, q)
		if len(rows) == 0 {
			return fmt.Errorf("memstore: find %s: %w", model, betterauth.ErrNotFound)
		}
		res = out(t, rows[0])
		return nil
	})
	return res, err
}

// FindMany implements betterauth.TableStore.
func (s *Store) FindMany(ctx context.Context, model string, q schema.Query) ([]schema.Record, error) {
	t, q, err := s.query("find many", model, q)
	if err != nil {
		return nil, err
	}
	res := []schema.Record{}
	err = s.do(ctx, func(d *data) error {
		for _, r := range d.find(t, q) {
			res = append(res, out(t, r))
		}
		return nil
	})
	return res, err
}

// Update implements betterauth.TableStore.
func (s *Store) Update(ctx context.Context, model string, set schema.Record, where ...schema.Where) (int64, error) {
	t, q, err := s.query("update", model, schema.Query{Where: where})
	if err != nil {
		return 0, err
	}
	if len(where) == 0 || len(set) == 0 {
		return 0, fmt.Errorf("memstore: update %s: a condition and a field to set are required: %w", model, schema.ErrInvalidField)
	}
	upd, err := t.PrepareRecord(set, false, now())
	if err != nil {
		return 0, fmt.Errorf("memstore: update %s: %w", model, err)
	}
	prepared(t, upd)
	var n int64
	err = s.do(ctx, func(d *data) error {
		// Work on a copy of the table, so that a conflict leaves it as it was.
		saved := maps.Clone(d.ext[model])
		for _, r := range d.find(t, q) {
			nr := maps.Clone(r)
			maps.Copy(nr, upd)
			id := nr["id"].(string)
			if err := d.check(s.layout, t, id, nr); err != nil {
				d.ext[model] = saved
				return fmt.Errorf("memstore: update %s: %w", model, err)
			}
			d.ext[model][id] = nr
			n++
		}
		return nil
	})
	return n, err
}

// Delete implements betterauth.TableStore.
func (s *Store) Delete(ctx context.Context, model string, where ...schema.Where) (int64, error) {
	t, q, err := s.query("delete", model, schema.Query{Where: where})
	if err != nil {
		return 0, err
	}
	if len(where) == 0 {
		return 0, fmt.Errorf("memstore: delete %s: a condition is required: %w", model, schema.ErrInvalidField)
	}
	var n int64
	err = s.do(ctx, func(d *data) error {
		rows := d.find(t, q)
		p := &deletePlan{del: map[string]map[string]bool{model: {}}, null: map[string]map[string][]string{}}
		for _, r := range rows {
			p.del[model][r["id"].(string)] = true
		}
		err := d.plan(s.layout, p, model, func(f string) []any {
			var vs []any
			for _, r := range rows {
				if v := r[f]; v != nil {
					vs = append(vs, v)
				}
			}
			return vs
		})
		if err != nil {
			return fmt.Errorf("memstore: delete %s: %w", model, err)
		}
		d.apply(p)
		n = int64(len(rows))
		return nil
	})
	return n, err
}
