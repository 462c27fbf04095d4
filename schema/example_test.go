package schema_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-betterauth/betterauth/schema"
)

// A Schema in Better Auth's words resolves to physical names: here Better
// Auth's Drizzle layout with plural table names and an additional field.
func ExampleSchema_Layout() {
	sch := schema.Drizzle()
	sch.UsePlural = true
	sch.User.AdditionalFields = map[string]schema.AdditionalField{
		"role": {Type: schema.FieldString, DefaultValue: "member", NoInput: true},
	}
	layout, err := sch.Layout()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(layout.User.Name, layout.User.Col("emailVerified"), layout.Session.Col("userId"))
	for _, c := range layout.User.AdditionalColumns() {
		fmt.Println(c.Name, c.Type, c.Required, c.Default)
	}
	for _, ix := range layout.Indexes()[:2] {
		fmt.Println(ix.Name, ix.Columns)
	}

	// Names that would need escaping are refused.
	sch.User.ModelName = "app user"
	_, err = sch.Layout()
	fmt.Println(errors.Is(err, schema.ErrInvalidSchema))
	// Output:
	// users email_verified user_id
	// role string true member
	// sessions_userId_idx [user_id]
	// accounts_userId_idx [user_id]
	// true
}

// ParseJSON reads the configuration file of the CLI (--config) in Better
// Auth's keys.
func ExampleParseJSON() {
	sch, err := schema.ParseJSON([]byte(`{
		"generateId": "uuid",
		"user": {"modelName": "members", "fields": {"image": "avatar_url"},
			"additionalFields": {"age": {"type": "number", "required": false}}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	layout, err := sch.Layout()
	if err != nil {
		fmt.Println(err)
		return
	}
	age, _ := layout.User.Column("age")
	fmt.Println(layout.IDMode, layout.User.Name, layout.User.Col("image"), age.Type, age.Required)
	// Output: uuid members avatar_url number false
}

// A store checks and normalizes a row of a plugin's table with
// PrepareRecord before it writes it: defaults filled, values converted.
func ExampleTable_PrepareRecord() {
	layout, err := schema.Schema{}.Layout(schema.Extension{Tables: []schema.TableDef{{
		Model: "note",
		Fields: []schema.FieldDef{
			{Name: "userId", References: &schema.Reference{Model: schema.ModelUser}},
			{Name: "stars", AdditionalField: schema.AdditionalField{Type: schema.FieldNumber, DefaultValue: 0}},
		},
	}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	note := layout.Table("note")
	r, err := note.PrepareRecord(schema.Record{"userId": "u1"}, true, time.Now())
	fmt.Println(r, err)
	_, err = note.PrepareRecord(schema.Record{"stars": "many"}, false, time.Now())
	fmt.Println(errors.Is(err, schema.ErrInvalidField))
	// Output:
	// map[stars:0 userId:u1] <nil>
	// true
}
