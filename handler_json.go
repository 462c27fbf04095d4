package betterauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/go-betterauth/betterauth/schema"
)

// maxBodyBytes bounds request bodies; larger ones get 413.
const maxBodyBytes = 1 << 20

// kv is one member of an ordered JSON object.
type kv struct {
	k string
	v any
}

// object is a JSON object whose members keep their order, so responses
// match Better Auth's byte for byte where order is visible.
type object []kv

// MarshalJSON implements json.Marshaler without HTML escaping, as
// JavaScript's JSON.stringify writes.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := o.appendTo(&b, newJSEncoder(&b)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// appendTo writes o into b with one encoder for every value (nested objects
// included), so a response costs one buffer, not one per member.
func (o object) appendTo(b *bytes.Buffer, enc *json.Encoder) error {
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		// Keys are the library's own field names: plain identifiers.
		b.WriteByte('"')
		b.WriteString(m.k)
		b.WriteString(`":`)
		if err := appendJS(b, enc, m.v); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func newJSEncoder(b *bytes.Buffer) *json.Encoder {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	return enc
}

// appendJS writes v as JSON.stringify would.
func appendJS(b *bytes.Buffer, enc *json.Encoder, v any) error {
	switch x := v.(type) {
	case object:
		return x.appendTo(b, enc)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendJS(b, enc, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case nil:
		b.WriteString("null")
		return nil
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		return nil
	}
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

func marshalJS(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := appendJS(&b, newJSEncoder(&b), v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// jsTime formats a time as JavaScript's Date.prototype.toISOString does:
// UTC with exactly three fractional digits. Better Auth's client reads the
// digits as milliseconds, so six would shift dates.
func jsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// jsValue renders an additional field's value as Better Auth on
// PostgreSQL answers it: dates as JavaScript does, bigints as strings (its
// driver reads int8 as text and passes it on).
func jsValue(c schema.Column, v any) any {
	switch x := v.(type) {
	case time.Time:
		return jsTime(x)
	case int64:
		if c.BigInt {
			return strconv.FormatInt(x, 10)
		}
	}
	return v
}

// UserJSON returns the user as Better Auth's API shows it: name, email,
// emailVerified, image, createdAt, updatedAt, the additional fields that are
// not Hidden, then id.
func (a *Auth) UserJSON(u *User) json.Marshaler {
	var img any
	if u.Image != nil {
		img = *u.Image
	}
	o := object{
		{"name", u.Name}, {"email", u.Email}, {"emailVerified", u.EmailVerified}, {"image", img},
		{"createdAt", jsTime(u.CreatedAt)}, {"updatedAt", jsTime(u.UpdatedAt)},
	}
	for _, c := range a.layout.User.AdditionalColumns() {
		if !c.Hidden {
			o = append(o, kv{c.Field, jsValue(c, u.Additional[c.Field])})
		}
	}
	return append(o, kv{"id", u.ID})
}

// SessionJSON returns the session as Better Auth's API shows it (the
// token included, as get-session and list-sessions show it).
func (a *Auth) SessionJSON(s *Session) json.Marshaler {
	o := object{
		{"expiresAt", jsTime(s.ExpiresAt)}, {"token", s.Token}, {"createdAt", jsTime(s.CreatedAt)},
		{"updatedAt", jsTime(s.UpdatedAt)}, {"ipAddress", s.IPAddress}, {"userAgent", s.UserAgent},
		{"userId", s.UserID},
	}
	for _, c := range a.layout.Session.AdditionalColumns() {
		if !c.Hidden {
			o = append(o, kv{c.Field, jsValue(c, s.Additional[c.Field])})
		}
	}
	return append(o, kv{"id", s.ID})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJS(v)
	if err != nil {
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError renders err in Better Auth's {message, code} envelope. Store
// failures become 503 (never "logged out"); anything unexpected is 500
// with a generic message, and is logged.
func (a *Auth) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *APIError
	var rle *RateLimitError
	switch {
	case errors.As(err, &rle):
		tooManyRequests(w, rle.retrySeconds())
	case errors.As(err, &ae):
		body := object{{"message", ae.Message}}
		if ae.Code != "" {
			body = append(body, kv{"code", ae.Code})
		}
		writeJSON(w, ae.Status, body)
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		// A store failure, or no time left (a hung database, or every
		// password-hash slot busy past RequestTimeout): try again later.
		a.logger.ErrorContext(r.Context(), "betterauth: store unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, object{{"message", "Service temporarily unavailable"}, {"code", "SERVICE_UNAVAILABLE"}})
	default:
		a.logger.ErrorContext(r.Context(), "betterauth: internal error", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, object{{"message", "Internal Server Error"}, {"code", "INTERNAL_SERVER_ERROR"}})
	}
}

// body is a decoded request body: nil when the request had none.
type body map[string]any

var errPayloadTooLarge = &APIError{Status: http.StatusRequestEntityTooLarge, Code: "PAYLOAD_TOO_LARGE", Message: "Request body is too large"}

// errBodyTimeout answers a body that did not arrive within RequestTimeout.
var errBodyTimeout = &APIError{Status: http.StatusRequestTimeout, Code: "REQUEST_TIMEOUT", Message: "Request body not received in time"}

// ctxReader stops reading once ctx is done, so a body trickled byte by
// byte cannot hold a request past its deadline.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// readBody decodes a JSON body (or, where form is true, a urlencoded form)
// of at most 1 MiB, answering as Better Auth does: 415 for other media
// types, 400 BAD_REQUEST for invalid JSON, a VALIDATION_ERROR when the JSON
// is not an object, 408 when the body has not arrived within the request's
// deadline (RequestTimeout). Unlike Better Auth it also answers a VALIDATION_ERROR
// for invalid UTF-8 and for NUL characters anywhere in the body, which
// PostgreSQL cannot store.
func readBody(w http.ResponseWriter, r *http.Request, form bool) (body, error) {
	ctx := r.Context()
	if dl, ok := ctx.Deadline(); ok {
		// A client that stops sending: the read itself gives up at the
		// deadline (where the ResponseWriter supports it).
		_ = http.NewResponseController(w).SetReadDeadline(dl)
	}
	raw, err := io.ReadAll(ctxReader{ctx, http.MaxBytesReader(w, r.Body, maxBodyBytes)})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errPayloadTooLarge
		}
		if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, errBodyTimeout
		}
		return nil, apiErr(http.StatusBadRequest, "BAD_REQUEST", "Could not read the request body")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	// encoding/json would silently turn invalid UTF-8 into U+FFFD (so
	// passwords "\xff" and "\xfe" would be the same); refuse it instead.
	if !utf8.Valid(raw) {
		return nil, validationError("[body] Invalid input: not valid UTF-8")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json" || ct == "":
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&v); err != nil || dec.More() {
			return nil, apiErr(http.StatusBadRequest, "BAD_REQUEST", "Invalid JSON in request body")
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, validationError("[body] Invalid input: expected object, received " + jsType(v))
		}
		if err := checkText("body", m); err != nil {
			return nil, err
		}
		return m, nil
	case form && ct == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, apiErr(http.StatusBadRequest, "BAD_REQUEST", "Invalid form body")
		}
		m := body{}
		for k, v := range vals {
			m[k] = v[0]
			if k == "rememberMe" {
				m[k] = v[0] == "true" || v[0] == "on"
			}
		}
		if err := checkText("body", m); err != nil { // percent-escapes decode to any byte
			return nil, err
		}
		return m, nil
	}
	return nil, apiErr(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", fmt.Sprintf("Unsupported media type %q", ct))
}

// checkQuery refuses query parameters (names or values) that are not
// valid UTF-8 or contain NUL, as readBody does for bodies.
func checkQuery(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	for k, vs := range q {
		if p := textProblem(k); p != "" {
			return validationError("[query] Invalid input: a parameter name " + p)
		}
		for _, v := range vs {
			if err := checkText("query."+k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsType names a decoded JSON value's type as zod's messages do.
func jsType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// requireObject is zod's "expected object" for a missing body.
func (b body) requireObject() error {
	if b == nil {
		return validationError("[body] Invalid input: expected object, received undefined")
	}
	return nil
}

// str reads a string field: required ones must be present; present ones
// must be strings. Messages follow zod's.
func (b body) str(field string, required bool) (string, bool, error) {
	v, ok := b[field]
	if !ok || (v == nil && !required) {
		if required {
			return "", false, validationError(fmt.Sprintf("[body.%s] Invalid input: expected string, received undefined", field))
		}
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, validationError(fmt.Sprintf("[body.%s] Invalid input: expected string, received %s", field, jsType(v)))
	}
	return s, true, nil
}

// boolean reads an optional boolean field.
func (b body) boolean(field string) (*bool, error) {
	v, ok := b[field]
	if !ok || v == nil {
		return nil, nil
	}
	x, isBool := v.(bool)
	if !isBool {
		return nil, validationError(fmt.Sprintf("[body.%s] Invalid input: expected boolean, received %s", field, jsType(v)))
	}
	return &x, nil
}

// rest returns the members not named in known: the additional fields.
func (b body) rest(known ...string) map[string]any {
	out := map[string]any{}
	for k, v := range b {
		if !containsStr(known, k) {
			out[k] = v
		}
	}
	return out
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
