package redistest

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

func TestStartStopRestart(t *testing.T) {
	srv := StartServer(t)
	addr := srv.Addr()
	if err := ping(addr); err != nil {
		t.Fatalf("ping after start: %v", err)
	}
	srv.Stop()
	if err := ping(addr); err == nil {
		t.Fatal("ping after stop succeeded")
	}
	srv.Stop() // idempotent
	srv.Restart()
	if srv.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", srv.Addr(), addr)
	}
	if err := ping(addr); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
	if a := Start(t); a == addr || ping(a) != nil {
		t.Fatalf("second server at %s", a)
	}
}

// A persistent server keeps what it acknowledged across kill -9 and a
// restart; a plain one comes back empty.
func TestPersistentKeepsWritesAcrossKill(t *testing.T) {
	for _, tc := range []struct {
		srv  *Server
		want string
	}{{StartPersistent(t), "kept"}, {StartServer(t), ""}} {
		if _, err := command(tc.srv.Addr(), "SET", "k", "kept"); err != nil {
			t.Fatal(err)
		}
		tc.srv.Stop()
		tc.srv.Restart()
		got, err := command(tc.srv.Addr(), "GET", "k")
		if got != tc.want {
			t.Errorf("GET k after kill -9 and restart: %q, %v; want %q", got, err, tc.want)
		}
	}
}

// fatalTB records Fatalf and stops the goroutine, like testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f) // unwound below; testing.T would call runtime.Goexit
}

func TestMissingBinaryFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	tb := &fatalTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != tb {
				panic(r)
			}
		}()
		Start(tb)
	}()
	if !strings.Contains(tb.msg, "redis-server not found in PATH: install it (apt-get install redis-server)") {
		t.Fatalf("Fatalf message = %q", tb.msg)
	}
}

func TestStartCluster(t *testing.T) {
	t.Parallel()
	addr := StartCluster(t)
	info, err := command(addr, "CLUSTER", "INFO")
	if err != nil || !strings.Contains(info, "cluster_slots_assigned:16384") {
		t.Fatalf("cluster info = %q, %v", info, err)
	}
}

// The sentinels promote the replica when the master is killed.
func TestSentinelsFailOver(t *testing.T) {
	t.Parallel()
	s := StartSentinels(t, 1)
	old := s.Master()
	if old != s.Data[0] {
		t.Fatalf("master %v, want %s", old, s.Data[0].Addr())
	}
	old.Stop()
	if m := s.WaitFailover(old); m != s.Data[1] {
		t.Fatalf("promoted %s, want %s", m.Addr(), s.Data[1].Addr())
	}
}

// A cluster of three masters with a replica each; a killed master's
// replica takes its slots over.
func TestClusterOfFailsOver(t *testing.T) {
	t.Parallel()
	c := StartClusterOf(t, 3, 1)
	masters := c.Masters()
	if len(masters) != 3 {
		t.Fatalf("%d masters", len(masters))
	}
	reps := c.ReplicasOf(masters[0])
	if len(reps) != 1 {
		t.Fatalf("replicas of %s: %d", masters[0].Addr(), len(reps))
	}
	masters[0].Stop()
	if p := c.WaitPromoted(masters[0], reps...); p != reps[0] {
		t.Fatalf("promoted %v, want %s", p, reps[0].Addr())
	}
}

// A server that could not bind its port is not mistaken for the one
// already there (parallel tests start many servers on free ports).
func TestStartDoesNotMistakeAnotherServer(t *testing.T) {
	other := StartServer(t)
	path, err := exec.LookPath(binary)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{tb: t, path: path, dir: t.TempDir(), port: other.port}
	if err := s.start(); err == nil {
		s.Stop()
		t.Fatal("start on a taken port succeeded")
	}
}
