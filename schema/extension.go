package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// OnDelete is what the database does to a row when the row its foreign key
// points at is deleted.
type OnDelete string

// The ON DELETE actions a Reference may ask for (Better Auth's onDelete).
const (
	// OnDeleteCascade deletes the row too; the default.
	OnDeleteCascade OnDelete = "cascade"
	// OnDeleteSetNull sets the column to NULL; the field must be Optional.
	OnDeleteSetNull OnDelete = "set null"
	// OnDeleteRestrict refuses to delete a row that is still referenced
	// (stores report betterauth.ErrConflict).
	OnDeleteRestrict OnDelete = "restrict"
)

// Reference makes a field a foreign key, as Better Auth's
// references: {model, field, onDelete}.
type Reference struct {
	// Model is the referenced model: "user" or a table of an extension.
	Model string
	// Field is the referenced logical field; empty means "id". A field other
	// than the id must be Unique.
	Field string
	// OnDelete is the action on delete; empty means OnDeleteCascade.
	OnDelete OnDelete
}

// FieldDef is a field an Extension declares: the vocabulary of
// AdditionalField plus a name, a reference and a creation-time default.
type FieldDef struct {
	// Name is the logical field name (the key in a Record or in Additional).
	Name string
	AdditionalField
	// DefaultNow gives a date field DEFAULT CURRENT_TIMESTAMP and the
	// current time when a write leaves it out (Better Auth's
	// defaultValue: () => new Date()).
	DefaultNow bool
	// References makes the field a foreign key. Its Type may be left empty
	// (a string); when it points at an id its column has the id's type.
	References *Reference
}

// TableDef is a table an Extension declares. Its id column is implicit
// (made as for the core tables, by IDMode); Fields follow it in order.
type TableDef struct {
	// Model is the logical model name ("twoFactor"), also the default table
	// name. Schema.Models renames it and its columns.
	Model string
	// Fields are the table's fields after the id, in column order.
	Fields []FieldDef
}

// Extension is what a plugin adds to the schema: tables of its own and
// fields on existing models. Fields on "user" and "session" travel in the
// Additional maps of betterauth.User and betterauth.Session, as additional
// fields do; fields on a table of an extension are appended to it.
type Extension struct {
	// Tables are the tables the extension declares.
	Tables []TableDef
	// Fields adds fields to existing models, keyed by model name: "user",
	// "session", or a table of an extension.
	Fields map[string][]FieldDef
}

// collect merges the extensions: table definitions in declaration order and
// extra fields by model. (A model declared twice, or named like a core
// model, is refused by the check on table names.)
func (s Schema) collect(ext []Extension) ([]TableDef, map[string][]FieldDef, error) {
	var defs []TableDef
	fields := map[string][]FieldDef{}
	seen := map[string]bool{ModelUser: true, ModelSession: true, ModelAccount: true, ModelVerification: true}
	for _, e := range ext {
		for _, td := range e.Tables {
			if err := checkIdent("model", td.Model); err != nil {
				return nil, nil, err
			}
			seen[td.Model] = true
			defs = append(defs, td)
		}
	}
	for _, e := range ext {
		for _, model := range slices.Sorted(maps.Keys(e.Fields)) {
			if !seen[model] {
				return nil, nil, fmt.Errorf("%w: extension fields on unknown model %q", ErrInvalidSchema, model)
			}
			fields[model] = append(fields[model], e.Fields[model]...)
		}
	}
	for model := range s.Models {
		if !seen[model] || model == ModelUser || model == ModelSession || model == ModelAccount || model == ModelVerification {
			return nil, nil, fmt.Errorf("%w: Schema.Models names %q, which no extension declares (rename core models with Schema.User, ...)", ErrInvalidSchema, model)
		}
	}
	return defs, fields, nil
}

// fieldColumn resolves one declared field of a model to a column. References
// are checked later, once every table exists.
func (s Schema) fieldColumn(model string, fd FieldDef, colName func(field, override string) string) (Column, error) {
	n := fd.Name
	if err := checkIdent(model+" field", n); err != nil {
		return Column{}, err
	}
	if n == "id" {
		return Column{}, fmt.Errorf("%w: %s field %q: the id is implicit", ErrInvalidSchema, model, n)
	}
	af := fd.AdditionalField
	if af.Type == "" && fd.References != nil {
		af.Type = FieldString
	}
	switch af.Type {
	case FieldString, FieldNumber, FieldBoolean, FieldDate, FieldJSON:
	default:
		return Column{}, fmt.Errorf("%w: %s field %q has unknown type %q", ErrInvalidSchema, model, n, af.Type)
	}
	if af.BigInt && af.Type != FieldNumber {
		return Column{}, fmt.Errorf("%w: %s field %q: BigInt applies to numbers only", ErrInvalidSchema, model, n)
	}
	if fd.DefaultNow && af.Type != FieldDate {
		return Column{}, fmt.Errorf("%w: %s field %q: DefaultNow applies to dates only", ErrInvalidSchema, model, n)
	}
	c := Column{
		Field: n, Name: colName(n, af.FieldName), Type: af.Type, Required: !af.Optional,
		Unique: af.Unique, Index: af.Index && !af.Unique, BigInt: af.BigInt,
		Additional: true, NoInput: af.NoInput, Hidden: af.Hidden, DefaultNow: fd.DefaultNow,
	}
	if af.DefaultValue != nil {
		v, err := c.Normalize(af.DefaultValue)
		if err != nil {
			return Column{}, fmt.Errorf("%w: %s field %q: default value: %w", ErrInvalidSchema, model, n, err)
		}
		c.Default = v
	}
	if r := fd.References; r != nil {
		ref := *r
		if ref.Field == "" {
			ref.Field = "id"
		}
		if ref.OnDelete == "" {
			ref.OnDelete = OnDeleteCascade
		}
		switch ref.OnDelete {
		case OnDeleteCascade, OnDeleteRestrict:
		case OnDeleteSetNull:
			if c.Required {
				return Column{}, fmt.Errorf("%w: %s field %q: OnDeleteSetNull needs an Optional field", ErrInvalidSchema, model, n)
			}
		default:
			return Column{}, fmt.Errorf("%w: %s field %q: unknown OnDelete %q", ErrInvalidSchema, model, n, ref.OnDelete)
		}
		c.References = &ref
	}
	return c, nil
}

// extensionTables resolves the tables of the extensions, checks their
// references and puts them in creation order.
func (s Schema) extensionTables(l *Layout, defs []TableDef, extFields map[string][]FieldDef, tableNames map[string]string) error {
	var tables []*Table
	for _, td := range defs {
		ms := s.Models[td.Model]
		if len(ms.AdditionalFields) > 0 {
			return fmt.Errorf("%w: Schema.Models[%q]: declare extension fields in a schema.Extension, not AdditionalFields", ErrInvalidSchema, td.Model)
		}
		t := &Table{Model: td.Model, Name: ms.ModelName, Extension: true, byField: map[string]int{}}
		if t.Name == "" {
			t.Name = td.Model
		}
		if s.UsePlural {
			t.Name += "s"
		}
		if err := checkIdent(td.Model+" table name", t.Name); err != nil {
			return err
		}
		key := strings.ToLower(t.Name)
		if other, dup := tableNames[key]; dup {
			return fmt.Errorf("%w: table name %q of %s is also used by %s", ErrInvalidSchema, t.Name, td.Model, other)
		}
		tableNames[key] = td.Model
		t.Columns = []Column{{Field: "id", Name: "id", Type: fieldID, Required: true}}
		known := map[string]bool{"id": true}
		for _, fd := range append(slices.Clone(td.Fields), extFields[td.Model]...) {
			if known[fd.Name] {
				return fmt.Errorf("%w: %s field %q is declared twice", ErrInvalidSchema, td.Model, fd.Name)
			}
			known[fd.Name] = true
			c, err := s.fieldColumn(td.Model, fd, s.colName)
			if err != nil {
				return err
			}
			t.Columns = append(t.Columns, c)
		}
		for f := range ms.Fields {
			if !known[f] || f == "id" {
				return fmt.Errorf("%w: Schema.Models[%q].Fields renames unknown field %q (the id cannot be renamed)", ErrInvalidSchema, td.Model, f)
			}
		}
		for i, c := range t.Columns {
			if over := ms.Fields[c.Field]; over != "" {
				t.Columns[i].Name = over
			}
		}
		if err := t.index(); err != nil {
			return err
		}
		tables = append(tables, t)
	}
	byModel := map[string]*Table{ModelUser: l.User}
	for _, t := range tables {
		byModel[t.Model] = t
	}
	for _, t := range tables {
		for i, c := range t.Columns {
			r := c.References
			if r == nil {
				continue
			}
			target := byModel[r.Model]
			if target == nil {
				return fmt.Errorf("%w: %s.%s references unknown model %q (user or an extension table)", ErrInvalidSchema, t.Model, c.Field, r.Model)
			}
			tc, ok := target.Column(r.Field)
			if !ok {
				return fmt.Errorf("%w: %s.%s references unknown field %s.%s", ErrInvalidSchema, t.Model, c.Field, r.Model, r.Field)
			}
			if tc.Field != "id" && !tc.Unique {
				return fmt.Errorf("%w: %s.%s references %s.%s, which is neither the id nor unique", ErrInvalidSchema, t.Model, c.Field, r.Model, r.Field)
			}
			if tc.Field == "id" {
				t.Columns[i].Type = fieldID
			} else if tc.Type != c.Type {
				return fmt.Errorf("%w: %s.%s is a %s but references %s.%s, a %s", ErrInvalidSchema, t.Model, c.Field, c.Type, r.Model, r.Field, tc.Type)
			}
		}
	}
	// Creation order: declaration order, each table after the tables it
	// references (a table may reference itself).
	placed := map[string]bool{}
	for len(l.extension) < len(tables) {
		progress := false
		for _, t := range tables {
			if placed[t.Model] {
				continue
			}
			ready := true
			for _, c := range t.Columns {
				if r := c.References; r != nil && r.Model != ModelUser && r.Model != t.Model && !placed[r.Model] {
					ready = false
				}
			}
			if ready {
				placed[t.Model] = true
				l.extension = append(l.extension, t)
				progress = true
				break
			}
		}
		if !progress {
			return fmt.Errorf("%w: the references of the extension tables form a cycle", ErrInvalidSchema)
		}
	}
	return nil
}
