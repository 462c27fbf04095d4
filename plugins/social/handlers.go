package social

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-betterauth/betterauth"
)

// signInBody is POST /sign-in/social's body.
type signInBody struct {
	provider, callbackURL, errorURL, newUserURL, loginHint string
	disableRedirect                                        bool
	requestSignUp                                          *bool
	scopes                                                 []string
	idToken                                                *idTokenBody
}

// idTokenBody is the idToken member: an ID token the client got from the
// provider itself.
type idTokenBody struct {
	token, nonce, accessToken, refreshToken string
	// user is the user member as JSON (Apple's name on a first sign-in).
	user string
}

func parseSignInBody(b map[string]any) (*signInBody, error) {
	var out signInBody
	var err error
	if out.provider, _, err = betterauth.BodyString(b, "provider", true); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"callbackURL", &out.callbackURL}, {"errorCallbackURL", &out.errorURL}, {"newUserCallbackURL", &out.newUserURL}, {"loginHint", &out.loginHint}} {
		if *f.dst, _, err = betterauth.BodyString(b, f.name, false); err != nil {
			return nil, err
		}
	}
	if out.disableRedirect, err = betterauth.BodyBool(b, "disableRedirect"); err != nil {
		return nil, err
	}
	if v, ok := b["requestSignUp"]; ok && v != nil {
		rs, err := betterauth.BodyBool(b, "requestSignUp")
		if err != nil {
			return nil, err
		}
		out.requestSignUp = &rs
	}
	if v, ok := b["scopes"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return nil, validation("[body.scopes] Invalid input: expected array, received " + jsType(v))
		}
		for i, s := range list {
			str, ok := s.(string)
			if !ok {
				return nil, validation(fmt.Sprintf("[body.scopes.%d] Invalid input: expected string, received %s", i, jsType(s)))
			}
			out.scopes = append(out.scopes, str)
		}
	}
	if v, ok := b["idToken"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, validation("[body.idToken] Invalid input: expected object, received " + jsType(v))
		}
		var it idTokenBody
		fields := []struct {
			name     string
			dst      *string
			required bool
		}{{"token", &it.token, true}, {"nonce", &it.nonce, false}, {"accessToken", &it.accessToken, false}, {"refreshToken", &it.refreshToken, false}}
		for _, f := range fields {
			s, _, err := betterauth.BodyString(m, f.name, f.required)
			if err != nil {
				var ae *betterauth.APIError
				if errors.As(err, &ae) {
					ae.Message = strings.Replace(ae.Message, "[body."+f.name+"]", "[body.idToken."+f.name+"]", 1)
				}
				return nil, err
			}
			*f.dst = s
		}
		if u, ok := m["user"]; ok && u != nil {
			if _, isObj := u.(map[string]any); !isObj {
				return nil, validation("[body.idToken.user] Invalid input: expected object, received " + jsType(u))
			}
			raw, err := json.Marshal(u)
			if err != nil {
				return nil, fmt.Errorf("social: idToken.user: %w", err)
			}
			it.user = string(raw)
		}
		out.idToken = &it
	}
	return &out, nil
}

func validation(msg string) error {
	return &betterauth.APIError{Status: http.StatusBadRequest, Code: "VALIDATION_ERROR", Message: msg}
}

// jsType names a decoded JSON value's type as zod does.
func jsType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return "object"
}

// provider returns the provider with that id and its description, or nil
// when there is none or it cannot describe itself now.
func (p *Plugin) provider(ctx context.Context, id string) (Provider, Description) {
	pr, ok := p.providers[id]
	if !ok {
		return nil, Description{}
	}
	d, err := pr.Describe(ctx)
	if err != nil {
		p.auth.Logger().ErrorContext(ctx, "social: provider unavailable", "provider", id, "err", err)
		return nil, Description{}
	}
	return pr, d
}

// handleSignInSocial is POST /sign-in/social: the state, then the
// provider's authorization URL.
func (p *Plugin) handleSignInSocial(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	b, err := parseSignInBody(in.Body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	pr, desc := p.provider(ctx, b.provider)
	if pr == nil {
		return errProviderNotFound()
	}
	if b.idToken != nil {
		return p.signInWithIDToken(w, r, pr, desc, b)
	}
	d := stateData{CallbackURL: b.callbackURL, ErrorURL: b.errorURL, NewUserURL: b.newUserURL, RequestSignUp: b.requestSignUp}
	if d.CallbackURL == "" {
		d.CallbackURL = p.auth.BaseURL()
	}
	return p.redirectToProvider(ctx, w, pr, desc, d, b.scopes, b.loginHint, b.disableRedirect)
}

// signInWithIDToken is the idToken form of /sign-in/social (mobile apps):
// the ID token is verified, the user resolved by the same rules as a
// callback, and the answer is {redirect: false, token, user} with the
// session cookie, as Better Auth answers it.
func (p *Plugin) signInWithIDToken(w http.ResponseWriter, r *http.Request, pr Provider, desc Description, b *signInBody) error {
	ctx := r.Context()
	v, ok := pr.(IDTokenVerifier)
	if !ok {
		return errIDTokenNotSupported()
	}
	if err := v.VerifyIDToken(ctx, b.idToken.token, b.idToken.nonce); errors.Is(err, ErrNoIDTokens) {
		return errIDTokenNotSupported()
	} else if err != nil {
		p.auth.Logger().WarnContext(ctx, "social: invalid id token", "provider", pr.ID(), "err", err)
		return apiError(http.StatusUnauthorized, "INVALID_TOKEN", "Invalid token")
	}
	tokens := &Tokens{IDToken: b.idToken.token, AccessToken: b.idToken.accessToken, User: b.idToken.user}
	info, err := pr.UserInfo(ctx, tokens, b.idToken.nonce)
	if err == nil && strings.TrimSpace(info.ID) == "" {
		err = errors.New("no subject")
	}
	if err != nil {
		p.auth.Logger().ErrorContext(ctx, "social: failed to get user info", "provider", pr.ID(), "err", err)
		return apiError(http.StatusUnauthorized, "FAILED_TO_GET_USER_INFO", "Failed to get user info")
	}
	if info.Email == "" {
		p.auth.Logger().ErrorContext(ctx, "social: the provider did not return an email in the id token", "provider", pr.ID())
		return apiError(http.StatusUnauthorized, "USER_EMAIL_NOT_FOUND", "User email not found")
	}
	requestSignUp := b.requestSignUp != nil && *b.requestSignUp
	u, _, err := p.resolveUser(ctx, pr.ID(), desc, info, tokens, requestSignUp)
	var fe *flowError
	if errors.As(err, &fe) {
		return apiError(http.StatusUnauthorized, "OAUTH_LINK_ERROR", strings.ReplaceAll(fe.code, "_", " "))
	} else if err != nil {
		return err
	}
	res, err := p.auth.SignIn(ctx, betterauth.SignIn{User: u, Method: SignInMethod, Meta: p.auth.RequestMeta(r), Request: r})
	if err != nil {
		return err
	}
	for _, c := range res.Cookies {
		http.SetCookie(w, c)
	}
	if res.Challenge != nil {
		for _, c := range res.Challenge.Cookies {
			http.SetCookie(w, c)
		}
		betterauth.WriteJSON(w, http.StatusOK, res.Challenge.Reply)
		return nil
	}
	p.auth.SetSessionCookie(w, r, res.Session, false)
	betterauth.WriteJSON(w, http.StatusOK, struct {
		Redirect bool           `json:"redirect"`
		Token    string         `json:"token"`
		User     json.Marshaler `json:"user"`
	}{false, res.Session.Token, p.auth.UserJSON(res.User)})
	return nil
}

// redirectToProvider starts a flow with d and answers {url, redirect}.
func (p *Plugin) redirectToProvider(ctx context.Context, w http.ResponseWriter, pr Provider, desc Description, d stateData, scopes []string, loginHint string, disableRedirect bool) error {
	if desc.RequiresNonce {
		n, err := randomString(32)
		if err != nil {
			return err
		}
		d.IDTokenNonce = n
	}
	state, sd, err := p.newState(ctx, w, d)
	if err != nil {
		return err
	}
	u, err := pr.AuthCodeURL(ctx, AuthRequest{
		State: state, CodeVerifier: sd.CodeVerifier, Nonce: sd.IDTokenNonce,
		RedirectURI: p.auth.URL("/callback/" + pr.ID()), Scopes: scopes, LoginHint: loginHint,
	})
	if err != nil {
		return fmt.Errorf("social: %s: authorization URL: %w", pr.ID(), err)
	}
	if !disableRedirect {
		w.Header().Set("Location", u)
	}
	betterauth.WriteJSON(w, http.StatusOK, map[string]any{"url": u, "redirect": !disableRedirect})
	return nil
}

// handleCallbackPost is POST /callback/{id} (a provider's form_post, as
// Apple's): Better Auth answers it with a redirect to the GET form of the
// same callback, the body's and the query's parameters merged (the
// query's win), so that the browser's cookies come along (SameSite=Lax).
func (p *Plugin) handleCallbackPost(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
	params := url.Values{}
	for _, k := range []string{"code", "error", "device_id", "error_description", "state", "user", "iss"} {
		if s, ok := in.Body[k].(string); ok {
			params.Set(k, s)
		}
		if q := r.URL.Query(); q.Has(k) {
			params.Set(k, q.Get(k))
		}
	}
	to := p.auth.URL("/callback/"+r.PathValue("id")) + "?" + params.Encode()
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

// handleCallback is GET /callback/{id}: the end of a flow.
func (p *Plugin) handleCallback(w http.ResponseWriter, r *http.Request, _ betterauth.RouteInput) error {
	ctx := r.Context()
	q := r.URL.Query()
	d, err := p.parseState(ctx, w, r, q.Get("state"))
	if err != nil {
		return p.fail(w, r, err, "")
	}
	errURL := d.ErrorURL
	fail := func(code, desc string) error {
		return p.fail(w, r, &flowError{code: code, description: desc}, errURL)
	}
	if e := q.Get("error"); e != "" {
		return fail(e, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" {
		return fail("no_code", "")
	}
	pr, desc := p.provider(ctx, r.PathValue("id"))
	if pr == nil {
		return fail("oauth_provider_not_found", "")
	}
	if iss := q.Get("iss"); iss != "" && desc.Issuer != "" && iss != desc.Issuer {
		p.auth.Logger().ErrorContext(ctx, "social: OAuth issuer mismatch", "provider", pr.ID(), "expected", desc.Issuer, "received", iss)
		return fail("issuer_mismatch", "")
	}
	if desc.RequiresNonce && d.IDTokenNonce == "" {
		return fail("nonce_binding_missing", "")
	}
	tokens, err := pr.Exchange(ctx, ExchangeRequest{Code: code, CodeVerifier: d.CodeVerifier, RedirectURI: p.auth.URL("/callback/" + pr.ID())})
	if err != nil {
		p.auth.Logger().ErrorContext(ctx, "social: code exchange failed", "provider", pr.ID(), "err", err)
		return fail("invalid_code", "")
	}
	tokens.User = q.Get("user")
	info, err := pr.UserInfo(ctx, tokens, d.IDTokenNonce)
	if err == nil && strings.TrimSpace(info.ID) == "" {
		err = errors.New("no subject")
	}
	if err != nil {
		p.auth.Logger().ErrorContext(ctx, "social: unable to get user info", "provider", pr.ID(), "err", err)
		return fail("unable_to_get_user_info", "")
	}
	if d.Link != nil {
		if err := p.linkAccount(ctx, pr.ID(), d.Link, info, tokens); err != nil {
			return p.fail(w, r, err, errURL)
		}
		http.Redirect(w, r, d.CallbackURL, http.StatusFound)
		return nil
	}
	if info.Email == "" {
		p.auth.Logger().ErrorContext(ctx, "social: the provider did not return an email", "provider", pr.ID())
		return fail("email_not_found", "")
	}
	requestSignUp := d.RequestSignUp != nil && *d.RequestSignUp
	u, isNew, err := p.resolveUser(ctx, pr.ID(), desc, info, tokens, requestSignUp)
	if err != nil {
		return p.fail(w, r, err, errURL)
	}
	res, err := p.auth.SignIn(ctx, betterauth.SignIn{User: u, Method: SignInMethod, Meta: p.auth.RequestMeta(r), Request: r})
	if err != nil {
		return p.fail(w, r, err, errURL)
	}
	to := d.CallbackURL
	if isNew && d.NewUserURL != "" {
		to = d.NewUserURL
	}
	for _, c := range res.Cookies {
		http.SetCookie(w, c)
	}
	if res.Challenge != nil {
		// A second factor: its cookies are set and the browser goes back
		// to the app without a session, to complete the challenge there.
		for _, c := range res.Challenge.Cookies {
			http.SetCookie(w, c)
		}
	} else {
		p.auth.SetSessionCookie(w, r, res.Session, false)
	}
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

// fail answers a failed callback: a flowError (or an *APIError from a
// hook, as Better Auth passes its code on) redirects to the error URL with
// ?error=; anything else (a store failure) is returned to the chain (503).
func (p *Plugin) fail(w http.ResponseWriter, r *http.Request, err error, errURL string) error {
	var fe *flowError
	var ae *betterauth.APIError
	switch {
	case errors.As(err, &fe):
		if fe.url != "" {
			errURL = fe.url
		}
	case errors.As(err, &ae) && ae.Code != "":
		fe = &flowError{code: ae.Code, description: ae.Message}
	default:
		return err
	}
	if errURL == "" {
		errURL = p.auth.URL("/error")
	}
	params := url.Values{"error": {fe.code}}
	if fe.description != "" {
		params.Set("error_description", fe.description)
	}
	http.Redirect(w, r, appendQuery(errURL, params.Encode()), http.StatusFound)
	return nil
}

// appendQuery adds query to u's query, as Better Auth's appendQueryParams.
func appendQuery(u, query string) string {
	base, frag, hasFrag := strings.Cut(u, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?" + query
	case strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&"):
		base += query
	default:
		base += "&" + query
	}
	if hasFrag {
		base += "#" + frag
	}
	return base
}
