package pgstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// Rows are read and written by walking the layout's columns in order, so
// renamed columns and additional fields need no per-layout code.

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC()
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// orNow returns t in UTC, or now when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC()
}

// additionalArg turns a normalized additional value into a query argument.
// JSON is marshalled here: pgx would send a Go string as raw JSON text.
func additionalArg(c schema.Column, v any) (any, error) {
	if v == nil || c.Type != schema.FieldJSON {
		if t, ok := v.(time.Time); ok {
			return t.UTC(), nil
		}
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", schema.ErrInvalidField, c.Field, err)
	}
	return string(b), nil
}

// readAdditional normalizes the scanned values of additional columns.
func readAdditional(cols []schema.Column, raw []any) (map[string]any, error) {
	if len(cols) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(cols))
	for i, c := range cols {
		v, err := c.Normalize(raw[i])
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", c.Field, err)
		}
		out[c.Field] = v
	}
	return out, nil
}

func countAdditional(t *schema.Table) int {
	n := 0
	for _, c := range t.Columns {
		if c.Additional {
			n++
		}
	}
	return n
}

// userScan holds the scan destinations of one user row.
type userScan struct {
	u    betterauth.User
	name *string
	add  []any
}

func (s *userScan) dests(t *schema.Table) []any {
	d := make([]any, 0, len(t.Columns))
	s.add = make([]any, countAdditional(t))
	k := 0
	for _, c := range t.Columns {
		switch c.Field {
		case "id":
			d = append(d, &s.u.ID)
		case "name":
			d = append(d, &s.name)
		case "email":
			d = append(d, &s.u.Email)
		case "emailVerified":
			d = append(d, &s.u.EmailVerified)
		case "image":
			d = append(d, &s.u.Image)
		case "createdAt":
			d = append(d, &s.u.CreatedAt)
		case "updatedAt":
			d = append(d, &s.u.UpdatedAt)
		default:
			d = append(d, &s.add[k])
			k++
		}
	}
	return d
}

func (s *userScan) user(t *schema.Table) (*betterauth.User, error) {
	u := s.u
	u.Name = deref(s.name)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	var err error
	if u.Additional, err = readAdditional(t.AdditionalColumns(), s.add); err != nil {
		return nil, err
	}
	return &u, nil
}

func userArgs(t *schema.Table, u *betterauth.User, add map[string]any, withID bool) ([]any, error) {
	args := make([]any, 0, len(t.Columns))
	for _, c := range t.Columns {
		var v any
		switch c.Field {
		case "id":
			if !withID {
				continue
			}
			v = u.ID
		case "name":
			v = u.Name
		case "email":
			v = u.Email
		case "emailVerified":
			v = u.EmailVerified
		case "image":
			if u.Image != nil {
				v = nullString(*u.Image)
			}
		case "createdAt":
			v = orNow(u.CreatedAt)
		case "updatedAt":
			v = orNow(u.UpdatedAt)
		default:
			var err error
			if v, err = additionalArg(c, add[c.Field]); err != nil {
				return nil, err
			}
		}
		args = append(args, v)
	}
	return args, nil
}

type sessionScan struct {
	s      betterauth.Session
	ip, ua *string
	add    []any
}

func (s *sessionScan) dests(t *schema.Table) []any {
	d := make([]any, 0, len(t.Columns))
	s.add = make([]any, countAdditional(t))
	k := 0
	for _, c := range t.Columns {
		switch c.Field {
		case "id":
			d = append(d, &s.s.ID)
		case "expiresAt":
			d = append(d, &s.s.ExpiresAt)
		case "token":
			d = append(d, &s.s.Token)
		case "createdAt":
			d = append(d, &s.s.CreatedAt)
		case "updatedAt":
			d = append(d, &s.s.UpdatedAt)
		case "ipAddress":
			d = append(d, &s.ip)
		case "userAgent":
			d = append(d, &s.ua)
		case "userId":
			d = append(d, &s.s.UserID)
		default:
			d = append(d, &s.add[k])
			k++
		}
	}
	return d
}

func (s *sessionScan) session(t *schema.Table) (*betterauth.Session, error) {
	v := s.s
	v.IPAddress, v.UserAgent = deref(s.ip), deref(s.ua)
	v.ExpiresAt, v.CreatedAt, v.UpdatedAt = v.ExpiresAt.UTC(), v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	var err error
	if v.Additional, err = readAdditional(t.AdditionalColumns(), s.add); err != nil {
		return nil, err
	}
	return &v, nil
}

func sessionArgs(t *schema.Table, s *betterauth.Session, add map[string]any, withID bool) ([]any, error) {
	args := make([]any, 0, len(t.Columns))
	for _, c := range t.Columns {
		var v any
		switch c.Field {
		case "id":
			if !withID {
				continue
			}
			v = s.ID
		case "expiresAt":
			v = s.ExpiresAt.UTC()
		case "token":
			v = s.Token
		case "createdAt":
			v = orNow(s.CreatedAt)
		case "updatedAt":
			v = orNow(s.UpdatedAt)
		case "ipAddress":
			v = s.IPAddress // Better Auth writes "" rather than NULL
		case "userAgent":
			v = s.UserAgent
		case "userId":
			v = s.UserID
		default:
			var err error
			if v, err = additionalArg(c, add[c.Field]); err != nil {
				return nil, err
			}
		}
		args = append(args, v)
	}
	return args, nil
}

type accountScan struct {
	a                                     betterauth.Account
	access, refresh, idToken, scope, pass *string
}

func (s *accountScan) dests(t *schema.Table) []any {
	d := make([]any, 0, len(t.Columns))
	for _, c := range t.Columns {
		switch c.Field {
		case "id":
			d = append(d, &s.a.ID)
		case "accountId":
			d = append(d, &s.a.AccountID)
		case "providerId":
			d = append(d, &s.a.ProviderID)
		case "userId":
			d = append(d, &s.a.UserID)
		case "accessToken":
			d = append(d, &s.access)
		case "refreshToken":
			d = append(d, &s.refresh)
		case "idToken":
			d = append(d, &s.idToken)
		case "accessTokenExpiresAt":
			d = append(d, &s.a.AccessTokenExpiresAt)
		case "refreshTokenExpiresAt":
			d = append(d, &s.a.RefreshTokenExpiresAt)
		case "scope":
			d = append(d, &s.scope)
		case "password":
			d = append(d, &s.pass)
		case "createdAt":
			d = append(d, &s.a.CreatedAt)
		case "updatedAt":
			d = append(d, &s.a.UpdatedAt)
		}
	}
	return d
}

func (s *accountScan) account() *betterauth.Account {
	a := s.a
	a.AccessToken, a.RefreshToken, a.IDToken = deref(s.access), deref(s.refresh), deref(s.idToken)
	a.Scope, a.Password = deref(s.scope), deref(s.pass)
	a.AccessTokenExpiresAt, a.RefreshTokenExpiresAt = utcPtr(a.AccessTokenExpiresAt), utcPtr(a.RefreshTokenExpiresAt)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a
}

func accountArgs(t *schema.Table, a *betterauth.Account, withID bool) []any {
	args := make([]any, 0, len(t.Columns))
	for _, c := range t.Columns {
		var v any
		switch c.Field {
		case "id":
			if !withID {
				continue
			}
			v = a.ID
		case "accountId":
			v = a.AccountID
		case "providerId":
			v = a.ProviderID
		case "userId":
			v = a.UserID
		case "accessToken":
			v = nullString(a.AccessToken)
		case "refreshToken":
			v = nullString(a.RefreshToken)
		case "idToken":
			v = nullString(a.IDToken)
		case "accessTokenExpiresAt":
			v = nullTime(a.AccessTokenExpiresAt)
		case "refreshTokenExpiresAt":
			v = nullTime(a.RefreshTokenExpiresAt)
		case "scope":
			v = nullString(a.Scope)
		case "password":
			v = nullString(a.Password)
		case "createdAt":
			v = orNow(a.CreatedAt)
		case "updatedAt":
			v = orNow(a.UpdatedAt)
		}
		args = append(args, v)
	}
	return args
}

type verificationScan struct{ v betterauth.Verification }

func (s *verificationScan) dests(t *schema.Table) []any {
	d := make([]any, 0, len(t.Columns))
	for _, c := range t.Columns {
		switch c.Field {
		case "id":
			d = append(d, &s.v.ID)
		case "identifier":
			d = append(d, &s.v.Identifier)
		case "value":
			d = append(d, &s.v.Value)
		case "expiresAt":
			d = append(d, &s.v.ExpiresAt)
		case "createdAt":
			d = append(d, &s.v.CreatedAt)
		case "updatedAt":
			d = append(d, &s.v.UpdatedAt)
		}
	}
	return d
}

func (s *verificationScan) verification() *betterauth.Verification {
	v := s.v
	v.ExpiresAt, v.CreatedAt, v.UpdatedAt = v.ExpiresAt.UTC(), v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return &v
}

func verificationArgs(t *schema.Table, v *betterauth.Verification, withID bool) []any {
	args := make([]any, 0, len(t.Columns))
	for _, c := range t.Columns {
		var a any
		switch c.Field {
		case "id":
			if !withID {
				continue
			}
			a = v.ID
		case "identifier":
			a = v.Identifier
		case "value":
			a = v.Value
		case "expiresAt":
			a = v.ExpiresAt.UTC()
		case "createdAt":
			a = orNow(v.CreatedAt)
		case "updatedAt":
			a = orNow(v.UpdatedAt)
		}
		args = append(args, a)
	}
	return args
}
