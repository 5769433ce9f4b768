-- Close a source's open blind interval.
-- KEYS: 1 open (start ms), 2 closed (levelled index of "start-end")
-- ARGV: 1 at (ms)
-- Returns 1 if an interval was closed, 0 if none was open.
local start = redis.call('GET', KEYS[1])
if not start then
  return 0
end
start = tonumber(start)
local stop = math.max(tonumber(ARGV[1]), start)
redis.call('ZADD', KEYS[2], num(score(start, stop)), num(start) .. '-' .. num(stop))
redis.call('DEL', KEYS[1])
return 1
