package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Normalize converts v to the Go type the column's FieldType holds (see the
// FieldType constants) or returns an error wrapping ErrInvalidField. nil stays
// nil. Numbers accept any Go integer, an integral float64 and json.Number;
// dates accept time.Time and RFC 3339 text; JSON values are re-decoded so
// that every store returns the same shapes (map[string]any, []any, float64...).
func (c Column) Normalize(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("%w: %s: %T is not a %s", ErrInvalidField, c.Field, v, c.Type)
	}
	switch c.Type {
	case FieldString, fieldID:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		return s, nil
	case FieldBoolean:
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		return b, nil
	case FieldNumber:
		n, ok := toInt64(v)
		if str, isStr := v.(string); isStr && c.BigInt {
			// Better Auth on PostgreSQL shows bigints as strings; take them back.
			i, err := strconv.ParseInt(str, 10, 64)
			n, ok = i, err == nil
		}
		if !ok {
			return bad()
		}
		if !c.BigInt && (n > math.MaxInt32 || n < math.MinInt32) {
			return nil, fmt.Errorf("%w: %s: %d does not fit an integer column (set BigInt)", ErrInvalidField, c.Field, n)
		}
		return n, nil
	case FieldDate:
		switch t := v.(type) {
		case time.Time:
			return t.UTC(), nil
		case string:
			p, err := time.Parse(time.RFC3339Nano, t)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %q is not an RFC 3339 date", ErrInvalidField, c.Field, t)
			}
			return p.UTC(), nil
		}
		return bad()
	case FieldJSON:
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidField, c.Field, err)
		}
		var out any
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidField, c.Field, err)
		}
		return out, nil
	}
	return bad()
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case float32:
		return toInt64(float64(n))
	case float64:
		if n != math.Trunc(n) || math.IsInf(n, 0) || n > math.MaxInt64 || n < math.MinInt64 {
			return 0, false
		}
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// PrepareAdditional checks and normalizes additional-field values for a
// write. Every key must be an additional field of t. On create, fields that
// are absent get their default (DefaultValue, or now for DefaultNow), and a required field with neither value nor
// default is an error; on update only the given keys are returned. Errors
// wrap ErrInvalidField. Stores call it so that they all accept and return
// the same values. The result is nil when there is nothing to write.
func (t *Table) PrepareAdditional(values map[string]any, create bool) (map[string]any, error) {
	out := make(map[string]any, len(values))
	for k, v := range values {
		c, ok := t.Column(k)
		if !ok || !c.Additional {
			return nil, fmt.Errorf("%w: %s has no additional field %q", ErrInvalidField, t.Model, k)
		}
		nv, err := c.Normalize(v)
		if err != nil {
			return nil, err
		}
		if nv == nil && c.Required {
			return nil, fmt.Errorf("%w: %s.%s is required", ErrInvalidField, t.Model, k)
		}
		out[k] = nv
	}
	if create {
		now := time.Now()
		for _, c := range t.AdditionalColumns() {
			if _, ok := out[c.Field]; ok {
				continue
			}
			v, err := t.absentValue(c, now)
			if err != nil {
				return nil, err
			}
			out[c.Field] = v
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// absentValue is what a create writes for a column it was given no value
// for: its DefaultValue (a fresh copy), now for DefaultNow, or NULL; a
// required column with none of these is an error wrapping ErrInvalidField.
func (t *Table) absentValue(c Column, now time.Time) (any, error) {
	switch {
	case c.Default != nil:
		return c.Normalize(c.Default) // a fresh copy of JSON defaults
	case c.DefaultNow:
		return now.UTC(), nil
	case c.Required:
		return nil, fmt.Errorf("%w: %s.%s is required", ErrInvalidField, t.Model, c.Field)
	}
	return nil, nil
}
