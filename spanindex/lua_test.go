package spanindex_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"deskwatch/internal/redistest"
	"deskwatch/spanindex"
)

// luaEval runs spanindex.Lua followed by script in a real Redis, with the
// numbers as ARGV, and returns its array of integers.
func luaEval(t *testing.T, rdb *redis.Client, script string, args []int64) []int64 {
	t.Helper()
	argv := make([]any, len(args))
	for i, a := range args {
		argv[i] = strconv.FormatInt(a, 10)
	}
	got, err := rdb.Eval(context.Background(), spanindex.Lua+script, nil, argv...).Int64Slice()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLuaAgrees checks that the scripts' index is the Go one, on every
// level boundary, on random lengths and on the ranges of queries.
func TestLuaAgrees(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	r := rand.New(rand.NewPCG(7, 8))

	// Lengths whose doubles are exact (below 2^53), as Lua holds them.
	var ls []int64
	for _, l := range lengths(r, 2_000) {
		if l > -1<<53 && l < 1<<53 {
			ls = append(ls, l)
		}
	}
	got := luaEval(t, rdb, `
local out = {}
for i = 1, #ARGV do
  out[i] = level(tonumber(ARGV[i]))
end
return out`, ls)
	for i, l := range ls {
		if want := int64(spanindex.Level(l)); got[i] != want {
			t.Errorf("Lua level(%d) = %d, Go %d", l, got[i], want)
		}
	}

	// Scores of intervals starting at 0 and at the last storable ms, open
	// and closed.
	var args []int64
	for _, start := range []int64{0, 1_795_795_500_212, spanindex.Shift - 1} {
		for _, l := range ls {
			if l >= 0 && start+l < spanindex.Shift {
				args = append(args, start, start+l)
			}
		}
	}
	got = luaEval(t, rdb, `
local out = {}
for i = 1, #ARGV, 2 do
  local start, stop = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  out[#out + 1] = score(start, stop)
  out[#out + 1] = open_score(start)
end
return out`, args)
	for i := 0; i < len(args); i += 2 {
		start, end := args[i], args[i+1]
		if want := spanindex.Score(start, end); got[i] != want {
			t.Errorf("Lua score(%d, %d) = %d, Go %d", start, end, got[i], want)
		}
		if want := spanindex.OpenScore(start); got[i+1] != want {
			t.Errorf("Lua open_score(%d) = %d, Go %d", start, got[i+1], want)
		}
	}

	// Ranges of queries at the levels' reaches and at random.
	args = args[:0]
	for k := range spanindex.Open {
		for d := int64(-1); d <= 1; d++ {
			if lo := spanindex.Reach(k) + d; lo < spanindex.Shift {
				args = append(args, lo, lo, lo, min(lo+spanindex.Reach(k), spanindex.Shift))
			}
		}
	}
	args = append(args, 0, 0, 0, spanindex.Shift, spanindex.Shift, spanindex.Shift)
	for range 200 {
		lo := r.Int64N(spanindex.Shift)
		args = append(args, lo, lo+r.Int64N(spanindex.Shift-lo+1))
	}
	got = luaEval(t, rdb, `
local out = {}
for i = 1, #ARGV, 2 do
  for k = 0, OPEN do
    local lo, hi = level_range(k, tonumber(ARGV[i]), tonumber(ARGV[i + 1]))
    out[#out + 1] = lo
    out[#out + 1] = hi
  end
end
return out`, args)
	n := 0
	for i := 0; i < len(args); i += 2 {
		for k, want := range spanindex.Ranges(args[i], args[i+1]) {
			if g := (spanindex.Range{Min: got[n], Max: got[n+1]}); g != want {
				t.Errorf("Lua level_range(%d, %d, %d) = %v, Go %v", k, args[i], args[i+1], g, want)
			}
			n += 2
		}
	}
	if n != len(got) {
		t.Fatalf("Lua returned %d numbers, want %d", len(got), n)
	}
}
