package betterauth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// coreRoutes are Better Auth's endpoints, in the order Routes lists them.
func (a *Auth) coreRoutes() []Route {
	return []Route{
		{Method: http.MethodPost, Path: "/sign-up/email", Form: true, LoginCSRF: true, Handle: a.handleSignUp},
		{Method: http.MethodPost, Path: "/sign-in/email", Form: true, LoginCSRF: true, Handle: a.handleSignIn},
		{Method: http.MethodPost, Path: "/sign-out", Handle: a.handleSignOut},
		{Method: http.MethodGet, Path: "/get-session", Handle: a.handleGetSession},
		{Method: http.MethodGet, Path: "/list-sessions", Access: AccessFreshSession, Handle: a.handleListSessions},
		{Method: http.MethodPost, Path: "/revoke-session", Access: AccessSession, Handle: a.handleRevokeSession},
		{Method: http.MethodPost, Path: "/revoke-sessions", Access: AccessSession, Handle: a.handleRevokeSessions},
		{Method: http.MethodPost, Path: "/revoke-other-sessions", Access: AccessSession, Handle: a.handleRevokeOtherSessions},
		{Method: http.MethodPost, Path: "/update-user", Access: AccessSession, Handle: a.handleUpdateUser},
		{Method: http.MethodPost, Path: "/change-password", Access: AccessSession, Handle: a.handleChangePassword},
		{Method: http.MethodPost, Path: "/verify-password", Access: AccessSession, Handle: a.handleVerifyPassword},
		// Disabled, delete-user answers a bare 404 after the session check.
		{Method: http.MethodPost, Path: "/delete-user", Access: AccessSession, Handle: a.handleDeleteUser},
		{Method: http.MethodGet, Path: "/delete-user/callback", Handle: a.handleDeleteUserCallback},
		{Method: http.MethodPost, Path: "/send-verification-email", Handle: a.handleSendVerificationEmail},
		{Method: http.MethodGet, Path: "/verify-email", Handle: a.handleVerifyEmail},
		{Method: http.MethodPost, Path: "/request-password-reset", Handle: a.handleRequestPasswordReset},
		{Method: http.MethodPost, Path: "/reset-password", Handle: a.handleResetPassword},
		{Method: http.MethodGet, Path: "/reset-password/{token}", getOnly: true, Handle: a.handleResetPasswordCallback},
		{Method: http.MethodPost, Path: "/change-email", Access: AccessSession, Handle: a.handleChangeEmail},
		{Method: http.MethodGet, Path: "/ok", Handle: a.handleOK},
		{Method: http.MethodGet, Path: "/error", Handle: a.handleErrorPage},
	}
}

func (a *Auth) handleSignUp(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
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
	if res.Challenge != nil {
		a.writeChallenge(w, r, res.Challenge, in.RememberMe != nil && !*in.RememberMe)
		return nil
	}
	var token any
	if res.Session != nil {
		token = res.Session.Token
		a.setSessionCookies(w, r, &SessionData{Session: res.Session, User: res.User}, in.RememberMe != nil && !*in.RememberMe, a.dontRemember(r))
		setCookies(w, res.Cookies)
	}
	writeJSON(w, http.StatusOK, object{{"token", token}, {"user", a.UserJSON(res.User)}})
	return nil
}

func (a *Auth) handleSignIn(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
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
	if res.Challenge != nil {
		a.writeChallenge(w, r, res.Challenge, in.RememberMe != nil && !*in.RememberMe)
		return nil
	}
	a.setSessionCookies(w, r, &SessionData{Session: res.Session, User: res.User}, in.RememberMe != nil && !*in.RememberMe, a.dontRemember(r))
	setCookies(w, res.Cookies)
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

func (a *Auth) handleSignOut(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	if err := a.SignOut(r.Context(), a.requestToken(r)); err != nil {
		return err
	}
	a.clearSessionCookies(w, r)
	writeJSON(w, http.StatusOK, object{{"success", true}})
	return nil
}

func (a *Auth) handleGetSession(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	q := r.URL.Query()
	token := a.requestToken(r)
	disableRefresh := q.Get("disableRefresh") == "true"
	if a.cache == nil {
		a.cleanCookieCache(w, r) // a cache left from when it was on
	} else if token != "" && q.Get("disableCookieCache") == "" {
		// disableCookieCache is a z.coerce.boolean in Better Auth: any
		// non-empty value turns the cache off.
		cs, bad := a.cookieCacheHit(r, token)
		if cs != nil {
			return a.writeCachedSession(w, r, cs)
		}
		if bad {
			a.expireCookie(w, a.cookies.sessionData)
		}
	}
	st, err := a.GetSession(r.Context(), token, GetSessionOptions{DisableRefresh: disableRefresh, DontRemember: a.dontRemember(r)})
	if err != nil {
		return err
	}
	if st.Clear {
		a.clearSessionCookies(w, r)
	}
	if st.SessionData == nil {
		writeJSON(w, http.StatusOK, nil)
		return nil
	}
	switch {
	case st.Refreshed:
		a.setSessionCookies(w, r, st.SessionData, st.DontRemember, st.DontRemember)
	case !st.DontRemember && !disableRefresh:
		// As Better Auth: not for rememberMe: false sessions nor
		// ?disableRefresh (those answers return before it).
		a.setCookieCache(w, r, st.SessionData, false)
	}
	return a.writeSessionReply(w, r, st.SessionData)
}

// writeSessionReply runs the SessionReplyHooks and answers {session, user}.
func (a *Auth) writeSessionReply(w http.ResponseWriter, r *http.Request, sd *SessionData) error {
	for _, h := range a.hooks.sessionReply {
		if err := h.OnSessionReply(r.Context(), w.Header(), sd); err != nil {
			return wrapHook(err)
		}
	}
	writeJSON(w, http.StatusOK, object{{"session", a.SessionJSON(sd.Session)}, {"user", a.UserJSON(sd.User)}})
	return nil
}

func (a *Auth) handleListSessions(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	sd := ri.Session
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

func (a *Auth) handleRevokeSession(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
	sd := ri.Session
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
		a.clearSessionCookies(w, r)
	}
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleRevokeSessions(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	sd := ri.Session
	if err := a.RevokeSessions(r.Context(), sd.User.ID, ""); err != nil {
		return err
	}
	a.clearSessionCookies(w, r)
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleRevokeOtherSessions(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	sd := ri.Session
	if err := a.RevokeSessions(r.Context(), sd.User.ID, sd.Session.Token); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleUpdateUser(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
	sd := ri.Session
	if b == nil {
		return apiErr(http.StatusBadRequest, "BODY_MUST_BE_AN_OBJECT", "Body must be an object")
	}
	if truthy(b["email"]) {
		return errEmailCanNotBeUpdated
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
	u, err := a.UpdateUser(r.Context(), sd.User.ID, in)
	if err != nil {
		return err
	}
	a.reissueSessionCookie(w, r, sd.Session, u)
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleChangePassword(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
	sd := ri.Session
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
		a.reissueSessionCookie(w, r, s, sd.User)
	}
	writeJSON(w, http.StatusOK, object{{"token", token}, {"user", a.UserJSON(sd.User)}})
	return nil
}

func (a *Auth) handleVerifyPassword(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
	sd := ri.Session
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

func (a *Auth) handleDeleteUser(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
	sd := ri.Session
	if !a.cfg.User.DeleteUser.Enabled {
		// Better Auth answers a bare 404 here, after the session check.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		return nil
	}
	var in DeleteUserInput
	var err error
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
	a.clearSessionCookies(w, r)
	writeJSON(w, http.StatusOK, object{{"success", true}, {"message", "User deleted"}})
	return nil
}

func (a *Auth) handleDeleteUserCallback(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
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
	a.clearSessionCookies(w, r)
	if cb != "" {
		redirect(w, cb)
		return nil
	}
	writeJSON(w, http.StatusOK, object{{"success", true}, {"message", "User deleted"}})
	return nil
}

func (a *Auth) handleSendVerificationEmail(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
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

func (a *Auth) handleVerifyEmail(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
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
	case res.Challenge != nil:
		setCookies(w, res.Challenge.Cookies)
		if cb == "" {
			writeJSON(w, http.StatusOK, res.Challenge.Reply)
			return nil
		}
	case res.Session != nil:
		a.setSessionCookies(w, r, &SessionData{Session: res.Session, User: res.User}, false, a.dontRemember(r))
		setCookies(w, res.Cookies)
	case res.RefreshCookie && sd != nil:
		a.reissueSessionCookie(w, r, sd.Session, res.User)
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

func (a *Auth) handleRequestPasswordReset(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
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
func (a *Auth) handleResetPasswordCallback(w http.ResponseWriter, r *http.Request, _ RouteInput) error {
	token := r.PathValue("token")
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

func (a *Auth) handleResetPassword(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
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

func (a *Auth) handleChangeEmail(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
	b := body(ri.Body)
	sd := ri.Session
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
		a.reissueSessionCookie(w, r, sd.Session, nil)
	}
	writeJSON(w, http.StatusOK, object{{"status", true}})
	return nil
}

func (a *Auth) handleOK(w http.ResponseWriter, _ *http.Request, ri RouteInput) error {
	writeJSON(w, http.StatusOK, object{{"ok", true}})
	return nil
}

func (a *Auth) handleErrorPage(w http.ResponseWriter, r *http.Request, ri RouteInput) error {
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
