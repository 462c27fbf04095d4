package memstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/storetest"
)

func TestConformance(t *testing.T) {
	schemas := map[string]schema.Schema{
		"default": {},
		"uuid":    {IDMode: schema.IDModeUUID},
		"additional": {
			User: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
				"role":     {Type: schema.FieldString, DefaultValue: "member"},
				"age":      {Type: schema.FieldNumber, Optional: true},
				"flags":    {Type: schema.FieldJSON},
				"handle":   {Type: schema.FieldString, Unique: true},
				"birthday": {Type: schema.FieldDate, Optional: true},
				"premium":  {Type: schema.FieldBoolean, DefaultValue: false},
			}},
			Session: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
				"activeOrganizationId": {Type: schema.FieldString, Optional: true},
			}},
		},
	}
	for name, sch := range schemas {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, sch, func(t *testing.T) betterauth.Store {
				st, err := memstore.New(sch)
				require.NoError(t, err)
				return st
			})
		})
	}
}

func TestTableStoreConformance(t *testing.T) {
	for name, sch := range map[string]schema.Schema{
		"default": {},
		"uuid":    {IDMode: schema.IDModeUUID},
	} {
		t.Run(name, func(t *testing.T) {
			storetest.RunTables(t, sch, func(t *testing.T) betterauth.Store {
				st, err := memstore.New(sch, storetest.Extension())
				require.NoError(t, err)
				return st
			})
		})
	}
}

func TestRateLimitStoreConformance(t *testing.T) {
	for name, sch := range map[string]schema.Schema{
		"default": {},
		"uuid":    {IDMode: schema.IDModeUUID},
	} {
		t.Run(name, func(t *testing.T) {
			st, err := memstore.New(sch, betterauth.RateLimitSchema())
			require.NoError(t, err)
			storetest.RunRateLimit(t, st)
		})
	}
}

func TestNewRejectsBadSchema(t *testing.T) {
	_, err := memstore.New(schema.Schema{User: schema.ModelSchema{ModelName: `user"; drop table x; --`}})
	require.ErrorIs(t, err, schema.ErrInvalidSchema)
}
