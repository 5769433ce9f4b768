package hostprobe

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// ICMP echo over one shared socket per address family. The socket is an
// unprivileged datagram ICMP socket (net.ipv4.ping_group_range): the kernel
// sets the echo identifier to the socket's own and delivers to it only the
// replies that carry it, and fills in the checksum. A probe is one echo
// request whose sequence number is the low 16 bits of the probe's number
// and whose 8-byte payload is that number and the prober's nonce; a reply
// is the probe's only if its sequence, payload and source address all match
// (anything else is counted in Stats.Ignored and dropped).

const (
	echoRequest4, echoReply4 = 8, 0
	echoRequest6, echoReply6 = 128, 129
	echoLen                  = 16 // header 8, payload 8
)

// echoReply is a received echo reply, parsed.
type echoReply struct {
	from       netip.Addr
	seq        uint16
	gen, nonce uint32
	garbled    bool // not an echo reply we could have asked for
}

// openEcho opens the shared ICMP socket of a family (unix.AF_INET or
// unix.AF_INET6), non-blocking.
func openEcho(family int) (int, error) {
	proto := unix.IPPROTO_ICMP
	if family == unix.AF_INET6 {
		proto = unix.IPPROTO_ICMPV6
	}
	return unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
}

// echoRequest writes the request of probe gen into b (echoLen bytes).
func echoRequest(b []byte, v6 bool, gen, nonce uint32) {
	b[0] = echoRequest4
	if v6 {
		b[0] = echoRequest6
	}
	clear(b[1:6]) // code, checksum and identifier: the kernel's
	binary.BigEndian.PutUint16(b[6:], uint16(gen))
	binary.BigEndian.PutUint32(b[8:], gen)
	binary.BigEndian.PutUint32(b[12:], nonce)
}

// parseReply reads an echo reply as a datagram ICMP socket returns it (the
// ICMP message, without the IP header) with its source.
func parseReply(b []byte, from netip.Addr) (echoReply, bool) {
	r := echoReply{from: from}
	want := byte(echoReply4)
	switch {
	case from.Is6():
		want = echoReply6
	case !from.Is4():
		return r, false
	}
	if len(b) != echoLen || b[0] != want || b[1] != 0 {
		return r, false
	}
	r.seq = binary.BigEndian.Uint16(b[6:])
	r.gen = binary.BigEndian.Uint32(b[8:])
	r.nonce = binary.BigEndian.Uint32(b[12:])
	return r, true
}
