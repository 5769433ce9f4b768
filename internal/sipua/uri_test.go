package sipua

import (
	"strings"
	"testing"
)

func TestParseContact(t *testing.T) {
	for _, tc := range []struct{ contact, transport, err string }{
		{"sip:op122-01@127.0.0.1:5101", "UDP", ""},
		{"<sip:op122-01@10.0.0.5:5060;transport=UDP;rinstance=ab12>", "UDP", ""},
		{"sip:op122-01@10.0.0.5:5060;transport=TCP", "TCP", ""},
		{"sip:op@10.0.0.5;transport=tls", "TLS", ""},
		{"sips:op@10.0.0.5", "TLS", ""},
		{"sips:op@10.0.0.5;transport=tcp", "TLS", ""},
		{"sip:op@phone.example.org", "UDP", ""},
		{"sip:op@10.0.0.5;transport=ws", "", "transport WS not supported"},
		{"tel:+73952000000", "", "scheme must be sip or sips"},
		{"", "", "bad contact URI"},
		{"sip:", "", ""},
	} {
		_, tp, err := ParseContact(tc.contact)
		switch {
		case tc.err == "" && tc.transport != "" && (err != nil || tp != tc.transport):
			t.Errorf("%q: %s, %v; want %s", tc.contact, tp, err, tc.transport)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want %q", tc.contact, err, tc.err)
		case tc.contact == "sip:" && err == nil:
			t.Errorf("%q accepted", tc.contact)
		}
	}
}
