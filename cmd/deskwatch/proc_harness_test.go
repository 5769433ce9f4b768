package main

// The process harness runs deskwatch instances as real child processes
// (`deskwatch serve -config FILE`), for the ha tests that need what only a
// process has: kill -9, SIGSTOP/SIGCONT, an exit status. The binary is
// built once per test binary run (go build, with -race when the tests run
// under the race detector, so the children's races are found too: a child's
// log with a race report fails the test). pbxsim runs inside the test
// process and serves ARI over real TCP/WebSocket; the children share the
// harness's real redis-server. Each child has its own config file (the
// harness's, through haConfigText: its own ari.app and state_dir, ha with
// lease 1 s), its own API port (read from its "API listening" log line) and
// its stderr in a log file whose tail is printed when the test fails (and
// which is kept in $DESKWATCH_PROC_LOGS, if set).
// Children are killed in t.Cleanup. Everything waits on conditions (the
// child's /healthz and /metrics, Redis) with deadlines, never on sleeps.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		_ = os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// deskwatchBinary builds the daemon once per test binary run.
func deskwatchBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "deskwatch-bin-")
		if binary.err != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		binary.path = filepath.Join(binary.dir, "deskwatch")
		args := []string{"build", "-o", binary.path}
		if raceBuild {
			args = append(args, "-race")
		}
		out, err := exec.Command(goTool, append(args, ".")...).CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// proc is one deskwatch instance run as a child process. Its methods are
// called from the test's goroutine.
type proc struct {
	h       *harness
	name    string
	cfgPath string
	logPath string
	api     string    // "http://host:port" of the running child
	started time.Time // when the running child was started

	cmd  *exec.Cmd
	done chan struct{} // closed when the child has exited and its log is written
	exit error         // the child's exit status, once done
}

// startProc writes the instance's config and starts it (see start).
func (h *harness) startProc(name, app string) *proc {
	h.t.Helper()
	text, err := h.haConfigText(name, app)
	if err != nil {
		h.t.Fatal(err)
	}
	logDir := h.stateDir
	if d := os.Getenv("DESKWATCH_PROC_LOGS"); d != "" { // kept after the test
		logDir = d
	}
	p := &proc{h: h, name: name, cfgPath: filepath.Join(h.stateDir, name+".yaml"), logPath: filepath.Join(logDir, h.t.Name()+"-"+name+".log")}
	if err := os.WriteFile(p.cfgPath, []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		p.kill()
		if h.t.Failed() {
			h.t.Logf("%s's log (tail):\n%s", name, p.logTail(40))
		}
		if race := p.raceReport(); race != "" {
			h.t.Errorf("%s: the race detector reported:\n%s", name, race)
		}
	})
	p.start()
	return p
}

// start runs the child and waits until its API listens and its ARI
// connection is up; a child that exits first fails the test.
func (p *proc) start() {
	t := p.h.t
	t.Helper()
	if p.api = p.launch(); p.api == "" {
		<-p.done
		t.Fatalf("%s exited before listening: %v\n%s", p.name, p.exit, p.logTail(20))
	}
	p.waitFor("ARI connected", 20*time.Second, func() bool { return p.health().ARI.Connected })
}

// launch starts the child and returns its API's URL once it logs it, or ""
// if it exits first.
func (p *proc) launch() string {
	t := p.h.t
	t.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(deskwatchBinary(t), "serve", "-config", p.cfgPath)
	p.started = time.Now()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	listening := make(chan string, 1)
	go func() { // owns the child: copies its log until it exits, then reaps it
		defer close(p.done)
		defer logf.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = logf.Write(append(line, '\n'))
			var l struct{ Message, Addr string }
			if bytes.Contains(line, []byte(`"API listening"`)) && json.Unmarshal(line, &l) == nil {
				select {
				case listening <- "http://" + l.Addr:
				default:
				}
			}
		}
		_, _ = io.Copy(logf, stderr)
		p.exit = cmd.Wait()
	}()
	select {
	case api := <-listening:
		return api
	case <-p.done:
		return ""
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not listen within 30 s\n%s", p.name, p.logTail(20))
		return ""
	}
}

// kill is kill -9; it returns once the child has exited. Killing a dead
// child does nothing.
func (p *proc) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

func (p *proc) signal(sig syscall.Signal) {
	p.h.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.h.t.Fatalf("%s: %v: %v", p.name, sig, err)
	}
}

// restart starts a killed child again, with the same config and state_dir.
func (p *proc) restart() {
	p.h.t.Helper()
	p.kill()
	p.start()
}

type procHealth struct {
	ARI struct {
		Connected bool `json:"connected"`
	} `json:"ari"`
	HA struct {
		Role  string `json:"role"`
		Epoch int64  `json:"epoch"`
	} `json:"ha"`
}

var procClient = &http.Client{Timeout: 3 * time.Second}

// fetch GETs path from the child; "" when it does not answer.
func (p *proc) fetch(path string) string {
	req, _ := http.NewRequest("GET", p.api+path, nil)
	req.Header.Set("Authorization", "Bearer "+p.h.token)
	resp, err := procClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// health is the child's /healthz, zero when it does not answer.
func (p *proc) health() procHealth {
	var hz procHealth
	_ = json.Unmarshal([]byte(p.fetch("/healthz")), &hz)
	return hz
}

// settled reports whether the child sees ARI and has decided every desk.
func (p *proc) settled() bool {
	var r struct{ Workstations []deskState }
	if json.Unmarshal([]byte(p.fetch("/api/v1/workstations")), &r) != nil || len(r.Workstations) != len(p.h.phones) {
		return false
	}
	return !slices.ContainsFunc(r.Workstations, func(d deskState) bool { return d.State == "unknown" }) && p.health().ARI.Connected
}

// waitRole polls /healthz until the child has the role and returns when
// it first saw it.
func (p *proc) waitRole(role string, within time.Duration) time.Time {
	p.h.t.Helper()
	var at time.Time
	p.waitFor("role "+role, within, func() bool {
		at = time.Now()
		return p.health().HA.Role == role
	})
	return at
}

func (p *proc) waitFor(what string, within time.Duration, cond func() bool) {
	p.h.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			p.h.t.Fatalf("%s: timed out after %s waiting for %s", p.name, within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logTail is the last n lines of the child's log.
func (p *proc) logTail(n int) string {
	b, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// raceReport is the first race report in the child's log, or "".
func (p *proc) raceReport() string {
	b, _ := os.ReadFile(p.logPath)
	i := bytes.Index(b, []byte("WARNING: DATA RACE"))
	if i < 0 {
		return ""
	}
	return string(b[i:min(len(b), i+4000)])
}

// procPair starts a, which leads, then b, which stands by, and waits until
// both have decided every desk.
func (h *harness) procPair() (a, b *proc) {
	h.t.Helper()
	a = h.startProc("a", "dw-a")
	a.waitRole("leader", 10*time.Second)
	b = h.startProc("b", "dw-b")
	b.waitRole("standby", 10*time.Second)
	for _, p := range []*proc{a, b} {
		p.waitFor("every desk decided", 10*time.Second, p.settled)
	}
	return a, b
}

// failovers summarises failover times: p50, p99 and max.
func failovers(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no failovers"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("%d failovers: p50 %s, p99 %s, max %s", len(s), q(0.50).Round(time.Millisecond),
		q(0.99).Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
}
