//go:build unix

package redistest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// startTimeout bounds how long the server may take to answer PING.
	startTimeout = time.Minute
	// ownerFile, in a server directory, holds the pid of the test process that made it.
	ownerFile = "owner.pid"
	// maxSocketDir is the longest temp dir used for the server directory, so that
	// the socket path (<temp>/redistest-<n>/redis.sock) stays below the unix limit
	// of about 107 bytes.
	maxSocketDir = 70
)

// Server is a throwaway redis-server in its own directory (socket, log),
// a direct child of the test process.
type Server struct {
	dir       string
	socket    string
	bin       string
	databases int

	mu  sync.Mutex // held while starting, stopping or signalling
	run *process   // the running server, nil when stopped
}

// process is one run of redis-server.
type process struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
	waitErr error         // cmd.Wait's result, valid once exited is closed
}

// startServer creates a directory and starts a server in it.
func startServer(databases int) (_ *Server, err error) {
	bin, err := findServer()
	if err != nil {
		return nil, err
	}
	base := os.TempDir()
	if len(base) > maxSocketDir {
		base = "/tmp"
	}
	removeStale(base)
	dir, err := os.MkdirTemp(base, "redistest-")
	if err != nil {
		return nil, fmt.Errorf("create server directory: %w", err)
	}
	s := &Server{dir: dir, socket: filepath.Join(dir, "redis.sock"), bin: bin, databases: databases}
	defer func() {
		if err != nil {
			if rmErr := s.remove(); rmErr != nil {
				err = errors.Join(err, rmErr)
			}
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", ownerFile, err)
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) logPath() string { return filepath.Join(s.dir, "redis.log") }

// start runs redis-server and waits until it answers PING.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run != nil {
		return errors.New("the server is running")
	}
	logFile, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logFile.Close() // the child has its own copy

	cmd := exec.Command(s.bin,
		"--port", "0", // no TCP listener
		"--unixsocket", s.socket,
		"--unixsocketperm", "700",
		"--save", "",
		"--appendonly", "no",
		"--databases", strconv.Itoa(s.databases),
		"--dir", s.dir,
		"--daemonize", "no",
		"--logfile", "",
	)
	cmd.Dir = s.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Own process group: a Ctrl-C in the terminal reaches only the test binary; if
	// that dies without stopping the server, the kernel kills it (setParentDeathSignal).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(cmd.SysProcAttr)

	// The parent-death signal fires when the thread that started the child exits, so
	// start the server from a locked thread that lives exactly as long as it does.
	p := &process{cmd: cmd, exited: make(chan struct{})}
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	s.run = p
	if err := s.waitReady(p); err != nil {
		s.killLocked()
		return err
	}
	return nil
}

// waitReady polls the socket until the server answers PING.
func (s *Server) waitReady(p *process) error {
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.socket, MaxRetries: -1,
		DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, PoolSize: 1})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("redis-server exited during start (%v):\n%s", p.waitErr, s.logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("redis-server did not answer within %v: %w\n%s", startTimeout, lastErr, s.logTail())
}

// kill stops the server with SIGKILL, if it runs, and waits until it has exited.
func (s *Server) kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		return errors.New("the server is not running")
	}
	s.killLocked()
	return nil
}

// killLocked kills the running server and waits for it. Callers hold mu.
func (s *Server) killLocked() {
	_ = s.run.cmd.Process.Kill() // works on a paused (SIGSTOP) process too
	<-s.run.exited
	s.run = nil
}

// signalStop pauses (SIGSTOP) or resumes (SIGCONT) the running server.
func (s *Server) signalStop(pause bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		return errors.New("the server is not running")
	}
	sig := syscall.SIGCONT
	if pause {
		sig = syscall.SIGSTOP
	}
	return s.run.cmd.Process.Signal(sig)
}

// remove kills the server, if it runs, and removes its directory. When it
// returns, no process started by s is left.
func (s *Server) remove() error {
	s.mu.Lock()
	if s.run != nil {
		s.killLocked()
	}
	s.mu.Unlock()
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("remove server directory: %w", err)
	}
	return nil
}

// logTail returns the end of the server log.
func (s *Server) logTail() string {
	f, err := os.Open(s.logPath())
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 2000 {
		_, _ = f.Seek(-2000, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return strings.TrimSpace(string(b))
}

// findServer returns the redis-server to run: $REDIS_SERVER, else redis-server
// on PATH, else /usr/bin or /usr/local/bin.
func findServer() (string, error) {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("REDIS_SERVER=%s: %w", p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/local/bin/redis-server"} {
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", errors.New("redis-server not found: put it on PATH, set REDIS_SERVER to it or install Redis")
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// removeStale removes the server directories in base left by test processes that
// died without cleaning up (their servers died with them through the parent-death
// signal). Errors are ignored.
func removeStale(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, "redistest-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or still being set up
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue // in use
		}
		_ = os.RemoveAll(dir)
	}
}
