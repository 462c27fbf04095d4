package schema_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/schema"
)

func fd(name string, typ schema.FieldType) schema.FieldDef {
	return schema.FieldDef{Name: name, AdditionalField: schema.AdditionalField{Type: typ}}
}

func refTo(model, field string, on schema.OnDelete) schema.FieldDef {
	return schema.FieldDef{Name: "ref", References: &schema.Reference{Model: model, Field: field, OnDelete: on}}
}

func TestExtensionLayout(t *testing.T) {
	s := schema.Drizzle()
	s.UsePlural = true
	s.IDMode = schema.IDModeUUID
	s.Models = map[string]schema.ModelSchema{"twoFactor": {ModelName: "two_factor", Fields: map[string]string{"secret": "totp_secret"}}}
	ext := schema.Extension{
		Tables: []schema.TableDef{
			{Model: "backupCode", Fields: []schema.FieldDef{{Name: "twoFactorId", References: &schema.Reference{Model: "twoFactor"}}}},
			{Model: "twoFactor", Fields: []schema.FieldDef{fd("secret", schema.FieldString), {Name: "userId", References: &schema.Reference{Model: "user"}, AdditionalField: schema.AdditionalField{Index: true}}}},
		},
		Fields: map[string][]schema.FieldDef{"user": {fd("twoFactorEnabled", schema.FieldBoolean)}},
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
	assert.Equal(t, schema.FieldType("id"), c.Type, "a reference to an id has the id's type")
	assert.Equal(t, &schema.Reference{Model: "user", Field: "id", OnDelete: schema.OnDeleteCascade}, c.References)
	u, _ := l.User.Column("twoFactorEnabled")
	assert.True(t, u.Additional, "fields on user travel in Additional")
	assert.Equal(t, "two_factor_enabled", u.Name)
	var ix []string
	for _, i := range l.Indexes() {
		ix = append(ix, i.Name)
	}
	assert.Contains(t, ix, "two_factors_user_id_idx")
	_, err = l.ExtensionTable("user")
	assert.ErrorIs(t, err, schema.ErrInvalidSchema)
}

func TestExtensionRejects(t *testing.T) {
	table := func(fields ...schema.FieldDef) schema.Extension {
		return schema.Extension{Tables: []schema.TableDef{{Model: "thing", Fields: fields}}}
	}
	uniq := fd("code", schema.FieldString)
	uniq.Unique = true
	optRef := refTo("user", "", schema.OnDeleteSetNull)
	optRef.Optional = true
	cases := map[string]struct {
		sch schema.Schema
		ext []schema.Extension
	}{
		"core model name":          {ext: []schema.Extension{{Tables: []schema.TableDef{{Model: "session"}}}}},
		"model twice":              {ext: []schema.Extension{table(), table()}},
		"unsafe model":             {ext: []schema.Extension{{Tables: []schema.TableDef{{Model: `a"b`}}}}},
		"table name clash":         {sch: schema.Schema{Models: map[string]schema.ModelSchema{"thing": {ModelName: "user"}}}, ext: []schema.Extension{table()}},
		"models names unknown":     {sch: schema.Schema{Models: map[string]schema.ModelSchema{"nope": {}}}},
		"models additional fields": {sch: schema.Schema{Models: map[string]schema.ModelSchema{"thing": {AdditionalFields: map[string]schema.AdditionalField{"x": {Type: schema.FieldString}}}}}, ext: []schema.Extension{table()}},
		"models renames unknown":   {sch: schema.Schema{Models: map[string]schema.ModelSchema{"thing": {Fields: map[string]string{"nope": "x"}}}}, ext: []schema.Extension{table()}},
		"declared id":              {ext: []schema.Extension{table(fd("id", schema.FieldString))}},
		"field twice":              {ext: []schema.Extension{table(fd("a", schema.FieldString), fd("a", schema.FieldString))}},
		"unknown type":             {ext: []schema.Extension{table(fd("a", "blob"))}},
		"default now on string":    {ext: []schema.Extension{table(schema.FieldDef{Name: "a", DefaultNow: true, AdditionalField: schema.AdditionalField{Type: schema.FieldString}})}},
		"unknown ref model":        {ext: []schema.Extension{table(refTo("nope", "", ""))}},
		"ref to session":           {ext: []schema.Extension{table(refTo("session", "", ""))}},
		"unknown ref field":        {ext: []schema.Extension{table(refTo("user", "nope", ""))}},
		"ref to non-unique":        {ext: []schema.Extension{table(refTo("user", "name", ""))}},
		"ref type mismatch":        {ext: []schema.Extension{table(uniq, schema.FieldDef{Name: "r", References: &schema.Reference{Model: "thing", Field: "code"}, AdditionalField: schema.AdditionalField{Type: schema.FieldNumber}})}},
		"set null on required":     {ext: []schema.Extension{table(refTo("user", "", schema.OnDeleteSetNull))}},
		"unknown on delete":        {ext: []schema.Extension{table(refTo("user", "", "explode"))}},
		"cycle": {ext: []schema.Extension{{Tables: []schema.TableDef{
			{Model: "a", Fields: []schema.FieldDef{{Name: "b", References: &schema.Reference{Model: "b"}}}},
			{Model: "b", Fields: []schema.FieldDef{{Name: "a", References: &schema.Reference{Model: "a"}}}},
		}}}},
		"fields on unknown model": {ext: []schema.Extension{{Fields: map[string][]schema.FieldDef{"nope": {fd("a", schema.FieldString)}}}}},
		"fields on account":       {ext: []schema.Extension{{Fields: map[string][]schema.FieldDef{"account": {fd("a", schema.FieldString)}}}}},
		"field clashes with core": {ext: []schema.Extension{{Fields: map[string][]schema.FieldDef{"user": {fd("email", schema.FieldString)}}}}},
		"reference from user":     {ext: []schema.Extension{table(), {Fields: map[string][]schema.FieldDef{"user": {optRef}}}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.sch.Layout(c.ext...)
			assert.ErrorIs(t, err, schema.ErrInvalidSchema)
		})
	}
	// The valid neighbours of those cases pass.
	_, err := schema.Schema{}.Layout(table(uniq, optRef, schema.FieldDef{Name: "r", References: &schema.Reference{Model: "thing", Field: "code"}}))
	require.NoError(t, err)
}
