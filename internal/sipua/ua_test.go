package sipua

import (
	"bytes"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzReadFilter: the read filter sees every UDP datagram before sipgo
// parses it; it never panics and either passes a datagram on whole or
// drops it as stray.
func FuzzReadFilter(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\nContent-Length: 99\r\n\r\nabc"))
	f.Add([]byte("OPTIONS sip:op122-01@127.0.0.1:5101 SIP/2.0\r\n\r\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		strays := 0
		out, err := readFilter(func() { strays++ })(sip.TransportReadProps{Transport: "UDP"}, raw)
		if err != nil || strays == 0 && !bytes.Equal(out, raw) || strays == 1 && out != nil || strays > 1 {
			t.Fatalf("%q: passed %q, %d strays, %v", raw, out, strays, err)
		}
	})
}
