package betterauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

// A plugin field on user with DefaultNow gets the time of the insert, on
// every store, as a plugin table's does.
func TestPluginUserFieldDefaultNow(t *testing.T) {
	ext := schema.Extension{Fields: map[string][]schema.FieldDef{
		schema.ModelUser: {{Name: "seenAt", AdditionalField: schema.AdditionalField{Type: schema.FieldDate}, DefaultNow: true}},
	}}
	mem, err := memstore.New(schema.Schema{}, ext)
	require.NoError(t, err)
	pool := pgtest.NewPool(t)
	require.NoError(t, migrations.Up(context.Background(), pool, schema.Schema{}, ext))
	pg, err := pgstore.New(pool, schema.Schema{}, ext)
	require.NoError(t, err)
	for name, st := range map[string]betterauth.Store{"memstore": mem, "pgstore": pg} {
		u := &betterauth.User{Name: "Now", Email: "now-" + name + "@example.com"}
		require.NoError(t, st.CreateUser(context.Background(), u), name)
		seen, ok := u.Additional["seenAt"].(time.Time)
		require.True(t, ok, "%s: %#v", name, u.Additional)
		assert.False(t, seen.IsZero(), name)
	}
}
