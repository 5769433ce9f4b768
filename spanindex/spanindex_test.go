package spanindex_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"deskwatch/spanindex"
)

// TestLayout pins the constants: they are the layout of stored records.
func TestLayout(t *testing.T) {
	if spanindex.Base != 60_000 || spanindex.Shift != 4_398_046_511_104 || spanindex.Open != 15 || spanindex.Levels != 16 {
		t.Fatalf("Base %d, Shift %d, Open %d, Levels %d", spanindex.Base, spanindex.Shift, spanindex.Open, spanindex.Levels)
	}
	// Storable lengths (below Shift) fit below level 14's reach, so the
	// cap of Level never moves them.
	if spanindex.Reach(13) >= spanindex.Shift || spanindex.Reach(14) < spanindex.Shift {
		t.Fatalf("Reach(13) %d, Reach(14) %d, Shift %d", spanindex.Reach(13), spanindex.Reach(14), spanindex.Shift)
	}
}

func TestReach(t *testing.T) {
	want := int64(60_000)
	for k := range spanindex.Levels {
		if got := spanindex.Reach(k); got != want {
			t.Errorf("Reach(%d) = %d, want %d", k, got, want)
		}
		want *= 4
	}
}

func TestLevelBoundaries(t *testing.T) {
	for k := range spanindex.Open - 1 {
		r := spanindex.Reach(k)
		if got := spanindex.Level(r); got != k {
			t.Errorf("Level(Reach(%d)) = %d", k, got)
		}
		if got := spanindex.Level(r - 1); got != k {
			t.Errorf("Level(Reach(%d)-1) = %d", k, got)
		}
		if got := spanindex.Level(r + 1); got != k+1 {
			t.Errorf("Level(Reach(%d)+1) = %d, want %d", k, got, k+1)
		}
	}
	for _, tt := range []struct {
		length int64
		want   int
	}{
		{math.MinInt64, 0},
		{-1, 0},
		{0, 0},
		{1, 0},
		{60_000, 0},
		{60_001, 1},
		{240_000, 1},
		{240_001, 2},
		{spanindex.Shift - 1, 14},
		{spanindex.Reach(13) + 1, 14},
		{spanindex.Reach(14), 14},
		{spanindex.Reach(14) + 1, 14}, // capped: never the open level
		{spanindex.Reach(15) + 1, 14}, // capped: a level queries read
		{math.MaxInt64, 14},
	} {
		if got := spanindex.Level(tt.length); got != tt.want {
			t.Errorf("Level(%d) = %d, want %d", tt.length, got, tt.want)
		}
	}
}

// The two functions the package replaces: the store's (uncapped, used
// with lengths below Shift only) and the journal's.
func storeLevel(length int64) int {
	k := 0
	for reach := int64(60_000); reach < length; reach *= 4 {
		k++
	}
	return k
}

func journalLevel(length int64) int {
	k := 0
	for reach := int64(60_000); reach < length && k < 15-1; reach *= 4 {
		k++
	}
	return k
}

// lengths returns the interesting lengths: each level's reach and its
// neighbours, the ends of storable time, and random ones.
func lengths(r *rand.Rand, random int) []int64 {
	out := []int64{math.MinInt64, -1, 0, 1, 2, spanindex.Shift - 1, spanindex.Shift, spanindex.Shift + 1, math.MaxInt64 - 1, math.MaxInt64}
	for k := range spanindex.Levels + 1 {
		for d := int64(-2); d <= 2; d++ {
			out = append(out, spanindex.Reach(k)+d)
		}
	}
	for range random {
		out = append(out, r.Int64N(spanindex.Shift))
	}
	return out
}

// TestLevelAsStored checks that Level puts every interval where the store
// and the journal have been putting it, so that stored keys stay where
// queries look.
func TestLevelAsStored(t *testing.T) {
	for _, l := range lengths(rand.New(rand.NewPCG(1, 2)), 20_000) {
		got := spanindex.Level(l)
		if want := journalLevel(l); got != want {
			t.Errorf("Level(%d) = %d, the journal's %d", l, got, want)
		}
		if l < spanindex.Shift {
			if want := storeLevel(l); got != want {
				t.Errorf("Level(%d) = %d, the store's %d", l, got, want)
			}
		}
	}
}

// TestLevelIsSmallest checks the definition on every length tried: the
// interval fits its level and not the one below.
func TestLevelIsSmallest(t *testing.T) {
	for _, l := range lengths(rand.New(rand.NewPCG(3, 4)), 20_000) {
		k := spanindex.Level(l)
		if k < 0 || k >= spanindex.Open {
			t.Fatalf("Level(%d) = %d: outside [0, Open)", l, k)
		}
		if k < spanindex.Open-1 && l > spanindex.Reach(k) {
			t.Errorf("Level(%d) = %d: longer than its reach %d", l, k, spanindex.Reach(k))
		}
		if k > 0 && l <= spanindex.Reach(k-1) {
			t.Errorf("Level(%d) = %d: fits level %d", l, k, k-1)
		}
	}
}

func TestScore(t *testing.T) {
	const start = 1_795_795_500_212 // 2026-11-27T16:05:00.212Z
	for _, tt := range []struct {
		name       string
		got, want  int64
		start, lvl int64
	}{
		{"instant", spanindex.Score(start, start), 0<<42 + start, start, 0},
		{"minute", spanindex.Score(start, start+60_000), 0<<42 + start, start, 0},
		{"hour", spanindex.Score(start, start+3_600_000), 3<<42 + start, start, 3},
		{"six days", spanindex.Score(start, start+6*86_400_000), 7<<42 + start, start, 7},
		{"all storable time", spanindex.Score(0, spanindex.Shift-1), 14 << 42, 0, 14},
		{"last storable start", spanindex.Score(spanindex.Shift-1, spanindex.Shift-1), spanindex.Shift - 1, spanindex.Shift - 1, 0},
		{"open", spanindex.OpenScore(start), 15<<42 + start, start, 15},
		{"open at 0", spanindex.OpenScore(0), 15 << 42, 0, 15},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: score %d, want %d", tt.name, tt.got, tt.want)
		}
		// Level and start read back from the score.
		if tt.got/spanindex.Shift != tt.lvl || tt.got%spanindex.Shift != tt.start {
			t.Errorf("%s: score %d reads as level %d, start %d", tt.name, tt.got, tt.got/spanindex.Shift, tt.got%spanindex.Shift)
		}
	}
}

func TestRangesLiteral(t *testing.T) {
	const lo, hi = 10_000_000, 20_000_000
	got := spanindex.Ranges(lo, hi)
	want := [spanindex.Levels]spanindex.Range{
		{0<<42 + lo - 60_000, 0<<42 + hi},
		{1<<42 + lo - 240_000, 1<<42 + hi},
		{2<<42 + lo - 960_000, 2<<42 + hi},
		{3<<42 + lo - 3_840_000, 3<<42 + hi},
		{4 << 42, 4<<42 + hi}, // reach 15_360_000 > lo: from the level's start
		{5 << 42, 5<<42 + hi},
		{6 << 42, 6<<42 + hi},
		{7 << 42, 7<<42 + hi},
		{8 << 42, 8<<42 + hi},
		{9 << 42, 9<<42 + hi},
		{10 << 42, 10<<42 + hi},
		{11 << 42, 11<<42 + hi},
		{12 << 42, 12<<42 + hi},
		{13 << 42, 13<<42 + hi},
		{14 << 42, 14<<42 + hi},
		{15 << 42, 15<<42 + hi},
	}
	if got != want {
		t.Fatalf("Ranges(%d, %d)\n got %v\nwant %v", lo, hi, got, want)
	}
	// Whole time: each level whole, none reaching into the next.
	for k, r := range spanindex.Ranges(0, spanindex.Shift) {
		if r.Min != int64(k)*spanindex.Shift || r.Max != int64(k+1)*spanindex.Shift {
			t.Errorf("Ranges(0, Shift)[%d] = %v", k, r)
		}
	}
	// An empty query reads nothing.
	for k, r := range spanindex.Ranges(lo, lo) {
		if k < spanindex.Open && r.Max-r.Min > spanindex.Reach(k) || k == spanindex.Open && r.Max-r.Min != lo {
			t.Errorf("Ranges(lo, lo)[%d] = %v", k, r)
		}
	}
}

// overlaps is the callers' overlap of [start, end) with [lo, hi): end < 0
// is open, an instant counts at its start, an empty range meets nothing.
func overlaps(start, end, lo, hi int64) bool {
	switch {
	case start >= hi || lo >= hi:
		return false
	case end < 0:
		return true
	case end == start:
		return start >= lo
	}
	return end > lo
}

func inRanges(score int64, rs [spanindex.Levels]spanindex.Range) bool {
	for _, r := range rs {
		if r.Min <= score && score < r.Max {
			return true
		}
	}
	return false
}

// TestRangesFindEveryOverlap places intervals of every level's shortest
// and longest length around the edges of queries, and checks that each
// interval overlapping a query has its score in the query's ranges, and
// that the ranges add no interval that starts at or after hi or ends
// more than a level's reach before lo.
func TestRangesFindEveryOverlap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	type query struct{ lo, hi int64 }
	queries := []query{{0, 0}, {0, 1}, {0, spanindex.Shift}, {spanindex.Shift - 1, spanindex.Shift}, {spanindex.Shift, spanindex.Shift}}
	for k := range spanindex.Open {
		reach := spanindex.Reach(k)
		queries = append(queries, query{reach, reach}, query{reach - 1, reach + 1}, query{reach, 2 * reach}, query{3 * reach, 3*reach + 1})
	}
	for range 200 {
		lo := r.Int64N(spanindex.Shift)
		queries = append(queries, query{lo, lo + r.Int64N(spanindex.Shift-lo+1)})
	}
	var lens []int64
	for k := range spanindex.Open {
		lens = append(lens, spanindex.Reach(k))
		if k > 0 {
			lens = append(lens, spanindex.Reach(k-1)+1)
		}
	}
	lens = append(lens, 0, spanindex.Shift-1, -1) // -1: open
	checked := 0
	for _, q := range queries {
		if q.hi > spanindex.Shift {
			continue // outside storable time, as Ranges requires
		}
		rs := spanindex.Ranges(q.lo, q.hi)
		for _, l := range lens {
			span := max(l, 0)
			for _, start := range []int64{q.lo - span - 1, q.lo - span, q.lo - span + 1, q.lo - 1, q.lo, q.lo + 1, q.hi - 1, q.hi, q.hi + 1, r.Int64N(spanindex.Shift)} {
				end := start + l
				if l < 0 {
					end = -1
				}
				if start < 0 || start >= spanindex.Shift || end >= spanindex.Shift {
					continue // not storable
				}
				score := spanindex.OpenScore(start)
				if end >= 0 {
					score = spanindex.Score(start, end)
				}
				hit, read := overlaps(start, end, q.lo, q.hi), inRanges(score, rs)
				if hit && !read {
					t.Errorf("[%d, %d) overlaps [%d, %d) but its score %d is in no range", start, end, q.lo, q.hi, score)
				}
				if read && (start >= q.hi || end >= 0 && start < q.lo-spanindex.Reach(spanindex.Level(end-start))) {
					t.Errorf("[%d, %d) cannot overlap [%d, %d) but its score %d is read", start, end, q.lo, q.hi, score)
				}
				checked++
			}
		}
	}
	if checked < 10_000 {
		t.Fatalf("only %d cases checked", checked)
	}
}
