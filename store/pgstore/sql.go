package pgstore

import (
	"fmt"
	"strings"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgident"
	"github.com/go-betterauth/betterauth/schema"
)

// Quote quotes a PostgreSQL identifier. Names reaching it were already
// checked by schema.Schema.Layout (letters, digits, underscores), so this is about
// case and reserved words ("user"), not injection; it escapes quotes anyway.
func Quote(name string) string { return pgident.Quote(name) }

// table holds the SQL text of one table, built once from the layout.
type table struct {
	t *schema.Table
	// name is the quoted table name.
	name string
	// cols is the quoted column list in layout order, for SELECT and RETURNING.
	cols string
	// insert and insertNoID are INSERT ... RETURNING statements with and
	// without the id column; args in layout order.
	insert, insertNoID string
	// set holds `"col" = ` per logical field, for UPDATE statements.
	set map[string]string
}

func newTable(t *schema.Table) *table {
	tb := &table{t: t, name: Quote(t.Name), set: map[string]string{}}
	var all, noID, ph, phNoID []string
	for i, c := range t.Columns {
		q := Quote(c.Name)
		all = append(all, q)
		ph = append(ph, fmt.Sprintf("$%d", i+1))
		if c.Field != "id" {
			noID = append(noID, q)
			phNoID = append(phNoID, fmt.Sprintf("$%d", len(phNoID)+1))
		}
		tb.set[c.Field] = q + " = "
	}
	tb.cols = strings.Join(all, ", ")
	tb.insert = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING %s", tb.name, tb.cols, strings.Join(ph, ", "), tb.cols)
	tb.insertNoID = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING %s", tb.name, strings.Join(noID, ", "), strings.Join(phNoID, ", "), tb.cols)
	return tb
}

// c returns the quoted column of a logical field.
func (tb *table) c(field string) string { return Quote(tb.t.Col(field)) }

// prefixed returns the column list with every column qualified by alias.
func (tb *table) prefixed(alias string) string {
	var out []string
	for _, c := range tb.t.Columns {
		out = append(out, alias+"."+Quote(c.Name))
	}
	return strings.Join(out, ", ")
}

// update builds `UPDATE t SET a = $1, b = $2 WHERE <where> RETURNING cols`
// for the given fields; the where clause uses $len(fields)+1.
func (tb *table) update(fields []string, whereField string) string {
	var b strings.Builder
	b.WriteString("UPDATE ")
	b.WriteString(tb.name)
	b.WriteString(" SET ")
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s$%d", tb.set[f], i+1)
	}
	fmt.Fprintf(&b, " WHERE %s = $%d RETURNING %s", tb.c(whereField), len(fields)+1, tb.cols)
	return b.String()
}

// statements is every fixed SQL statement the store runs.
type statements struct {
	user, session, account, verification *table

	userByID, userByEmail, deleteUser string

	sessionByToken, listSessions, listLiveSessions, deleteSession       string
	deleteUserSessions, deleteUserSessionsExcept, deleteExpiredSessions string

	accountByKey, listAccounts, deleteAccount string

	verificationNewest, consumeVerification, deleteVerification, deleteExpiredVerifications string

	lockIdentifier, incrementVerification, deleteVerificationsByValue string

	// ext holds the tables of schema extensions, by model.
	ext map[string]*table
	// rateLimit is the SQL of the rateLimit table; nil without it.
	rateLimit *rateLimitSQL
}

func buildStatements(l *schema.Layout) *statements {
	s := &statements{
		user:         newTable(l.User),
		session:      newTable(l.Session),
		account:      newTable(l.Account),
		verification: newTable(l.Verification),
	}
	u, se, a, v := s.user, s.session, s.account, s.verification
	s.ext = map[string]*table{}
	for _, t := range l.Tables() {
		if t.Extension {
			s.ext[t.Model] = newTable(t)
		}
	}

	s.rateLimit = newRateLimitSQL(s.ext[betterauth.RateLimitModel])

	s.userByID = fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1", u.cols, u.name, u.c("id"))
	s.userByEmail = fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1", u.cols, u.name, u.c("email"))
	// Sessions and accounts are deleted in the same statement, so a layout
	// whose foreign keys lack ON DELETE CASCADE (the seed guide's) behaves
	// like Better Auth's own; the foreign-key checks run at statement end.
	// Rows of extension tables that reference the user with ON DELETE
	// CASCADE go the same way (their own foreign keys would do it too, when
	// the migrations made them).
	var with strings.Builder
	fmt.Fprintf(&with, "WITH s AS (DELETE FROM %s WHERE %s = $1), a AS (DELETE FROM %s WHERE %s = $1)",
		se.name, se.c("userId"), a.name, a.c("userId"))
	for i, r := range l.Referrers(schema.ModelUser) {
		if r.Column.References.OnDelete == schema.OnDeleteCascade {
			fmt.Fprintf(&with, ", x%d AS (DELETE FROM %s WHERE %s = $1)", i, Quote(r.Table.Name), Quote(r.Column.Name))
		}
	}
	s.deleteUser = fmt.Sprintf("%s DELETE FROM %s WHERE %s = $1", with.String(), u.name, u.c("id"))

	// One round trip: the session and its user, joined.
	s.sessionByToken = fmt.Sprintf("SELECT %s, %s FROM %s s JOIN %s u ON u.%s = s.%s WHERE s.%s = $1",
		se.prefixed("s"), u.prefixed("u"), se.name, u.name, u.c("id"), se.c("userId"), se.c("token"))
	s.listSessions = fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1 ORDER BY %s, %s",
		se.cols, se.name, se.c("userId"), se.c("createdAt"), se.c("id"))
	s.listLiveSessions = fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1 AND %s > $2 ORDER BY %s, %s",
		se.cols, se.name, se.c("userId"), se.c("expiresAt"), se.c("createdAt"), se.c("id"))
	s.deleteSession = fmt.Sprintf("DELETE FROM %s WHERE %s = $1", se.name, se.c("token"))
	s.deleteUserSessions = fmt.Sprintf("DELETE FROM %s WHERE %s = $1", se.name, se.c("userId"))
	s.deleteUserSessionsExcept = fmt.Sprintf("DELETE FROM %s WHERE %s = $1 AND %s <> $2", se.name, se.c("userId"), se.c("token"))
	s.deleteExpiredSessions = fmt.Sprintf("DELETE FROM %s WHERE %s IN (SELECT %s FROM %s WHERE %s <= $1 LIMIT $2)",
		se.name, se.c("id"), se.c("id"), se.name, se.c("expiresAt"))

	s.accountByKey = fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1 AND %s = $2 ORDER BY %s, %s LIMIT 1",
		a.cols, a.name, a.c("providerId"), a.c("accountId"), a.c("createdAt"), a.c("id"))
	s.listAccounts = fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1 ORDER BY %s, %s",
		a.cols, a.name, a.c("userId"), a.c("createdAt"), a.c("id"))
	s.deleteAccount = fmt.Sprintf("DELETE FROM %s WHERE %s = $1", a.name, a.c("id"))

	s.verificationNewest = fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1 ORDER BY %s DESC LIMIT 1",
		v.cols, v.name, v.c("identifier"), v.c("createdAt"))
	// Deleting every row of the identifier makes consumption atomic: of two
	// concurrent deletes, the second waits for the first's row locks and then
	// finds the rows gone. The newest row is picked from what was returned.
	s.consumeVerification = fmt.Sprintf("DELETE FROM %s WHERE %s = $1 RETURNING %s", v.name, v.c("identifier"), v.cols)
	s.deleteVerification = fmt.Sprintf("DELETE FROM %s WHERE %s = $1", v.name, v.c("id"))
	// The verification table has no unique index on the identifier (Better
	// Auth's schema), so counting cannot use INSERT ... ON CONFLICT: a
	// transaction-scoped advisory lock on the identifier's hash serializes
	// the counters of one identifier, then the live row is updated (or, when
	// there is none, inserted). The lock is taken in a statement of its own:
	// in read committed each statement sees what committed before it began.
	s.lockIdentifier = "SELECT pg_advisory_xact_lock($1::int4, $2::int4)"
	s.incrementVerification = fmt.Sprintf(
		"UPDATE %[1]s SET %[2]s = (CASE WHEN %[2]s ~ '^[0-9]{1,18}$' THEN %[2]s::bigint ELSE 0 END + 1)::text, %[4]s = $2 "+
			"WHERE %[5]s = (SELECT %[5]s FROM %[1]s WHERE %[6]s = $1 AND %[3]s > $2 ORDER BY %[7]s DESC LIMIT 1) RETURNING %[2]s",
		v.name, v.c("value"), v.c("expiresAt"), v.c("updatedAt"), v.c("id"), v.c("identifier"), v.c("createdAt"))
	s.deleteVerificationsByValue = fmt.Sprintf("DELETE FROM %s WHERE %s = $1 AND left(%s, length($2::text)) = $2::text",
		v.name, v.c("value"), v.c("identifier"))
	s.deleteExpiredVerifications = fmt.Sprintf("DELETE FROM %s WHERE %s IN (SELECT %s FROM %s WHERE %s <= $1 LIMIT $2)",
		v.name, v.c("id"), v.c("id"), v.name, v.c("expiresAt"))
	return s
}
