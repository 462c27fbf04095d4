package migrations_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
)

// Apply reports what the database gained, nothing on a second run, a field
// added later, and fails with ErrMismatch when the result does not pass Check.
func TestApplyReports(t *testing.T) {
	ctx := context.Background()
	p := pool(t, pgtest.NewDatabase(t))
	r, err := migrations.Apply(ctx, p, schema.Schema{})
	require.NoError(t, err)
	assert.Equal(t, []string{"user", "session", "account", "verification"}, r.Tables)
	assert.Empty(t, r.Columns, "columns of new tables are not listed one by one")
	assert.Len(t, r.Indexes, 9, "%v", r.Indexes)
	assert.Contains(t, r.Indexes, migrations.IndexRef{Table: "account", Name: "account_providerId_accountId_idx", Columns: []string{"providerId", "accountId"}})
	assert.Empty(t, r.Problems)
	assert.True(t, r.Changed())

	r, err = migrations.Apply(ctx, p, schema.Schema{})
	require.NoError(t, err)
	assert.False(t, r.Changed(), "%v", r)
	assert.Contains(t, r.String(), "nothing to do")

	s := schema.Schema{User: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
		"nickname": {Type: schema.FieldString, Optional: true, Index: true},
	}}}
	r, err = migrations.Apply(ctx, p, s)
	require.NoError(t, err)
	assert.Empty(t, r.Tables)
	assert.Equal(t, []migrations.ColumnRef{{Table: "user", Column: "nickname"}}, r.Columns)
	require.Len(t, r.Indexes, 1)
	assert.Equal(t, []string{"nickname"}, r.Indexes[0].Columns)

	_, err = p.Exec(ctx, `alter table "account" alter column "scope" type integer using null`)
	require.NoError(t, err)
	r, err = migrations.Apply(ctx, p, s)
	require.ErrorIs(t, err, migrations.ErrMismatch)
	assert.Contains(t, err.Error(), `"account"."scope" has type int4`)
	require.NotEmpty(t, r.Problems)
	assert.True(t, r.Problems[0].Fatal)
	assert.ErrorIs(t, migrations.Up(ctx, p, s), migrations.ErrMismatch, "Up fails the same way")
}
