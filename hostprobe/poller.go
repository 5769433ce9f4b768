package hostprobe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

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
					batch = readReplies(int(ev.Fd), buf, at, batch)
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
func readReplies(fd int, buf []byte, at time.Time, batch []pollEvent) []pollEvent {
	for {
		n, from, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return batch // EAGAIN: empty
		}
		if r, ok := parseReply(buf[:n], from); ok {
			batch = append(batch, pollEvent{fd: int32(fd), at: at, reply: r})
		} else {
			batch = append(batch, pollEvent{fd: int32(fd), at: at, reply: echoReply{garbled: true}})
		}
	}
}

func (pl *poller) close() error { return pl.file.Close() }
