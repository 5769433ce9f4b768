// Package redistest runs a real redis-server for tests.
//
// Tests use a real server (never an in-process fake) so that Lua scripts,
// pipelines and stream commands behave exactly as in production. If the
// binary is missing the test fails: it is never skipped.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	binary       = "redis-server"
	startTimeout = 10 * time.Second
	startTries   = 3
)

// Server is a redis-server process on a fixed loopback port. Stop and
// Restart simulate an outage: the server comes back on the same address
// (with an empty data set, as nothing is persisted).
type Server struct {
	tb    testing.TB
	path  string
	dir   string
	port  int
	extra []string // further redis-server arguments

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts a redis-server on a free loopback port, waits until it
// answers PING and stops it in tb.Cleanup. It returns "127.0.0.1:PORT".
func Start(tb testing.TB) string {
	tb.Helper()
	return StartServer(tb).Addr()
}

// StartServer is Start returning the Server, for tests that stop and
// restart it.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	return startServer(tb)
}

// StartCluster starts a one-node Redis Cluster owning all slots and returns
// its address, for tests with redis.ClusterClient: the server then refuses
// scripts and multi-key commands whose keys are not in one slot (CROSSSLOT).
// It takes about two seconds, as a new Cluster node waits before it serves.
func StartCluster(tb testing.TB) string {
	tb.Helper()
	s := startServer(tb, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	if _, err := command(s.Addr(), "CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil {
		tb.Fatalf("redistest: assign cluster slots: %v", err)
	}
	deadline := time.Now().Add(startTimeout)
	for {
		info, err := command(s.Addr(), "CLUSTER", "INFO")
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return s.Addr()
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: cluster not ready: %q, %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startServer(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	path, err := exec.LookPath(binary)
	if err != nil {
		tb.Fatalf("redis-server not found in PATH: install it (apt-get install redis-server)")
	}
	s := &Server{tb: tb, path: path, dir: tb.TempDir(), extra: extra}
	tb.Cleanup(s.Stop)
	var lastErr error
	for range startTries { // a free port can be taken between probe and bind
		s.port, err = freePort()
		if err != nil {
			tb.Fatalf("redistest: find a free port: %v", err)
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	tb.Fatalf("redistest: start redis-server: %v", lastErr)
	return nil
}

// Addr is the server's "host:port".
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Stop kills the server and waits for it to exit. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.done = nil, nil
}

// Restart starts the server again on the same port (stopping it first if it
// is running) and waits until it answers PING.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	var err error
	for range startTries { // the old socket may linger briefly
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.tb.Fatalf("redistest: restart redis-server on %s: %v", s.Addr(), err)
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logFile := filepath.Join(s.dir, "redis.log")
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--logfile", logFile,
	}
	cmd := exec.Command(s.path, append(args, s.extra...)...)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()

	deadline := time.Now().Add(startTimeout)
	for {
		if ping(s.Addr()) == nil {
			s.cmd, s.done = cmd, done
			return nil
		}
		select {
		case <-done:
			return errors.New("redis-server exited: " + tail(logFile))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return errors.New("redis-server did not answer PING within " + startTimeout.String() + ": " + tail(logFile))
		}
	}
}

func ping(addr string) error {
	reply, err := command(addr, "PING")
	if err == nil && reply != "PONG" {
		err = errors.New("unexpected reply " + strconv.Quote(reply))
	}
	return err
}

// command sends one command over a fresh connection and returns a simple
// or bulk string reply.
func command(addr string, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	var req strings.Builder
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(req.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "+"):
		return line[1:], nil
	case strings.HasPrefix(line, "$"):
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", errors.New("bad bulk reply " + strconv.Quote(line))
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	default:
		return "", errors.New("reply " + strconv.Quote(line))
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last lines of the server log, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
