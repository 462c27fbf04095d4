package betterauth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/store/memstore"
)

func fd(name string, typ betterauth.FieldType) betterauth.FieldDef {
	return betterauth.FieldDef{Name: name, AdditionalField: betterauth.AdditionalField{Type: typ}}
}

func refTo(model, field string, on betterauth.OnDelete) betterauth.FieldDef {
	return betterauth.FieldDef{Name: "ref", References: &betterauth.Reference{Model: model, Field: field, OnDelete: on}}
}

func TestExtensionLayout(t *testing.T) {
	s := betterauth.DrizzleSchema()
	s.UsePlural = true
	s.IDMode = betterauth.IDModeUUID
	s.Models = map[string]betterauth.ModelSchema{"twoFactor": {ModelName: "two_factor", Fields: map[string]string{"secret": "totp_secret"}}}
	ext := betterauth.SchemaExtension{
		Tables: []betterauth.TableDef{
			{Model: "backupCode", Fields: []betterauth.FieldDef{{Name: "twoFactorId", References: &betterauth.Reference{Model: "twoFactor"}}}},
			{Model: "twoFactor", Fields: []betterauth.FieldDef{fd("secret", betterauth.FieldString), {Name: "userId", References: &betterauth.Reference{Model: "user"}, AdditionalField: betterauth.AdditionalField{Index: true}}}},
		},
		Fields: map[string][]betterauth.FieldDef{"user": {fd("twoFactorEnabled", betterauth.FieldBoolean)}},
	}
	l, err := s.Layout(ext)
	require.NoError(t, err)
	var names []string
	for _, tb := range l.Tables() {
		names = append(names, tb.Name)
	}
	assert.Equal(t, []string{"users", "sessions", "accounts", "verifications", "two_factors", "backupCodes"}, names, "referenced tables first, renamed, plural; Naming applies to columns only")
	tf := l.Table("twoFactor")
	require.NotNil(t, tf)
	assert.True(t, tf.Extension)
	assert.Equal(t, "totp_secret", tf.Col("secret"))
	assert.Equal(t, "user_id", tf.Col("userId"))
	c, _ := tf.Column("userId")
	assert.Equal(t, betterauth.FieldType("id"), c.Type, "a reference to an id has the id's type")
	assert.Equal(t, &betterauth.Reference{Model: "user", Field: "id", OnDelete: betterauth.OnDeleteCascade}, c.References)
	u, _ := l.User.Column("twoFactorEnabled")
	assert.True(t, u.Additional, "fields on user travel in Additional")
	assert.Equal(t, "two_factor_enabled", u.Name)
	var ix []string
	for _, i := range l.Indexes() {
		ix = append(ix, i.Name)
	}
	assert.Contains(t, ix, "two_factors_user_id_idx")
	_, err = l.ExtensionTable("user")
	assert.ErrorIs(t, err, betterauth.ErrInvalidSchema)
}

func TestExtensionRejects(t *testing.T) {
	table := func(fields ...betterauth.FieldDef) betterauth.SchemaExtension {
		return betterauth.SchemaExtension{Tables: []betterauth.TableDef{{Model: "thing", Fields: fields}}}
	}
	uniq := fd("code", betterauth.FieldString)
	uniq.Unique = true
	optRef := refTo("user", "", betterauth.OnDeleteSetNull)
	optRef.Optional = true
	cases := map[string]struct {
		schema betterauth.Schema
		ext    []betterauth.SchemaExtension
	}{
		"core model name":          {ext: []betterauth.SchemaExtension{{Tables: []betterauth.TableDef{{Model: "session"}}}}},
		"model twice":              {ext: []betterauth.SchemaExtension{table(), table()}},
		"unsafe model":             {ext: []betterauth.SchemaExtension{{Tables: []betterauth.TableDef{{Model: `a"b`}}}}},
		"table name clash":         {schema: betterauth.Schema{Models: map[string]betterauth.ModelSchema{"thing": {ModelName: "user"}}}, ext: []betterauth.SchemaExtension{table()}},
		"models names unknown":     {schema: betterauth.Schema{Models: map[string]betterauth.ModelSchema{"nope": {}}}},
		"models additional fields": {schema: betterauth.Schema{Models: map[string]betterauth.ModelSchema{"thing": {AdditionalFields: map[string]betterauth.AdditionalField{"x": {Type: betterauth.FieldString}}}}}, ext: []betterauth.SchemaExtension{table()}},
		"models renames unknown":   {schema: betterauth.Schema{Models: map[string]betterauth.ModelSchema{"thing": {Fields: map[string]string{"nope": "x"}}}}, ext: []betterauth.SchemaExtension{table()}},
		"declared id":              {ext: []betterauth.SchemaExtension{table(fd("id", betterauth.FieldString))}},
		"field twice":              {ext: []betterauth.SchemaExtension{table(fd("a", betterauth.FieldString), fd("a", betterauth.FieldString))}},
		"unknown type":             {ext: []betterauth.SchemaExtension{table(fd("a", "blob"))}},
		"default now on string":    {ext: []betterauth.SchemaExtension{table(betterauth.FieldDef{Name: "a", DefaultNow: true, AdditionalField: betterauth.AdditionalField{Type: betterauth.FieldString}})}},
		"unknown ref model":        {ext: []betterauth.SchemaExtension{table(refTo("nope", "", ""))}},
		"ref to session":           {ext: []betterauth.SchemaExtension{table(refTo("session", "", ""))}},
		"unknown ref field":        {ext: []betterauth.SchemaExtension{table(refTo("user", "nope", ""))}},
		"ref to non-unique":        {ext: []betterauth.SchemaExtension{table(refTo("user", "name", ""))}},
		"ref type mismatch":        {ext: []betterauth.SchemaExtension{table(uniq, betterauth.FieldDef{Name: "r", References: &betterauth.Reference{Model: "thing", Field: "code"}, AdditionalField: betterauth.AdditionalField{Type: betterauth.FieldNumber}})}},
		"set null on required":     {ext: []betterauth.SchemaExtension{table(refTo("user", "", betterauth.OnDeleteSetNull))}},
		"unknown on delete":        {ext: []betterauth.SchemaExtension{table(refTo("user", "", "explode"))}},
		"cycle": {ext: []betterauth.SchemaExtension{{Tables: []betterauth.TableDef{
			{Model: "a", Fields: []betterauth.FieldDef{{Name: "b", References: &betterauth.Reference{Model: "b"}}}},
			{Model: "b", Fields: []betterauth.FieldDef{{Name: "a", References: &betterauth.Reference{Model: "a"}}}},
		}}}},
		"fields on unknown model": {ext: []betterauth.SchemaExtension{{Fields: map[string][]betterauth.FieldDef{"nope": {fd("a", betterauth.FieldString)}}}}},
		"fields on account":       {ext: []betterauth.SchemaExtension{{Fields: map[string][]betterauth.FieldDef{"account": {fd("a", betterauth.FieldString)}}}}},
		"field clashes with core": {ext: []betterauth.SchemaExtension{{Fields: map[string][]betterauth.FieldDef{"user": {fd("email", betterauth.FieldString)}}}}},
		"reference from user":     {ext: []betterauth.SchemaExtension{table(), {Fields: map[string][]betterauth.FieldDef{"user": {optRef}}}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.schema.Layout(c.ext...)
			assert.ErrorIs(t, err, betterauth.ErrInvalidSchema)
		})
	}
	// The valid neighbours of those cases pass.
	_, err := betterauth.Schema{}.Layout(table(uniq, optRef, betterauth.FieldDef{Name: "r", References: &betterauth.Reference{Model: "thing", Field: "code"}}))
	require.NoError(t, err)
}

// A store built with extension tables and a Config.Schema without them (the
// core tables the same) is an error, not a panic.
func TestNewRejectsSchemaDifferingFromExtendedStore(t *testing.T) {
	st, err := memstore.New(betterauth.Schema{}, betterauth.SchemaExtension{Tables: []betterauth.TableDef{{Model: "thing"}}})
	require.NoError(t, err)
	_, err = betterauth.New(betterauth.Config{Store: st, Schema: betterauth.Schema{MigrationsTable: "betterauth_schema_migrations"}})
	assert.ErrorIs(t, err, betterauth.ErrInvalidSchema)
}
