package schema_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/schema"
)

func TestDefaultLayoutIsBetterAuths(t *testing.T) {
	l, err := schema.Schema{}.Layout()
	require.NoError(t, err)
	assert.Equal(t, "user", l.User.Name)
	assert.Equal(t, "emailVerified", l.User.Col("emailVerified"))
	assert.Equal(t, "timestamptz", l.TimestampType)
	assert.Equal(t, "betterauth_schema_migrations", l.MigrationsTable)
	var names []string
	for _, ix := range l.Indexes() {
		names = append(names, ix.Name)
	}
	assert.Equal(t, []string{
		"session_userId_idx", "account_userId_idx", "verification_identifier_idx",
		"user_createdAt_idx", "session_expiresAt_idx", "account_providerId_accountId_idx", "verification_expiresAt_idx",
	}, names)
}

func TestDrizzleLayout(t *testing.T) {
	s := schema.Drizzle()
	s.UsePlural = true
	l, err := s.Layout()
	require.NoError(t, err)
	assert.Equal(t, "users", l.User.Name)
	assert.Equal(t, "email_verified", l.User.Col("emailVerified"))
	assert.Equal(t, "access_token_expires_at", l.Account.Col("accessTokenExpiresAt"))
	assert.Equal(t, "timestamp", l.TimestampType)
	// Index names keep the logical field names, as the Drizzle generator does.
	ix := l.Indexes()[0]
	assert.Equal(t, "sessions_userId_idx", ix.Name)
	assert.Equal(t, []string{"user_id"}, ix.Columns)
}

func TestSchemaRejectsUnsafeOrAmbiguousNames(t *testing.T) {
	cases := map[string]schema.Schema{
		"quote in table":      {User: schema.ModelSchema{ModelName: `us"er`}},
		"space in column":     {Session: schema.ModelSchema{Fields: map[string]string{"token": "the token"}}},
		"leading digit":       {Account: schema.ModelSchema{ModelName: "1account"}},
		"too long":            {Verification: schema.ModelSchema{ModelName: strings.Repeat("v", 64)}},
		"two tables one name": {Session: schema.ModelSchema{ModelName: "USER"}},
		"two fields one col":  {User: schema.ModelSchema{Fields: map[string]string{"name": "email"}}},
		"case-only clash":     {User: schema.ModelSchema{Fields: map[string]string{"name": "Email"}}},
		"unknown field":       {User: schema.ModelSchema{Fields: map[string]string{"nickname": "nick"}}},
		"renamed id":          {User: schema.ModelSchema{Fields: map[string]string{"id": "user_id"}}},
		"unknown id mode":     {IDMode: "serial"},
		"unknown naming":      {Naming: "kebab"},
		"additional on account": {Account: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
			"x": {Type: schema.FieldString}}}},
		"additional shadows core": {User: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
			"email": {Type: schema.FieldString}}}},
		"additional bad type": {User: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
			"x": {Type: "string[]"}}}},
		"additional bad default": {User: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
			"x": {Type: schema.FieldNumber, DefaultValue: "ten"}}}},
		"migrations table clash": {MigrationsTable: "user"},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := s.Layout()
			require.ErrorIs(t, err, schema.ErrInvalidSchema)
		})
	}
}

func TestLongIndexNamesAreShortened(t *testing.T) {
	s := schema.Schema{User: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
		strings.Repeat("f", 60): {Type: schema.FieldString, Index: true},
	}}}
	l, err := s.Layout()
	require.NoError(t, err)
	for _, ix := range l.Indexes() {
		assert.LessOrEqual(t, len(ix.Name), 63, ix.Name)
		assert.True(t, strings.HasSuffix(ix.Name, "_idx"))
	}
}

func TestNormalize(t *testing.T) {
	num := schema.Column{Field: "n", Type: schema.FieldNumber}
	v, err := num.Normalize(float64(42))
	require.NoError(t, err)
	assert.Equal(t, int64(42), v)
	_, err = num.Normalize(4.5)
	assert.ErrorIs(t, err, schema.ErrInvalidField)
	_, err = num.Normalize(int64(1) << 40)
	assert.ErrorIs(t, err, schema.ErrInvalidField, "too big for integer")
	num.BigInt = true
	v, err = num.Normalize(int64(1) << 40)
	require.NoError(t, err)
	assert.Equal(t, int64(1)<<40, v)

	date := schema.Column{Field: "d", Type: schema.FieldDate}
	v, err = date.Normalize("2026-01-02T03:04:05+02:00")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 1, 2, 1, 4, 5, 0, time.UTC), v)

	js := schema.Column{Field: "j", Type: schema.FieldJSON}
	v, err = js.Normalize(map[string]int{"a": 1})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"a": float64(1)}, v)

	str := schema.Column{Field: "s", Type: schema.FieldString}
	_, err = str.Normalize(3)
	assert.ErrorIs(t, err, schema.ErrInvalidField)
	v, err = str.Normalize(nil)
	require.NoError(t, err)
	assert.Nil(t, v)
}

func TestParseJSON(t *testing.T) {
	s, err := schema.ParseJSON([]byte(`{
		"naming": "snake_case", "generateId": "uuid", "usePlural": true,
		"user": {"modelName": "member", "fields": {"image": "avatar_url"},
			"additionalFields": {
				"role": {"type": "string", "defaultValue": "member", "input": false},
				"age": {"type": "number", "required": false, "index": true, "returned": false},
				"credits": {"type": "number", "bigint": true, "defaultValue": 5}
			}}}`))
	require.NoError(t, err)
	l, err := s.Layout()
	require.NoError(t, err)
	assert.Equal(t, "members", l.User.Name)
	assert.Equal(t, "avatar_url", l.User.Col("image"))
	assert.Equal(t, schema.IDModeUUID, l.IDMode)
	role, _ := l.User.Column("role")
	assert.True(t, role.NoInput)
	assert.True(t, role.Required)
	assert.Equal(t, "member", role.Default)
	age, _ := l.User.Column("age")
	assert.False(t, age.Required)
	assert.True(t, age.Hidden)
	credits, _ := l.User.Column("credits")
	assert.Equal(t, int64(5), credits.Default)

	for _, bad := range []string{`{"nope": 1}`, `{"generateId": "serial"}`, `{"user": {"modelName": "a b"}}`, `[`, `{"user": {"additionalFields": {"x": {"type": "date[]"}}}}`} {
		_, err := schema.ParseJSON([]byte(bad))
		assert.Error(t, err, bad)
	}
}

// Additional columns come in declaration order, as Better Auth makes them.
func TestAdditionalFieldOrder(t *testing.T) {
	s, err := schema.ParseJSON([]byte(`{"user": {"additionalFields": {"zeta": {"type": "string"}, "alpha": {"type": "string"}, "mid": {"type": "number"}}}}`))
	require.NoError(t, err)
	l, err := s.Layout()
	require.NoError(t, err)
	var names []string
	for _, c := range l.User.AdditionalColumns() {
		names = append(names, c.Field)
	}
	assert.Equal(t, []string{"zeta", "alpha", "mid"}, names)

	s.User.AdditionalFieldOrder = []string{"nope"}
	_, err = s.Layout()
	assert.ErrorIs(t, err, schema.ErrInvalidSchema)
	s.User.AdditionalFieldOrder = []string{"mid"}
	l, err = s.Layout()
	require.NoError(t, err)
	names = nil
	for _, c := range l.User.AdditionalColumns() {
		names = append(names, c.Field)
	}
	assert.Equal(t, []string{"mid", "alpha", "zeta"}, names, "unlisted fields follow by name")
}

// "models" renames plugin tables (checked once the extensions are known);
// "plugins" lists first-party plugins for the CLI.
func TestParseJSONModelsAndPlugins(t *testing.T) {
	raw := []byte(`{"plugins": ["jwt"], "naming": "snake_case",
		"models": {"jwks": {"modelName": "jwt_keys", "fields": {"publicKey": "pub"}}}}`)
	s, err := schema.ParseJSON(raw)
	require.NoError(t, err)
	assert.Equal(t, schema.ModelSchema{ModelName: "jwt_keys", Fields: map[string]string{"publicKey": "pub"}}, s.Models["jwks"])
	ext := schema.Extension{Tables: []schema.TableDef{{Model: "jwks", Fields: []schema.FieldDef{
		{Name: "publicKey", AdditionalField: schema.AdditionalField{Type: schema.FieldString}},
		{Name: "privateKey", AdditionalField: schema.AdditionalField{Type: schema.FieldString}},
	}}}}
	l, err := s.Layout(ext)
	require.NoError(t, err)
	tb := l.Table("jwks")
	require.NotNil(t, tb)
	assert.Equal(t, "jwt_keys", tb.Name)
	assert.Equal(t, "pub", tb.Col("publicKey"))
	assert.Equal(t, "private_key", tb.Col("privateKey"))
	_, err = s.Layout()
	assert.Error(t, err, "a model no extension declares")

	plugins, err := schema.JSONPlugins(raw)
	require.NoError(t, err)
	assert.Equal(t, []string{"jwt"}, plugins)

	_, err = schema.ParseJSON([]byte(`{"models": {"jwks": {"additionalFields": {"x": {"type": "string"}}}}}`))
	assert.ErrorIs(t, err, schema.ErrInvalidSchema)
	_, err = schema.ParseJSON([]byte(`{"models": {"jwks": {"modelName": "a b"}}}`))
	assert.NoError(t, err, "plugin models are checked by Layout(ext...)")
	_, err = schema.ParseJSON([]byte(`{"plugins": "jwt"}`))
	assert.Error(t, err)
}
