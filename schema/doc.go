// Package schema describes the physical layout of Better Auth's tables, as
// package betterauth, its stores (store/pgstore, store/memstore) and package
// migrations use it: the table and column names of the four core tables
// (user, session, account, verification), the additional fields they carry,
// the tables and fields plugins add, and who makes the ids.
//
// A Schema is written in Better Auth's vocabulary (modelName, fields,
// usePlural, additionalFields, generateId), in Go or as JSON read by
// ParseJSON. Its zero value is exactly what Better Auth 1.7.25's own
// migrator creates; Drizzle returns the layout of Better Auth's Drizzle
// generator. Schema.Layout validates it, together with the plugins'
// Extensions, and resolves it to a Layout: every Table and Column by
// physical name, the indexes wanted, and the rules by which every store
// checks and normalizes what it writes (Table.PrepareRecord,
// Table.PrepareWhere, Table.PrepareAdditional, Column.Normalize), so that
// all stores accept and return the same Go values.
//
// The package touches no database and knows nothing of betterauth.Auth:
//
//	sch := schema.Drizzle()
//	sch.UsePlural = true
//	sch.User.AdditionalFields = map[string]schema.AdditionalField{
//		"role": {Type: schema.FieldString, DefaultValue: "member", NoInput: true},
//	}
//	layout, err := sch.Layout()
//	if err != nil {
//		log.Fatal(err) // wraps schema.ErrInvalidSchema
//	}
//	fmt.Println(layout.User.Name, layout.User.Col("emailVerified")) // users email_verified
//
// Errors wrap ErrInvalidSchema (a schema that cannot be used) or
// ErrInvalidField (a value that does not fit it); package betterauth and the
// stores return these same values.
package schema
