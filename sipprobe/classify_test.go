package sipprobe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"deskwatch/internal/sipua"
	"deskwatch/internal/sipua/sipuatest"
)

func load(t testing.TB, name string) sip.Message { return sipuatest.Load(t, "testdata/"+name) }

// The responses recorded from the hotline's Asterisk and a phone.
func TestClassifyRecorded(t *testing.T) {
	for _, tc := range []struct {
		file, req string
		code      int
		reason    string
	}{
		{"asterisk-401-options.sip", "asterisk-options-request.sip", 401, "401 Unauthorized (challenge: alive)"},
		{"phone-200-options.sip", "asterisk-options-to-phone.sip", 200, "200 OK"},
		{"asterisk-200-options-authenticated.sip", "", 200, "200 OK"},
	} {
		res := load(t, tc.file).(*sip.Response)
		r := Classify(res, nil, 2118*time.Microsecond)
		if !r.Alive || r.Code != tc.code || r.RTT != 2118*time.Microsecond || r.Reason != tc.reason {
			t.Errorf("%s: %+v", tc.file, r)
		}
		if tc.req != "" {
			if err := sipua.Match(load(t, tc.req).(*sip.Request), res); err != nil {
				t.Errorf("%s answers %s: %v", tc.file, tc.req, err)
			}
		}
	}
	// The PBX's 401 does not answer the PBX's own qualify of a phone.
	if err := sipua.Match(load(t, "asterisk-options-to-phone.sip").(*sip.Request), load(t, "asterisk-401-options.sip").(*sip.Response)); !errors.Is(err, sipua.ErrMismatch) {
		t.Errorf("cross match: %v", err)
	}
}

func TestClassify(t *testing.T) {
	req := load(t, "asterisk-options-to-phone.sip").(*sip.Request)
	resp := func(code int, edit func(*sip.Response)) *sip.Response {
		r := sip.NewResponseFromRequest(req, code, "Reason", nil)
		if edit != nil {
			edit(r)
		}
		return r
	}
	timeout := fmt.Errorf("probe: %w", context.DeadlineExceeded)
	for _, tc := range []struct {
		name   string
		res    *sip.Response
		err    error
		alive  bool
		code   int
		reason string
	}{
		{"200", resp(200, nil), nil, true, 200, "200 Reason"},
		{"202", resp(202, nil), nil, true, 202, "202 Reason"},
		{"302", resp(302, nil), nil, true, 302, "302 Reason (alive)"},
		{"404", resp(404, nil), nil, true, 404, "404 Reason (alive)"},
		{"407", resp(407, nil), nil, true, 407, "407 Reason (challenge: alive)"},
		{"503 do-not-disturb", resp(503, nil), nil, true, 503, "503 Reason (alive; do-not-disturb or maintenance?)"},
		{"699", resp(699, nil), nil, true, 699, "699 Reason (alive)"},
		{"provisional only", resp(180, nil), nil, false, 0, "only provisional 180 Reason"},
		{"timeout", nil, timeout, false, 0, "timeout"},
		{"timeout after 100", resp(100, nil), timeout, false, 0, "timeout (only 100 Reason)"},
		{"sipgo timer B", nil, sip.ErrTransactionTimeout, false, 0, "timeout"},
		{"transport", nil, errors.New("connect: connection refused"), false, 0, "error: connect: connection refused"},
		{"final but error", resp(200, nil), errors.New("boom"), false, 0, "error: boom"},
		{"nothing", nil, nil, false, 0, "no response"},
		{"status 0", resp(0, nil), nil, false, 0, "malformed response: status 0"},
		{"status 99", resp(99, nil), nil, false, 0, "malformed response: status 99"},
		{"status 700", resp(700, nil), nil, false, 0, "malformed response: status 700"},
		{"SIP/3.0", resp(200, func(r *sip.Response) { r.SipVersion = "SIP/3.0" }), nil, false, 0, `malformed response: version "SIP/3.0"`},
		{"no Via", resp(200, func(r *sip.Response) { r.RemoveHeader("Via") }), nil, false, 0, "malformed response: no Via"},
		{"no From", resp(200, func(r *sip.Response) { r.RemoveHeader("From") }), nil, false, 0, "malformed response: no From"},
		{"no To", resp(200, func(r *sip.Response) { r.RemoveHeader("To") }), nil, false, 0, "malformed response: no To"},
		{"no Call-ID", resp(200, func(r *sip.Response) { r.RemoveHeader("Call-ID") }), nil, false, 0, "malformed response: no Call-ID"},
		{"no CSeq", resp(200, func(r *sip.Response) { r.RemoveHeader("CSeq") }), nil, false, 0, "malformed response: no CSeq"},
		{"CSeq INVITE", resp(200, func(r *sip.Response) { r.CSeq().MethodName = sip.INVITE }), nil, false, 0, "malformed response: CSeq method INVITE"},
	} {
		r := Classify(tc.res, tc.err, 5*time.Millisecond)
		if r.Alive != tc.alive || r.Code != tc.code || r.Reason != tc.reason {
			t.Errorf("%s: %+v, want alive=%v code=%d reason %q", tc.name, r, tc.alive, tc.code, tc.reason)
		}
		if !r.Alive && r.RTT != 0 || r.Alive && r.RTT != 5*time.Millisecond {
			t.Errorf("%s: RTT %s", tc.name, r.RTT)
		}
	}
}

// FuzzClassify: any parsed message, status code, error and RTT; the result
// obeys the rules and nothing panics.
func FuzzClassify(f *testing.F) {
	for _, name := range []string{"asterisk-401-options.sip", "phone-200-options.sip", "asterisk-200-options-authenticated.sip"} {
		b, _ := os.ReadFile("testdata/" + name)
		f.Add(b, uint16(0), uint8(0), int64(2e6))
	}
	f.Add([]byte("SIP/2.0 180 Ringing\r\n\r\n"), uint16(180), uint8(1), int64(-1))
	f.Add([]byte{}, uint16(503), uint8(2), int64(0))
	errs := []error{nil, context.DeadlineExceeded, errors.New("connection refused"), sip.ErrTransactionTimeout}
	f.Fuzz(func(t *testing.T, raw []byte, code uint16, errKind uint8, rtt int64) {
		res, _ := parseResponse(raw)
		if res != nil && code != 0 {
			res.StatusCode = int(code)
		}
		err := errs[int(errKind)%len(errs)]
		r := Classify(res, err, time.Duration(rtt))
		if r.Reason == "" {
			t.Fatal("no reason")
		}
		if r.Alive != (err == nil && res != nil && malformed(res) == "" && res.StatusCode >= 200) {
			t.Fatalf("alive=%v for %v / %v", r.Alive, res, err)
		}
		if r.Alive && (r.Code < 200 || r.Code > 699 || r.RTT < 0) || !r.Alive && (r.Code != 0 || r.RTT != 0) {
			t.Fatalf("inconsistent %+v", r)
		}
	})
}

// FuzzParseResponse feeds raw bytes through the path a UDP datagram takes
// in the prober after the read filter (sipua's FuzzReadFilter): sipgo's
// parser, Match and Classify.
func FuzzParseResponse(f *testing.F) {
	for _, name := range []string{"asterisk-401-options.sip", "phone-200-options.sip", "asterisk-200-options-authenticated.sip", "asterisk-options-to-phone.sip"} {
		b, _ := os.ReadFile("testdata/" + name)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte("SIP/2.0 200 OK\r\nContent-Length: 99\r\n\r\nabc"))
	f.Add([]byte("\r\n\r\n"))
	req := load(f, "asterisk-options-to-phone.sip").(*sip.Request)
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := parseResponse(raw)
		if err != nil || res == nil {
			return
		}
		if sipua.Match(req, res) == nil && malformed(res) == "" && res.StatusCode >= 200 {
			if r := Classify(res, nil, time.Millisecond); !r.Alive {
				t.Fatalf("a matching final response is not alive: %+v", r)
			}
		}
		Classify(res, nil, 0)
		sip.ClientTxKeyMake(res) // what sipgo's transaction layer does next
	})
}

func parseResponse(raw []byte) (*sip.Response, error) {
	m, err := sip.NewParser().ParseSIP(raw)
	if err != nil {
		return nil, err
	}
	res, _ := m.(*sip.Response)
	return res, nil
}
