// Package betterauth is an embeddable authentication library for Go that
// mirrors Better Auth (the TypeScript framework): its four tables (user,
// session, account, verification), its formats and its HTTP API, on
// PostgreSQL through pgx.
//
// The pieces:
//   - Schema describes the physical layout (table and column names,
//     additional fields, id mode) and resolves to a Layout;
//   - Store is what the library needs from a database; store/pgstore
//     implements it on a *pgxpool.Pool and store/memstore in memory;
//   - migrations creates or completes the tables;
//   - Auth ties a Store and its configuration together.
package betterauth

import (
	"errors"
	"fmt"
	"log/slog"
)

// Config configures an Auth. The zero value of every field but Store is a
// working default.
type Config struct {
	// Store is the database. Required.
	Store Store
	// Schema is the physical layout of the tables; the zero value is Better
	// Auth 1.7.25's own. It must be the one Store was built with.
	Schema Schema
	// Logger receives the library's logs; default slog.Default().
	Logger *slog.Logger
}

// Auth is the library's entry point. It is safe for concurrent use.
type Auth struct {
	store  Store
	layout *Layout
	logger *slog.Logger
}

// New checks cfg and returns an Auth. It never touches the database: run
// the migrations (package migrations) before serving requests.
func New(cfg Config) (*Auth, error) {
	if cfg.Store == nil {
		return nil, errors.New("betterauth: Config.Store is required")
	}
	layout, err := cfg.Schema.Layout()
	if err != nil {
		return nil, fmt.Errorf("betterauth: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Auth{store: cfg.Store, layout: layout, logger: logger}, nil
}

// Store returns the store the Auth was configured with.
func (a *Auth) Store() Store { return a.store }

// Layout returns the resolved schema.
func (a *Auth) Layout() *Layout { return a.layout }
