// Package betterauth is an embeddable authentication library for Go that
// mirrors Better Auth (the TypeScript framework): its four tables (user,
// session, account, verification), its password and cookie formats and its
// HTTP API, on PostgreSQL through pgx.
//
// The heart of a program (README.md's Quick start has it whole, imports
// included):
//
//	ctx := context.Background()
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	if err := migrations.Up(ctx, pool, schema.Schema{}); err != nil {
//		log.Fatal(err)
//	}
//	store, err := pgstore.New(pool, schema.Schema{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	auth, err := betterauth.New(betterauth.Config{Store: store, BaseURL: "http://localhost:8080"})
//	if err != nil {
//		log.Fatal(err) // e.g. no secret: set BETTER_AUTH_SECRET
//	}
//	mux := http.NewServeMux()
//	mux.Handle("/api/auth/", auth.Handler())
//	mux.Handle("GET /api/me", auth.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		fmt.Fprintf(w, "hello %s", betterauth.SessionFromContext(r.Context()).User.Name)
//	})))
//	log.Fatal(http.ListenAndServe("localhost:8080", mux))
//
// The pieces: package schema describes the physical layout (a schema.Schema
// resolves to a schema.Layout); Store is what the library needs from a database (store/pgstore on
// PostgreSQL, store/memstore in memory); package migrations creates or
// completes the tables; Auth holds the rules (SignUpEmail, SignInEmail,
// GetSession, ...) that its Handler exposes over HTTP and Go code can call
// directly.
package betterauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/secondary"
)

// DefaultSecret is the secret Better Auth falls back to in development. New
// refuses it unless Config.Development is set.
const DefaultSecret = "better-auth-secret-12345678901234567890"

// SessionConfig configures sessions. Zero fields take Better Auth's defaults.
type SessionConfig struct {
	// ExpiresIn is a session's lifetime; default 7 days.
	ExpiresIn time.Duration
	// UpdateAge is how often the expiry slides forward while the session is
	// used; default 1 day. A session is refreshed when ExpiresIn-UpdateAge
	// or less of it is left.
	UpdateAge time.Duration
	// FreshAge is how long after sign-in a session counts as fresh (needed by
	// list-sessions and delete-user without password); default 1 day.
	// Negative disables the freshness check.
	FreshAge time.Duration
	// DisableSessionRefresh stops sliding expiry altogether.
	DisableSessionRefresh bool
	// AbsoluteLifetime caps a session's life from sign-in however often it
	// slides (OWASP ASVS 7.3.2); 0, Better Auth's behaviour, means no cap.
	AbsoluteLifetime time.Duration
	// StoreTokenHashed keeps base64url(SHA-256(token)) in session.token
	// instead of the token, so a copy of the table holds no usable session.
	// The cookie format is unchanged, but a Better Auth server sharing the
	// database can no longer read these sessions (nor we its), and
	// list-sessions shows the hashed values (revoke-session takes either).
	StoreTokenHashed bool
	// StoreSessionInDatabase keeps sessions in the store too when
	// Config.SecondaryStorage is set (Better Auth's
	// session.storeSessionInDatabase): the row and the secondary copy share
	// id and expiry, list-sessions reads the rows, and a session missing
	// from secondary storage is read from its row. Without it, sessions live
	// in secondary storage only.
	StoreSessionInDatabase bool
	// CookieCache keeps a signed copy of the session and user in the
	// session_data cookie that get-session answers from without a store
	// read (Better Auth's session.cookieCache); off by default.
	CookieCache CookieCacheConfig
}

// EmailAndPasswordConfig configures email and password sign-in.
type EmailAndPasswordConfig struct {
	// Disabled turns email and password sign-up and sign-in off.
	Disabled bool
	// DisableSignUp refuses new sign-ups (sign-in still works).
	DisableSignUp bool
	// MinPasswordLength and MaxPasswordLength bound passwords, measured in
	// UTF-16 code units as Better Auth does; defaults 8 and 128.
	MinPasswordLength int
	MaxPasswordLength int
	// PasswordCheckers vet every new password (sign-up, change-password,
	// reset-password) after the length checks, in order; the first refusal
	// is the answer. None by default. See package passwordcheck for Better
	// Auth's haveIBeenPwned check and a strength estimate.
	PasswordCheckers []PasswordChecker
	// PasswordCheckFailOpen accepts a password when a checker cannot make
	// its check (its service is down); the failure is logged. By default,
	// as in Better Auth, the request fails instead (503).
	PasswordCheckFailOpen bool
	// DisableAutoSignIn makes sign-up create no session (Better Auth's
	// autoSignIn: false); sign-up of an existing email then answers like a
	// success, so it cannot be used to find accounts.
	DisableAutoSignIn bool
	// RequireEmailVerification refuses sign-in (403 EMAIL_NOT_VERIFIED) until
	// the email is verified, and makes sign-up create no session and answer
	// an existing email like a new one.
	RequireEmailVerification bool
	// SendResetPassword mails a password-reset link; without it
	// POST /request-password-reset answers 400 RESET_PASSWORD_DISABLED.
	SendResetPassword SendEmailFunc
	// ResetPasswordTokenExpiresIn is a reset link's lifetime; default 1 hour.
	ResetPasswordTokenExpiresIn time.Duration
	// RevokeSessionsOnPasswordReset: a password reset signs the user out
	// everywhere. Nil means true, unlike Better Auth (whose
	// revokeSessionsOnPasswordReset is off by default): whoever forced the
	// reset may hold a session. Point it at false (new(bool)) to keep
	// sessions.
	RevokeSessionsOnPasswordReset *bool
	// MaxFailedSignIns caps the wrong passwords an account takes within
	// FailedSignInWindow, whatever address they come from (NIST SP 800-63B):
	// at sign-in, and at verify-password, change-password and delete-user.
	// Each attempt is counted before its password is checked, atomically, so
	// parallel attempts get at most this many checks; past the cap the
	// account is locked: every attempt, even with the right password, is
	// refused with the endpoint's ordinary wrong-password answer (401 at
	// sign-in), after the time a check takes, so the lock reveals nothing.
	// A right password before the cap, or a password reset, clears the
	// count. 0, Better Auth's behaviour, means no cap.
	MaxFailedSignIns int
	// FailedSignInWindow is how long a count lives, from the first wrong
	// password (a lock ends with it; attempts during the lock do not extend
	// it); default 15 minutes.
	FailedSignInWindow time.Duration
}

// EmailVerificationConfig configures email verification, as Better Auth's
// emailVerification options do.
type EmailVerificationConfig struct {
	// SendVerificationEmail mails a verification link; without it
	// POST /send-verification-email answers 400 VERIFICATION_EMAIL_NOT_ENABLED.
	SendVerificationEmail SendEmailFunc
	// SendOnSignUp mails the link after sign-up. RequireEmailVerification
	// implies it.
	SendOnSignUp bool
	// SendOnSignIn mails a new link when an unverified user tries to sign in
	// under RequireEmailVerification.
	SendOnSignIn bool
	// AutoSignInAfterVerification signs the user in when the link is followed.
	AutoSignInAfterVerification bool
	// ExpiresIn is a link's lifetime; default 1 hour.
	ExpiresIn time.Duration
}

// ChangeEmailConfig configures POST /change-email.
type ChangeEmailConfig struct {
	// Enabled turns the endpoint on (400 CHANGE_EMAIL_DISABLED otherwise).
	Enabled bool
	// UpdateEmailWithoutVerification lets an unverified user change the
	// address at once (a verification link then goes to the new address).
	UpdateEmailWithoutVerification bool
	// SendChangeEmailConfirmation, for verified users, first mails a
	// confirmation link to the old address; following it mails a
	// verification link to the new one.
	SendChangeEmailConfirmation SendEmailFunc
}

// DeleteUserConfig configures POST /delete-user.
type DeleteUserConfig struct {
	// Enabled turns the endpoint on; off, it answers 404, as in Better Auth.
	Enabled bool
	// SendDeleteAccountVerification mails a confirmation link instead of
	// deleting at once; following it (GET /delete-user/callback) deletes.
	SendDeleteAccountVerification SendEmailFunc
	// DeleteTokenExpiresIn is the link's lifetime; default 1 day.
	DeleteTokenExpiresIn time.Duration
}

// UserConfig configures changes to users.
type UserConfig struct {
	ChangeEmail ChangeEmailConfig
	DeleteUser  DeleteUserConfig
}

// VerificationConfig configures the verification table.
type VerificationConfig struct {
	// StoreIdentifierHashed stores base64url(SHA-256(identifier)) instead of
	// the identifier (Better Auth's storeIdentifier: "hashed"), so a copy of
	// the table holds no usable reset or delete token. Lookups also try the
	// plain form, so rows written before the switch keep working.
	StoreIdentifierHashed bool
	// StoreInDatabase keeps verification values in the store too when
	// Config.SecondaryStorage is set (Better Auth's
	// verification.storeInDatabase). Without it they live in secondary
	// storage only, under "verification:<identifier>".
	StoreInDatabase bool
}

// CookieConfig configures cookies.
type CookieConfig struct {
	// Prefix starts every cookie name; default "better-auth", giving
	// "better-auth.session_token".
	Prefix string
	// Secure forces (true) or forbids (false) the Secure attribute and the
	// "__Secure-" name prefix. Nil: on when BaseURL is https, as in Better Auth.
	Secure *bool
	// Domain sets the Domain attribute (for cookies shared across
	// subdomains); default none.
	Domain string
	// SameSite is "Lax" (default), "Strict" or "None" (which needs Secure).
	SameSite string
}

// Config configures an Auth. Every field but Store, Secret and BaseURL has
// a working default, equal to Better Auth's; Secret and BaseURL default to
// $BETTER_AUTH_SECRET and $BETTER_AUTH_URL.
type Config struct {
	// Store is the database. Required.
	Store Store
	// Schema is the physical layout of the tables. Leave it unset: New takes
	// it from a Store that reports its layout (a LayoutStore, as memstore
	// and pgstore are), and refuses a Schema that differs from the store's.
	// For other stores it must be the one the store was built with; the zero
	// value is Better Auth 1.7.25's own layout.
	Schema schema.Schema
	// Secret signs cookies and tokens. Default: $BETTER_AUTH_SECRET, then
	// $AUTH_SECRET. New refuses an empty secret, and DefaultSecret unless
	// Development is set. Share it with a Better Auth server to share sessions.
	Secret string
	// BaseURL is where the app is served, e.g. "https://app.example.com" or
	// "http://localhost:8080"; default $BETTER_AUTH_URL. Required: New
	// refuses to start without it (Better Auth guesses it from each request's
	// Host header, which the client controls). Its origin is trusted, and an
	// https BaseURL turns secure cookies on.
	BaseURL string
	// BasePath is where Handler is mounted; default "/api/auth".
	BasePath string
	// TrustedOrigins are origins (or patterns with * and ?, e.g.
	// "https://*.example.com") allowed to send credentialed requests and to
	// be redirected to; $BETTER_AUTH_TRUSTED_ORIGINS (comma separated) adds more.
	// A pattern without a scheme ("*.example.com") matches http and https
	// URLs only; a custom scheme ("myapp://") admits deep links into an app.
	// New refuses an entry it cannot read.
	TrustedOrigins []string
	// Session configures sessions.
	Session SessionConfig
	// SecondaryStorage is Better Auth's secondaryStorage: a key-value store
	// shared by every replica (Redis with secondary/redis) where sessions
	// and verification values live, as Better Auth keeps them there (the
	// same keys and JSON, so a Better Auth server on the same Redis shares
	// them), and where rate limits are counted by default. Nil: everything
	// lives in Store. When it fails, requests that need it answer 503.
	SecondaryStorage secondary.Storage
	// EmailAndPassword configures email and password sign-in.
	EmailAndPassword EmailAndPasswordConfig
	// Cookies configures cookie names and attributes.
	Cookies CookieConfig
	// RateLimit configures per-client rate limits and the per-address mail
	// limit (on unless Development; see RateLimitConfig.Enabled).
	RateLimit RateLimitConfig
	// TrustedProxies are your reverse proxies' addresses or networks
	// (Better Auth's advanced.ipAddress.trustedProxies). A request whose
	// socket peer is one of them is taken to come from the address in
	// X-Forwarded-For, walked from the right past the trusted hops, as
	// Better Auth resolves it; any other request from its socket peer, so a
	// client cannot choose its own address for session.ipAddress or the
	// rate limits. List the proxies themselves, not a private range that
	// also holds clients.
	TrustedProxies []netip.Prefix
	// EmailVerification configures email verification.
	EmailVerification EmailVerificationConfig
	// User configures changing the email and deleting users.
	User UserConfig
	// Verification configures the verification table.
	Verification VerificationConfig
	// MailTimeout bounds each call of a Send* callback; default 10 s. Mail
	// is sent after the transaction commits, and where the answer must not
	// reveal whether an account exists, in the background.
	MailTimeout time.Duration
	// DisableCSRFCheck turns off the Origin checks on requests that carry
	// cookies; only for non-browser clients.
	DisableCSRFCheck bool
	// PasswordHasher hashes passwords; default Better Auth's scrypt format
	// with at most max(2, GOMAXPROCS) hashes at once. Package argon2id has
	// a hardened one that gives up interoperability.
	PasswordHasher PasswordHasher
	// RequestTimeout bounds each request the Handler and the middleware
	// serve, database included; default 10 s. A hung database then answers
	// 503 within it instead of holding requests open.
	RequestTimeout time.Duration
	// Development allows DefaultSecret and turns rate limiting off unless
	// RateLimit.Enabled says otherwise (for local runs only).
	Development bool
	// Now is the clock; default time.Now. Tests inject a fake one.
	Now func() time.Time
	// Plugins extend the Auth, in this order: routes, hooks, set-up (see
	// Plugin). New refuses nil plugins, duplicate ids and route clashes.
	Plugins []Plugin
	// Hooks are Better Auth's databaseHooks and the sign-in hooks as plain
	// functions; they run after the plugins' hooks of the same kind.
	Hooks Hooks
	// Logger receives the library's logs; default slog.Default().
	Logger *slog.Logger
	// AuditLogger receives the audit records (sign-ups, sign-ins and their
	// failures, sign-outs, password and email changes, lockouts, rate-limit
	// hits, refused origins and redirect targets), named with the OWASP
	// logging vocabulary (see EventLoginSuccess and the others); default
	// Logger. Give it its own handler to route them elsewhere.
	AuditLogger *slog.Logger
}

// Auth is the library's entry point: the rules of sign-up, sign-in and
// sessions, and the HTTP handler that exposes them. Safe for concurrent use.
type Auth struct {
	cfg    Config
	store  Store
	layout *schema.Layout
	logger *slog.Logger
	// auditLogger receives audit records (audit.go).
	auditLogger *slog.Logger
	hasher      PasswordHasher
	now         func() time.Time
	secret      string
	baseURL     *url.URL
	basePath    string
	origins     []originPattern
	cookies     cookieSet
	// cache is the cookie cache; nil when it is off.
	cache   *cookieCache
	limiter RateLimitStorage // nil when rate limiting is off
	// mailLimiter counts mails per recipient; nil when that limit is off.
	mailLimiter RateLimitStorage
	// routes are the mounted endpoints, core first; mux serves them.
	routes []*mounted
	mux    *http.ServeMux
	// hooks are the plugins' hook capabilities and Config.Hooks.
	hooks hooks
	// bg tracks mail sent in the background; Shutdown waits for it.
	bg sync.WaitGroup
	// stopCleanup stops the cleanup loop started by StartCleanup.
	cleanupMu   sync.Mutex
	stopCleanup func()
}

// New checks cfg, fills in defaults and returns an Auth. It never touches
// the database: run the migrations (package migrations) before serving.
func New(cfg Config) (*Auth, error) {
	if cfg.Store == nil {
		return nil, errors.New("betterauth: Config.Store is required")
	}
	exts := PluginSchemas(cfg.Plugins...)
	layoutExts := exts
	if cfg.RateLimit.Storage == RateLimitStorageDatabase {
		// The store was built with the rateLimit table after the plugins'.
		layoutExts = append(slices.Clone(exts), RateLimitSchema())
	}
	layout, err := cfg.Schema.Layout(layoutExts...)
	if err != nil {
		return nil, fmt.Errorf("betterauth: %w", err)
	}
	if ls, ok := cfg.Store.(LayoutStore); ok && ls.Layout() != nil {
		stored := ls.Layout()
		if reflect.ValueOf(cfg.Schema).IsZero() {
			layout = stored
		} else if d := layoutDiff(stored, layout); d != "" {
			return nil, fmt.Errorf("betterauth: %w: Config.Schema differs from the schema the store was built with (%s); leave Config.Schema unset to use the store's", schema.ErrInvalidSchema, d)
		}
	}
	if err := checkPluginSchemas(cfg.Store, layout, exts); err != nil {
		return nil, err
	}
	envOrigins := cfg.readEnv()
	switch {
	case cfg.Secret == "":
		return nil, errors.New("betterauth: no secret: set Config.Secret or BETTER_AUTH_SECRET (at least 32 random characters)")
	case cfg.Secret == DefaultSecret && !cfg.Development:
		return nil, errors.New("betterauth: the secret is Better Auth's published default; set a real one (Config.Development allows it for local runs)")
	}
	if cfg.BaseURL == "" {
		return nil, errors.New("betterauth: no base URL: set Config.BaseURL or BETTER_AUTH_URL to the URL the app is served at (e.g. http://localhost:8080); its origin is the one trusted to send requests with cookies")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("betterauth: BaseURL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.BasePath == "" {
		cfg.BasePath = "/api/auth"
	}
	if !strings.HasPrefix(cfg.BasePath, "/") {
		return nil, fmt.Errorf("betterauth: BasePath %q must start with /", cfg.BasePath)
	}
	cfg.BasePath = strings.TrimRight(cfg.BasePath, "/")
	if err := cfg.Session.withDefaults(); err != nil {
		return nil, err
	}
	if err := cfg.EmailAndPassword.withDefaults(); err != nil {
		return nil, err
	}
	cfg.EmailVerification.withDefaults()
	cfg.User.DeleteUser.withDefaults()
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.MailTimeout == 0 {
		cfg.MailTimeout = 10 * time.Second
	}
	secure, err := cfg.Cookies.withDefaults(base)
	if err != nil {
		return nil, err
	}
	var origins []originPattern
	for _, o := range append(append([]string{base.Scheme + "://" + base.Host}, cfg.TrustedOrigins...), envOrigins...) {
		p, err := parseOriginPattern(o)
		if err != nil {
			return nil, fmt.Errorf("betterauth: %w", err)
		}
		origins = append(origins, p)
	}
	if cfg.TrustedProxies, err = normalPrefixes(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	rl := &cfg.RateLimit
	rl.withDefaults(cfg.SecondaryStorage != nil)
	if cfg.PasswordHasher == nil {
		cfg.PasswordHasher = NewScryptHasher(0)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.AuditLogger == nil {
		cfg.AuditLogger = cfg.Logger
	}
	a := &Auth{
		cfg: cfg, store: cfg.Store, layout: layout, logger: cfg.Logger, auditLogger: cfg.AuditLogger, hasher: cfg.PasswordHasher,
		now: cfg.Now, secret: cfg.Secret, baseURL: base, basePath: cfg.BasePath, origins: origins,
	}
	a.cookies = newCookieSet(cfg.Cookies, secure)
	if cfg.Session.CookieCache.Enabled {
		if a.cache, err = newCookieCache(cfg.Session.CookieCache, cfg.Secret, cfg.BaseURL); err != nil {
			return nil, err
		}
	}
	if cfg.SecondaryStorage != nil {
		a.store = newSecondaryStore(a, cfg.Store, cfg.SecondaryStorage)
	}
	a.cfg.Plugins = slices.Clone(cfg.Plugins)
	if err := a.setupPlugins(); err != nil {
		return nil, err
	}
	limits := !cfg.Development
	if rl.Enabled != nil {
		limits = *rl.Enabled
	}
	if limits {
		if a.limiter, err = a.newRateStorage(cfg.Store); err != nil {
			return nil, err
		}
		if rl.MailPerAddress.Max > 0 {
			a.mailLimiter = a.limiter
			if _, inMemory := a.limiter.(memoryRateStorage); inMemory {
				a.mailLimiter = memoryRateStorage{newRateLimiter(cfg.Now, maxRateKeys)}
			}
		}
	}
	if err := a.initPlugins(); err != nil {
		return nil, err
	}
	if err := a.findCookieCacheSigner(); err != nil {
		return nil, err
	}
	return a, nil
}

// LayoutStore is a Store that reports the layout it was built with, as
// memstore and pgstore do. New takes Config.Schema from it, so the two
// cannot differ.
type LayoutStore interface {
	Store
	// Layout returns the resolved schema the store was built with.
	Layout() *schema.Layout
}

// layoutDiff names the first difference between the store's layout and
// the configured one, or returns "" when they are the same.
func layoutDiff(store, cfg *schema.Layout) string {
	if reflect.DeepEqual(store, cfg) {
		return ""
	}
	switch {
	case store.IDMode != cfg.IDMode:
		return fmt.Sprintf("store IDMode %q, Config.Schema IDMode %q", store.IDMode, cfg.IDMode)
	case store.TimestampType != cfg.TimestampType:
		return fmt.Sprintf("store timestamps %s, Config.Schema timestamps %s", store.TimestampType, cfg.TimestampType)
	case store.MigrationsTable != cfg.MigrationsTable:
		return fmt.Sprintf("store migrations table %q, Config.Schema %q", store.MigrationsTable, cfg.MigrationsTable)
	}
	ct := cfg.Tables()
	if len(ct) != len(store.Tables()) {
		return fmt.Sprintf("the store has %d tables (with those of schema extensions), Config.Schema %d", len(store.Tables()), len(ct))
	}
	for i, st := range store.Tables() {
		c := ct[i]
		if st.Name != c.Name {
			return fmt.Sprintf("model %s: store table %q, Config.Schema table %q", st.Model, st.Name, c.Name)
		}
		for _, col := range st.Columns {
			if _, ok := c.Column(col.Field); !ok {
				return fmt.Sprintf("table %q: the store has field %s, Config.Schema does not", st.Name, col.Field)
			}
		}
		for _, col := range c.Columns {
			if _, ok := st.Column(col.Field); !ok {
				return fmt.Sprintf("table %q: Config.Schema has field %s, the store does not", st.Name, col.Field)
			}
		}
		if !reflect.DeepEqual(st, c) {
			return fmt.Sprintf("table %q: column names or field options differ", st.Name)
		}
	}
	return "the layouts differ"
}

// Store returns the store the Auth was configured with.
func (a *Auth) Store() Store { return a.store }

// Layout returns the resolved schema.
func (a *Auth) Layout() *schema.Layout { return a.layout }

// Now reads the Auth's clock (Config.Now) as the library stamps rows: UTC,
// truncated to milliseconds as Better Auth's JavaScript dates are. Plugins
// use it so that a test's fake clock drives them too.
func (a *Auth) Now() time.Time { return a.clock() }

// BaseURL returns Config.BaseURL as it was configured (Better Auth's
// options.baseURL, which its plugins use as the default JWT issuer).
func (a *Auth) BaseURL() string { return a.cfg.BaseURL }

// Logger returns the logger the Auth writes to (Config.Logger).
func (a *Auth) Logger() *slog.Logger { return a.logger }

// clock returns the current time in UTC, truncated to milliseconds as
// Better Auth's JavaScript dates are.
func (a *Auth) clock() time.Time { return a.now().UTC().Truncate(time.Millisecond) }

// unavailable wraps a store failure so that it is told apart from "not
// found": the HTTP layer answers 503.
func unavailable(op string, err error) error {
	if errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}
