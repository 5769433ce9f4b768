package spanindex

import "fmt"

// Lua is this package for Redis scripts, to put before a script: the
// constants BASE, SHIFT and OPEN, and level(length), score(start, stop),
// open_score(start) and level_range(k, from, to) (returning min, max), each
// as its Go counterpart. It is built from the Go constants, and
// TestLuaAgrees runs it against the Go functions.
var Lua = fmt.Sprintf(`local BASE, SHIFT, OPEN = %d, %d, %d
-- level is the smallest k with length <= BASE * 4^k, at most OPEN - 1.
local function level(length)
  local k, reach = 0, BASE
  while k < OPEN - 1 and reach < length do
    k, reach = k + 1, reach * 4
  end
  return k
end
-- score is the index score of the closed interval from start to stop.
local function score(start, stop)
  return level(stop - start) * SHIFT + start
end
-- open_score is the index score of an open interval.
local function open_score(start)
  return OPEN * SHIFT + start
end
-- level_range returns the scores [min, max) on level k of the intervals
-- that may overlap [from, to).
local function level_range(k, from, to)
  if k == OPEN then
    return OPEN * SHIFT, OPEN * SHIFT + to
  end
  return k * SHIFT + math.max(0, from - BASE * 4 ^ k), k * SHIFT + to
end
`, Base, Shift, Open)
