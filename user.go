package betterauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/go-betterauth/betterauth/schema"
)

// User is a row of Better Auth's user table.
type User struct {
	// ID is the primary key: 32 characters of [A-Za-z0-9] by default, a uuid
	// in schema.IDModeUUID.
	ID string
	// Name is the display name. Layouts where the column is nullable read
	// NULL as "".
	Name string
	// Email is stored in lower case and is unique.
	Email string
	// EmailVerified reports whether the user proved they own Email.
	EmailVerified bool
	// Image is a URL of the user's picture, or nil.
	Image *string
	// CreatedAt and UpdatedAt are UTC.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Additional holds the values of the schema's additional user fields,
	// keyed by their logical name. See schema.FieldType for the Go types.
	Additional map[string]any
}

// UserUpdate names the user columns to change; nil fields are left alone.
type UserUpdate struct {
	Name          *string
	Email         *string
	EmailVerified *bool
	// Image sets the picture URL; a pointer to "" stores NULL.
	Image *string
	// Additional sets additional fields by logical name; a nil value stores NULL.
	Additional map[string]any
	// UpdatedAt is written as is; when zero the store writes now.
	UpdatedAt time.Time
}

// emailRE is the email rule of zod 4's z.email(), which Better Auth uses.
var emailRE = regexp.MustCompile(`^(?:[A-Za-z0-9_'+\-]+(?:\.[A-Za-z0-9_'+\-]+)*)@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`)

// ValidEmail reports whether s is an email address Better Auth accepts and
// at most MaxEmailLength characters long (Better Auth has no limit; a
// longer address would fail in PostgreSQL's index).
func ValidEmail(s string) bool { return len(s) <= MaxEmailLength && emailRE.MatchString(s) }

// parseAdditionalInput applies Better Auth's input rules for additional
// fields: unknown keys are ignored, NoInput fields take their default on
// create and refuse a truthy value, a missing required field without
// default is an error on create.
func (a *Auth) parseAdditionalInput(t *schema.Table, data map[string]any, create bool) (map[string]any, error) {
	out := map[string]any{}
	for _, c := range t.AdditionalColumns() {
		v, present := data[c.Field]
		if present {
			if c.NoInput {
				if c.Default != nil && create {
					out[c.Field] = c.Default
					continue
				}
				if truthy(v) {
					return nil, &APIError{Status: http.StatusBadRequest, Code: errFieldNotAllowed.Code, Message: c.Field + " is not allowed to be set"}
				}
				continue
			}
			nv, err := c.Normalize(v)
			if err != nil {
				return nil, validationError(fmt.Sprintf("[body.%s] Invalid input: expected %s", c.Field, c.Type))
			}
			out[c.Field] = nv
			continue
		}
		if create && c.Default != nil {
			out[c.Field] = c.Default
			continue
		}
		if create && c.Required {
			return nil, &APIError{Status: http.StatusBadRequest, Code: "MISSING_FIELD", Message: c.Field + " is required"}
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// truthy is JavaScript's truthiness for decoded JSON values.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0
	case int64:
		return x != 0
	case int:
		return x != 0
	}
	return true
}

// UpdateUserInput is what POST /update-user takes: the name, the image
// (a pointer to "" clears it) and additional fields. Email is not
// updatable here.
type UpdateUserInput struct {
	Name       *string
	Image      *string
	Additional map[string]any
}

// UpdateUser changes the user's name, image and additional fields and
// returns the stored user. The name obeys SignUpEmail's rules.
func (a *Auth) UpdateUser(ctx context.Context, userID string, in UpdateUserInput) (*User, error) {
	if in.Name != nil {
		if err := checkName(*in.Name); err != nil {
			return nil, err
		}
	}
	if in.Image != nil {
		if err := checkText("body.image", *in.Image); err != nil {
			return nil, err
		}
	}
	add, err := a.parseAdditionalInput(a.layout.User, in.Additional, false)
	if err != nil {
		return nil, err
	}
	if in.Name == nil && in.Image == nil && len(add) == 0 {
		return nil, errNoFieldsToUpdate
	}
	u, err := a.store.UpdateUser(ctx, userID, UserUpdate{Name: in.Name, Image: in.Image, Additional: add, UpdatedAt: a.clock()})
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, errUserNotFound
	case errors.Is(err, schema.ErrInvalidField):
		return nil, validationError(err.Error())
	case err != nil:
		return nil, unavailable("update user", err)
	}
	return u, nil
}

// inTx runs fn in a transaction; store failures become ErrUnavailable and
// APIErrors and hook errors pass through.
func (a *Auth) inTx(ctx context.Context, op string, fn func(ctx context.Context, tx Store) error) error {
	err := a.store.InTx(ctx, fn)
	var ae *APIError
	var he *hookError
	if err != nil && !errors.As(err, &ae) && !errors.As(err, &he) && !errors.Is(err, ErrUnavailable) {
		return unavailable(op, err)
	}
	return err
}
