package betterauth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// The layout itself is tested in package schema; these are New's checks of
// Config.Schema.

func TestNewValidates(t *testing.T) {
	_, err := betterauth.New(betterauth.Config{})
	require.Error(t, err, "a store is required")
}

// A store built with extension tables and a Config.Schema without them (the
// core tables the same) is an error, not a panic.
func TestNewRejectsSchemaDifferingFromExtendedStore(t *testing.T) {
	st, err := memstore.New(schema.Schema{}, schema.Extension{Tables: []schema.TableDef{{Model: "thing"}}})
	require.NoError(t, err)
	_, err = betterauth.New(betterauth.Config{Store: st, Schema: schema.Schema{MigrationsTable: "betterauth_schema_migrations"}})
	assert.ErrorIs(t, err, schema.ErrInvalidSchema)
}
