package betterauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/go-betterauth/betterauth/schema"
)

// encodeSession is Better Auth's cached session, {"session":{…},"user":{…}}:
// the rows with their logical field names (hidden fields included, as
// Better Auth caches the whole rows), dates as JavaScript writes them.
func (s *secondaryStore) encodeSession(sess *Session, u *User) string {
	so := object{
		{"id", sess.ID}, {"ipAddress", sess.IPAddress}, {"userAgent", sess.UserAgent},
		{"expiresAt", jsTime(sess.ExpiresAt)}, {"userId", sess.UserID}, {"token", sess.Token},
		{"createdAt", jsTime(sess.CreatedAt)}, {"updatedAt", jsTime(sess.UpdatedAt)},
	}
	for _, c := range s.a.layout.Session.AdditionalColumns() {
		if v, ok := sess.Additional[c.Field]; ok {
			so = append(so, kv{c.Field, jsValue(c, v)})
		}
	}
	var img any
	if u.Image != nil {
		img = *u.Image
	}
	uo := object{
		{"id", u.ID}, {"name", u.Name}, {"email", u.Email}, {"emailVerified", u.EmailVerified}, {"image", img},
		{"createdAt", jsTime(u.CreatedAt)}, {"updatedAt", jsTime(u.UpdatedAt)},
	}
	for _, c := range s.a.layout.User.AdditionalColumns() {
		if v, ok := u.Additional[c.Field]; ok {
			uo = append(uo, kv{c.Field, jsValue(c, v)})
		}
	}
	b, err := marshalJS(object{{"session", so}, {"user", uo}})
	if err != nil {
		// Only a value of an impossible type gets here; the column types
		// were checked when the rows were written.
		return "{}"
	}
	return string(b)
}

// decodeSession reads a cached session written by this library or by
// Better Auth.
func (s *secondaryStore) decodeSession(raw string) (*Session, *User, error) {
	var c struct {
		Session map[string]json.RawMessage `json:"session"`
		User    map[string]json.RawMessage `json:"user"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return nil, nil, fmt.Errorf("betterauth: cached session: %w", err)
	}
	if c.Session == nil || c.User == nil {
		return nil, nil, fmt.Errorf("betterauth: cached session: no session or user")
	}
	r := fieldReader{}
	sess := &Session{
		ID: r.str(c.Session, "id"), Token: r.str(c.Session, "token"), UserID: r.str(c.Session, "userId"),
		ExpiresAt: r.date(c.Session, "expiresAt"), CreatedAt: r.date(c.Session, "createdAt"), UpdatedAt: r.date(c.Session, "updatedAt"),
		IPAddress: r.str(c.Session, "ipAddress"), UserAgent: r.str(c.Session, "userAgent"),
		Additional: r.additional(s.a.layout.Session, c.Session),
	}
	u := &User{
		ID: r.str(c.User, "id"), Name: r.str(c.User, "name"), Email: r.str(c.User, "email"),
		EmailVerified: r.boolean(c.User, "emailVerified"),
		CreatedAt:     r.date(c.User, "createdAt"), UpdatedAt: r.date(c.User, "updatedAt"),
		Additional: r.additional(s.a.layout.User, c.User),
	}
	if img := r.str(c.User, "image"); img != "" {
		u.Image = &img
	}
	if r.err != nil {
		return nil, nil, fmt.Errorf("betterauth: cached session: %w", r.err)
	}
	if sess.Token == "" || sess.UserID == "" || u.ID == "" || sess.ExpiresAt.IsZero() {
		return nil, nil, fmt.Errorf("betterauth: cached session: a required field is missing")
	}
	return sess, u, nil
}

// fieldReader reads JSON members, keeping the first error.
type fieldReader struct{ err error }

func (r *fieldReader) fail(field string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %w", field, err)
	}
}

// str reads a string member; absent or null is "".
func (r *fieldReader) str(m map[string]json.RawMessage, field string) string {
	raw, ok := m[field]
	if !ok || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		r.fail(field, err)
	}
	return s
}

func (r *fieldReader) boolean(m map[string]json.RawMessage, field string) bool {
	raw, ok := m[field]
	if !ok || string(raw) == "null" {
		return false
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		r.fail(field, err)
	}
	return b
}

// date reads an ISO date string (JSON.stringify of a Date) or epoch ms.
func (r *fieldReader) date(m map[string]json.RawMessage, field string) time.Time {
	raw, ok := m[field]
	if !ok || string(raw) == "null" {
		return time.Time{}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		ms, nerr := strconv.ParseInt(string(raw), 10, 64)
		if nerr != nil {
			r.fail(field, err)
			return time.Time{}
		}
		return time.UnixMilli(ms).UTC()
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		r.fail(field, err)
	}
	return t.UTC()
}

// additional reads the table's additional fields present in m.
func (r *fieldReader) additional(t *schema.Table, m map[string]json.RawMessage) map[string]any {
	var out map[string]any
	for _, c := range t.AdditionalColumns() {
		raw, ok := m[c.Field]
		if !ok {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		if string(raw) == "null" {
			out[c.Field] = nil
			continue
		}
		switch c.Type {
		case schema.FieldString:
			out[c.Field] = r.str(m, c.Field)
		case schema.FieldBoolean:
			out[c.Field] = r.boolean(m, c.Field)
		case schema.FieldDate:
			out[c.Field] = r.date(m, c.Field)
		case schema.FieldNumber:
			// A number, or (bigint, as Better Auth passes PostgreSQL's int8
			// on) a string of digits.
			var s string
			if json.Unmarshal(raw, &s) != nil {
				s = string(raw)
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				f, ferr := strconv.ParseFloat(s, 64)
				if ferr != nil {
					r.fail(c.Field, err)
					continue
				}
				n = int64(f)
			}
			out[c.Field] = n
		default:
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				r.fail(c.Field, err)
			}
			out[c.Field] = v
		}
	}
	return out
}
