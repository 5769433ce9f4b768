// Package spanindex is the levelled time index of deskwatch's intervals:
// the store's spans and blind intervals, and the journal's entries. It
// computes scores and query bounds only; the callers keep the scores in
// Redis sorted sets, in Go or in Lua scripts (see Lua).
//
// An interval of length L (ms) is on level k, the smallest with
// L <= Base * 4^k, and scored k*Shift + start; open intervals are on level
// Open. A query for [lo, hi) reads, on each level k, the starts in
// [lo - Base * 4^k, hi), and on level Open the starts before hi: an
// interval on level k starting earlier ends before lo. A level-k interval
// is longer than Base * 4^(k-1), so each level adds few intervals from
// outside the range, however long some are.
//
// The constants are the stored layout: changing one orphans every record
// written before.
package spanindex

const (
	Base   = 60_000   // ms: level 0 holds intervals up to one minute
	Shift  = 1 << 42  // ms: level k's scores are k*Shift + start, so starts must lie in [0, Shift): 1970 to 2109
	Open   = 15       // level of open intervals
	Levels = Open + 1 // levels a query reads, open included
)

// Reach returns Base * 4^k (ms), the longest interval on level k.
func Reach(k int) int64 { return Base << (2 * k) }

// Level returns the level of a closed interval of length ms: the smallest
// k with length <= Reach(k), at most Open-1. Times in [0, Shift) never need
// the cap (Shift <= Reach(14)); it keeps longer intervals, which the
// journal accepts, off the open level and on a level that queries read
// whole, and makes Level total.
func Level(length int64) int {
	k := 0
	for k < Open-1 && Reach(k) < length {
		k++
	}
	return k
}

// Score returns the score of the closed interval from start to end (ms).
func Score(start, end int64) int64 { return int64(Level(end-start))*Shift + start }

// OpenScore returns the score of an open interval starting at start (ms).
func OpenScore(start int64) int64 { return Open*Shift + start }

// Range is a range of scores, [Min, Max).
type Range struct{ Min, Max int64 }

// Ranges returns, per level (Open last), the scores of the intervals that
// may overlap [lo, hi) (ms, within [0, Shift]); the caller filters the
// exact overlap.
func Ranges(lo, hi int64) [Levels]Range {
	var out [Levels]Range
	for k := range Open {
		base := int64(k) * Shift
		out[k] = Range{base + max(0, lo-Reach(k)), base + hi}
	}
	out[Open] = Range{Open * Shift, Open*Shift + hi}
	return out
}
