//go:build unix

package pgtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// port only names the socket file (.s.PGSQL.<port>): the cluster has no TCP listener.
	port = 5432
	// superuser is the cluster's superuser role, whatever the OS user running it.
	superuser = "postgres"
	// startTimeout bounds how long the server may take to accept connections.
	startTimeout = time.Minute
	// ownerFile, in a cluster directory, holds the pid of the test process that made it.
	ownerFile = "owner.pid"
	// maxSocketDir is the longest temp dir used for the cluster directory, so that the socket
	// path (<temp>/pgtest-<n>/.s.PGSQL.5432) stays below the unix limit of about 107 bytes.
	maxSocketDir = 70
)

// cluster is a throwaway PostgreSQL cluster in dir: data directory dir/data, socket and
// server log in dir. Its server is a direct child of this process.
type cluster struct {
	dir  string
	bin  string
	cred *syscall.Credential // nil: run as the current user

	cmd     *exec.Cmd     // the running postgres
	exited  chan struct{} // closed when cmd has been waited for
	waitErr error         // cmd.Wait's result, valid once exited is closed
}

// startCluster creates, starts and waits for a throwaway cluster.
func startCluster() (_ *cluster, err error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	base := tempBase(cred != nil)
	removeStale(base)
	dir, err := os.MkdirTemp(base, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	c := &cluster{dir: dir, bin: bin, cred: cred}
	defer func() {
		if err != nil {
			if stopErr := c.stop(); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", ownerFile, err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("hand cluster directory to uid %d: %w", cred.Uid, err)
		}
	}
	if err := c.initdb(); err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cluster) dataDir() string { return filepath.Join(c.dir, "data") }
func (c *cluster) logPath() string { return filepath.Join(c.dir, "postgres.log") }

// url returns a connection URL for database db over the cluster's unix socket. The port is
// explicit so that a PGPORT in the environment cannot pick another socket.
func (c *cluster) url(db string) string {
	q := url.Values{"host": {c.dir}, "port": {strconv.Itoa(port)}, "sslmode": {"disable"}}
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Path: "/" + db, RawQuery: q.Encode()}
	return u.String()
}

// command prepares one of the cluster's programs to run as the cluster's OS user.
func (c *cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir // the unprivileged user may not be able to enter the current directory
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

func (c *cluster) initdb() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := c.command(ctx, "initdb", "-D", c.dataDir(), "-U", superuser, "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, tail(out))
	}
	return nil
}

// start runs postgres and waits until it accepts connections.
func (c *cluster) start() error {
	logFile, err := os.Create(c.logPath())
	if err != nil {
		return fmt.Errorf("create server log: %w", err)
	}
	defer logFile.Close() // the child has its own copy

	cmd := c.command(context.Background(), "postgres", "-D", c.dataDir(), "-p", strconv.Itoa(port),
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories="+c.dir,
		"-c", "fsync=off",
		"-c", "full_page_writes=off",
		"-c", "synchronous_commit=off",
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Own process group: a Ctrl-C in the terminal reaches only the test binary; if that dies
	// without stopping the cluster, the kernel kills the server (see setParentDeathSignal).
	cmd.SysProcAttr.Setpgid = true
	setParentDeathSignal(cmd.SysProcAttr)

	// The parent-death signal fires when the thread that started the child exits, so start
	// the server from a locked thread that lives exactly as long as the server does.
	c.exited = make(chan struct{})
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		c.exited = nil
		return fmt.Errorf("start postgres: %w", err)
	}
	c.cmd = cmd
	return c.waitReady()
}

// waitReady polls the socket until the server accepts a connection.
func (c *cluster) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	connString := c.url("postgres")
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during start (%v):\n%s", c.waitErr, c.logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgconn.Connect(ctx, connString)
		if err == nil {
			err = conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("postgres did not accept connections within %v: %w\n%s", startTimeout, lastErr, c.logTail())
}

// stop stops the server, if one runs, and removes the cluster directory. When it returns,
// no server process started by c is left.
func (c *cluster) stop() error {
	var errs []error
	if c.cmd != nil {
		errs = append(errs, c.shutdown())
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove cluster directory: %w", err))
	}
	return errors.Join(errs...)
}

// shutdown stops the server with pg_ctl stop -m immediate and waits until it has exited.
// If pg_ctl fails, it signals the server itself: SIGQUIT (what pg_ctl sends), then SIGKILL.
// The server's own children end with it: an immediate shutdown waits for them, and after a
// SIGKILL they exit on noticing the server is gone.
func (c *cluster) shutdown() error {
	select {
	case <-c.exited: // it died by itself
		c.cmd = nil
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := c.command(ctx, "pg_ctl", "stop", "-D", c.dataDir(), "-m", "immediate", "-w", "-t", "30")
	out, err := cmd.CombinedOutput()
	var stopErr error
	if err != nil {
		stopErr = fmt.Errorf("pg_ctl stop: %w\n%s", err, tail(out))
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
	}
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	c.cmd = nil
	return stopErr
}

// logTail returns the end of the server log.
func (c *cluster) logTail() string {
	f, err := os.Open(c.logPath())
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 4096 {
		_, _ = f.Seek(-4096, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return tail(b)
}

// removeStale removes the cluster directories in base that were left by test processes that
// died without returning from Main (a panic, a test timeout, a kill): both the process named
// in the owner file and the server named in postmaster.pid are gone. Errors are ignored.
func removeStale(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, "pgtest-*"))
	for _, dir := range dirs {
		owner, ok := readPid(filepath.Join(dir, ownerFile))
		if !ok || alive(owner) {
			continue // not ours, still being set up, or in use
		}
		if server, ok := readPid(filepath.Join(dir, "data", "postmaster.pid")); ok && alive(server) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

// readPid reads the pid on the first line of a file.
func readPid(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	return pid, err == nil && pid > 0
}

// alive reports whether a process with this pid exists (a zombie counts).
func alive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// findBinDir returns the directory with initdb, pg_ctl and postgres: $PG_BIN if set, else
// initdb's directory on PATH (symlinks resolved), else the newest /usr/lib/postgresql/*/bin.
func findBinDir() (string, error) {
	if dir := os.Getenv("PG_BIN"); dir != "" {
		if err := hasBinaries(dir); err != nil {
			return "", fmt.Errorf("PG_BIN=%s: %w", dir, err)
		}
		return dir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && hasBinaries(filepath.Dir(real)) == nil {
			return filepath.Dir(real), nil
		}
		if hasBinaries(filepath.Dir(p)) == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { // newest first
		return -compareVersions(filepath.Base(filepath.Dir(a)), filepath.Base(filepath.Dir(b)))
	})
	for _, dir := range dirs {
		if hasBinaries(dir) == nil {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: " +
		"set PG_BIN to their directory, put them on PATH or install PostgreSQL")
}

// hasBinaries reports whether dir holds the programs a cluster needs.
func hasBinaries(dir string) error {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("%s: not an executable file", filepath.Join(dir, name))
		}
	}
	return nil
}

// compareVersions compares dotted version numbers such as "9.6" and "15".
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// credential returns the unprivileged user to run the cluster as when running as root
// (initdb and postgres refuse root): postgres, else nobody. It returns nil otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var errs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
		}
		gid, err := strconv.ParseUint(u.Gid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("running as root, but no unprivileged user to run PostgreSQL as: %w", errors.Join(errs...))
}

// tempBase returns the directory to create the cluster directory in: the usual temp dir,
// or /tmp if that path is too long for a unix socket or, when the cluster runs as another
// user, not searchable by everyone.
func tempBase(otherUser bool) string {
	base := os.TempDir()
	if len(base) > maxSocketDir || (otherUser && !searchable(base)) {
		return "/tmp"
	}
	return base
}

// searchable reports whether every directory on dir's path may be entered by anyone.
func searchable(dir string) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// childEnv is this process's environment without the PG* variables, which would
// otherwise change what initdb, postgres and pg_ctl do.
func childEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "PG")
	})
}

// tail returns at most the last 2000 bytes of b, trimmed.
func tail(b []byte) string {
	const limit = 2000
	if len(b) > limit {
		b = b[len(b)-limit:]
	}
	return strings.TrimSpace(string(b))
}
