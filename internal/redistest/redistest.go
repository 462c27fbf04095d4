// Package redistest gives tests a real, throwaway Redis: the redis-server
// binary, started by the tests themselves, as internal/pgtest does for
// PostgreSQL.
//
// A test package's TestMain calls Main, which starts one server for the
// package; NewClient and NewURL hand each test an empty logical database of
// it, flushed and handed back when the test ends. A test that stops, restarts
// or pauses Redis gets a server of its own from NewServer.
//
// Servers listen only on a unix socket in a fresh temp directory (no TCP
// port), keep nothing on disk (--save "" --appendonly no), and die with the
// test process (on Linux even when it is killed: a parent-death signal).
// redis-server is found at $REDIS_SERVER, on PATH, or in /usr/bin or
// /usr/local/bin. When it is missing or does not start, tests fail if the
// environment variable CI is set, and are skipped otherwise.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// databases is how many logical databases the shared server has; database 0
// is not handed out.
const databases = 1024

// opTimeout bounds each command this package sends itself.
const opTimeout = time.Minute

// State set by Main before m.Run and only read afterwards.
var (
	mainCalled bool
	shared     *Server  // the package's server, nil if none
	sharedErr  error    // why there is no shared server
	freeDBs    chan int // logical databases of shared not in use
)

// Main is called from a test package's TestMain: os.Exit(redistest.Main(m)).
// It starts the package's server, runs the tests and stops the server, also
// when tests fail. If the server cannot be started, it records why and still
// runs the tests: NewClient and NewURL then fail or skip.
func Main(m *testing.M) int {
	mainCalled = true
	s, err := startServer(databases)
	if err != nil {
		sharedErr = err
		fmt.Fprintf(os.Stderr, "redistest: no Redis for these tests: %v\n", err)
		return m.Run()
	}
	defer func() {
		if err := s.remove(); err != nil {
			fmt.Fprintf(os.Stderr, "redistest: %v\n", err)
		}
	}()
	shared = s
	freeDBs = make(chan int, databases-1)
	for db := 1; db < databases; db++ {
		freeDBs <- db
	}
	return m.Run()
}

// NewURL returns the URL (redis.ParseURL's unix:// form, with ?db=) of an
// empty logical database of the package's server, for this test alone: it is
// flushed and handed back in t.Cleanup. It fails or skips the test when there
// is no server (see the package doc).
func NewURL(t testing.TB) string {
	t.Helper()
	return newDB(t).url()
}

// NewClient returns a client of an empty logical database of the package's
// server, for this test alone (as NewURL), closed in t.Cleanup. The client
// honours context deadlines (ContextTimeoutEnabled).
func NewClient(t testing.TB) *redis.Client {
	t.Helper()
	return newDB(t).client(t)
}

// newDB takes a free logical database of the shared server for t.
func newDB(t testing.TB) endpoint {
	t.Helper()
	if shared == nil {
		if !mainCalled {
			noServer(t, errors.New("no Redis server: TestMain must call redistest.Main"))
		}
		noServer(t, sharedErr)
	}
	var db int
	select {
	case db = <-freeDBs:
	default:
		t.Fatalf("redistest: all %d logical databases are in use", databases-1)
	}
	e := endpoint{socket: shared.socket, db: db}
	t.Cleanup(func() {
		c := redis.NewClient(e.options())
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := c.FlushDB(ctx).Err(); err != nil {
			t.Errorf("redistest: flush database %d: %v", db, err)
			return // not handed back: it may hold keys
		}
		freeDBs <- db
	})
	return e
}

// NewServer starts a Redis server for this test alone, which it may stop,
// restart and pause; it is killed and its directory removed in t.Cleanup.
// It fails or skips the test when redis-server cannot be started (see the
// package doc). It does not need Main.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s, err := startServer(16)
	if err != nil {
		noServer(t, err)
	}
	t.Cleanup(func() {
		if err := s.remove(); err != nil {
			t.Errorf("redistest: %v", err)
		}
	})
	return s
}

// Socket returns the path of the server's unix socket: its address, the
// same across Stop and Start.
func (s *Server) Socket() string { return s.socket }

// URL returns the server's URL for database 0 (redis.ParseURL's unix:// form).
func (s *Server) URL() string { return endpoint{socket: s.socket}.url() }

// Options returns client options for database 0 of the server, with
// ContextTimeoutEnabled set. Each call returns a new value.
func (s *Server) Options() *redis.Options { return endpoint{socket: s.socket}.options() }

// NewClient returns a client of database 0 of the server, closed in t.Cleanup.
func (s *Server) NewClient(t testing.TB) *redis.Client {
	t.Helper()
	return endpoint{socket: s.socket}.client(t)
}

// Stop kills the server (SIGKILL, as a crash) and waits until it has exited.
// Clients then fail to connect until Start.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.kill(); err != nil {
		t.Fatalf("redistest: stop: %v", err)
	}
}

// Start starts the server again, on the same socket, empty, and waits until
// it answers. The server must be stopped.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("redistest: start: %v", err)
	}
}

// Pause suspends the server (SIGSTOP): connections are accepted but nothing
// is answered, as a Redis that hangs. Resume undoes it; t.Cleanup kills a
// paused server as well.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.signalStop(true); err != nil {
		t.Fatalf("redistest: pause: %v", err)
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.signalStop(false); err != nil {
		t.Fatalf("redistest: resume: %v", err)
	}
}

// endpoint is a logical database of a server.
type endpoint struct {
	socket string
	db     int
}

func (e endpoint) url() string {
	u := "unix://" + e.socket
	if e.db != 0 {
		u += "?db=" + strconv.Itoa(e.db)
	}
	return u
}

func (e endpoint) options() *redis.Options {
	return &redis.Options{
		Network:               "unix",
		Addr:                  e.socket,
		DB:                    e.db,
		ContextTimeoutEnabled: true,
	}
}

func (e endpoint) client(t testing.TB) *redis.Client {
	c := redis.NewClient(e.options())
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// noServer ends a test that needs a server it cannot have: a failure under
// CI, a skip otherwise.
func noServer(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("redistest: %v", err)
	}
	t.Skipf("redistest: %v (install redis-server, or set REDIS_SERVER to its path)", err)
}
