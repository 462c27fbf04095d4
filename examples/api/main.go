// Command api is a small service that trusts the users of a Better Auth
// server without sharing its database or its secret: it accepts only the
// JWTs that server issues (GET /api/auth/token, jwt plugin) and checks them
// with package jwtverify against the server's public keys
// (GET /api/auth/jwks).
//
// Routes:
//
//	GET /api/me     a token is required: {"sub": ..., "email": ..., "claims": {...}}
//	GET /api/hello  a token is optional: greets the user by name, or as a guest
//
// Environment:
//
//	PORT             listen port (default 8081)
//	BETTER_AUTH_URL  the auth server's base URL (default http://localhost:8080); the key set
//	                 is $BETTER_AUTH_URL/api/auth/jwks, and the expected issuer and audience
//	                 are BETTER_AUTH_URL, as Better Auth signs them by default
//	JWKS_URL         overrides the key set's URL
//	JWT_ISSUER       overrides the expected "iss"
//	JWT_AUDIENCE     overrides the accepted "aud" values, comma separated
//	CORS_ORIGINS     browser origins (comma separated, e.g. http://localhost:5173) allowed to
//	                 call this service with an Authorization header; preflight requests from
//	                 them are answered. Unset: no cross-origin access.
//
// It logs with log/slog, one line per request (method, path, status,
// duration, and the user id when a token was accepted); tokens and
// Authorization headers are never logged.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/go-betterauth/betterauth/jwtverify"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, logger, os.Getenv); err != nil {
		logger.Error("api: stopped", "err", err)
		os.Exit(1)
	}
}

// config is what the environment says.
type config struct {
	port        string
	jwksURL     string
	issuer      string
	audience    []string
	corsOrigins []string
}

// loadConfig reads the environment listed in the package documentation.
func loadConfig(getenv func(string) string) (config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	authURL := strings.TrimRight(get("BETTER_AUTH_URL", "http://localhost:8080"), "/")
	if u, err := url.Parse(authURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config{}, fmt.Errorf("BETTER_AUTH_URL %q: want the auth server's base URL, e.g. http://localhost:8080", authURL)
	}
	cfg := config{
		port:        get("PORT", "8081"),
		jwksURL:     get("JWKS_URL", authURL+"/api/auth/jwks"),
		issuer:      get("JWT_ISSUER", authURL),
		audience:    splitList(getenv("JWT_AUDIENCE")),
		corsOrigins: splitList(getenv("CORS_ORIGINS")),
	}
	if len(cfg.audience) == 0 {
		cfg.audience = []string{cfg.issuer}
	}
	for _, o := range cfg.corsOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			return config{}, fmt.Errorf("CORS_ORIGINS: %q is not an origin (scheme://host[:port])", o)
		}
	}
	return cfg, nil
}

// splitList reads a comma-separated list, ignoring blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func run(ctx context.Context, logger *slog.Logger, getenv func(string) string) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	v, err := jwtverify.New(jwtverify.Config{JWKSURL: cfg.jwksURL, Issuer: cfg.issuer, Audience: cfg.audience})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              ":" + cfg.port,
		Handler:           newHandler(v, cfg, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("api: listening", "addr", srv.Addr, "jwks", cfg.jwksURL, "issuer", cfg.issuer,
		"audience", strings.Join(cfg.audience, ","), "corsOrigins", strings.Join(cfg.corsOrigins, ","))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler is the service: its routes behind the verifier's middleware,
// CORS and the request log.
func newHandler(v *jwtverify.Verifier, cfg config, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/me", v.Require(http.HandlerFunc(me)))
	mux.Handle("GET /api/hello", v.Middleware(http.HandlerFunc(hello)))
	return logRequests(logger, cors(cfg.corsOrigins, mux))
}

// me answers the verified user: the subject, the email and every claim.
func me(w http.ResponseWriter, r *http.Request) {
	claims, _ := jwtverify.ClaimsFromContext(r.Context())
	var user jwtverify.User
	if err := claims.Decode(&user); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "cannot read the token's claims", "code": "INTERNAL_SERVER_ERROR"})
		return
	}
	noteUser(r, claims.Subject)
	writeJSON(w, http.StatusOK, map[string]any{"sub": claims.Subject, "email": user.Email, "claims": claims.Raw})
}

// hello greets the user by name when a valid token came, else as a guest.
func hello(w http.ResponseWriter, r *http.Request) {
	name := "guest"
	if claims, ok := jwtverify.ClaimsFromContext(r.Context()); ok {
		var user jwtverify.User
		if claims.Decode(&user) == nil && user.Name != "" {
			name = user.Name
		}
		noteUser(r, claims.Subject)
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Hello, " + name + "!"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// cors lets the listed browser origins call the service with an
// Authorization header, and answers their preflight requests. Other origins
// get no CORS headers (the browser then keeps the answer from the page).
func cors(origins []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		allowed := slices.Contains(origins, origin)
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate, Retry-After")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.Header().Add("Vary", "Access-Control-Request-Method")
			w.Header().Add("Vary", "Access-Control-Request-Headers")
			if allowed {
				w.Header().Set("Access-Control-Allow-Methods", "GET, OPTIONS")
				w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				w.Header().Set("Access-Control-Max-Age", "600")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requestNote carries what a handler learnt (the user id) back to the log.
type requestNote struct{ user string }

type noteKey struct{}

func noteUser(r *http.Request, sub string) {
	if n, ok := r.Context().Value(noteKey{}).(*requestNote); ok {
		n.user = sub
	}
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// logRequests logs one line per request. It never logs the token, the
// Authorization header or the query string.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		note := &requestNote{}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), noteKey{}, note)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start).Round(time.Microsecond)}
		if note.user != "" {
			attrs = append(attrs, "user", note.user)
		}
		logger.Info("api: request", attrs...)
	})
}
