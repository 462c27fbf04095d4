package memstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/storetest"
)

func TestConformance(t *testing.T) {
	schemas := map[string]betterauth.Schema{
		"default": {},
		"uuid":    {IDMode: betterauth.IDModeUUID},
		"additional": {
			User: betterauth.ModelSchema{AdditionalFields: map[string]betterauth.AdditionalField{
				"role":     {Type: betterauth.FieldString, DefaultValue: "member"},
				"age":      {Type: betterauth.FieldNumber, Optional: true},
				"flags":    {Type: betterauth.FieldJSON},
				"handle":   {Type: betterauth.FieldString, Unique: true},
				"birthday": {Type: betterauth.FieldDate, Optional: true},
				"premium":  {Type: betterauth.FieldBoolean, DefaultValue: false},
			}},
			Session: betterauth.ModelSchema{AdditionalFields: map[string]betterauth.AdditionalField{
				"activeOrganizationId": {Type: betterauth.FieldString, Optional: true},
			}},
		},
	}
	for name, schema := range schemas {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, schema, func(t *testing.T) betterauth.Store {
				st, err := memstore.New(schema)
				require.NoError(t, err)
				return st
			})
		})
	}
}

func TestTableStoreConformance(t *testing.T) {
	for name, schema := range map[string]betterauth.Schema{
		"default": {},
		"uuid":    {IDMode: betterauth.IDModeUUID},
	} {
		t.Run(name, func(t *testing.T) {
			storetest.RunTables(t, schema, func(t *testing.T) betterauth.Store {
				st, err := memstore.New(schema, storetest.Extension())
				require.NoError(t, err)
				return st
			})
		})
	}
}

func TestNewRejectsBadSchema(t *testing.T) {
	_, err := memstore.New(betterauth.Schema{User: betterauth.ModelSchema{ModelName: `user"; drop table x; --`}})
	require.ErrorIs(t, err, betterauth.ErrInvalidSchema)
}
