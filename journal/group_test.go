package journal_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/journal"
)

// sp is a closed detected span of desk starting d after t0, lasting a minute.
func sp(desk string, d time.Duration, cause health.Cause) health.Span {
	start := t0.Add(d)
	return health.Span{ID: fmt.Sprintf("%s-%s", desk, start.Format("20060102T150405.000Z")), Workstation: desk,
		Start: start, End: start.Add(time.Minute), Cause: cause, Sources: []health.Source{health.SourceARI}}
}

func manual(desk string, d time.Duration) health.Span {
	s := sp(desk, d, health.CauseManual)
	s.ID = strings.Replace(s.ID, "-2026", "-m2026", 1)
	s.Manual, s.Sources = true, []health.Source{health.SourceManual}
	return s
}

// groupIDs renders groups as "a+b|c" by span ID.
func groupIDs(groups [][]health.Span) string {
	var parts []string
	for _, g := range groups {
		var ids []string
		for _, s := range g {
			ids = append(ids, s.Workstation+"@"+s.Start.Sub(t0).String())
		}
		parts = append(parts, strings.Join(ids, "+"))
	}
	return strings.Join(parts, " | ")
}

func TestGroup(t *testing.T) {
	const (
		pbx   = health.CausePBX
		unreg = health.CauseUnregistered
		unrch = health.CauseUnreachable
	)
	s := time.Second
	var pbx20 []health.Span
	var want20 []string
	for i := range 20 {
		desk := fmt.Sprintf("op122-%02d", i+1)
		pbx20 = append(pbx20, sp(desk, time.Duration(i)*100*time.Millisecond, pbx))
		want20 = append(want20, fmt.Sprintf("%s@%s", desk, time.Duration(i)*100*time.Millisecond))
	}
	tests := []struct {
		name   string
		window time.Duration
		spans  []health.Span
		want   string
	}{
		{"none", 0, nil, ""},
		{"one", 0, []health.Span{sp("a", 0, unreg)}, "a@0s"},
		{"PBX down: 20 desks within 2 s", 0, pbx20, strings.Join(want20, "+")},
		{"a hotline lost at once", 0,
			[]health.Span{sp("b", 1200*time.Millisecond, unreg), sp("a", 0, unreg), sp("c", 4*s, unreg)}, "a@0s+b@1.2s+c@4s"},
		{"window is measured from the first span, not chained", 0,
			[]health.Span{sp("a", 0, unreg), sp("b", 3*s, unreg), sp("c", 7*s, unreg), sp("d", 9*s, unreg)},
			"a@0s+b@3s | c@7s+d@9s"},
		{"exactly one window later is a new incident", 0,
			[]health.Span{sp("a", 0, unreg), sp("b", 5*s, unreg)}, "a@0s | b@5s"},
		{"just inside the window", 0,
			[]health.Span{sp("a", 0, unreg), sp("b", 5*s-time.Millisecond, unreg)}, "a@0s+b@4.999s"},
		{"other causes are other incidents", 0,
			[]health.Span{sp("a", 0, unreg), sp("b", 0, unrch), sp("c", s, pbx), sp("d", 2*s, unreg)},
			"b@0s | a@0s+d@2s | c@1s"},
		{"manual spans are each their own", 0,
			[]health.Span{manual("a", 0), manual("b", 0), sp("c", 0, health.CauseManual)}, "a@0s | b@0s | c@0s"},
		{"flapping desk: one incident per failure", 0,
			[]health.Span{sp("a", 0, unreg), sp("a", 10*s, unreg), sp("a", 20*s, unreg)}, "a@0s | a@10s | a@20s"},
		{"flapping faster than the window", 0,
			[]health.Span{sp("a", 0, unreg), sp("a", 2*s, unreg), sp("b", 3*s, unreg)}, "a@0s | a@2s+b@3s"},
		{"a span joins the nearest incident in reach", 0,
			[]health.Span{sp("a", 0, unreg), sp("b", 0, unreg), sp("a", 2*s, unreg), sp("c", 2600*time.Millisecond, unreg), sp("d", 800*time.Millisecond, unreg)},
			"a@0s+b@0s+d@800ms | a@2s+c@2.6s"},
		{"a desk failing again skips the incidents that have it", 0,
			[]health.Span{sp("a", 0, unreg), sp("b", 0, unreg), sp("a", 2*s, unreg), sp("b", 2500*time.Millisecond, unreg), sp("b", 3500*time.Millisecond, unreg)},
			"a@0s+b@0s | a@2s+b@2.5s | b@3.5s"},
		{"custom window", time.Minute,
			[]health.Span{sp("a", 0, unreg), sp("b", 59*s, unreg), sp("c", 60*s, unreg)}, "a@0s+b@59s | c@1m0s"},
		{"same start: ordered by cause then ID", 0,
			[]health.Span{sp("z", 0, unreg), sp("y", 0, unreg)}, "y@0s+z@0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groupIDs(journal.Group(tt.spans, tt.window)); got != tt.want {
				t.Errorf("Group =\n  %s\nwant\n  %s", got, tt.want)
			}
			// Any order gives the same incidents.
			r := rand.New(rand.NewPCG(1, 2))
			for range 20 {
				shuffled := slices.Clone(tt.spans)
				r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				if got := groupIDs(journal.Group(shuffled, tt.window)); got != tt.want {
					t.Fatalf("shuffled: Group =\n  %s\nwant\n  %s", got, tt.want)
				}
			}
		})
	}
}

func TestGroupLeavesInputAlone(t *testing.T) {
	in := []health.Span{sp("b", time.Second, health.CausePBX), sp("a", 0, health.CausePBX)}
	journal.Group(in, 0)
	if in[0].Workstation != "b" {
		t.Fatal("Group reordered its input")
	}
}
