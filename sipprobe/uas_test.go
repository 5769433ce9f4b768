package sipprobe

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// uas answers OPTIONS for any number of URIs, statelessly, on a few UDP
// sockets: one user agent playing many desks. Told to, it stops answering
// some users (their phones lose power).
type uas struct {
	conns  []net.PacketConn
	silent atomic.Pointer[map[string]bool]
	onReq  func(user string, at time.Time) // optional
	wg     sync.WaitGroup
}

func newUAS(t testing.TB, sockets int, onReq func(user string, at time.Time)) *uas {
	t.Helper()
	u := &uas{onReq: onReq}
	u.silent.Store(&map[string]bool{})
	for range sockets {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if uc, ok := c.(*net.UDPConn); ok {
			uc.SetReadBuffer(4 << 20)
			uc.SetWriteBuffer(4 << 20)
		}
		u.conns = append(u.conns, c)
		u.wg.Go(func() { u.serve(c) })
	}
	t.Cleanup(func() {
		for _, c := range u.conns {
			c.Close()
		}
		u.wg.Wait()
	})
	return u
}

func (u *uas) addr(i int) string { return u.conns[i%len(u.conns)].LocalAddr().String() }

// silence makes users stop answering (nil: everybody answers again).
func (u *uas) silence(users map[string]bool) {
	if users == nil {
		users = map[string]bool{}
	}
	u.silent.Store(&users)
}

func (u *uas) serve(c net.PacketConn) {
	buf := make([]byte, 65535)
	out := make([]byte, 0, 2048)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		user, res, ok := optionsResponse(buf[:n], out[:0])
		if !ok {
			continue
		}
		if u.onReq != nil {
			u.onReq(user, time.Now())
		}
		if (*u.silent.Load())[user] {
			continue
		}
		c.WriteTo(res, from)
		out = res
	}
}

// optionsResponse builds a 200 OK for an OPTIONS request by copying its
// Via, From, To (tagged), Call-ID and CSeq lines.
func optionsResponse(req, out []byte) (user string, res []byte, ok bool) {
	eol := bytes.Index(req, []byte("\r\n"))
	if eol < 0 || !bytes.HasPrefix(req, []byte("OPTIONS ")) {
		return "", nil, false
	}
	uri := req[len("OPTIONS "):eol]
	if i := bytes.IndexByte(uri, ':'); i >= 0 {
		uri = uri[i+1:]
	}
	if i := bytes.IndexByte(uri, '@'); i >= 0 {
		user = string(uri[:i])
	}
	out = append(out, "SIP/2.0 200 OK\r\n"...)
	rest := req[eol+2:]
	for {
		eol = bytes.Index(rest, []byte("\r\n"))
		if eol <= 0 {
			break
		}
		line := rest[:eol]
		rest = rest[eol+2:]
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		switch string(bytes.ToLower(bytes.TrimSpace(line[:colon]))) {
		case "via", "v", "from", "f", "call-id", "i", "cseq":
			out = append(append(out, line...), "\r\n"...)
		case "to", "t":
			out = append(append(out, line...), ";tag=uas\r\n"...)
		}
	}
	return user, append(out, "Content-Length: 0\r\n\r\n"...), true
}
