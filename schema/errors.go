package schema

import "errors"

// Errors of a Schema and of the values written to its tables. The root package
// and the stores use these very values; test with errors.Is.
var (
	// ErrInvalidField reports a value that does not fit the schema: an unknown
	// additional field, a value of the wrong type, or a missing required field.
	ErrInvalidField = errors.New("betterauth: invalid field")
	// ErrInvalidSchema reports a Schema that cannot be used: an unsafe or
	// ambiguous table or column name, an unknown field type, and the like.
	ErrInvalidSchema = errors.New("betterauth: invalid schema")
)
