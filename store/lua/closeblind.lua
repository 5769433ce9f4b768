-- Close a source's open blind interval.
-- KEYS: 1 open (start ms), 2 closed (levelled index of "start-end"), 3 fence
-- ARGV: 1 at (ms), 2 the writer's epoch (0: unfenced)
-- Returns 1 if an interval was closed, 0 if none was open.
fence(KEYS[3], ARGV[2])
local start = redis.call('GET', KEYS[1])
if not start then
  return 0
end
start = tonumber(start)
local stop = math.max(tonumber(ARGV[1]), start)
redis.call('ZADD', KEYS[2], num(score(start, stop)), num(start) .. '-' .. num(stop))
redis.call('DEL', KEYS[1])
return 1
