package sipprobe

import (
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// New schedules reach every target and the PBX; an invalid one changes
// nothing.
func TestSetSchedules(t *testing.T) {
	p, err := New(Options{Listen: "127.0.0.1:0", Logger: zerolog.Nop(), PBX: "sip:127.0.0.1:5998"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.SetTarget("PJSIP/a", "sip:a@127.0.0.1:5999", nil); err != nil {
		t.Fatal(err)
	}
	if err := p.SetTarget("PJSIP/b", "sip:b@127.0.0.1:5999", &TargetOptions{Interval: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	own := map[string]*TargetOptions{"PJSIP/b": {Interval: 3 * time.Second, AnswersBeforeUp: 2}}
	if err := p.SetSchedules(TargetOptions{Interval: 2 * time.Second, Timeout: 500 * time.Millisecond, MissesBeforeDown: 4}, own); err != nil {
		t.Fatal(err)
	}
	want := map[string]config{
		"PJSIP/a": {2 * time.Second, 500 * time.Millisecond, 4, 1},
		"PJSIP/b": {3 * time.Second, 500 * time.Millisecond, 4, 2},
	}
	check := func() {
		t.Helper()
		p.mu.Lock()
		defer p.mu.Unlock()
		for ep, c := range want {
			if got := p.targets[ep].cfg; got != c {
				t.Errorf("%s: %+v, want %+v", ep, got, c)
			}
		}
		if p.pbx.cfg != want["PJSIP/a"] || p.queue.Len() != 2 {
			t.Errorf("PBX %+v, queue %d", p.pbx.cfg, p.queue.Len())
		}
	}
	check()
	if err := p.SetSchedules(TargetOptions{}, map[string]*TargetOptions{"PJSIP/a": {Interval: time.Second, Timeout: 2 * time.Second}}); err == nil {
		t.Fatal("a timeout beyond the interval was taken")
	}
	check()
}
