package social

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-betterauth/betterauth/internal/randid"
)

// stateTTL is how long a flow's state lives (Better Auth: 10 minutes).
const stateTTL = 10 * time.Minute

// stateCookieMaxAge is the signed state cookie's Max-Age (Better Auth: 300 s).
const stateCookieMaxAge = 300

// stateIdentifier is the verification identifier of a flow's state
// (Better Auth ≥ 1.7.21's getAuthStateVerificationIdentifier).
func stateIdentifier(state string) string { return "auth-state:" + state }

// stateData is the JSON Better Auth keeps under auth-state:<state>, with
// its members in Better Auth's order (JSON.stringify of generateState's
// object; absent members are left out).
type stateData struct {
	CallbackURL   string     `json:"callbackURL"`
	CodeVerifier  string     `json:"codeVerifier"`
	ErrorURL      string     `json:"errorURL,omitempty"`
	NewUserURL    string     `json:"newUserURL,omitempty"`
	Link          *stateLink `json:"link,omitempty"`
	ExpiresAt     int64      `json:"expiresAt"`
	RequestSignUp *bool      `json:"requestSignUp,omitempty"`
	IDTokenNonce  string     `json:"idTokenNonce,omitempty"`
	OAuthState    string     `json:"oauthState,omitempty"`
}

// stateLink is a link-social flow's user.
type stateLink struct {
	UserID                flexString `json:"userId"`
	Email                 string     `json:"email"`
	EncryptedSessionToken string     `json:"encryptedSessionToken,omitempty"`
}

// flexString reads a JSON string or number as a string (Better Auth's
// z.coerce.string() of link.userId).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("social: link.userId: %w", err)
	}
	*f = flexString(n.String())
	return nil
}

// encodeJSON is JSON.stringify: no HTML escaping, no trailing newline.
func encodeJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("social: encoding state: %w", err)
	}
	return string(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// newState starts a flow: a random state and PKCE verifier, the row
// auth-state:<state> and the signed state cookie, as Better Auth's
// generateGenericState with the database strategy.
func (p *Plugin) newState(ctx context.Context, w http.ResponseWriter, d stateData) (state string, _ *stateData, _ error) {
	state, err := randid.String(32, randid.Alphanumeric)
	if err != nil {
		return "", nil, fmt.Errorf("social: state: %w", err)
	}
	if d.CodeVerifier == "" {
		if d.CodeVerifier, err = randid.String(128, randid.Alphanumeric); err != nil {
			return "", nil, fmt.Errorf("social: code verifier: %w", err)
		}
	}
	d.ExpiresAt = p.auth.Now().Add(stateTTL).UnixMilli()
	d.OAuthState = state
	value, err := encodeJSON(d)
	if err != nil {
		return "", nil, err
	}
	if _, err := p.auth.CreateVerification(ctx, stateIdentifier(state), value, stateTTL); err != nil {
		return "", nil, err
	}
	p.auth.SetSignedCookie(w, p.auth.CookieName("state"), state, stateCookieMaxAge)
	return state, &d, nil
}

// flowError is a failed callback: the browser goes to url with ?error=code.
type flowError struct {
	code        string
	description string
	// url is where to send the browser; "" means the default error page.
	url string
}

func (e *flowError) Error() string { return "social: " + e.code }

// parseState reads and takes a callback's state, as Better Auth's
// parseGenericState (database strategy): the row must exist, carry the
// same oauthState, match the signed state cookie (unless
// SkipStateCookieCheck) and not have expired. The row is deleted and the
// cookie expired once it passes the cookie check, so a replay finds
// nothing. A store failure is an error (ErrUnavailable), not a flowError.
func (p *Plugin) parseState(ctx context.Context, w http.ResponseWriter, r *http.Request, state string) (*stateData, error) {
	if state == "" {
		return nil, &flowError{code: "state_not_found"}
	}
	v, err := p.auth.FindVerification(ctx, stateIdentifier(state))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, &flowError{code: "state_mismatch"}
	}
	d, err := decodeState(v.Value)
	if err != nil {
		p.auth.Logger().ErrorContext(ctx, "social: the stored OAuth state is malformed", "err", err)
		return nil, &flowError{code: "internal_server_error"}
	}
	if d.OAuthState != "" && d.OAuthState != state {
		return nil, &flowError{code: "state_mismatch", url: d.ErrorURL}
	}
	name := p.auth.CookieName("state")
	if !p.opts.SkipStateCookieCheck {
		if c, ok := p.auth.SignedCookie(r, name); !ok || c != state {
			return nil, &flowError{code: "state_mismatch", url: d.ErrorURL}
		}
	}
	p.auth.ExpireCookie(w, name)
	taken, err := p.auth.ConsumeVerification(ctx, stateIdentifier(state))
	if err != nil {
		return nil, err
	}
	if taken == nil { // another callback took it meanwhile
		return nil, &flowError{code: "state_mismatch", url: d.ErrorURL}
	}
	if d.ExpiresAt < p.auth.Now().UnixMilli() {
		return nil, &flowError{code: "state_mismatch", url: d.ErrorURL}
	}
	return d, nil
}

// decodeState parses a stored state as Better Auth's stateDataSchema:
// callbackURL, codeVerifier and expiresAt are required, other members are
// optional and unknown ones are ignored.
func decodeState(value string) (*stateData, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(value), &members); err != nil {
		return nil, fmt.Errorf("social: state: %w", err)
	}
	for _, k := range []string{"callbackURL", "codeVerifier", "expiresAt"} {
		if m, ok := members[k]; !ok || string(m) == "null" {
			return nil, fmt.Errorf("social: state: %s missing", k)
		}
	}
	var d stateData
	if err := json.Unmarshal([]byte(value), &d); err != nil {
		return nil, fmt.Errorf("social: state: %w", err)
	}
	return &d, nil
}
