// Command basic is a small app on betterauth: Better Auth's HTTP API at
// /api/auth/, a protected JSON route at /api/me and a page at / to sign up,
// sign in, see the session and sign out (and, with BETTER_AUTH_TWO_FACTOR,
// enrol in two-factor and pass its second step).
//
// Routes of the example itself, besides the API:
//
//	GET  /             the page
//	GET  /api/me       the signed-in user and session (401 without one)
//	GET  /api/config   {"twoFactor": bool, "socialProviders": [id, ...]}: which
//	                   optional parts the page shows
//	POST /example/qr   with BETTER_AUTH_TWO_FACTOR only: the body, an
//	                   otpauth://totp/ URI (at most 1 KiB), as a QR code
//	                   (image/png); 400 for anything else
//
// Environment (a public interface: other tools start this example with it):
//
//	PORT                         listen port (default 8080)
//	BETTER_AUTH_URL              public base URL (default http://localhost:$PORT)
//	BETTER_AUTH_SECRET           signing secret; unset: development mode (below)
//	BETTER_AUTH_TRUSTED_ORIGINS  extra trusted origins, comma separated
//	DATABASE_URL                 PostgreSQL URL; unset: an in-memory store (said in the first log line)
//	BETTER_AUTH_ID_MODE          "uuid" for database-generated uuid ids (as Better Auth's generateId: "uuid")
//	BETTER_AUTH_REQUIRE_EMAIL_VERIFICATION  "true": sign-in needs a verified email
//	BETTER_AUTH_RATE_LIMIT       "false" turns off Better Auth's rate limits (per client address) and the
//	                             per-address mail limit; on otherwise, even without a secret
//	BETTER_AUTH_RATE_LIMIT_STORAGE  where the limits are counted, as Better Auth's rateLimit.storage: "memory"
//	                             (this process only), "database" (Better Auth's rateLimit table, which the
//	                             migrations at startup create; needs DATABASE_URL to be shared) or
//	                             "secondary-storage" (Redis, keys "better-auth:<ip>|<path>"; needs REDIS_URL).
//	                             Default: "secondary-storage" with REDIS_URL, else "memory". The database and
//	                             Redis storages are shared by every replica and by a Better Auth server beside them
//	BETTER_AUTH_TRUSTED_PROXIES  your reverse proxies, comma separated addresses or CIDRs (Better Auth's
//	                             advanced.ipAddress.trustedProxies): requests from them are counted and
//	                             recorded under the client X-Forwarded-For names; unset, the socket's peer
//	BETTER_AUTH_MAX_FAILED_SIGN_INS  wrong passwords an account takes in 15 minutes before it is locked
//	                             (an integer; unset or empty: no cap, as in Better Auth)
//	BETTER_AUTH_SCHEMA           path of a JSON schema configuration in Better Auth's words (table and
//	                             column names, additionalFields, generateId), as `betterauth generate --config` takes
//	BETTER_AUTH_JWT              "true" enables the jwt plugin with Better Auth's defaults: GET /api/auth/token,
//	                             GET /api/auth/jwks, set-auth-jwt on get-session (the migrations at startup
//	                             create the jwks table)
//	BETTER_AUTH_BEARER           "true" enables the bearer plugin: Authorization: Bearer, set-auth-token
//	REDIS_URL                    Redis (or Valkey) URL, redis://[user:password@]host:port/db: Better Auth's
//	                             secondary storage on it, with @better-auth/redis-storage's keys ("better-auth:"
//	                             prefix): sessions and verification values live in Redis only, shared with the
//	                             other replicas and any Better Auth server on the same Redis
//	BETTER_AUTH_STORE_SESSION_IN_DATABASE  "true" (with REDIS_URL): sessions are also written to the database,
//	                             which list-sessions reads and which answers when Redis has no copy
//	BETTER_AUTH_COOKIE_CACHE     compact, jwt or jwe: Better Auth's cookie cache with that strategy (get-session
//	                             answers from the signed session_data cookie without a database read); unset: off
//	BETTER_AUTH_COOKIE_CACHE_MAX_AGE  the cache's lifetime in seconds (default 300)
//	BETTER_AUTH_JWT_COOKIE_CACHE "true" (with BETTER_AUTH_COOKIE_CACHE=jwt): the jwt plugin (enabled by it) signs
//	                             the cache with its JWKS key, as Better Auth's jwt({ sessionCookieCache: true })
//	BETTER_AUTH_TWO_FACTOR       "true" enables the two-factor plugin with Better Auth's defaults (TOTP, backup
//	                             codes, trusted devices) and one-time codes through the development mailer (the
//	                             migrations at startup create the twoFactor table and user.twoFactorEnabled)
//	OIDC_DISCOVERY_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET  all set: sign-in with one generic OpenID
//	                             provider, configured exactly as Better Auth's genericOAuth({config:
//	                             [{providerId, discoveryUrl, clientId, clientSecret}]}) with every other option
//	                             at its default; its redirect URI is $BETTER_AUTH_URL/api/auth/callback/<id>
//	OIDC_PROVIDER_ID             that provider's id (default "oidc")
//	GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET  both set: sign-in with GitHub (callback /api/auth/callback/github)
//	GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET  both set: sign-in with Google (callback /api/auth/callback/google)
//
// Some but not all of a provider's variables is an error at startup. With a
// provider, the page shows a "Sign in with <id>" button per provider and the
// signed-in user's linked accounts.
//
// Without BETTER_AUTH_SECRET the example runs in development mode: it signs
// with Better Auth's public development secret (with a warning), listens on
// 127.0.0.1 only, and trusts its own loopback origins (http://localhost:$PORT
// and http://127.0.0.1:$PORT) besides BETTER_AUTH_URL's, so the page and curl
// work at either address. Set BETTER_AUTH_SECRET to listen on every interface;
// then only BETTER_AUTH_URL's origin and BETTER_AUTH_TRUSTED_ORIGINS are trusted.
//
// Mail is not sent: a development mailer logs each message as one line,
//
//	time=... level=INFO msg="dev mailer" kind=<kind> to=<address> url="<link>" token=<token>
//
// (log/slog's text format: a value with = or spaces is double-quoted),
// with kind one of verify-email, reset-password, change-email-confirmation,
// delete-account. Follow the url to complete the flow. With
// BETTER_AUTH_TWO_FACTOR, a one-time code of the second step is logged as
//
//	time=... level=INFO msg="dev mailer" kind=two-factor-otp to=<address> token=<code>
//
// (no url). These lines are a
// public interface: tests outside this repository read them.
//
// The server's timeouts (see newServer), so that slow or idle clients
// cannot hold connections:
//
//	ReadHeaderTimeout  10 s   to send the request line and headers
//	ReadTimeout        30 s   to send the whole request, body included (the
//	                          auth API cuts its bodies off sooner, at its
//	                          RequestTimeout, 10 s, answering 408)
//	WriteTimeout       30 s   to take the answer; longer than RequestTimeout,
//	                          so a 503 from a hung database still gets out
//	IdleTimeout       120 s   for a kept-alive connection between requests
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp"
	goredis "github.com/redis/go-redis/v9"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/plugins/bearer"
	"github.com/go-betterauth/betterauth/plugins/jwt"
	"github.com/go-betterauth/betterauth/plugins/twofactor"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/secondary"
	secondaryredis "github.com/go-betterauth/betterauth/secondary/redis"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

//go:embed index.html
var indexHTML []byte

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, logger); err != nil {
		logger.Error("basic: stopped", "err", err)
		os.Exit(1)
	}
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, logger *slog.Logger) error {
	port := env("PORT", "8080")
	baseURL := env("BETTER_AUTH_URL", "http://localhost:"+port)
	sch := schema.Schema{}
	if path := os.Getenv("BETTER_AUTH_SCHEMA"); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("BETTER_AUTH_SCHEMA: %w", err)
		}
		if sch, err = schema.ParseJSON(raw); err != nil {
			return fmt.Errorf("BETTER_AUTH_SCHEMA %s: %w", path, err)
		}
	}
	switch mode := os.Getenv("BETTER_AUTH_ID_MODE"); mode {
	case "", "default":
	case "uuid":
		sch.IDMode = schema.IDModeUUID
	default:
		return fmt.Errorf("BETTER_AUTH_ID_MODE %q: want uuid or nothing", mode)
	}

	var plugins []betterauth.Plugin
	twoFactor := os.Getenv("BETTER_AUTH_TWO_FACTOR") == "true"
	jwtCache := os.Getenv("BETTER_AUTH_JWT_COOKIE_CACHE") == "true"
	if os.Getenv("BETTER_AUTH_JWT") == "true" || jwtCache {
		plugins = append(plugins, jwt.New(jwt.Options{SessionCookieCache: jwtCache}))
	}
	if os.Getenv("BETTER_AUTH_BEARER") == "true" {
		plugins = append(plugins, bearer.New(bearer.Options{}))
	}
	if twoFactor {
		plugins = append(plugins, twofactor.New(twofactor.Options{
			SendOTP: func(_ context.Context, u *betterauth.User, code string) error {
				logger.Info("dev mailer", "kind", "two-factor-otp", "to", u.Email, "token", code)
				return nil
			},
		}))
	}
	socialPlugin, socialProviders, err := socialFromEnv()
	if err != nil {
		return err
	}
	if socialPlugin != nil {
		plugins = append(plugins, socialPlugin)
		logger.Info("basic: social sign-in", "providers", strings.Join(socialProviders, ","))
	}
	exts := betterauth.PluginSchemas(plugins...)
	rateLimitStorage := os.Getenv("BETTER_AUTH_RATE_LIMIT_STORAGE")
	switch rateLimitStorage {
	case "", betterauth.RateLimitStorageMemory, betterauth.RateLimitStorageSecondary:
	case betterauth.RateLimitStorageDatabase:
		exts = append(exts, betterauth.RateLimitSchema())
	default:
		return fmt.Errorf("BETTER_AUTH_RATE_LIMIT_STORAGE %q: want memory, database or secondary-storage", rateLimitStorage)
	}

	var store betterauth.Store
	if dsn := os.Getenv("DATABASE_URL"); dsn == "" {
		logger.Info("basic: store: in memory (set DATABASE_URL for PostgreSQL); everything is lost on exit")
		st, err := memstore.New(sch, exts...)
		if err != nil {
			return err
		}
		store = st
	} else {
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return fmt.Errorf("database: %w", err)
		}
		defer pool.Close()
		report, err := migrations.Apply(ctx, pool, sch, exts...)
		if err != nil {
			return err
		}
		idMode := "text"
		if sch.IDMode == schema.IDModeUUID {
			idMode = "uuid"
		}
		logger.Info("basic: store: PostgreSQL, migrations applied", "idMode", idMode,
			"tablesCreated", len(report.Tables), "columnsAdded", len(report.Columns), "indexesCreated", len(report.Indexes))
		st, err := pgstore.New(pool, sch, exts...)
		if err != nil {
			return err
		}
		store = st
	}

	var ss secondary.Storage
	if u := os.Getenv("REDIS_URL"); u != "" {
		opt, err := goredis.ParseURL(u)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		opt.ContextTimeoutEnabled = true // request deadlines bound each command
		client := goredis.NewClient(opt)
		defer client.Close()
		if ss, err = secondaryredis.New(client, secondaryredis.Options{}); err != nil {
			return err
		}
		logger.Info("basic: secondary storage: Redis (sessions and verification values live there)",
			"storeSessionInDatabase", os.Getenv("BETTER_AUTH_STORE_SESSION_IN_DATABASE") == "true")
	}

	secret, dev := os.Getenv("BETTER_AUTH_SECRET"), false
	if secret == "" {
		secret, dev = betterauth.DefaultSecret, true
		logger.Warn("basic: BETTER_AUTH_SECRET is unset: using Better Auth's PUBLIC development secret; never do this in production")
	}
	cfg := betterauth.Config{
		Store: store, Secret: secret, Development: dev, BaseURL: baseURL, Logger: logger, Plugins: plugins,
	}
	if ss != nil {
		cfg.SecondaryStorage = ss
		cfg.Session.StoreSessionInDatabase = os.Getenv("BETTER_AUTH_STORE_SESSION_IN_DATABASE") == "true"
	}
	addr := ":" + port
	if dev {
		// Development: reachable from this machine only, at either loopback name.
		addr = "127.0.0.1:" + port
		cfg.TrustedOrigins = loopbackOrigins(port)
	}
	mailer := func(kind string) betterauth.SendEmailFunc {
		return func(_ context.Context, e betterauth.Email) error {
			logger.Info("dev mailer", "kind", kind, "to", e.To, "url", e.URL, "token", e.Token)
			return nil
		}
	}
	cfg.EmailVerification.SendVerificationEmail = mailer("verify-email")
	cfg.EmailVerification.SendOnSignUp = true
	cfg.EmailAndPassword.RequireEmailVerification = os.Getenv("BETTER_AUTH_REQUIRE_EMAIL_VERIFICATION") == "true"
	cfg.EmailAndPassword.SendResetPassword = mailer("reset-password")
	cfg.User.ChangeEmail.Enabled = true
	cfg.User.ChangeEmail.SendChangeEmailConfirmation = mailer("change-email-confirmation")
	cfg.User.DeleteUser.Enabled = true
	cfg.User.DeleteUser.SendDeleteAccountVerification = mailer("delete-account")
	cfg.RateLimit.Enabled = new(os.Getenv("BETTER_AUTH_RATE_LIMIT") != "false")
	cfg.RateLimit.Storage = rateLimitStorage
	proxies, err := parseProxies(os.Getenv("BETTER_AUTH_TRUSTED_PROXIES"))
	if err != nil {
		return fmt.Errorf("BETTER_AUTH_TRUSTED_PROXIES: %w", err)
	}
	cfg.TrustedProxies = proxies
	if v := os.Getenv("BETTER_AUTH_COOKIE_CACHE"); v != "" {
		cc := &cfg.Session.CookieCache
		cc.Enabled, cc.Strategy = true, betterauth.CookieCacheStrategy(v)
		if age := os.Getenv("BETTER_AUTH_COOKIE_CACHE_MAX_AGE"); age != "" {
			n, err := strconv.Atoi(age)
			if err != nil || n <= 0 {
				return fmt.Errorf("BETTER_AUTH_COOKIE_CACHE_MAX_AGE %q: want a whole number of seconds, 1 or more", age)
			}
			cc.MaxAge = time.Duration(n) * time.Second
		}
	}
	if v := os.Getenv("BETTER_AUTH_MAX_FAILED_SIGN_INS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("BETTER_AUTH_MAX_FAILED_SIGN_INS %q: want a whole number, 0 or more", v)
		}
		cfg.EmailAndPassword.MaxFailedSignIns = n
	}
	auth, err := betterauth.New(cfg)
	if err != nil {
		return err
	}

	defer auth.StartCleanup(time.Hour)()

	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth.Handler())
	mux.Handle("GET /api/me", auth.RequireSession(http.HandlerFunc(me(auth))))
	mux.HandleFunc("GET /api/config", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{"twoFactor": twoFactor, "socialProviders": append([]string{}, socialProviders...)})
	})
	if twoFactor {
		mux.HandleFunc("POST /example/qr", qrCode)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(indexHTML)
	})
	srv := newServer(addr, mux)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	if dev {
		logger.Info("basic: listening on loopback only (BETTER_AUTH_SECRET is unset; set it to listen on every interface)",
			"addr", srv.Addr, "baseURL", baseURL, "trustedOrigins", strings.Join(cfg.TrustedOrigins, ","))
	} else {
		logger.Info("basic: listening", "addr", srv.Addr, "baseURL", baseURL)
	}
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
	return auth.Shutdown(shutdown)
}

// loopbackOrigins are the origins the page has when opened on this machine
// at either loopback name.
func loopbackOrigins(port string) []string {
	return []string{"http://localhost:" + port, "http://127.0.0.1:" + port}
}

// parseProxies reads comma-separated addresses (taken as /32 or /128) and
// CIDRs.
func parseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		if a.Zone() != "" {
			return nil, fmt.Errorf("%q: an address with a zone is no proxy address", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// me answers the signed-in user and session, as get-session shows them.
func me(auth *betterauth.Auth) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		sd := betterauth.SessionFromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{"user": auth.UserJSON(sd.User), "session": auth.SessionJSON(sd.Session)})
	}
}

// maxQRBody bounds the body of POST /example/qr: an otpauth URI is far
// shorter, and a QR code of this many bytes is still readable.
const maxQRBody = 1 << 10

// qrCode answers POST /example/qr: the body, an otpauth://totp/ URI as
// enable answers it, drawn as a 256×256 QR code (image/png), for the page to
// show to an authenticator app. A body that is not such a URI, or over
// maxQRBody bytes, is 400. The URI holds the TOTP secret: it is neither
// logged nor cached.
func qrCode(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxQRBody))
	if err != nil {
		http.Error(w, "the body must be an otpauth://totp/ URI of at most 1 KiB", http.StatusBadRequest)
		return
	}
	uri := strings.TrimSpace(string(body))
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") == "" {
		http.Error(w, "the body must be an otpauth://totp/ URI with a secret", http.StatusBadRequest)
		return
	}
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		http.Error(w, "the body must be an otpauth://totp/ URI with a secret", http.StatusBadRequest)
		return
	}
	img, err := key.Image(256, 256)
	if err != nil {
		http.Error(w, "cannot draw this URI as a QR code", http.StatusBadRequest)
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		http.Error(w, "cannot encode the QR code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// newServer is the HTTP server with the timeouts listed in the package
// documentation.
func newServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}
