package sipprobe

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"deskwatch/health"

	"github.com/emiago/sipgo/sip"
)

// liar is a raw UDP "phone" that answers every OPTIONS with everything but
// a valid answer: forged, garbled and truncated responses.
type liar struct {
	truth   bool // after the lies, the true answer
	conn    net.PacketConn
	contact string
	probes  atomic.Int64
	sent    atomic.Int64
}

// lies turns the correct response text into answers that must not count.
var lies = map[string]func(ok string, req *sip.Request) string{
	"wrong Call-ID (our branch)": func(ok string, req *sip.Request) string {
		return strings.Replace(ok, "Call-ID: "+req.CallID().Value(), "Call-ID: forged-"+req.CallID().Value(), 1)
	},
	"wrong CSeq number (our branch)": func(ok string, req *sip.Request) string {
		return strings.Replace(ok, req.CSeq().Value(), fmt.Sprintf("%d OPTIONS", req.CSeq().SeqNo+1), 1)
	},
	"wrong CSeq method": func(ok string, req *sip.Request) string {
		return strings.Replace(ok, req.CSeq().Value(), fmt.Sprintf("%d INVITE", req.CSeq().SeqNo), 1)
	},
	"wrong From tag (our branch)": func(ok string, req *sip.Request) string {
		tag, _ := req.From().Params.Get("tag")
		return strings.Replace(ok, "tag="+tag, "tag=forged", 1)
	},
	"unknown branch": func(ok string, req *sip.Request) string {
		b, _ := req.Via().Params.Get("branch")
		return strings.Replace(ok, b, sip.GenerateBranch(), 1)
	},
	"no To (our branch)": func(ok string, req *sip.Request) string {
		lines := strings.Split(ok, "\r\n")
		return strings.Join(slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, "To:") }), "\r\n")
	},
	"status 999 (our branch)": func(ok string, _ *sip.Request) string {
		return strings.Replace(ok, "SIP/2.0 200 OK", "SIP/2.0 999 OK", 1)
	},
	"SIP/3.0 (our branch)": func(ok string, _ *sip.Request) string {
		return strings.Replace(ok, "SIP/2.0 200 OK", "SIP/3.0 200 OK", 1)
	},
	"provisional only": func(ok string, _ *sip.Request) string {
		return strings.Replace(ok, "SIP/2.0 200 OK", "SIP/2.0 180 Ringing", 1)
	},
	"truncated headers": func(ok string, _ *sip.Request) string { return ok[:len(ok)/2] },
	"truncated body": func(ok string, _ *sip.Request) string {
		return strings.Replace(ok, "Content-Length: 0", "Content-Length: 40", 1) + "v=0"
	},
	"no blank line": func(ok string, _ *sip.Request) string { return strings.TrimSuffix(ok, "\r\n") },
	"garbage":       func(string, *sip.Request) string { return "\x16\x03\x01 definitely not SIP\r\n\r\n" },
}

func newLiar(t *testing.T, truth bool) *liar {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &liar{truth: truth, conn: c, contact: "sip:liar@" + c.LocalAddr().String()}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 65535)
		seen := map[string]bool{}
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			msg, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
			req, ok := msg.(*sip.Request)
			if err != nil || !ok {
				continue
			}
			if !seen[req.CallID().Value()] {
				seen[req.CallID().Value()] = true
				l.probes.Add(1)
			}
			good := sip.NewResponseFromRequest(req, 200, "OK", nil).String()
			for name, lie := range lies {
				if l.truth && name == "provisional only" {
					continue // would be taken as the provisional answer it is
				}
				c.WriteTo([]byte(lie(good, req)), from)
				l.sent.Add(1)
			}
			if l.truth {
				c.WriteTo([]byte(good), from)
			}
		}
	}()
	return l
}

// A phone that answers only with forged, garbled or truncated responses is
// lost, never up; one that sends them before its true answer is up (a lie
// does not end the probe); a stray flood at the prober's port changes
// nothing for a good phone. Nothing crashes.
func TestStrayPacketsChangeNothing(t *testing.T) {
	good := newPhone(t, "udp", "op122-07", func(int) action { return answer(200) })
	bad := newLiar(t, false)
	late := newLiar(t, true)
	h := startProber(t, testOptions(t), func(p *Prober) {
		p.SetTarget("PJSIP/op122-07", good.contact, nil)
		p.SetTarget("PJSIP/liar", bad.contact, nil)
		p.SetTarget("PJSIP/truth-last", late.contact, nil)
	})
	waitFor(t, 5*time.Second, "the good phone up", func() bool { return len(h.of("PJSIP/op122-07")) == 1 })
	before := h.p.Stats()

	// The flood: every packet below is one that sipgo (or we) count as stray.
	flood, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	to := h.p.LocalAddr()
	rnd := rand.New(rand.NewPCG(1, 2))
	okForNobody := func() string {
		return "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP " + to.String() + ";branch=" + sip.GenerateBranch() + "\r\n" +
			"From: <sip:deskwatch@127.0.0.1>;tag=abc\r\nTo: <sip:op122-07@127.0.0.1>;tag=x\r\n" +
			"Call-ID: " + fmt.Sprint(rnd.Int()) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	}
	packets := []func() []byte{
		func() []byte { b := make([]byte, 1+rnd.IntN(1400)); fillRandom(rnd, b); return b },
		func() []byte { return []byte(okForNobody()) },                                       // matches no transaction
		func() []byte { s := okForNobody(); return []byte(s[:rnd.IntN(len(s))]) },            // truncated
		func() []byte { return []byte(strings.Replace(okForNobody(), "Via:", "X-Via:", 1)) }, // no Via: no key
		func() []byte {
			return []byte("OPTIONS sip:deskwatch@" + to.String() + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=" + sip.GenerateBranch() +
				"\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:deskwatch@127.0.0.1>\r\nCall-ID: " + fmt.Sprint(rnd.Int()) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
		}, // a request to us
		func() []byte { return make([]byte, 40000) }, // larger than sipgo's read buffer once non-zero
	}
	var counted int
	end := time.Now().Add(4 * testOptions(t).Interval)
	for i := 0; time.Now().Before(end); i++ {
		b := packets[i%len(packets)]()
		if i%len(packets) == 5 {
			b[0] = 'S'
		}
		if _, err := flood.WriteTo(b, to); err != nil {
			t.Fatal(err)
		}
		counted++
		if i%len(packets) == len(packets)-1 {
			// Flow control: the next round goes out once the prober has read
			// this one, so the flood never overflows the socket's receive
			// buffer (a busy machine would otherwise drop the good phone's
			// answers in the kernel, which no prober can help). It is still
			// a flood: as fast as the prober reads.
			waitFor(t, 10*time.Second, "the prober to read the flood", func() bool { return h.p.Stats().Stray-before.Stray >= uint64(counted) })
		}
	}
	waitFor(t, 5*time.Second, "the liar probed 4 times", func() bool { return bad.probes.Load() >= 4 })
	time.Sleep(testOptions(t).Timeout)

	if got := kinds(h.of("PJSIP/op122-07")); !slices.Equal(got, []health.Kind{health.KindProbeOK}) {
		t.Errorf("good phone: %v", got)
	}
	if got := kinds(h.of("PJSIP/liar")); !slices.Equal(got, []health.Kind{health.KindProbeLost}) {
		t.Errorf("liar: %v, want only ProbeLost", got)
	}
	if got := kinds(h.of("PJSIP/truth-last")); !slices.Equal(got, []health.Kind{health.KindProbeOK}) {
		t.Errorf("the true answer after the lies: %v, want only ProbeOK", got)
	}
	if r := h.p.Results()["PJSIP/truth-last"]; !r.Alive || r.Code != 200 {
		t.Errorf("truth-last result %+v", r)
	}
	if n := len(h.observations()); n != 3 {
		t.Errorf("%d observations: %+v", n, h.observations())
	}
	if r := h.p.Results()["PJSIP/op122-07"]; !r.Alive || r.Code != 200 {
		t.Errorf("good phone result %+v", r)
	}
	if r := h.p.Results()["PJSIP/liar"]; r.Alive || r.Misses < 4 {
		t.Errorf("liar result %+v", r)
	}
	after := h.p.Stats()
	stray := after.Stray - before.Stray
	t.Logf("flood %d packets, liar %d lies; stray counted %d; %+v", counted, bad.sent.Load(), stray, after)
	if stray < uint64(counted) {
		t.Errorf("stray %d for a flood of %d", stray, counted)
	}
	if after.Answers <= before.Answers {
		t.Error("the good phone stopped being answered during the flood")
	}
}

func fillRandom(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// Every way a packet can be stray is counted exactly once. sipgo reports
// some only in its logs: this pins those messages to the sipgo in go.mod.
func TestStrayAccounting(t *testing.T) {
	h := startProber(t, testOptions(t), nil)
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	to := h.p.LocalAddr()
	via := "Via: SIP/2.0/UDP " + c.LocalAddr().String() + ";branch=" + sip.GenerateBranch() + "\r\n"
	hdrs := "From: <sip:a@b>;tag=1\r\nTo: <sip:deskwatch@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	for _, tc := range []struct {
		name, packet, reply string
	}{
		{"not SIP (read filter)", "GET / HTTP/1.1\r\n\r\n", ""},
		{"truncated (sipgo: failed to parse)", "SIP/2.0 200 OK\r\n" + via + "From: <sip:a@b>;ta", ""},
		{"no Via (sipgo: Client tx failed to handle response)", "SIP/2.0 200 OK\r\n" + hdrs, ""},
		{"no transaction (sipgo: unhandled response)", "SIP/2.0 200 OK\r\n" + via + hdrs, ""},
		{"OPTIONS to the prober", "OPTIONS sip:deskwatch@" + to.String() + " SIP/2.0\r\n" + via + "Max-Forwards: 70\r\n" + hdrs, "SIP/2.0 200 OK"},
		{"request without CSeq (sipgo: Server tx failed to handle request)", "NOTIFY sip:deskwatch@" + to.String() + " SIP/2.0\r\n" + via + strings.Replace(hdrs, "CSeq: 7 OPTIONS\r\n", "", 1), "SIP/2.0 400 Bad Request"},
	} {
		before := h.p.Stats().Stray
		if _, err := c.WriteTo([]byte(tc.packet), to); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Second, tc.name+" counted", func() bool { return h.p.Stats().Stray > before })
		if tc.reply != "" {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 2048)
			n, _, err := c.ReadFrom(buf)
			if err != nil || !strings.HasPrefix(string(buf[:n]), tc.reply) {
				t.Errorf("%s: reply %q, %v; want %s", tc.name, buf[:n], err, tc.reply)
			}
		}
		time.Sleep(20 * time.Millisecond)
		if got := h.p.Stats().Stray - before; got != 1 {
			t.Errorf("%s: counted %d times", tc.name, got)
		}
	}
	if len(h.observations()) != 0 {
		t.Errorf("observations: %+v", h.observations())
	}
}
