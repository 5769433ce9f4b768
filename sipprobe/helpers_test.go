package sipprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/testcert"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) {
	minInterval = 10 * time.Millisecond // tests run on short intervals
	// The phones' user agents log through sipgo's default logger.
	BridgeSIPLogs(zerolog.New(os.Stderr).Level(zerolog.ErrorLevel))
	os.Exit(m.Run())
}

// action is what a scripted phone does with its n-th OPTIONS (n from 1).
type action struct {
	code   int           // response code; 0 = stay silent
	delay  time.Duration // before answering
	header sip.Header    // extra header on the response
}

func answer(code int) action { return action{code: code} }

var silent = action{}

// phone is a sipgo user agent answering OPTIONS by script; it plays an
// operator's desk phone or the PBX.
type phone struct {
	ua      *sipgo.UserAgent
	contact string
	closeFn func()

	mu       sync.Mutex
	script   func(n int) action
	seen     map[string]int // Call-ID → n (retransmissions are not new requests)
	arrivals []time.Time    // of request n at [n-1]
}

// newPhone starts a phone on network "udp", "tcp" or "tls" on loopback.
func newPhone(t testing.TB, network, user string, script func(n int) action) *phone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	ph := &phone{ua: ua, script: script, seen: map[string]int{}}
	srv.OnOptions(ph.handle)
	var addr string
	var closer func() error
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr, closer = c.LocalAddr().String(), c.Close
		go srv.ServeUDP(c)
		ph.contact = fmt.Sprintf("sip:%s@%s", user, addr)
	case "tcp", "tls":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr, closer = l.Addr().String(), l.Close
		if network == "tcp" {
			go srv.ServeTCP(l)
			ph.contact = fmt.Sprintf("sip:%s@%s;transport=tcp", user, addr)
		} else {
			go srv.ServeTLS(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{testCert(t)}}))
			ph.contact = fmt.Sprintf("sips:%s@%s", user, addr)
		}
	}
	var once sync.Once
	ph.closeFn = func() { once.Do(func() { closer(); ua.Close() }) }
	t.Cleanup(ph.closeFn)
	return ph
}

func (ph *phone) handle(req *sip.Request, tx sip.ServerTransaction) {
	ph.mu.Lock()
	id := req.CallID().Value()
	n, again := ph.seen[id]
	if !again {
		ph.arrivals = append(ph.arrivals, time.Now())
		n = len(ph.arrivals)
		ph.seen[id] = n
	}
	a := ph.script(n)
	ph.mu.Unlock()
	if a.code == 0 {
		return
	}
	if a.delay > 0 {
		time.Sleep(a.delay)
	}
	res := sip.NewResponseFromRequest(req, a.code, reasonOf(a.code), nil)
	if a.header != nil {
		res.AppendHeader(a.header)
	}
	tx.Respond(res)
}

// stop takes the phone off the network, like a power cut.
func (ph *phone) stop() { ph.closeFn() }

func (ph *phone) count() int {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return len(ph.arrivals)
}

func (ph *phone) arrival(n int) time.Time {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return ph.arrivals[n-1]
}

func (ph *phone) setScript(s func(n int) action) {
	ph.mu.Lock()
	ph.script = s
	ph.mu.Unlock()
}

func reasonOf(code int) string {
	switch code {
	case 200:
		return "OK"
	case 401:
		return "Unauthorized"
	case 503:
		return "Service Unavailable"
	}
	return "Whatever"
}

var (
	certOnce sync.Once
	cert     tls.Certificate
	certPool *x509.CertPool
)

// testCert is a self-signed certificate for 127.0.0.1.
func testCert(t testing.TB) tls.Certificate {
	certOnce.Do(func() {
		c := testcert.New(t, "phone")
		certPool = x509.NewCertPool()
		certPool.AddCert(c.X509)
		cert = c.TLS
	})
	return cert
}

// harness runs a Prober and collects what it emits.
type harness struct {
	t   testing.TB
	p   *Prober
	out chan health.Observation

	mu  sync.Mutex
	got []health.Observation
}

func testOptions(t testing.TB) Options {
	return Options{
		Logger:           zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
		Interval:         300 * time.Millisecond,
		Timeout:          150 * time.Millisecond,
		MissesBeforeDown: 2,
		AnswersBeforeUp:  1,
		Listen:           "127.0.0.1:0",
	}
}

func startProber(t testing.TB, opts Options, setup func(p *Prober)) *harness {
	t.Helper()
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(p)
	}
	h := &harness{t: t, p: p, out: make(chan health.Observation)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, h.out) }()
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for {
			select {
			case o := <-h.out:
				h.mu.Lock()
				h.got = append(h.got, o)
				h.mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run did not return within 5 s of cancel")
		}
		<-collected
	})
	return h
}

func (h *harness) observations() []health.Observation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]health.Observation(nil), h.got...)
}

// of returns the observations about endpoint ("" = source level).
func (h *harness) of(endpoint string) []health.Observation {
	var out []health.Observation
	for _, o := range h.observations() {
		if o.Endpoint == endpoint {
			out = append(out, o)
		}
	}
	return out
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func kinds(obs []health.Observation) []health.Kind {
	out := make([]health.Kind, len(obs))
	for i, o := range obs {
		out[i] = o.Kind
	}
	return out
}

func near(a, b time.Time, tol time.Duration) bool {
	d := a.Sub(b)
	return d <= tol && d >= -tol
}

func tlsClientConfig() *tls.Config { return &tls.Config{RootCAs: certPool} }
