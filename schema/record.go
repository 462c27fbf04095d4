package schema

import (
	"fmt"
	"time"
)

// Record is one row of a table of a schema extension, keyed by logical field
// name. Values have the Go types of the FieldType constants (ids are
// strings); a NULL column is a nil value.
type Record map[string]any

// Where is an equality condition on a logical field; a nil Value matches
// NULL.
type Where struct {
	// Field is the logical field name.
	Field string
	// Value is what the field must equal, of the field's Go type.
	Value any
}

// Query selects rows for betterauth.TableStore's FindMany: every condition
// must hold (none: every row). Rows come ordered by OrderBy (then by id), or
// by id when OrderBy is empty; Limit > 0 caps their number.
type Query struct {
	// Where are the conditions, all of which must hold.
	Where []Where
	// OrderBy is a logical field to order by; empty means the id.
	OrderBy string
	// Desc orders from the greatest value down.
	Desc bool
	// Limit caps the number of rows when positive.
	Limit int
}

// PrepareRecord checks and normalizes a Record for a write to t, as stores
// call it so that they all accept and return the same values. Every key must
// be a field of t. On create, an "id" may be given; fields that are absent
// get their default (DefaultValue, or now for DefaultNow) or NULL, and a
// required field with neither value nor default is an error. On update the
// id cannot be set and only the given keys are returned. Errors wrap
// ErrInvalidField.
func (t *Table) PrepareRecord(r Record, create bool, now time.Time) (Record, error) {
	out := make(Record, len(t.Columns))
	for k, v := range r {
		c, ok := t.Column(k)
		if !ok {
			return nil, fmt.Errorf("%w: %s has no field %q", ErrInvalidField, t.Model, k)
		}
		if k == "id" && !create {
			return nil, fmt.Errorf("%w: %s: the id cannot be changed", ErrInvalidField, t.Model)
		}
		nv, err := c.Normalize(v)
		if err != nil {
			return nil, err
		}
		if nv == nil && c.Required && k != "id" {
			return nil, fmt.Errorf("%w: %s.%s is required", ErrInvalidField, t.Model, k)
		}
		out[k] = nv
	}
	if !create {
		return out, nil
	}
	for _, c := range t.Columns {
		if _, ok := out[c.Field]; ok || c.Field == "id" {
			continue
		}
		v, err := t.absentValue(c, now)
		if err != nil {
			return nil, err
		}
		out[c.Field] = v
	}
	if id, ok := out["id"]; ok && id == nil {
		delete(out, "id")
	}
	return out, nil
}

// PrepareWhere checks and normalizes equality conditions on t's fields.
// Errors wrap ErrInvalidField.
func (t *Table) PrepareWhere(where []Where) ([]Where, error) {
	out := make([]Where, len(where))
	for i, w := range where {
		c, ok := t.Column(w.Field)
		if !ok {
			return nil, fmt.Errorf("%w: %s has no field %q", ErrInvalidField, t.Model, w.Field)
		}
		v, err := c.Normalize(w.Value)
		if err != nil {
			return nil, err
		}
		out[i] = Where{Field: w.Field, Value: v}
	}
	return out, nil
}

// ExtensionTable returns the extension table of a model, or an error wrapping
// ErrInvalidSchema when the layout has none (core tables included): what a
// betterauth.TableStore answers for a model it does not hold.
func (l *Layout) ExtensionTable(model string) (*Table, error) {
	t := l.Table(model)
	if t == nil || !t.Extension {
		return nil, fmt.Errorf("%w: no extension table %q in this layout", ErrInvalidSchema, model)
	}
	return t, nil
}

// Referrers returns, for the table of a model, every column of an extension
// table that references one of its fields, with that column's table:
// what stores follow to apply ON DELETE actions.
func (l *Layout) Referrers(model string) []Referrer {
	var out []Referrer
	for _, t := range l.extension {
		for _, c := range t.Columns {
			if c.References != nil && c.References.Model == model {
				out = append(out, Referrer{Table: t, Column: c})
			}
		}
	}
	return out
}

// Referrer is a column that references another table (see Layout.Referrers).
type Referrer struct {
	// Table is the extension table that holds the column.
	Table *Table
	// Column is the column whose References names the other table.
	Column Column
}
