package betterauth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// customSchema has the additional fields of issue 9's report.
func customSchema() schema.Schema {
	return schema.Schema{User: schema.ModelSchema{AdditionalFields: map[string]schema.AdditionalField{
		"role": {Type: schema.FieldString, DefaultValue: "member", NoInput: true},
		"age":  {Type: schema.FieldNumber, Optional: true},
	}}}
}

// A store built with a schema and Config.Schema left out: New takes the
// store's schema, so custom fields are neither dropped nor refused.
func TestNewTakesSchemaFromStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a, _ := newAuth(t, b.new(t, customSchema()), nil)
		assert.NotNil(t, a.Layout().User.Col("age"))
		c := newClient(t, a.Handler())
		res := c.do("POST", "/sign-up/email", map[string]any{"name": "Ann", "email": "ann@example.com", "password": "correct-horse-1", "age": 42})
		require.Equal(t, 200, res.status, "%s", res.body)
		user := res.obj(t)["user"].(map[string]any)
		assert.Equal(t, "member", user["role"])
		assert.EqualValues(t, 42, user["age"])
	})
}

// A Config.Schema that differs from the store's is refused, naming the
// difference; the same schema given twice is fine.
func TestNewRefusesSchemaOtherThanStores(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.new(t, customSchema())
		_, err := betterauth.New(betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, Schema: schema.Schema{UsePlural: true}})
		require.ErrorIs(t, err, schema.ErrInvalidSchema)
		assert.Contains(t, err.Error(), `store table "user", Config.Schema table "users"`)

		other := customSchema()
		delete(other.User.AdditionalFields, "age")
		_, err = betterauth.New(betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, Schema: other})
		require.ErrorIs(t, err, schema.ErrInvalidSchema)
		assert.Contains(t, err.Error(), "the store has field age")

		_, err = betterauth.New(betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, Schema: customSchema()})
		assert.NoError(t, err)
	})
}
