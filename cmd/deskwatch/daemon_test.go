package main

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// A taken API port fails the daemon before anything runs, and what was
// built is released: the SIP probes' socket is free again.
func TestDaemonReleasesWhatItBuiltOnFailure(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	probePort, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sipListen := probePort.LocalAddr().String()
	probePort.Close()

	h := newHarness(t, "op122-01")
	h.listen = taken.Addr().String()
	h.extraYAML = fmt.Sprintf("sip: {enabled: true, listen: %q}\n", sipListen)
	d, err := newDaemon(h.config(), zerolog.Nop())
	if err == nil || d != nil || !strings.Contains(err.Error(), "http.listen") {
		t.Fatalf("daemon on a taken port: %v, %v", d, err)
	}
	again, err := net.ListenPacket("udp", sipListen)
	if err != nil {
		t.Fatalf("the SIP probes' socket was not released: %v", err)
	}
	again.Close()
}
