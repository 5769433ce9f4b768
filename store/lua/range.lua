-- Members of a levelled interval index that may overlap [from, to).
-- KEYS: 1 index
-- ARGV: 1 from (ms), 2 to (ms, exclusive)
-- Level k holds intervals no longer than BASE * 4^k, so only those starting
-- in [from - BASE * 4^k, to) can overlap; open ones (level OPEN) overlap if
-- they start before to. The caller filters the exact overlap.
local from, to = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
local function collect(lo, hi)
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], num(lo), '(' .. num(hi))
  for _, id in ipairs(ids) do
    out[#out + 1] = id
  end
end
local reach = BASE
for k = 0, OPEN - 1 do
  collect(k * SHIFT + math.max(0, from - reach), k * SHIFT + to)
  reach = reach * 4
end
collect(OPEN * SHIFT, OPEN * SHIFT + to)
return out
