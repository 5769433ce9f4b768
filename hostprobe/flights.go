package hostprobe

import (
	"container/heap"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// flight is a probe the poller waits for.
type flight struct {
	t        *target
	fd       int // the connecting TCP socket; -1 for an echo
	gen      uint32
	start    time.Time
	deadline time.Time
	index    int // in flights.deadlines
}

// flights are the probes in flight on the poller; Run's goroutine owns
// them, their sockets and the shared ICMP sockets.
type flights struct {
	pl        *poller
	now       func() time.Time
	byFD      map[int32]*flight
	bySeq     map[uint16]*flight
	deadlines timeHeap[*flight]
	free      []*flight
	gen       uint32
	nonce     uint32
	echo      [2]int // shared ICMP sockets, IPv4 and IPv6; -1 until opened
	pkt       [echoLen]byte
	ignored   uint64 // replies that matched no probe in flight
}

func newFlights(now func() time.Time) (*flights, error) {
	pl, err := newPoller(now)
	if err != nil {
		return nil, err
	}
	var n [4]byte
	rand.Read(n[:])
	return &flights{pl: pl, now: now, byFD: map[int32]*flight{}, bySeq: map[uint16]*flight{},
		nonce: binary.BigEndian.Uint32(n[:]), echo: [2]int{-1, -1}}, nil
}

func (f *flights) count() int { return len(f.deadlines) }

// next is the earliest deadline in flight.
func (f *flights) next() (time.Time, bool) {
	if len(f.deadlines) == 0 {
		return time.Time{}, false
	}
	return f.deadlines[0].deadline, true
}

func (f *flights) take(t *target, fd int, start time.Time) *flight {
	var fl *flight
	if n := len(f.free); n > 0 {
		fl, f.free = f.free[n-1], f.free[:n-1]
	} else {
		fl = &flight{}
	}
	for {
		f.gen++
		if f.gen == 0 {
			continue // 0 marks an ICMP socket in the epoll data
		}
		if fd >= 0 || f.bySeq[uint16(f.gen)] == nil {
			break // an echo's sequence number must not be in flight already
		}
	}
	*fl = flight{t: t, fd: fd, gen: f.gen, start: start, deadline: start.Add(t.Timeout)}
	heap.Push(&f.deadlines, fl)
	return fl
}

// land removes fl from flight, closing its socket.
func (f *flights) land(fl *flight) {
	heap.Remove(&f.deadlines, fl.index)
	if fl.fd >= 0 {
		delete(f.byFD, int32(fl.fd))
		unix.Close(fl.fd) // with SO_LINGER 0: a reset, no FIN exchange, no TIME_WAIT
	} else {
		delete(f.bySeq, uint16(fl.gen))
	}
	fl.t = nil
	f.free = append(f.free, fl)
}

// start sends t's probe; an outcome when it failed at once.
func (f *flights) start(t *target) (outcome, bool) {
	start := f.now()
	if t.Check == CheckTCP {
		return f.connect(t, start)
	}
	return f.ping(t, start)
}

func (f *flights) connect(t *target, start time.Time) (outcome, bool) {
	family := unix.AF_INET
	if t.addr.Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return f.failed(t, start, "tcp connect ", err), true
	}
	// Close resets the connection: the computer's service sees a reset
	// where it would see an orderly close, and neither end keeps state.
	if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1}); err != nil {
		unix.Close(fd)
		return f.failed(t, start, "tcp connect ", err), true
	}
	err = unix.Connect(fd, t.sa)
	if err == nil { // connected at once
		unix.Close(fd)
		at := f.now()
		return outcome{t: t, alive: true, at: at, rtt: at.Sub(start), detail: "tcp connect ok"}, true
	}
	if !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		return f.failed(t, start, "tcp connect ", err), true
	}
	fl := f.take(t, fd, start)
	f.byFD[int32(fd)] = fl
	if err := f.pl.add(fd, fl.gen); err != nil {
		f.land(fl)
		return f.failed(t, start, "tcp connect ", err), true
	}
	return outcome{}, false
}

func (f *flights) ping(t *target, start time.Time) (outcome, bool) {
	v6 := t.addr.Is6()
	family, i := unix.AF_INET, 0
	if v6 {
		family, i = unix.AF_INET6, 1
	}
	if f.echo[i] < 0 {
		fd, err := openEcho(family)
		if err == nil {
			// Room for the replies of a whole batch, which arrive at once
			// (the kernel caps it at net.core.rmem_max).
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
			if err = f.pl.addReader(fd); err != nil {
				unix.Close(fd)
			}
		}
		if err != nil { // e.g. EACCES: ping_group_range; tried again next probe
			return f.failed(t, start, "icmp ", err), true
		}
		f.echo[i] = fd
	}
	fl := f.take(t, -1, start)
	f.bySeq[uint16(fl.gen)] = fl
	echoRequest(f.pkt[:], v6, fl.gen, f.nonce)
	if err := unix.Sendto(f.echo[i], f.pkt[:], 0, t.sa); err != nil {
		f.land(fl)
		return f.failed(t, start, "icmp ", err), true
	}
	return outcome{}, false
}

func (f *flights) failed(t *target, start time.Time, what string, err error) outcome {
	return outcome{t: t, at: later(f.now(), start), detail: what + errWord(err)}
}

// complete is the outcome an event brings; false when it is stale (its
// probe already timed out) or a reply matched no probe.
func (f *flights) complete(ev pollEvent) (outcome, bool) {
	var fl *flight
	if ev.gen == 0 { // an echo reply
		r := ev.reply
		fl = f.bySeq[r.seq]
		if r.garbled || fl == nil || fl.gen != r.gen || r.nonce != f.nonce || r.from != fl.t.addr {
			f.ignored++
			return outcome{}, false
		}
	} else if fl = f.byFD[ev.fd]; fl == nil || fl.gen != ev.gen {
		return outcome{}, false
	}
	o := outcome{t: fl.t, at: ev.at}
	switch {
	case ev.at.After(fl.deadline):
		o.at, o.detail = fl.deadline, timeoutWord(fl.t)
	case fl.fd < 0:
		o.alive, o.rtt, o.detail = true, ev.at.Sub(fl.start), "icmp echo reply"
	default:
		var errno unix.Errno
		if ev.events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			n, err := unix.GetsockoptInt(fl.fd, unix.SOL_SOCKET, unix.SO_ERROR)
			errno = unix.Errno(n)
			if err != nil {
				if errno, _ = err.(unix.Errno); errno == 0 {
					errno = unix.EIO
				}
			}
		}
		o.alive, o.detail = connectResult(ev.events, errno)
		if o.alive {
			o.rtt = ev.at.Sub(fl.start)
		}
	}
	f.land(fl)
	return o, true
}

// connectResult judges the end of a connect. A reset after the handshake
// (ECONNRESET; a refusal is ECONNREFUSED) is an answer: the port accepted.
func connectResult(events uint32, errno unix.Errno) (bool, string) {
	switch {
	case errno == 0 && events&unix.EPOLLOUT != 0:
		return true, "tcp connect ok"
	case errno == unix.ECONNRESET:
		return true, "tcp connect ok (then reset)"
	case errno == 0:
		return false, "tcp connect error: hung up"
	}
	return false, "tcp connect " + errWord(errno)
}

func timeoutWord(t *target) string {
	if t.Check == CheckTCP {
		return "tcp connect timeout"
	}
	return "icmp timeout"
}

// expire ends the probes whose deadline is not after now, as misses at
// their deadline.
func (f *flights) expire(now time.Time, emit func(outcome)) {
	for len(f.deadlines) > 0 && !f.deadlines[0].deadline.After(now) {
		fl := f.deadlines[0]
		o := outcome{t: fl.t, at: fl.deadline, detail: timeoutWord(fl.t)}
		f.land(fl)
		emit(o)
	}
}

// close stops the poller, then closes every socket.
func (f *flights) close() {
	f.pl.close() // waits for the poller to leave the ICMP sockets
	for len(f.deadlines) > 0 {
		f.land(f.deadlines[0])
	}
	for i, fd := range f.echo {
		if fd >= 0 {
			unix.Close(fd)
			f.echo[i] = -1
		}
	}
}

// pollable reports whether host is an IP literal the poller can probe (a
// name needs resolving: those go through net.Dialer and pro-bing), with
// its socket address.
func pollable(host string, port int) (netip.Addr, unix.Sockaddr, bool) {
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, nil, false
	}
	a = a.Unmap()
	if a.Is4() {
		return a, &unix.SockaddrInet4{Addr: a.As4(), Port: port}, true
	}
	return a, &unix.SockaddrInet6{Addr: a.As16(), Port: port}, true
}
