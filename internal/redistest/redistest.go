// Package redistest runs a real redis-server for tests: single servers,
// replicas, a master with replicas under three sentinels (redis-server
// --sentinel), and Clusters joined by redis-cli --cluster create.
//
// Tests use real servers (never an in-process fake) so that Lua scripts,
// pipelines, stream commands and failovers behave exactly as in production.
// If a binary is missing the test fails: it is never skipped (the CI
// installs redis-server and redis-tools with scripts/setup.sh).
package redistest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	binary       = "redis-server"
	startTimeout = 10 * time.Second
	startTries   = 3
)

// Server is a redis-server process on a fixed loopback port. Stop (kill -9)
// and Restart simulate an outage: the server comes back on the same address
// and in the same directory, with an empty data set unless it was started
// by StartPersistent.
type Server struct {
	tb    testing.TB
	path  string
	dir   string
	port  int
	conf  string   // config file given first (sentinels rewrite theirs), or ""
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
// restart it; extra are further redis-server arguments.
func StartServer(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	return startServer(tb, extra...)
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

// StartPersistent is StartServer with every write appended to the AOF
// and fsynced before the reply (appendonly yes, appendfsync always), so
// that after Stop (kill -9) and Restart the server holds every write it
// acknowledged, as a production server configured to keep the record does.
func StartPersistent(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	return startServer(tb, append([]string{"--appendonly", "yes", "--appendfsync", "always"}, extra...)...)
}

func startServer(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	return startWithConf(tb, "", extra...)
}

// startWithConf starts a server whose config file (in its own directory)
// holds conf, when conf is not empty.
func startWithConf(tb testing.TB, conf string, extra ...string) *Server {
	tb.Helper()
	path, err := exec.LookPath(binary)
	if err != nil {
		tb.Fatalf("redis-server not found in PATH: install it (apt-get install redis-server)")
	}
	s := &Server{tb: tb, path: path, dir: tb.TempDir(), extra: extra}
	if conf != "" {
		s.conf = filepath.Join(s.dir, "redis.conf")
		if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
			tb.Fatalf("redistest: write config: %v", err)
		}
	}
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
	killGroup(s.cmd.Process.Pid)
	<-s.done
	s.cmd, s.done = nil, nil
}

// killGroup kills redis-server and the children it forked (an AOF rewrite
// or a BGSAVE, which a SIGKILL of the server alone leaves writing into its
// directory while the test removes it), and waits until none is left.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if syscall.Kill(-pid, 0) == syscall.ESRCH {
			return
		}
	}
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
	var args []string
	if s.conf != "" {
		args = append(args, s.conf)
	}
	args = append(args,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--logfile", logFile,
	)
	cmd := exec.Command(s.path, append(args, s.extra...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, forks included: killGroup
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()

	deadline := time.Now().Add(startTimeout)
	for {
		// The server answering must be this process: another test's server
		// may have bound the port first, and this one exited.
		if ping(s.Addr()) == nil && servedBy(s.Addr(), cmd.Process.Pid) {
			s.cmd, s.done = cmd, done
			return nil
		}
		select {
		case <-done:
			return errors.New("redis-server exited: " + tail(logFile))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			killGroup(cmd.Process.Pid)
			<-done
			return errors.New("redis-server did not answer PING within " + startTimeout.String() + ": " + tail(logFile))
		}
	}
}

// servedBy reports whether the server at addr is the process pid.
func servedBy(addr string, pid int) bool {
	info, err := command(addr, "INFO", "server")
	return err == nil && strings.Contains(info, "\r\nprocess_id:"+strconv.Itoa(pid)+"\r\n")
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
	reply, err := do(addr, args...)
	if err != nil {
		return "", err
	}
	str, ok := reply.(string)
	if !ok {
		return "", fmt.Errorf("reply %v is not a string", reply)
	}
	return str, nil
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
