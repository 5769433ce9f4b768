package hostprobe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The poller waits for every probe on IP literals at once: one epoll
// instance holds the TCP sockets still connecting and the shared ICMP
// sockets, and the runtime's own netpoller watches that epoll instance (it
// is readable while any socket in it is ready). One goroutine (loop) sleeps
// there and, when woken, takes every ready socket in one epoll_wait and
// hands the lot to Run, which owns the sockets and the probes. A probe is
// thus a few system calls (socket, connect, epoll_ctl, close; or one
// sendto and one recvfrom) and no goroutine, timer or net.Conn of its own.
type poller struct {
	epfd int
	file *os.File // epfd, registered with the runtime's netpoller
	rc   syscall.RawConn
	now  func() time.Time
	// The loop's: where recvfrom puts a reply's source.
	from    unix.RawSockaddrAny
	fromLen uint32
}

// pollEvent is a socket found ready, or an echo reply read.
type pollEvent struct {
	fd     int32
	gen    uint32 // the probe's, from the epoll data; 0: a reply
	events uint32
	at     time.Time
	reply  echoReply
}

func newPoller(now func() time.Time) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("hostprobe: epoll: %w", err)
	}
	// Non-blocking, so that os.NewFile registers it with the netpoller.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("hostprobe: epoll: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "hostprobe-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("hostprobe: epoll: %w", err)
	}
	return &poller{epfd: epfd, file: f, rc: rc, now: now}, nil
}

// add watches fd once for the end of a connect (writable, or an error).
func (pl *poller) add(fd int, gen uint32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: int32(fd), Pad: int32(gen)}
	return unix.EpollCtl(pl.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// addReader watches a shared ICMP socket for replies, which loop reads.
func (pl *poller) addReader(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	return unix.EpollCtl(pl.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// loop sends batches of ready sockets and replies to Run until ctx ends or
// close is called.
func (pl *poller) loop(ctx context.Context, events chan<- []pollEvent) {
	evs := make([]unix.EpollEvent, 256)
	buf := make([]byte, 1500)
	for {
		var batch []pollEvent
		err := pl.rc.Read(func(fd uintptr) bool {
			n, err := unix.EpollWait(int(fd), evs, 0)
			for errors.Is(err, unix.EINTR) {
				n, err = unix.EpollWait(int(fd), evs, 0)
			}
			if err != nil || n <= 0 {
				return false // nothing ready: wait for the netpoller
			}
			at := pl.now()
			for _, ev := range evs[:n] {
				if ev.Pad == 0 {
					batch = pl.readReplies(int(ev.Fd), buf, at, batch)
					continue
				}
				batch = append(batch, pollEvent{fd: ev.Fd, gen: uint32(ev.Pad), events: ev.Events, at: at})
			}
			return true
		})
		if err != nil {
			return // closed
		}
		if len(batch) == 0 {
			continue
		}
		select {
		case events <- batch:
		case <-ctx.Done():
			return
		}
	}
}

// readReplies reads the ICMP socket fd until it is empty.
func (pl *poller) readReplies(fd int, buf []byte, at time.Time, batch []pollEvent) []pollEvent {
	for {
		n, from, err := pl.recvfrom(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return batch // EAGAIN: empty
		}
		r, ok := parseReply(buf[:n], from)
		r.garbled = !ok
		batch = append(batch, pollEvent{fd: int32(fd), at: at, reply: r})
	}
}

// recvfrom is unix.Recvfrom without its two allocations a datagram (the
// address buffer and the Sockaddr): one reply per probe comes this way.
func (pl *poller) recvfrom(fd int, buf []byte) (int, netip.Addr, error) {
	pl.fromLen = unix.SizeofSockaddrAny
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(buf))), uintptr(len(buf)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&pl.from)), uintptr(unsafe.Pointer(&pl.fromLen)))
	if e != 0 {
		return 0, netip.Addr{}, e
	}
	switch pl.from.Addr.Family {
	case unix.AF_INET:
		return int(n), netip.AddrFrom4((*unix.RawSockaddrInet4)(unsafe.Pointer(&pl.from)).Addr), nil
	case unix.AF_INET6:
		return int(n), netip.AddrFrom16((*unix.RawSockaddrInet6)(unsafe.Pointer(&pl.from)).Addr), nil
	}
	return int(n), netip.Addr{}, nil
}

func (pl *poller) close() error { return pl.file.Close() }
