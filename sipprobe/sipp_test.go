package sipprobe

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"deskwatch/health"
)

// sippPath finds SIPp or fails the test: these tests are never skipped.
func sippPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatal("sipp not found in PATH: install sip-tester (apt-get install sip-tester)")
	}
	return p
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// startSIPp runs SIPp with args until the test ends or the returned kill is
// called.
func startSIPp(t testing.TB, args ...string) (kill func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, sippPath(t), append([]string{"-nostdin"}, args...)...)
	cmd.Dir = t.TempDir() // SIPp writes its logs into the working directory
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	kill = func() { cancel(); <-done }
	t.Cleanup(kill)
	return kill
}

// SIPp, an independent UAS, answers our OPTIONS: alive. Killed: lost.
func TestSIPpUAS(t *testing.T) {
	t.Parallel()
	port := freeUDPPort(t)
	scenario, _ := filepath.Abs("testdata/options_uas.xml")
	kill := startSIPp(t, "-sf", scenario, "-i", "127.0.0.1", "-p", strconv.Itoa(port))
	contact := "sip:op122-09@127.0.0.1:" + strconv.Itoa(port)
	h := startProber(t, testOptions(t), func(p *Prober) { p.SetTarget("PJSIP/op122-09", contact, nil) })

	waitFor(t, 5*time.Second, "SIPp answering", func() bool { return len(h.of("PJSIP/op122-09")) == 1 })
	if got := h.of("PJSIP/op122-09")[0]; got.Kind != health.KindProbeOK || got.Code != 200 {
		t.Fatalf("with SIPp up: %+v", got)
	}
	kill()
	waitFor(t, 5*time.Second, "SIPp lost", func() bool { return len(h.of("PJSIP/op122-09")) == 2 })
	if got := kinds(h.of("PJSIP/op122-09")); !slices.Equal(got, []health.Kind{health.KindProbeOK, health.KindProbeLost}) {
		t.Errorf("observations %v", got)
	}
}
