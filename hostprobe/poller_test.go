package hostprobe

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"deskwatch/health"
)

// listen opens a TCP listener on a loopback address other than 127.0.0.1
// where the kernel allows it.
func listen(t *testing.T, host string) (net.Listener, string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	h, port, _ := net.SplitHostPort(ln.Addr().String())
	pn, _ := strconv.Atoi(port)
	return ln, h, pn
}

// The probe's connection reaches the computer's service as a reset right
// after the handshake: its accept succeeds and its first read says
// "connection reset", and the service goes on accepting the next probes.
func TestTCPProbeResetsTheServicesConnection(t *testing.T) {
	ln, host, port := listen(t, "127.0.0.4")
	accepted := make(chan error, 16)
	go func() { // ends when the listener closes
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, err = c.Read(make([]byte, 1))
			c.Close()
			accepted <- err
		}
	}()
	p, err := New(Options{Interval: 100 * time.Millisecond, Timeout: 50 * time.Millisecond}, []Target{{Desk: "d1", Host: host, Check: CheckTCP, Port: port}})
	if err != nil {
		t.Fatal(err)
	}
	obs := run(t, p)
	if o := next(t, obs, 5*time.Second); o.Kind != health.KindComputerUp || o.Detail != "tcp connect ok" || o.RTT <= 0 {
		t.Fatalf("%+v", o)
	}
	for i := range 2 {
		select {
		case err := <-accepted:
			if !errors.Is(err, unix.ECONNRESET) {
				t.Fatalf("connection %d: the service read %v, want a reset", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the service accepted %d connections", i)
		}
	}
}

// A service that resets every connection as soon as it accepts it still
// answered: the handshake completed.
func TestTCPResetAfterHandshakeIsAnAnswer(t *testing.T) {
	ln, host, port := listen(t, "127.0.0.5")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()
	p, err := New(Options{Interval: 100 * time.Millisecond, Timeout: 50 * time.Millisecond}, []Target{{Desk: "d1", Host: host, Check: CheckTCP, Port: port}})
	if err != nil {
		t.Fatal(err)
	}
	if o := next(t, run(t, p), 5*time.Second); o.Kind != health.KindComputerUp || !strings.HasPrefix(o.Detail, "tcp connect ok") {
		t.Fatalf("%+v", o)
	}
	// Which of the two the poller sees depends on timing; both are answers.
	for _, c := range []struct {
		events uint32
		errno  unix.Errno
		alive  bool
		detail string
	}{
		{unix.EPOLLOUT, 0, true, "tcp connect ok"},
		{unix.EPOLLOUT | unix.EPOLLERR | unix.EPOLLHUP, unix.ECONNRESET, true, "tcp connect ok (then reset)"},
		{unix.EPOLLOUT | unix.EPOLLERR | unix.EPOLLHUP, unix.ECONNREFUSED, false, "tcp connect refused"},
		{unix.EPOLLERR, unix.EHOSTUNREACH, false, "tcp connect error: no route to host"},
		{unix.EPOLLHUP, 0, false, "tcp connect error: hung up"},
	} {
		if alive, detail := connectResult(c.events, c.errno); alive != c.alive || detail != c.detail {
			t.Errorf("connectResult(%#x, %v) = %v %q, want %v %q", c.events, c.errno, alive, detail, c.alive, c.detail)
		}
	}
}

// A port whose accept queue is full drops the SYN: the connect stays
// unanswered and the probe is a miss at its deadline, its socket closed.
func TestTCPConnectTimesOut(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil { // nothing ever accepts
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*unix.SockaddrInet4).Port))
	full := false
	for range 8 { // fill the queue until a connect hangs
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			full = true
			break
		}
		defer c.Close()
	}
	if !full {
		t.Skip("the kernel kept accepting connections into the full queue")
	}
	const timeout = 80 * time.Millisecond
	p, err := New(Options{Interval: 200 * time.Millisecond, Timeout: timeout, Misses: 2},
		[]Target{{Desk: "d1", Host: "127.0.0.1", Check: CheckTCP, Port: sa.(*unix.SockaddrInet4).Port}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := make(chan health.Observation)
	stopped := make(chan error)
	go func() { stopped <- p.Run(ctx, obs) }()
	o := next(t, obs, 10*time.Second)
	if o.Kind != health.KindComputerDown || o.Detail != "tcp connect timeout" {
		t.Fatalf("%+v", o)
	}
	if r, _ := p.Result("d1"); r.Alive || r.Misses < 2 || r.Detail != "tcp connect timeout" {
		t.Errorf("result %+v", r)
	}
	// Stopped with a probe in flight or not, Run leaves none behind.
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.InFlight != 0 {
		t.Errorf("stats after Run %+v", s)
	}
}

// A host the kernel will not send to is a miss at once, with its word: a
// multicast address cannot be connected to, and a broadcast address is not
// pinged without SO_BROADCAST.
func TestUnreachableIsAMiss(t *testing.T) {
	allowICMP(t)
	p, err := New(Options{Interval: 100 * time.Millisecond, Timeout: 50 * time.Millisecond, Misses: 2},
		[]Target{{Desk: "d1", Host: "224.0.0.1", Check: CheckTCP, Port: 3389}, {Desk: "d2", Host: "255.255.255.255", Check: CheckICMP}})
	if err != nil {
		t.Fatal(err)
	}
	obs := run(t, p)
	got := map[string]health.Observation{}
	for len(got) < 2 {
		o := next(t, obs, 5*time.Second)
		got[o.Workstation] = o
	}
	if o := got["d1"]; o.Kind != health.KindComputerDown || o.Detail != "tcp connect error: network is unreachable" {
		t.Errorf("%+v", o)
	}
	if o := got["d2"]; o.Kind != health.KindComputerDown || o.Detail != "icmp error: permission denied" {
		t.Errorf("%+v", o)
	}
	if s := p.Stats(); s.InFlight != 0 {
		t.Errorf("stats %+v", s)
	}
}

// flightsFor starts a poller on its own, outside Run.
func flightsFor(t *testing.T) (*flights, <-chan []pollEvent) {
	t.Helper()
	f, err := newFlights(time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan []pollEvent)
	var wg sync.WaitGroup
	wg.Go(func() { f.pl.loop(ctx, events) })
	t.Cleanup(func() { cancel(); f.close(); wg.Wait() })
	return f, events
}

// A reply counts only for the probe that asked for it: one from another
// address, with another payload or another probe's number, or that is no
// echo reply, is ignored and the probe still waits for its own.
func TestEchoReplyMustMatch(t *testing.T) {
	allowICMP(t)
	f, events := flightsFor(t)
	tg := &target{Target: Target{Desk: "d1", Host: "127.0.0.1", Check: CheckICMP, Timeout: 5 * time.Second}}
	tg.addr, tg.sa, _ = pollable(tg.Host, 0)
	if o, failed := f.start(tg); failed {
		t.Fatalf("start: %+v", o)
	}
	var fl *flight
	for _, x := range f.bySeq {
		fl = x
	}
	now := time.Now()
	good := echoReply{from: tg.addr, seq: uint16(fl.gen), gen: fl.gen, nonce: f.nonce}
	foreign, other, stranger, garbled := good, good, good, echoReply{garbled: true}
	foreign.from = netip.MustParseAddr("127.0.0.9")
	other.nonce++
	stranger.gen += 1 << 16 // same sequence number, another probe
	for _, r := range []echoReply{foreign, other, stranger, garbled} {
		if o, ok := f.complete(pollEvent{fd: int32(f.echo[0]), at: now, reply: r}); ok {
			t.Fatalf("reply %+v taken: %+v", r, o)
		}
	}
	if f.ignored != 4 || f.count() != 1 {
		t.Fatalf("ignored %d, in flight %d", f.ignored, f.count())
	}
	// The kernel's own reply to the request.
	for {
		select {
		case evs := <-events:
			for _, ev := range evs {
				if o, ok := f.complete(ev); ok {
					if !o.alive || o.detail != "icmp echo reply" || o.rtt <= 0 || f.count() != 0 {
						t.Fatalf("%+v, %d in flight", o, f.count())
					}
					return
				}
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no reply from 127.0.0.1")
		}
	}
}

// Bytes that are not an echo reply of ours are refused by the parser.
func TestParseReplyRefusesGarbage(t *testing.T) {
	from := netip.MustParseAddr("127.0.0.1")
	ok := make([]byte, echoLen)
	echoRequest(ok, false, 7, 9)
	ok[0] = echoReply4
	if r, good := parseReply(ok, from); !good || r.seq != 7 || r.gen != 7 || r.nonce != 9 || r.from != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("%+v %v", r, good)
	}
	for name, b := range map[string][]byte{
		"empty":   nil,
		"short":   ok[:8],
		"long":    append(append([]byte{}, ok...), 0),
		"request": append([]byte{echoRequest4}, ok[1:]...),
		"code":    append([]byte{echoReply4, 1}, ok[2:]...),
		"v6 type": append([]byte{echoReply6}, ok[1:]...),
	} {
		if r, good := parseReply(b, from); good {
			t.Errorf("%s parsed: %+v", name, r)
		}
	}
	if _, good := parseReply(ok, netip.Addr{}); good {
		t.Error("a reply from no address parsed")
	}
	if _, good := parseReply(ok, netip.MustParseAddr("::1")); good {
		t.Error("an IPv4 reply from an IPv6 address parsed")
	}
}

// A forged reply that reaches the shared socket (sent by a raw socket to
// our echo identifier, with a wrong payload) is counted as ignored, and
// the desk's verdicts go on.
func TestForgedEchoReplyIsIgnored(t *testing.T) {
	allowICMP(t)
	raw, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		t.Skipf("no raw ICMP socket to forge a reply with: %v", err)
	}
	defer unix.Close(raw)
	f, events := flightsFor(t)
	tg := &target{Target: Target{Desk: "d1", Host: "127.0.0.1", Check: CheckICMP, Timeout: 5 * time.Second}}
	tg.addr, tg.sa, _ = pollable(tg.Host, 0)
	f.start(tg) // opens the shared socket
	sa, err := unix.Getsockname(f.echo[0])
	if err != nil {
		t.Fatal(err)
	}
	id := uint16(sa.(*unix.SockaddrInet4).Port) // the kernel's echo identifier
	forged := make([]byte, echoLen)
	echoRequest(forged, false, 0xdead, 0xbeef)
	forged[0] = echoReply4
	binary.BigEndian.PutUint16(forged[4:], id)
	binary.BigEndian.PutUint16(forged[2:], checksum(forged))
	if err := unix.Sendto(raw, forged, 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	alive := false
	deadline := time.After(5 * time.Second)
	for !alive || f.ignored == 0 {
		select {
		case evs := <-events:
			for _, ev := range evs {
				if o, ok := f.complete(ev); ok {
					alive = o.alive
				}
			}
		case <-deadline:
			t.Fatalf("alive %v, ignored %d", alive, f.ignored)
		}
	}
}

// checksum is the Internet checksum of b.
func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}
