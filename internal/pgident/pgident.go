// Package pgident quotes PostgreSQL identifiers, for pgstore and migrations.
package pgident

import "strings"

// Quote quotes a PostgreSQL identifier. Names reaching it were already
// checked by schema.Schema.Layout (letters, digits, underscores), so this is about
// case and reserved words ("user"), not injection; it escapes quotes anyway.
func Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
