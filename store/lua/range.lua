-- Members of a levelled interval index that may overlap [from, to).
-- KEYS: 1 index
-- ARGV: 1 from (ms), 2 to (ms, exclusive)
-- level_range gives each level's scores that can overlap (see package
-- spanindex); the caller filters the exact overlap.
local from, to = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for k = 0, OPEN do
  local lo, hi = level_range(k, from, to)
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], num(lo), '(' .. num(hi))
  for _, id in ipairs(ids) do
    out[#out + 1] = id
  end
end
return out
