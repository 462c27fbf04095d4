package schema

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// IDMode says who makes primary keys and what type their columns have.
type IDMode string

const (
	// IDModeDefault: the library makes ids, 32 random characters of
	// [A-Za-z0-9] (Better Auth's default generator); id columns are text.
	IDModeDefault IDMode = ""
	// IDModeUUID: the database makes ids with gen_random_uuid(); id and
	// foreign-key columns are uuid (Better Auth's generateId: "uuid").
	IDModeUUID IDMode = "uuid"
)

// Naming chooses how logical field names become column names.
type Naming string

const (
	// NamingCamelCase keeps Better Auth's names ("emailVerified"), as its own
	// migrator and Prisma create them.
	NamingCamelCase Naming = ""
	// NamingSnakeCase uses snake_case columns ("email_verified"), as
	// Better Auth's Drizzle schema generator writes them. Index names keep the
	// logical camelCase names, as that generator does ("session_userId_idx").
	NamingSnakeCase Naming = "snake_case"
)

// FieldType is the logical type of an additional field.
type FieldType string

// Field types and the Go values they hold in a Record and in the Additional
// maps of betterauth.User and betterauth.Session.
const (
	FieldString  FieldType = "string"  // text; Go string
	FieldNumber  FieldType = "number"  // integer, or bigint with BigInt; Go int64
	FieldBoolean FieldType = "boolean" // boolean; Go bool
	FieldDate    FieldType = "date"    // timestamptz; Go time.Time (UTC)
	FieldJSON    FieldType = "json"    // jsonb; what encoding/json decodes into any
	fieldID      FieldType = "id"      // text or uuid, by IDMode
)

// AdditionalField describes an extra column on the user or session table,
// as Better Auth's additionalFields do. Field names are logical (the JSON
// key); FieldName sets the column name when it differs.
type AdditionalField struct {
	// Type is the field's type; it must be set.
	Type FieldType
	// Optional makes the column nullable. Better Auth's additional fields
	// are required unless marked required: false, and so are these.
	Optional bool
	// DefaultValue is written on create when no value is given.
	DefaultValue any
	// Unique adds a UNIQUE constraint; Index adds <table>_<column>_idx.
	Unique bool
	Index  bool
	// BigInt stores a number as bigint instead of integer.
	BigInt bool
	// NoInput forbids clients to set the field (Better Auth's input: false).
	NoInput bool
	// Hidden keeps the field out of API output (Better Auth's returned: false).
	Hidden bool
	// FieldName is the column name; empty means the naming rule applied to
	// the logical name.
	FieldName string
}

// ModelSchema renames one of the four tables and its columns and adds fields.
type ModelSchema struct {
	// ModelName is the table name (Better Auth's modelName); empty means
	// the model's name ("user", "session", "account", "verification").
	ModelName string
	// Fields maps logical field names ("emailVerified") to column names;
	// fields not listed follow the Schema's Naming. The id cannot be renamed.
	Fields map[string]string
	// AdditionalFields adds columns; allowed on user and session only.
	AdditionalFields map[string]AdditionalField
	// AdditionalFieldOrder is the order of the additional columns, as
	// Better Auth takes it from the declaration; fields not listed follow,
	// sorted by name. ParseJSON fills it from the JSON.
	AdditionalFieldOrder []string
}

// additionalOrder returns the additional field names in column order.
func (ms ModelSchema) additionalOrder(model string) ([]string, error) {
	names := make([]string, 0, len(ms.AdditionalFields))
	seen := map[string]bool{}
	for _, n := range ms.AdditionalFieldOrder {
		if _, ok := ms.AdditionalFields[n]; !ok || seen[n] {
			return nil, fmt.Errorf("%w: %s.AdditionalFieldOrder names %q, which is not an additional field or is listed twice", ErrInvalidSchema, model, n)
		}
		seen[n] = true
		names = append(names, n)
	}
	var rest []string
	for n := range ms.AdditionalFields {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...), nil
}

// Schema describes the physical layout of Better Auth's four tables. The zero
// value is exactly what Better Auth 1.7.25's own migrator creates.
type Schema struct {
	// User, Session, Account and Verification rename the core tables and
	// their columns; only User and Session take AdditionalFields.
	User         ModelSchema
	Session      ModelSchema
	Account      ModelSchema
	Verification ModelSchema
	// Models renames the tables of schema extensions and their columns,
	// keyed by model name ("twoFactor"); AdditionalFields are not allowed
	// there. UsePlural and Naming apply to these tables too.
	Models map[string]ModelSchema
	// UsePlural appends "s" to every table name, as the usePlural option of
	// Better Auth's adapters does ("users", "sessions", ...).
	UsePlural bool
	// Naming turns logical names into column names; default camelCase.
	Naming Naming
	// IDMode chooses app-made text ids (default) or database-made uuids.
	IDMode IDMode
	// TimestampWithoutTimeZone makes generated tables use "timestamp" rather
	// than "timestamptz" (Drizzle's default). Reading and writing work with
	// either column type whatever this says; times are always UTC.
	TimestampWithoutTimeZone bool
	// MigrationsTable is the table in which the migrator records its
	// version; default "betterauth_schema_migrations".
	MigrationsTable string
}

// Drizzle returns the layout that Better Auth's Drizzle generator
// writes by default: snake_case columns and timestamps without time zone.
func Drizzle() Schema {
	return Schema{Naming: NamingSnakeCase, TimestampWithoutTimeZone: true}
}

// Model names, also the default table names.
const (
	ModelUser         = "user"
	ModelSession      = "session"
	ModelAccount      = "account"
	ModelVerification = "verification"
)

// Column is one column of a Table, resolved from a Schema.
type Column struct {
	// Field is the logical name ("emailVerified"); Name is the column name.
	Field string
	Name  string
	// Type is the field's type; the id, and columns that reference an id,
	// have the type "id" (text or uuid, by the IDMode).
	Type FieldType
	// Required columns are NOT NULL.
	Required bool
	Unique   bool
	// Index asks for a non-unique index on this column alone.
	Index bool
	// DefaultNow columns get DEFAULT CURRENT_TIMESTAMP when created.
	DefaultNow bool
	// Default is an additional field's default value, or nil.
	Default any
	BigInt  bool
	// References is the row this column points at, or nil. Core columns
	// point at user.id with ON DELETE CASCADE.
	References *Reference
	// Additional marks a column that comes from AdditionalFields.
	Additional bool
	// NoInput and Hidden are the additional field's flags.
	NoInput bool
	Hidden  bool
}

// Table is one table, resolved from a Schema (and its extensions).
type Table struct {
	// Model is "user", "session", "account", "verification", or the model
	// name of a table an Extension declares.
	Model string
	// Name is the table name.
	Name string
	// Columns in creation order: id, Better Auth's fields, additional fields,
	// fields of extensions.
	Columns []Column
	// Extension marks a table that an Extension declares; stores reach
	// it through betterauth.TableStore.
	Extension bool

	byField map[string]int
}

// Column returns the column of the logical field, and whether there is one.
func (t *Table) Column(field string) (Column, bool) {
	i, ok := t.byField[field]
	if !ok {
		return Column{}, false
	}
	return t.Columns[i], true
}

// Col returns the column name of a logical field, or "" if there is none.
func (t *Table) Col(field string) string {
	c, _ := t.Column(field)
	return c.Name
}

// AdditionalColumns returns the columns that come from AdditionalFields, in
// column order (AdditionalFieldOrder, then by name).
func (t *Table) AdditionalColumns() []Column {
	var out []Column
	for _, c := range t.Columns {
		if c.Additional {
			out = append(out, c)
		}
	}
	return out
}

// Index is an index a Layout wants.
type Index struct {
	Table   string   // table name
	Name    string   // index name
	Columns []string // column names
	// Extra marks the indexes Better Auth's migrator does not create but its
	// setup guide asks for: user(createdAt), session(expiresAt),
	// account(providerId, accountId), verification(expiresAt).
	Extra bool
	// Additional marks the index of an additional field.
	Additional bool
}

// Layout is a validated Schema resolved to physical names: what stores and
// migrations work from.
type Layout struct {
	// IDMode, TimestampType and MigrationsTable are the Schema's, resolved:
	// TimestampType is "timestamptz" or "timestamp", MigrationsTable is
	// never empty.
	IDMode          IDMode
	TimestampType   string // "timestamptz" or "timestamp"
	MigrationsTable string
	// User, Session, Account and Verification are the core tables; Tables
	// and Table reach those of extensions too.
	User         *Table
	Session      *Table
	Account      *Table
	Verification *Table

	// extension holds the tables of schema extensions, in creation order.
	extension         []*Table
	logicalIndexNames bool
}

// Tables returns every table in creation order: the four core tables, then
// those of schema extensions, each after the tables its foreign keys point at.
func (l *Layout) Tables() []*Table {
	return append([]*Table{l.User, l.Session, l.Account, l.Verification}, l.extension...)
}

// Table returns the table of a model (core or extension), or nil.
func (l *Layout) Table(model string) *Table {
	for _, t := range l.Tables() {
		if t.Model == model {
			return t
		}
	}
	return nil
}

type coreField struct {
	field      string
	typ        FieldType
	required   bool
	unique     bool
	index      bool
	defaultNow bool
	references bool // to user.id, on delete cascade
}

// coreFields lists Better Auth 1.7.25's fields in the order its migrator
// creates them.
var coreFields = map[string][]coreField{
	ModelUser: {
		{field: "id", typ: fieldID, required: true},
		{field: "name", typ: FieldString, required: true},
		{field: "email", typ: FieldString, required: true, unique: true},
		{field: "emailVerified", typ: FieldBoolean, required: true},
		{field: "image", typ: FieldString},
		{field: "createdAt", typ: FieldDate, required: true, defaultNow: true},
		{field: "updatedAt", typ: FieldDate, required: true, defaultNow: true},
	},
	ModelSession: {
		{field: "id", typ: fieldID, required: true},
		{field: "expiresAt", typ: FieldDate, required: true},
		{field: "token", typ: FieldString, required: true, unique: true},
		{field: "createdAt", typ: FieldDate, required: true, defaultNow: true},
		{field: "updatedAt", typ: FieldDate, required: true},
		{field: "ipAddress", typ: FieldString},
		{field: "userAgent", typ: FieldString},
		{field: "userId", typ: fieldID, required: true, index: true, references: true},
	},
	ModelAccount: {
		{field: "id", typ: fieldID, required: true},
		{field: "accountId", typ: FieldString, required: true},
		{field: "providerId", typ: FieldString, required: true},
		{field: "userId", typ: fieldID, required: true, index: true, references: true},
		{field: "accessToken", typ: FieldString},
		{field: "refreshToken", typ: FieldString},
		{field: "idToken", typ: FieldString},
		{field: "accessTokenExpiresAt", typ: FieldDate},
		{field: "refreshTokenExpiresAt", typ: FieldDate},
		{field: "scope", typ: FieldString},
		{field: "password", typ: FieldString},
		{field: "createdAt", typ: FieldDate, required: true, defaultNow: true},
		{field: "updatedAt", typ: FieldDate, required: true},
	},
	ModelVerification: {
		{field: "id", typ: fieldID, required: true},
		{field: "identifier", typ: FieldString, required: true, index: true},
		{field: "value", typ: FieldString, required: true},
		{field: "expiresAt", typ: FieldDate, required: true},
		{field: "createdAt", typ: FieldDate, required: true, defaultNow: true},
		{field: "updatedAt", typ: FieldDate, required: true, defaultNow: true},
	},
}

// extraIndexes are the indexes the setup guide asks for that Better Auth
// lacks, by model and logical fields.
var extraIndexes = []struct {
	model  string
	fields []string
}{
	{ModelUser, []string{"createdAt"}},
	{ModelSession, []string{"expiresAt"}},
	{ModelAccount, []string{"providerId", "accountId"}},
	{ModelVerification, []string{"expiresAt"}},
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkIdent rejects names that would need escaping beyond double quotes, or
// that PostgreSQL would truncate.
func checkIdent(what, name string) error {
	if !identRE.MatchString(name) {
		return fmt.Errorf("%w: %s %q: use letters, digits and underscores, not starting with a digit", ErrInvalidSchema, what, name)
	}
	if len(name) > 63 {
		return fmt.Errorf("%w: %s %q is longer than PostgreSQL's 63-byte limit", ErrInvalidSchema, what, name)
	}
	return nil
}

func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Layout validates the Schema and the extensions and resolves them to
// physical names. It returns an error wrapping ErrInvalidSchema for an unsafe
// or ambiguous name, an unknown field, type or model, additional fields where
// they are not allowed, a reference to an unknown table or field, or
// extension tables whose references form a cycle.
func (s Schema) Layout(ext ...Extension) (*Layout, error) {
	l := &Layout{
		IDMode:            s.IDMode,
		TimestampType:     "timestamptz",
		MigrationsTable:   s.MigrationsTable,
		logicalIndexNames: s.Naming == NamingSnakeCase,
	}
	switch s.IDMode {
	case IDModeDefault, IDModeUUID:
	default:
		return nil, fmt.Errorf("%w: unknown IDMode %q (want \"\" or \"uuid\")", ErrInvalidSchema, s.IDMode)
	}
	switch s.Naming {
	case NamingCamelCase, NamingSnakeCase:
	default:
		return nil, fmt.Errorf("%w: unknown Naming %q", ErrInvalidSchema, s.Naming)
	}
	if s.TimestampWithoutTimeZone {
		l.TimestampType = "timestamp"
	}
	if l.MigrationsTable == "" {
		l.MigrationsTable = "betterauth_schema_migrations"
	}
	if err := checkIdent("migrations table", l.MigrationsTable); err != nil {
		return nil, err
	}
	models := []struct {
		name string
		ms   ModelSchema
		dst  **Table
	}{
		{ModelUser, s.User, &l.User},
		{ModelSession, s.Session, &l.Session},
		{ModelAccount, s.Account, &l.Account},
		{ModelVerification, s.Verification, &l.Verification},
	}
	defs, extFields, err := s.collect(ext)
	if err != nil {
		return nil, err
	}
	tableNames := map[string]string{strings.ToLower(l.MigrationsTable): "the migrations table"}
	for _, m := range models {
		t, err := s.table(m.name, m.ms, extFields[m.name])
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(t.Name)
		if other, dup := tableNames[key]; dup {
			return nil, fmt.Errorf("%w: table name %q of %s is also used by %s", ErrInvalidSchema, t.Name, m.name, other)
		}
		tableNames[key] = m.name
		*m.dst = t
	}
	if err := s.extensionTables(l, defs, extFields, tableNames); err != nil {
		return nil, err
	}
	return l, nil
}

// colName is the column name of a logical field: the override, or the
// naming rule applied to the field.
func (s Schema) colName(field, override string) string {
	if override != "" {
		return override
	}
	if s.Naming == NamingSnakeCase {
		return snakeCase(field)
	}
	return field
}

func (s Schema) table(model string, ms ModelSchema, extra []FieldDef) (*Table, error) {
	t := &Table{Model: model, Name: ms.ModelName, byField: map[string]int{}}
	if t.Name == "" {
		t.Name = model
	}
	if s.UsePlural {
		t.Name += "s"
	}
	if err := checkIdent(model+" table name", t.Name); err != nil {
		return nil, err
	}
	colName := s.colName
	core := coreFields[model]
	known := map[string]bool{}
	for _, f := range core {
		known[f.field] = true
	}
	for f := range ms.Fields {
		if !known[f] {
			return nil, fmt.Errorf("%w: %s.Fields renames unknown field %q", ErrInvalidSchema, model, f)
		}
		if f == "id" {
			return nil, fmt.Errorf("%w: %s.Fields: the id column cannot be renamed", ErrInvalidSchema, model)
		}
	}
	for _, f := range core {
		name := "id"
		if f.field != "id" {
			name = s.colName(f.field, ms.Fields[f.field])
		}
		c := Column{
			Field: f.field, Name: name, Type: f.typ, Required: f.required, Unique: f.unique,
			Index: f.index, DefaultNow: f.defaultNow,
		}
		if f.references {
			c.References = &Reference{Model: ModelUser, Field: "id", OnDelete: OnDeleteCascade}
		}
		t.Columns = append(t.Columns, c)
	}
	if len(ms.AdditionalFields) > 0 && model != ModelUser && model != ModelSession {
		return nil, fmt.Errorf("%w: additional fields are supported on user and session, not %s", ErrInvalidSchema, model)
	}
	names, err := ms.additionalOrder(model)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if known[n] {
			return nil, fmt.Errorf("%w: %s additional field %q has the name of a built-in field", ErrInvalidSchema, model, n)
		}
		c, err := s.fieldColumn(model, FieldDef{Name: n, AdditionalField: ms.AdditionalFields[n]}, colName)
		if err != nil {
			return nil, err
		}
		known[n] = true
		t.Columns = append(t.Columns, c)
	}
	if len(extra) > 0 && model != ModelUser && model != ModelSession {
		return nil, fmt.Errorf("%w: extension fields are supported on user and session, not %s", ErrInvalidSchema, model)
	}
	for _, fd := range extra {
		if known[fd.Name] {
			return nil, fmt.Errorf("%w: extension field %s.%s is already a field of %s", ErrInvalidSchema, model, fd.Name, model)
		}
		if fd.References != nil {
			return nil, fmt.Errorf("%w: extension field %s.%s: references from core tables are not supported", ErrInvalidSchema, model, fd.Name)
		}
		c, err := s.fieldColumn(model, fd, colName)
		if err != nil {
			return nil, err
		}
		known[fd.Name] = true
		t.Columns = append(t.Columns, c)
	}
	if err := t.index(); err != nil {
		return nil, err
	}
	return t, nil
}

// index checks the column names and fills byField.
func (t *Table) index() error {
	seen := map[string]string{}
	for i, c := range t.Columns {
		if err := checkIdent(t.Model+" column name", c.Name); err != nil {
			return err
		}
		key := strings.ToLower(c.Name)
		if other, dup := seen[key]; dup {
			return fmt.Errorf("%w: %s fields %q and %q both map to column %q (names differing only in case are ambiguous)", ErrInvalidSchema, t.Model, other, c.Field, c.Name)
		}
		seen[key] = c.Field
		t.byField[c.Field] = i
	}
	return nil
}

// Indexes returns the non-unique indexes the layout wants, in creation
// order: Better Auth's (session.userId, account.userId,
// verification.identifier), those of additional fields marked Index, then
// the extra ones.
func (l *Layout) Indexes() []Index {
	var out []Index
	for _, t := range l.Tables() {
		for _, c := range t.Columns {
			if c.Index && !c.Additional {
				out = append(out, l.index(t, []string{c.Field}, false))
			}
		}
	}
	for _, t := range l.Tables() {
		for _, c := range t.AdditionalColumns() {
			if c.Index {
				ix := l.index(t, []string{c.Field}, false)
				ix.Additional = true
				out = append(out, ix)
			}
		}
	}
	for _, x := range extraIndexes {
		out = append(out, l.index(l.Table(x.model), x.fields, true))
	}
	return out
}

// index names an index by Better Auth's rule, <table>_<col>[_<col>]_idx,
// with physical column names (logical ones under NamingSnakeCase, as the
// Drizzle generator does), shortened with an FNV-1a hash past 63 bytes.
func (l *Layout) index(t *Table, fields []string, extra bool) Index {
	ix := Index{Table: t.Name, Extra: extra}
	parts := []string{t.Name}
	for _, f := range fields {
		c, _ := t.Column(f)
		ix.Columns = append(ix.Columns, c.Name)
		if l.logicalIndexNames && !c.Additional {
			parts = append(parts, c.Field)
		} else {
			parts = append(parts, c.Name)
		}
	}
	ix.Name = IndexName(strings.Join(parts, "_"), "_idx")
	return ix
}

// IndexName names an index Better Auth's way: base+suffix ("_idx" or
// "_uidx"), shortened with an FNV-1a hash when longer than PostgreSQL's 63
// bytes.
func IndexName(base, suffix string) string {
	full := base + suffix
	if len(full) <= 63 {
		return full
	}
	h := fnv.New32a()
	h.Write([]byte(full))
	tail := fmt.Sprintf("_%08x%s", h.Sum32(), suffix)
	return base[:63-len(tail)] + tail
}
