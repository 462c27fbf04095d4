package betterauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// route is one endpoint: the handler gets the parsed body (nil for GET).
type route struct {
	method string
	// form: the endpoint also takes application/x-www-form-urlencoded.
	form bool
	// login: Better Auth's login-CSRF check (sign-in, sign-up) applies.
	login bool
	fn    func(w http.ResponseWriter, r *http.Request, b body) error
}

// Handler returns the HTTP API, Better Auth 1.7.25's paths, methods, JSON
// shapes, status codes and cookies. Mount it at BasePath:
//
//	mux.Handle("/api/auth/", auth.Handler())
//
// An unknown path or a wrong method answers 404 with an empty body, as
// Better Auth does.
//
// Every response says Cache-Control: no-store and Pragma: no-cache (many
// carry a session token, in the body or a cookie, and none is worth
// caching), and every redirect Referrer-Policy: no-referrer (the URL that
// led to it may hold a token).
func (a *Auth) Handler() http.Handler {
	routes := map[string]route{
		"/sign-up/email":           {method: http.MethodPost, form: true, login: true, fn: a.handleSignUp},
		"/sign-in/email":           {method: http.MethodPost, form: true, login: true, fn: a.handleSignIn},
		"/sign-out":                {method: http.MethodPost, fn: a.handleSignOut},
		"/get-session":             {method: http.MethodGet, fn: a.handleGetSession},
		"/list-sessions":           {method: http.MethodGet, fn: a.handleListSessions},
		"/revoke-session":          {method: http.MethodPost, fn: a.handleRevokeSession},
		"/revoke-sessions":         {method: http.MethodPost, fn: a.handleRevokeSessions},
		"/revoke-other-sessions":   {method: http.MethodPost, fn: a.handleRevokeOtherSessions},
		"/update-user":             {method: http.MethodPost, fn: a.handleUpdateUser},
		"/change-password":         {method: http.MethodPost, fn: a.handleChangePassword},
		"/verify-password":         {method: http.MethodPost, fn: a.handleVerifyPassword},
		"/delete-user":             {method: http.MethodPost, fn: a.handleDeleteUser},
		"/delete-user/callback":    {method: http.MethodGet, fn: a.handleDeleteUserCallback},
		"/send-verification-email": {method: http.MethodPost, fn: a.handleSendVerificationEmail},
		"/verify-email":            {method: http.MethodGet, fn: a.handleVerifyEmail},
		"/request-password-reset":  {method: http.MethodPost, fn: a.handleRequestPasswordReset},
		"/reset-password":          {method: http.MethodPost, fn: a.handleResetPassword},
		"/change-email":            {method: http.MethodPost, fn: a.handleChangeEmail},
		"/ok":                      {method: http.MethodGet, fn: a.handleOK},
		"/error":                   {method: http.MethodGet, fn: a.handleErrorPage},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), a.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(a.withRequestInfo(ctx, r))
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		path, ok := strings.CutPrefix(r.URL.Path, a.basePath)
		rt, found := routes[path]
		token, isReset := strings.CutPrefix(path, "/reset-password/")
		isReset = ok && isReset && r.Method == http.MethodGet && !strings.Contains(token, "/")
		// Only requests to a route count, so unknown paths cannot fill the
		// limiter; reset links count under one key per client.
		switch {
		case isReset:
			if !a.limit(w, r, path, "/reset-password/:token") {
				return
			}
		case ok && found:
			if !a.limit(w, r, path, path) {
				return
			}
		}
		if path == "/get-session" && r.Method == http.MethodPost {
			a.writeError(w, r, ErrMethodNotAllowedDeferRequired)
			return
		}
		if isReset {
			err := checkQuery(r)
			if err == nil {
				err = a.checkRedirectTargets(r, nil)
			}
			if err == nil {
				err = a.handleResetPasswordCallback(w, r, token)
			}
			if err != nil {
				a.writeError(w, r, err)
			}
			return
		}
		if !ok || !found || (r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead)) {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if err := checkQuery(r); err != nil {
			a.writeError(w, r, err)
			return
		}
		var b body
		if rt.method == http.MethodPost {
			var err error
			if b, err = readBody(w, r, rt.form); err != nil {
				a.writeError(w, r, err)
				return
			}
			if rt.login {
				err = a.checkLoginCSRF(r)
			} else {
				err = a.checkOrigin(r, false)
			}
			if err != nil {
				a.writeError(w, r, err)
				return
			}
		}
		if err := a.checkRedirectTargets(r, b); err != nil {
			a.writeError(w, r, err)
			return
		}
		if err := rt.fn(w, r, b); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// requireSession resolves the caller's session or answers 401 UNAUTHORIZED.
func (a *Auth) requireSession(r *http.Request) (*SessionData, error) {
	sd, err := a.ResolveSession(r.Context(), r)
	if err != nil {
		return nil, err
	}
	if sd == nil {
		return nil, ErrUnauthorized
	}
	return sd, nil
}

func (a *Auth) handleSignUp(w http.ResponseWriter, r *http.Request, b body) error {
	if err := b.requireObject(); err != nil {
		return err
	}
	name, _, err := b.str("name", true)
	if err != nil {
		return err
	}
	email, _, err := b.str("email", true)
	if err != nil {
		return err
	}
	if !ValidEmail(email) {
		return validationError("[body.email] Invalid email address")
	}
	password, _, err := b.str("password", true)
	if err != nil {
		return err
	}
	if password == "" {
		return validationError("[body.password] Too small: expected string to have >=1 characters")
	}
	in := SignUpInput{Name: name, Email: email, Password: password, Meta: a.RequestMeta(r),
		Additional: b.rest("name", "email", "password", "image", "callbackURL", "rememberMe")}
	if img, ok, err := b.str("image", false); err != nil {
		return err
	} else if ok {
		in.Image = &img
	}
	if in.CallbackURL, _, err = b.str("callbackURL", false); err != nil {
		return err
	}
	if in.RememberMe, err = b.boolean("rememberMe"); err != nil {
		return err
	}
	res, err := a.SignUpEmail(r.Context(), in)
	if err != nil {
		return err
	}
	var token any
	if res.Session != nil {
		token = res.Session.Token
		a.setSessionCookies(w, res.Session.Token, in.RememberMe != nil && !*in.RememberMe, a.dontRemember(r))
	}
	writeJSON(w, http.StatusOK, object{{"token", token}, {"user", a.UserJSON(res.User)}})
	return nil
}

func (a *Auth) handleSignIn(w http.ResponseWriter, r *http.Request, b body) error {
	if err := b.requireObject(); err != nil {
		return err
	}
	email, _, err := b.str("email", true)
	if err != nil {
		return err
	}
	password, _, err := b.str("password", true)
	if err != nil {
		return err
	}
	callback, hasCallback, err := b.str("callbackURL", false)
	if err != nil {
		return err
	}
	in := SignInInput{Email: email, Password: password, CallbackURL: callback, Meta: a.RequestMeta(r)}
	if in.RememberMe, err = b.boolean("rememberMe"); err != nil {
		return err
	}
	res, err := a.SignInEmail(r.Context(), in)
	if err != nil {
		return err
	}
	a.setSessionCookies(w, res.Session.Token, in.RememberMe != nil && !*in.RememberMe, a.dontRemember(r))
	out := object{{"redirect", hasCallback && callback != ""}, {"token", res.Session.Token}}
	if hasCallback {
		out = append(out, kv{"url", callback})
		if callback != "" {
			w.Header().Set("Location", callback)
		}
	}
	writeJSON(w, http.StatusOK, append(out, kv{"user", a.UserJSON(res.User)}))
	return nil
}

func (a *Auth) handleSignOut(w http.ResponseWriter, r *http.Request, _ body) error {
	if err := a.SignOut(r.Context(), a.requestToken(r)); err != nil {
		return err
	}
	a.clearSessionCookies(w)
	writeJSON(w, http.StatusOK, object{{"success", true}})
	return nil
}

func (a *Auth) handleGetSession(w http.ResponseWriter, r *http.Request, _ body) error {
	st, err := a.GetSession(r.Context(), r, r.URL.Query().Get("disableRefresh") == "true")
	if err != nil {
		return err
	}
	if st.Clear {
		a.clearSessionCookies(w)
	}
	if st.SessionData == nil {
		writeJSON(w, http.StatusOK, nil)
		return nil
	}
	if st.Refreshed {
		a.setSessionCookies(w, st.Session.Token, st.DontRemember, st.DontRemember)
	}
	writeJSON(w, http.StatusOK, object{{"session", a.SessionJSON(st.Session)}, {"user", a.UserJSON(st.User)}})
	return nil
}

func (a *Auth) handleListSessions(w http.ResponseWriter, r *http.Request, _ body) error {
	sd, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if !a.isFresh(sd.Session) {
		return ErrSessionNotFresh
	}
	ss, err := a.ListSessions(r.Context(), sd.User.ID)
	if err != nil {
		return err
	}
	out := make([]any, len(ss))
	for i := range ss {
		out[i] = a.SessionJSON(&ss[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *Auth) handleRevokeSession(w http.ResponseWriter, r *http.Request, b body) error {
	sd, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if err := b.requireObject(); err != nil {
		return err
	}
	token, _, err := b.str("token", true)
	if err != nil {
		return err
	}
	if err := a.RevokeSession(r.Context(), sd.User.ID, token); err != nil {
		return err
	}
	if token == sd.Session.Token || token == a.storedToken(sd.Session.Token) {
		a.clearSessionCookies(w)
	}
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleRevokeSessions(w http.ResponseWriter, r *http.Request, _ body) error {
	sd, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if err := a.RevokeSessions(r.Context(), sd.User.ID, ""); err != nil {
		return err
	}
	a.clearSessionCookies(w)
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleRevokeOtherSessions(w http.ResponseWriter, r *http.Request, _ body) error {
	sd, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if err := a.RevokeSessions(r.Context(), sd.User.ID, sd.Session.Token); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleUpdateUser(w http.ResponseWriter, r *http.Request, b body) error {
	sd, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if b == nil {
		return apiErr(http.StatusBadRequest, "BODY_MUST_BE_AN_OBJECT", "Body must be an object")
	}
	if truthy(b["email"]) {
		return ErrEmailCanNotBeUpdated
	}
	var in UpdateUserInput
	if name, ok, err := b.str("name", false); err != nil {
		return err
	} else if ok {
		in.Name = &name
	}
	if v, present := b["image"]; present {
		img, _ := v.(string) // null clears the image
		if _, isStr := v.(string); !isStr && v != nil {
			return validationError("[body.image] Invalid input: expected string, received " + jsType(v))
		}
		in.Image = &img
	}
	in.Additional = b.rest("name", "image", "email")
	if _, err := a.UpdateUser(r.Context(), sd.User.ID, in); err != nil {
		return err
	}
	a.reissueSessionCookie(w, r, sd.Session.Token)
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleChangePassword(w http.ResponseWriter, r *http.Request, b body) error {
	sd, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if err := b.requireObject(); err != nil {
		return err
	}
	next, _, err := b.str("newPassword", true)
	if err != nil {
		return err
	}
	current, _, err := b.str("currentPassword", true)
	if err != nil {
		return err
	}
	revoke, err := b.boolean("revokeOtherSessions")
	if err != nil {
		return err
	}
	s, err := a.ChangePassword(r.Context(), sd.User.ID, current, next, revoke != nil && *revoke, a.RequestMeta(r))
	if err != nil {
		return err
	}
	var token any
	if s != nil {
		token = s.Token
		a.reissueSessionCookie(w, r, s.Token)
	}
	writeJSON(w, http.StatusOK, object{{"token", token}, {"user", a.UserJSON(sd.User)}})
	return nil
}

func (a *Auth) handleVerifyPassword(w http.ResponseWriter, r *http.Request, b body) error {
	sd, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if err := b.requireObject(); err != nil {
		return err
	}
	password, _, err := b.str("password", true)
	if err != nil {
		return err
	}
	if err := a.VerifyPassword(r.Context(), sd.User.ID, password); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleDeleteUser(w http.ResponseWriter, r *http.Request, b body) error {
	sd, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if !a.cfg.User.DeleteUser.Enabled {
		// Better Auth answers a bare 404 here, after the session check.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		return nil
	}
	var in DeleteUserInput
	if p, ok, err := b.str("password", false); err != nil {
		return err
	} else if ok {
		in.Password = &p
	}
	if in.Token, _, err = b.str("token", false); err != nil {
		return err
	}
	if in.CallbackURL, _, err = b.str("callbackURL", false); err != nil {
		return err
	}
	deleted, err := a.DeleteUser(r.Context(), sd, in)
	if err != nil {
		return err
	}
	if !deleted {
		writeJSON(w, http.StatusOK, object{{"success", true}, {"message", "Verification email sent"}})
		return nil
	}
	a.clearSessionCookies(w)
	writeJSON(w, http.StatusOK, object{{"success", true}, {"message", "User deleted"}})
	return nil
}

func (a *Auth) handleDeleteUserCallback(w http.ResponseWriter, r *http.Request, _ body) error {
	if !a.cfg.User.DeleteUser.Enabled {
		return apiErr(http.StatusNotFound, "NOT_FOUND", "Not found")
	}
	q := r.URL.Query()
	cb := q.Get("callbackURL")
	sd, err := a.ResolveSession(r.Context(), r)
	if err != nil {
		return err
	}
	if sd == nil {
		return apiErr(http.StatusNotFound, "FAILED_TO_GET_USER_INFO", "Failed to get user info")
	}
	if err := a.DeleteUserWithToken(r.Context(), sd.User.ID, q.Get("token")); err != nil {
		return err
	}
	a.clearSessionCookies(w)
	if cb != "" {
		redirect(w, cb)
		return nil
	}
	writeJSON(w, http.StatusOK, object{{"success", true}, {"message", "User deleted"}})
	return nil
}

func (a *Auth) handleSendVerificationEmail(w http.ResponseWriter, r *http.Request, b body) error {
	if err := b.requireObject(); err != nil {
		return err
	}
	email, _, err := b.str("email", true)
	if err != nil {
		return err
	}
	if !ValidEmail(email) {
		return validationError("[body.email] Invalid email address")
	}
	cb, _, err := b.str("callbackURL", false)
	if err != nil {
		return err
	}
	sd, err := a.ResolveSession(r.Context(), r)
	if err != nil {
		return err
	}
	if err := a.SendVerificationEmail(r.Context(), sd, email, cb); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

// redirect answers 302 with Location exactly as given and no body, as
// Better Auth does (http.Redirect would rewrite relative paths and add HTML),
// and with Referrer-Policy: no-referrer, so that the URL that led here
// (/reset-password/{token}, /verify-email?token=...) is not sent to the
// target as its Referer.
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusFound)
}

// redirectWithError appends error=<code> to callbackURL, as Better Auth's
// appendQueryParams does.
func redirectWithError(w http.ResponseWriter, r *http.Request, callbackURL, code string) {
	sep := "?"
	if strings.Contains(callbackURL, "?") {
		sep = "&"
	}
	redirect(w, callbackURL+sep+"error="+url.QueryEscape(code))
}

func (a *Auth) handleVerifyEmail(w http.ResponseWriter, r *http.Request, _ body) error {
	q := r.URL.Query()
	cb := q.Get("callbackURL")
	if q.Get("token") == "" {
		return validationError("[query.token] Invalid input: expected string, received undefined")
	}
	sd, err := a.ResolveSession(r.Context(), r)
	if err != nil {
		return err
	}
	res, err := a.VerifyEmail(r.Context(), sd, q.Get("token"), cb, a.RequestMeta(r))
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			return err
		}
		if cb != "" {
			redirectWithError(w, r, cb, ae.Code)
			return nil
		}
		return &APIError{Status: http.StatusUnauthorized, Code: ae.Code, Message: ae.Message}
	}
	switch {
	case res.Session != nil:
		a.setSessionCookies(w, res.Session.Token, false, a.dontRemember(r))
	case res.RefreshCookie && sd != nil:
		a.reissueSessionCookie(w, r, sd.Session.Token)
	}
	if cb != "" {
		redirect(w, cb)
		return nil
	}
	var user any
	if res.User != nil {
		user = a.UserJSON(res.User)
	}
	writeJSON(w, http.StatusOK, object{{"status", true}, {"user", user}})
	return nil
}

func (a *Auth) handleRequestPasswordReset(w http.ResponseWriter, r *http.Request, b body) error {
	if err := b.requireObject(); err != nil {
		return err
	}
	email, _, err := b.str("email", true)
	if err != nil {
		return err
	}
	if !ValidEmail(email) {
		return validationError("[body.email] Invalid email address")
	}
	redirectTo, _, err := b.str("redirectTo", false)
	if err != nil {
		return err
	}
	if err := a.RequestPasswordReset(r.Context(), email, redirectTo); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"status", true}, {"message", resetMessage}})
	return nil
}

// handleResetPasswordCallback is GET /reset-password/{token}: the link in
// the mail. It redirects to callbackURL with ?token= or ?error=INVALID_TOKEN.
func (a *Auth) handleResetPasswordCallback(w http.ResponseWriter, r *http.Request, token string) error {
	cb := r.URL.Query().Get("callbackURL")
	target := func(key, value string) string {
		base, _ := url.Parse(a.link("", ""))
		var u *url.URL
		if cb == "" {
			u = base.JoinPath("error")
		} else if ref, err := url.Parse(cb); err == nil {
			u = base.ResolveReference(ref)
		} else {
			u = base.JoinPath("error")
		}
		qv := u.Query()
		qv.Set(key, value)
		u.RawQuery = qv.Encode()
		return u.String()
	}
	if token == "" || cb == "" || textProblem(token) != "" {
		redirect(w, target("error", "INVALID_TOKEN"))
		return nil
	}
	ok, err := a.CheckResetToken(r.Context(), token)
	if err != nil {
		return err
	}
	if !ok {
		redirect(w, target("error", "INVALID_TOKEN"))
		return nil
	}
	redirect(w, target("token", token))
	return nil
}

func (a *Auth) handleResetPassword(w http.ResponseWriter, r *http.Request, b body) error {
	if err := b.requireObject(); err != nil {
		return err
	}
	next, _, err := b.str("newPassword", true)
	if err != nil {
		return err
	}
	token, _, err := b.str("token", false)
	if err != nil {
		return err
	}
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	if err := a.ResetPassword(r.Context(), token, next); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleChangeEmail(w http.ResponseWriter, r *http.Request, b body) error {
	sd, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if err := b.requireObject(); err != nil {
		return err
	}
	newEmail, _, err := b.str("newEmail", true)
	if err != nil {
		return err
	}
	cb, _, err := b.str("callbackURL", false)
	if err != nil {
		return err
	}
	changed, err := a.ChangeEmail(r.Context(), sd, newEmail, cb)
	if err != nil {
		return err
	}
	if changed {
		a.reissueSessionCookie(w, r, sd.Session.Token)
	}
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleOK(w http.ResponseWriter, _ *http.Request, _ body) error {
	writeJSON(w, http.StatusOK, object{{"ok", true}})
	return nil
}

func (a *Auth) handleErrorPage(w http.ResponseWriter, r *http.Request, _ body) error {
	code := r.URL.Query().Get("error")
	if code == "" {
		code = "UNKNOWN"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Error</title></head><body><h1>Something went wrong</h1><p>Error code: " +
		htmlEscape(code) + "</p></body></html>"))
	return nil
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}
