package monitor_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/logtest"
	"deskwatch/internal/monitor"
	"deskwatch/metrics"
	"deskwatch/store"
)

var twoDesks = []health.Workstation{
	{ID: "d1", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d1"}},
	{ID: "d2", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d2"}},
	{ID: "d3", Hotlines: []string{"117"}, Endpoints: []string{"PJSIP/d3"}},
}

// start runs a monitor on the rig's store with opt's extra settings, its
// logs in the returned buffer; stop waits for Run to return.
func (r *rig) start(tune func(*monitor.Options)) (m *monitor.Monitor, logs *logtest.Buffer, stop func() error) {
	logs = &logtest.Buffer{}
	opt := monitor.Options{Workstations: twoDesks, Store: r.st, Logger: zerolog.New(logs), Now: func() time.Time { return r.clock },
		RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond, Heartbeat: 50 * time.Millisecond}
	if tune != nil {
		tune(&opt)
	}
	m = monitor.New(opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			r.t.Fatal("monitor did not stop")
			return nil
		}
	}
	r.t.Cleanup(func() { stop() })
	return m, logs, stop
}

func contact(ep string, at time.Time, k health.Kind) health.Observation {
	return health.Observation{Endpoint: ep, Source: health.SourceARI, Kind: k, At: at, Contact: "sip:" + ep[6:] + "@h"}
}

// spansOf returns ws's spans as "start..end" (RFC 3339 ms; end "" if open).
func (r *rig) spansOf(ws string) []string {
	var out []string
	for _, s := range r.spans() {
		if s.Workstation != ws {
			continue
		}
		end := ""
		if !s.Open() {
			end = s.End.Format(time.RFC3339Nano)
		}
		out = append(out, s.Start.Format(time.RFC3339Nano)+".."+end)
	}
	slices.Sort(out)
	return out
}

func span(a, b time.Time) string {
	end := ""
	if !b.IsZero() {
		end = b.Format(time.RFC3339Nano)
	}
	return a.Format(time.RFC3339Nano) + ".." + end
}

// Issue 9: Redis is away, a phone un-registers, deskwatch stops before
// Redis returns. The decision waits in the spool; the next start, with
// Redis back, writes it with its own time and continues the span.
func TestSpoolKeepsDecisionsAcrossRestart(t *testing.T) {
	r := newRig(t)
	dir := t.TempDir()
	m, logs, stop := r.start(func(o *monitor.Options) { o.SpoolDir = dir })
	r.redis.Stop()
	t1 := r.clock.Add(10 * time.Second)
	m.Input() <- contact("PJSIP/d1", t1, health.KindContactRemoved)
	eventually(t, "down, not written", func() bool { s := m.Stats(); return s.Transitions == 1 && !s.StoreOK && s.Queued > 0 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "wait in the spool for the next start") {
		t.Fatalf("log: %s", logs)
	}

	r.redis.Restart()
	r.clock = r.clock.Add(time.Minute)
	m, _, _ = r.start(func(o *monitor.Options) { o.SpoolDir = dir })
	eventually(t, "replayed", func() bool { s := m.Stats(); return s.StoreOK && s.Queued == 0 })
	if got, want := r.spansOf("d1"), []string{span(t1, time.Time{})}; !slices.Equal(got, want) {
		t.Fatalf("spans %v, want %v", got, want)
	}
	// The spooled decision also restored the desk: the span goes on.
	if v, _ := m.View("d1"); v.Decided != health.StateDown || v.Cause != health.CauseUnregistered {
		t.Fatalf("view after restart %+v", v)
	}
	t2 := r.clock.Add(time.Second)
	m.Input() <- contact("PJSIP/d1", t2, health.KindContactAvailable)
	eventually(t, "closed", func() bool { return slices.Equal(r.spansOf("d1"), []string{span(t1, t2)}) })
}

// A full spool refuses nothing silently: the decisions wait in memory, the
// log, the metrics and the warnings say so, and all of them land in order
// once Redis is back.
func TestSpoolFullKeepsDecisionsInMemoryAndSaysSo(t *testing.T) {
	r := newRig(t)
	m, logs, _ := r.start(func(o *monitor.Options) { o.SpoolDir, o.SpoolMaxBytes = t.TempDir(), 16<<10 })
	r.redis.Stop()
	const flips = 400 // ~200 bytes each: more than 16 KiB
	for i := range flips {
		k := health.KindContactRemoved
		if i%2 == 1 {
			k = health.KindContactAvailable
		}
		m.Input() <- contact("PJSIP/d2", r.clock.Add(time.Duration(i)*time.Second), k)
	}
	eventually(t, "decided, spool full", func() bool {
		s := m.Stats()
		return s.Transitions == flips && s.SpoolFull && s.Unspooled > 0 && s.Queued >= flips
	})
	ws := m.Warnings()
	if len(ws) != 1 || ws[0].Code != monitor.WarnSpoolFull || ws[0].Count == 0 || !strings.Contains(ws[0].Detail, "max_bytes") {
		t.Fatalf("warnings %+v", ws)
	}
	if !strings.Contains(logs.String(), "spool full") {
		t.Fatalf("log: %s", logs)
	}
	if v := metricValue(m, "deskwatch_spool_full"); v != 1 {
		t.Fatalf("deskwatch_spool_full = %v", v)
	}

	r.redis.Restart()
	eventually(t, "all written", func() bool { s := m.Stats(); return s.StoreOK && s.Queued == 0 })
	if got := r.spansOf("d2"); len(got) != flips/2 {
		t.Fatalf("%d spans, want %d", len(got), flips/2)
	}
	eventually(t, "warning cleared", func() bool { return len(m.Warnings()) == 0 && !m.Stats().SpoolFull })
}

func metricValue(c metrics.Collector, name string) float64 {
	for _, s := range c.Metrics() {
		if s.Name == name {
			return s.Value
		}
	}
	return -1
}

// Issue 13: a write the store refuses as invalid goes to the dead letters
// (Redis and the log, in full); the writes around it, of other desks,
// land, and nothing is retried forever.
func TestInvalidWriteGoesToDeadLetters(t *testing.T) {
	r := newRig(t)
	m, logs, _ := r.start(nil)
	t1 := r.clock.Add(time.Second)
	far := time.Date(2110, 1, 1, 0, 0, 0, 0, time.UTC) // outside what the store keeps
	// Our own probes' times are never re-dated: only the store can stop this one.
	lost := health.Observation{Endpoint: "PJSIP/d3", Source: health.SourceSIP, Kind: health.KindProbeLost, At: far, Contact: "sip:d3@h"}
	for _, o := range []health.Observation{
		contact("PJSIP/d1", t1, health.KindContactRemoved),
		contact("PJSIP/d2", t1.Add(time.Second), health.KindContactRemoved),
		lost,
		contact("PJSIP/d1", t1.Add(2*time.Second), health.KindContactAvailable),
		contact("PJSIP/d2", t1.Add(3*time.Second), health.KindContactAvailable),
	} {
		m.Input() <- o
	}
	eventually(t, "written", func() bool { s := m.Stats(); return s.Transitions == 5 && s.Queued == 0 && s.StoreOK })
	if got, want := r.spansOf("d1"), []string{span(t1, t1.Add(2*time.Second))}; !slices.Equal(got, want) {
		t.Errorf("d1 spans %v, want %v", got, want)
	}
	if got, want := r.spansOf("d2"), []string{span(t1.Add(time.Second), t1.Add(3*time.Second))}; !slices.Equal(got, want) {
		t.Errorf("d2 spans %v, want %v", got, want)
	}
	dl, err := r.st.DeadLetters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(dl) != 1 || dl[0].Kind != "transition" || !strings.Contains(dl[0].Content, `"ws":"d3"`) ||
		!strings.Contains(dl[0].Content, `"at":"2110-01-01T00:00:00Z"`) || !strings.Contains(dl[0].Reason, "2109") {
		t.Fatalf("dead letters %+v", dl)
	}
	if s := m.Stats(); s.DeadLetters != 1 {
		t.Fatalf("stats %+v", s)
	}
	if ws := m.Warnings(); len(ws) != 1 || ws[0].Code != monitor.WarnDeadLetters || !strings.Contains(ws[0].Detail, "d3") {
		t.Fatalf("warnings %+v", ws)
	}
	if l := logs.String(); !strings.Contains(l, "dead letters") || !strings.Contains(l, `"ws":"d3"`) {
		t.Fatalf("log: %s", l)
	}
	if v := metricValue(m, "deskwatch_store_dead_letters_total"); v != 1 {
		t.Fatalf("deskwatch_store_dead_letters_total = %v", v)
	}

	// A blind interval refused the same way does not hold the queue either.
	m.Input() <- health.Observation{Source: health.SourceSIP, Kind: health.KindBlind, At: far}
	t2 := t1.Add(time.Minute)
	m.Input() <- contact("PJSIP/d1", t2, health.KindContactRemoved)
	eventually(t, "d1 down again", func() bool { return len(r.spansOf("d1")) == 2 })
	eventually(t, "second dead letter", func() bool { return m.Stats().DeadLetters == 2 })
}

// Issue 13: an ARI event dated far from its receipt is dated by its
// receipt, counted, and warned of; one within max_skew keeps the PBX's time.
func TestClockSkewDatesByReceipt(t *testing.T) {
	r := newRig(t)
	m, logs, _ := r.start(func(o *monitor.Options) { o.MaxSkew = 2 * time.Second })
	recv := r.clock.Add(time.Minute)
	ahead := contact("PJSIP/d1", time.Date(2110, 1, 1, 0, 0, 0, 0, time.UTC), health.KindContactRemoved)
	ahead.Received = recv
	near := contact("PJSIP/d1", recv.Add(10*time.Second+1500*time.Millisecond), health.KindContactAvailable)
	near.Received = recv.Add(10 * time.Second)
	m.Input() <- ahead
	m.Input() <- near
	eventually(t, "span", func() bool { s := r.spansOf("d1"); return len(s) == 1 && !strings.HasSuffix(s[0], "..") })
	if got, want := r.spansOf("d1"), []string{span(recv, near.At)}; !slices.Equal(got, want) {
		t.Fatalf("spans %v, want %v", got, want)
	}
	if s := m.Stats(); s.ClockSkew != 1 {
		t.Fatalf("stats %+v", s)
	}
	if ws := m.Warnings(); len(ws) != 1 || ws[0].Code != monitor.WarnClockSkew || !strings.Contains(ws[0].Detail, "2110") {
		t.Fatalf("warnings %+v", ws)
	}
	if v := metricValue(m, "deskwatch_ari_clock_skew_total"); v != 1 {
		t.Fatalf("deskwatch_ari_clock_skew_total = %v", v)
	}
	if !strings.Contains(logs.String(), "PBX's clock off") {
		t.Fatalf("log: %s", logs)
	}
	if dl, _ := r.st.DeadLetters(context.Background()); len(dl) != 0 {
		t.Fatalf("dead letters %+v", dl)
	}
}

// frozenStore is Redis frozen (SIGSTOP): its writes hang, past any
// deadline, until the test thaws it.
type frozenStore struct {
	*store.Store
	entered chan struct{} // a write is hanging
	thaw    chan struct{} // closed: writes go through
}

func (f *frozenStore) Apply(ctx context.Context, trs []health.Transition) error {
	select {
	case f.entered <- struct{}{}:
	default:
	}
	<-f.thaw
	return f.Store.Apply(ctx, trs)
}

// Issue 9: while a write to a frozen Redis hangs, the loop goes on
// deciding and spooling (its own goroutine writes to Redis), so a phone
// that un-registers then has its decision made, with its time.
func TestFrozenRedisDoesNotHoldTheLoop(t *testing.T) {
	r := newRig(t)
	fs := &frozenStore{Store: r.st, entered: make(chan struct{}, 1), thaw: make(chan struct{})}
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			close(fs.thaw)
		}
	}
	m, _, stop := r.start(func(o *monitor.Options) { o.Store, o.SpoolDir = fs, t.TempDir() })
	defer stop()
	defer thaw() // before stop: the hanging write must end for Run to return
	t1 := r.clock.Add(time.Second)
	m.Input() <- contact("PJSIP/d1", t1, health.KindContactRemoved)
	select {
	case <-fs.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no write reached Redis")
	}
	t2 := t1.Add(time.Second)
	m.Input() <- contact("PJSIP/d2", t2, health.KindContactRemoved)
	eventually(t, "decided while the write hangs", func() bool {
		v, _ := m.View("d2")
		return v.Decided == health.StateDown && m.Stats().Transitions == 2
	})
	if got := r.spans(); len(got) != 0 {
		t.Fatalf("spans in a frozen Redis: %v", got)
	}
	thaw()
	eventually(t, "written after the thaw", func() bool {
		return slices.Equal(r.spansOf("d1"), []string{span(t1, time.Time{})}) && slices.Equal(r.spansOf("d2"), []string{span(t2, time.Time{})})
	})
}

// A desk flapping far more than the store remembers while Redis is away:
// the spool's writes go out in batches a retry can repeat safely, so no
// span closes early and none doubles.
func TestSpooledRetriesStayWithinTheDedupWindow(t *testing.T) {
	r := newRig(t)
	st := &lostReplies{Store: r.st} // from monitor_test.go
	m, _, _ := r.start(func(o *monitor.Options) { o.Store, o.SpoolDir, o.Heartbeat = st, t.TempDir(), time.Hour })
	r.redis.Stop()
	const flips = 301 // ends down: a replayed old "up" would close it early
	var starts []time.Time
	for i := 1; i <= flips; i++ {
		at := r.clock.Add(time.Duration(i) * time.Second)
		k := health.KindContactUnreachable
		if i%2 == 0 {
			k = health.KindContactAvailable
		} else {
			starts = append(starts, at)
		}
		m.Input() <- contact("PJSIP/d1", at, k)
	}
	eventually(t, "all decided", func() bool { return m.Stats().Transitions == flips })
	r.redis.Restart()
	eventually(t, "written", func() bool { s := m.Stats(); return s.StoreOK && s.Queued == 0 })
	var want []string
	for i, s := range starts {
		end := s.Add(time.Second)
		if i == len(starts)-1 {
			end = time.Time{}
		}
		want = append(want, span(s, end))
	}
	slices.Sort(want)
	if got := r.spansOf("d1"); !slices.Equal(got, want) {
		t.Fatalf("%d spans, want %d; first differences: %v", len(got), len(want), firstDiff(got, want))
	}
	if most := st.most.Load(); most > store.MaxBatchPerDesk {
		t.Fatalf("a batch held %d transitions of one desk, more than %d", most, store.MaxBatchPerDesk)
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + " vs " + b[i]
		}
	}
	return fmt.Sprintf("lengths %d, %d", len(a), len(b))
}

// ha: a killed instance restarts with a decision in its spool that another
// instance has since overtaken in Redis (the desk went down again later).
// The restored desk keeps the store's later span start, not the spool's
// older time.
func TestSpoolOvertakenByTheStoreRestoresTheStore(t *testing.T) {
	r := newRig(t)
	dir := t.TempDir()
	m, _, stop := r.start(func(o *monitor.Options) { o.SpoolDir = dir })
	r.redis.Stop()
	t1 := r.clock.Add(10 * time.Second)
	m.Input() <- contact("PJSIP/d1", t1, health.KindContactRemoved)
	eventually(t, "down, not written", func() bool { s := m.Stats(); return s.Transitions == 1 && s.Queued > 0 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	r.redis.Restart()
	// The other instance recorded the desk back up, then down again.
	t2, t3 := t1.Add(time.Second), t1.Add(2*time.Second)
	for _, tr := range []health.Transition{
		{Workstation: "d1", At: t1, From: health.StateUnknown, To: health.StateDown, Cause: health.CauseUnregistered, Source: health.SourceARI},
		{Workstation: "d1", At: t2, From: health.StateDown, To: health.StateUp, Source: health.SourceARI},
		{Workstation: "d1", At: t3, From: health.StateUp, To: health.StateDown, Cause: health.CauseUnregistered, Source: health.SourceARI},
	} {
		if err := r.st.Apply(context.Background(), []health.Transition{tr}); err != nil {
			t.Fatal(err)
		}
	}
	r.clock = t3.Add(time.Minute)
	m, _, _ = r.start(func(o *monitor.Options) { o.SpoolDir = dir })
	m.Input() <- health.Observation{Source: health.SourceARI, Kind: health.KindSighted, At: r.clock}
	eventually(t, "replayed and sighted", func() bool {
		s := m.Stats()
		v, _ := m.View("d1")
		return s.StoreOK && s.Queued == 0 && v.State != health.StateUnknown
	})
	if v, _ := m.View("d1"); v.Decided != health.StateDown || !v.Since.Equal(t3) {
		t.Fatalf("view after restart: %s since %v, want down since %v (the store's)", v.Decided, v.Since, t3)
	}
}
