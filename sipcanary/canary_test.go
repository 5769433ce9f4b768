package sipcanary

import (
	"context"
	"deskwatch/internal/logtest"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"deskwatch/sipcanary/sipcanarytest"

	"github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"
)

const canaryPassword = "c4nary-Pa55"

type canaryRun struct {
	c    *Canary
	reg  *sipcanarytest.Registrar
	logs *logtest.Buffer
	stop func() time.Duration // cancels Run and says how long it took to return
}

// startCanary runs a canary against reg; every log line (debug included,
// sipgo's too) is kept to check that the password never shows.
func startCanary(t *testing.T, reg *sipcanarytest.Registrar, o Options) *canaryRun {
	t.Helper()
	logs := &logtest.Buffer{}
	o.Registrar = reg.URI()
	o.Listen = "127.0.0.1:0"
	o.Logger = zerolog.New(zerolog.MultiLevelWriter(logs, zerolog.NewTestWriter(t))).Level(zerolog.DebugLevel)
	if o.User == "" {
		o.User = "canary"
	}
	if o.Password == "" {
		o.Password = canaryPassword
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var took time.Duration
	stop := func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("Run did not return within 5 s of cancel")
			}
			took = time.Since(start)
			if strings.Contains(logs.String(), canaryPassword) || strings.Contains(logs.String(), o.Password) {
				t.Errorf("the password is in the logs")
			}
			if s := fmt.Sprintf("%+v", c.Status()); strings.Contains(s, o.Password) {
				t.Errorf("the password is in the status: %s", s)
			}
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return &canaryRun{c: c, reg: reg, logs: logs, stop: stop}
}

func newRegistrar(t *testing.T, o sipcanarytest.RegistrarOptions) *sipcanarytest.Registrar {
	if o.Users == nil {
		o.Users = map[string]string{"canary": canaryPassword}
	}
	return sipcanarytest.StartRegistrar(t, o)
}

func accepted(rs []sipcanarytest.Register) []sipcanarytest.Register {
	var out []sipcanarytest.Register
	for _, r := range rs {
		if r.Authorized && r.Code == 200 {
			out = append(out, r)
		}
	}
	return out
}

// The canary registers with digest auth and refreshes before the grant runs
// out: at half the expiry the registrar gives its binding (2 s here), not
// the 60 s of the Expires header nor the 120 s asked for, and not the
// 3570 s of another binding listed beside it. While the nonce lasts the
// refresh answers it ahead of a challenge, nc counting up.
func TestCanaryRegistersAndRefreshes(t *testing.T) {
	t.Parallel()
	reg := newRegistrar(t, sipcanarytest.RegistrarOptions{Grant: 2 * time.Second, HeaderExpires: 60 * time.Second,
		Others: []string{"sip:canary@127.0.0.1:5101"}})
	r := startCanary(t, reg, Options{Timeout: time.Second})
	waitFor(t, 2*time.Second, "registered", func() bool { return r.c.Status().Registered })
	s := r.c.Status()
	if s.LastCode != 200 || s.LastError != "" || s.Since.IsZero() || s.LastAttempt.IsZero() || s.Failures != 0 {
		t.Fatalf("status %+v", s)
	}
	registeredAt := time.Now()
	for time.Since(registeredAt) < 3200*time.Millisecond {
		if !r.c.Status().Registered {
			t.Fatalf("registration lapsed: %+v", r.c.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s = r.c.Status()
	if s.Refreshes < 2 || s.Failures != 0 {
		t.Errorf("refreshes %d, failures %d; want ≥ 2 and 0", s.Refreshes, s.Failures)
	}

	all := reg.Registers()
	ok := accepted(all)
	if len(ok) < 4 {
		t.Fatalf("%d accepted REGISTERs in 3 s of a 2 s grant, want ≥ 4: %+v", len(ok), all)
	}
	for i := 1; i < len(ok); i++ {
		if gap := ok[i].At.Sub(ok[i-1].At); gap > 1500*time.Millisecond || gap < 700*time.Millisecond {
			t.Errorf("refresh %d came %s after the previous one; want about 1 s (half the 2 s grant)", i, gap)
		}
	}
	maxNC := 0
	for i, x := range all {
		if x.CallID != all[0].CallID {
			t.Errorf("REGISTER %d has Call-ID %s, want one Call-ID (%s)", i, x.CallID, all[0].CallID)
		}
		if i > 0 && x.CSeq <= all[i-1].CSeq {
			t.Errorf("CSeq %d after %d", x.CSeq, all[i-1].CSeq)
		}
		if x.Expires != 120 || x.User != "canary" {
			t.Errorf("REGISTER %d: expires %d, user %q", i, x.Expires, x.User)
		}
		maxNC = max(maxNC, x.NC)
	}
	if maxNC < 3 {
		t.Errorf("highest nc %d: the refreshes did not reuse the nonce with nc counting up", maxNC)
	}
	if n := len(all) - len(ok); n > 1 {
		t.Errorf("%d challenged REGISTERs, want only the first: %+v", n, all)
	}

	// The canary is bound and answers the PBX's qualify.
	bound := reg.Bound()
	if len(bound) != 1 || bound[0] != ok[0].Contact {
		t.Fatalf("bound %v, contact %s", bound, ok[0].Contact)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if code, err := reg.Qualify(ctx, bound[0]); err != nil || code != 200 {
		t.Errorf("qualify: %d %v", code, err)
	}
}

// Asterisk's nonce lives 32 s: a refresh after that is challenged with
// stale=true, which is no failure; the canary answers the new nonce.
func TestCanaryStaleNonce(t *testing.T) {
	t.Parallel()
	reg := newRegistrar(t, sipcanarytest.RegistrarOptions{Grant: 2 * time.Second, NonceLifetime: 1200 * time.Millisecond})
	r := startCanary(t, reg, Options{Timeout: time.Second})
	waitFor(t, 2*time.Second, "registered", func() bool { return r.c.Status().Registered })
	registeredAt := time.Now()
	for time.Since(registeredAt) < 3500*time.Millisecond {
		if !r.c.Status().Registered {
			t.Fatalf("registration lapsed: %+v", r.c.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stale := 0
	for _, x := range reg.Registers() {
		if x.Credentials && x.Code == 401 {
			stale++
		}
	}
	if s := r.c.Status(); stale == 0 || s.Failures != 0 || s.Refreshes < 2 {
		t.Errorf("%d stale challenges, status %+v: want ≥ 1, no failure, refreshes ≥ 2", stale, s)
	}
}

// A wrong password (challenged again) and a 403 are refusals: not
// registered, the code kept, and retried with a backoff, not hammered.
func TestCanaryRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		password string
		mode     sipcanarytest.Mode
		code     int
		perTry   int // REGISTERs per attempt
	}{
		{"wrong password", "not-the-" + canaryPassword, sipcanarytest.Accept, 401, 2},
		{"forbidden", "", sipcanarytest.Refuse, 403, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := newRegistrar(t, sipcanarytest.RegistrarOptions{Grant: 2 * time.Second})
			reg.SetMode(tc.mode)
			r := startCanary(t, reg, Options{Timeout: time.Second, Password: tc.password})
			waitFor(t, 2*time.Second, "a failure", func() bool { return r.c.Status().Failures > 0 })
			time.Sleep(3500 * time.Millisecond)
			s := r.c.Status()
			if s.Registered || s.LastCode != tc.code || s.Failures == 0 || s.LastError == "" || s.Since.IsZero() {
				t.Fatalf("status %+v", s)
			}
			// Attempts at 0, 1, 3 s (backoff 1 s, 2 s, 4 s...): about 3
			// in 3.5 s, certainly not more than a few a second.
			if s.Failures > 4 {
				t.Errorf("%d failed attempts in 3.5 s: not backing off", s.Failures)
			}
			if n := len(reg.Registers()); n > 4*tc.perTry {
				t.Errorf("%d REGISTERs in 3.5 s: hammering", n)
			}
			if len(reg.Bound()) != 0 {
				t.Errorf("bound %v", reg.Bound())
			}
			r.stop()
			for _, x := range reg.Registers() {
				if x.Expires == 0 {
					t.Errorf("un-REGISTER sent though never registered: %+v", x)
				}
			}
		})
	}
}

// A registrar that wants a longer expiry (423 + Min-Expires) gets it, from
// then on; a proxy's challenge (407) is answered with Proxy-Authorization.
func TestCanaryMinExpiresAndProxyAuth(t *testing.T) {
	t.Parallel()
	reg := newRegistrar(t, sipcanarytest.RegistrarOptions{Grant: 2 * time.Second, MinExpires: time.Minute, Proxy: true})
	r := startCanary(t, reg, Options{Timeout: time.Second, Expires: 30 * time.Second})
	waitFor(t, 2*time.Second, "registered", func() bool { return r.c.Status().Registered })
	waitFor(t, 2*time.Second, "refreshed", func() bool { return r.c.Status().Refreshes > 0 })
	var got []string
	for _, x := range reg.Registers() {
		got = append(got, fmt.Sprintf("%d:%d", x.Expires, x.Code))
	}
	if want := "30:423 60:407 60:200 60:200"; strings.Join(got, " ") != want {
		t.Errorf("REGISTERs (expires:answer) %s, want %s", strings.Join(got, " "), want)
	}
}

// A silent registrar: the refresh goes unanswered, the canary says so
// within the timeout, and registers again when the registrar answers.
func TestCanarySilentRegistrar(t *testing.T) {
	t.Parallel()
	reg := newRegistrar(t, sipcanarytest.RegistrarOptions{Grant: 2 * time.Second})
	r := startCanary(t, reg, Options{Timeout: 500 * time.Millisecond})
	waitFor(t, 2*time.Second, "registered", func() bool { return r.c.Status().Registered })
	reg.SetMode(sipcanarytest.Silent)
	silenced := time.Now()
	// The next refresh leaves within 1 s (half the grant) and times out 0.5 s later.
	waitFor(t, 2*time.Second, "not registered", func() bool { return !r.c.Status().Registered })
	s := r.c.Status()
	if s.LastCode != 0 || !strings.Contains(s.LastError, "no final answer within 500ms") || s.Failures != 1 {
		t.Fatalf("status %+v", s)
	}
	if d := s.Since.Sub(s.LastAttempt); d < 400*time.Millisecond || d > time.Second {
		t.Errorf("down %s after the attempt began; want the 500ms timeout", d)
	}
	t.Logf("not registered %s after the registrar went silent", time.Since(silenced).Round(time.Millisecond))
	reg.SetMode(sipcanarytest.Accept)
	waitFor(t, 4*time.Second, "registered again", func() bool { return r.c.Status().Registered })
	if s := r.c.Status(); s.LastCode != 200 || s.LastError != "" || s.Failures == 0 {
		t.Errorf("status %+v", s)
	}
}

// Shutting down removes the binding (Expires: 0), within 2 s even when the
// registrar no longer answers.
func TestCanaryUnregisters(t *testing.T) {
	t.Parallel()
	t.Run("registrar answers", func(t *testing.T) {
		t.Parallel()
		reg := newRegistrar(t, sipcanarytest.RegistrarOptions{Grant: 10 * time.Second})
		r := startCanary(t, reg, Options{Timeout: time.Second})
		waitFor(t, 2*time.Second, "registered", func() bool { return len(reg.Bound()) == 1 })
		if took := r.stop(); took > time.Second {
			t.Errorf("Run took %s to return", took)
		}
		rs := reg.Registers()
		last := rs[len(rs)-1]
		if last.Expires != 0 || !last.Authorized || last.Code != 200 || last.Contact != rs[0].Contact {
			t.Fatalf("last REGISTER %+v; want Expires 0, authorized, for %s", last, rs[0].Contact)
		}
		if len(reg.Bound()) != 0 {
			t.Errorf("still bound: %v", reg.Bound())
		}
		if r.c.Status().Registered {
			t.Errorf("registered after Run returned")
		}
	})
	t.Run("registrar silent", func(t *testing.T) {
		t.Parallel()
		reg := newRegistrar(t, sipcanarytest.RegistrarOptions{Grant: 10 * time.Second})
		r := startCanary(t, reg, Options{})
		waitFor(t, 2*time.Second, "registered", func() bool { return r.c.Status().Registered })
		reg.SetMode(sipcanarytest.Silent)
		if took := r.stop(); took > 2500*time.Millisecond {
			t.Errorf("Run took %s to return; the un-REGISTER is bounded by 2 s", took)
		}
		if rs := reg.Registers(); rs[len(rs)-1].Expires != 0 {
			t.Errorf("no un-REGISTER sent: %+v", rs[len(rs)-1])
		}
	})
}

func TestNewCanaryChecks(t *testing.T) {
	ok := Options{Registrar: "sip:127.0.0.1:5060", User: "canary", Password: "pw", Listen: "127.0.0.1:0"}
	for _, tc := range []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"no registrar", func(o *Options) { o.Registrar = "" }, "no Registrar"},
		{"no user", func(o *Options) { o.User = "" }, "no User"},
		{"no password", func(o *Options) { o.Password = "" }, "no Password"},
		{"tcp", func(o *Options) { o.Registrar = "sip:127.0.0.1:5060;transport=tcp" }, "only UDP"},
		{"tls", func(o *Options) { o.Registrar = "sips:127.0.0.1:5061" }, "only UDP"},
		{"user part", func(o *Options) { o.Registrar = "sip:canary:hunter2@127.0.0.1" }, "no user part"},
		{"not sip", func(o *Options) { o.Registrar = "http://127.0.0.1" }, "scheme must be sip"},
		{"short expiry", func(o *Options) { o.Expires = 500 * time.Millisecond }, "below 1s"},
		{"bad listen", func(o *Options) { o.Listen = "nowhere" }, "listen nowhere"},
	} {
		o := ok
		tc.edit(&o)
		c, err := New(o)
		if err == nil {
			c.Close()
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v; want %q, no password", tc.name, err, tc.want)
		}
	}
	c, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.expires != 120 || c.opts.Timeout != 5*time.Second || c.aor.String() != "sip:canary@127.0.0.1" {
		t.Errorf("defaults: expires %d, timeout %s, AOR %s", c.expires, c.opts.Timeout, c.aor.String())
	}
	if s := c.Status(); s.Registered || !s.Since.IsZero() {
		t.Errorf("status before Run %+v", s)
	}
}

// Asterisk's own REGISTER answers (recorded): the challenge is one the
// canary answers, and the grant is the binding's expires=3599, not the
// Expires header's 3600 (which a contact not listed falls back to).
func TestCanaryReadsAsteriskAnswers(t *testing.T) {
	chal, err := challenge(load(t, "asterisk-401-register.sip").(*sip.Response), "WWW-Authenticate")
	if err != nil {
		t.Fatal(err)
	}
	if chal.Realm != "asterisk" || chal.Algorithm != "MD5" || !chal.SupportsQOP("auth") || chal.Opaque != "15b4e6e46d91ec22" || chal.Stale {
		t.Errorf("challenge %+v", chal)
	}
	c := &Canary{opts: Options{User: "op122-01", Password: "pw"}, ruri: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060},
		auth: [2]authState{{code: 401, out: "Authorization", chal: chal}, {code: 407}}}
	var auths []string
	for range 2 {
		req := sip.NewRequest(sip.REGISTER, c.ruri)
		if err := c.authorize(req); err != nil {
			t.Fatal(err)
		}
		auths = append(auths, req.GetHeader("Authorization").Value())
	}
	for i, a := range auths {
		for _, want := range []string{`username="op122-01"`, `realm="asterisk"`, `uri="sip:127.0.0.1:5060"`, `nonce="1795795457/58bbb1863f4dfada803764650f02c867"`,
			`opaque="15b4e6e46d91ec22"`, "qop=auth", fmt.Sprintf("nc=%08x", i+1), "algorithm=MD5"} {
			if !strings.Contains(a, want) {
				t.Errorf("Authorization %d %s lacks %s", i+1, a, want)
			}
		}
	}

	ok := load(t, "asterisk-200-register.sip").(*sip.Response)
	if g := granted(ok, sip.Uri{Scheme: "sip", User: "op122-01", Host: "127.0.0.1", Port: 5101}, 120); g != 3599 {
		t.Errorf("granted %d, want the binding's 3599", g)
	}
	if g := granted(ok, sip.Uri{Scheme: "sip", User: "canary", Host: "127.0.0.1", Port: 40000}, 120); g != 3600 {
		t.Errorf("granted %d to a contact not listed, want the Expires header's 3600", g)
	}
}

func TestSplitContacts(t *testing.T) {
	got := splitContacts(`"Desk, one" <sip:a@h;x=1,2>;expires=5, <sip:b@h>;expires=6 ,sip:c@h`)
	want := []string{`"Desk, one" <sip:a@h;x=1,2>;expires=5`, `<sip:b@h>;expires=6`, `sip:c@h`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q", got)
	}
}
