-- Close a source's open blind interval, unless this very closing was
-- applied before (a replay: it would close a later interval).
-- KEYS: 1 open (start ms), 2 closed (levelled index of "start-end"),
--       3 applied (fingerprints of the last opens and closes, scored by at),
--       4 fence
-- ARGV: 1 at (ms), 2 dedup window, 3 the writer's epoch (0: unfenced)
-- Returns 1 if an interval was closed, 0 if none was open or a replay.
fence(KEYS[4], ARGV[3])
if redis.call('ZADD', KEYS[3], 'NX', ARGV[1], 'close:' .. ARGV[1]) == 0 then
  return 0
end
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[2]) + 1))
local start = redis.call('GET', KEYS[1])
if not start then
  return 0
end
start = tonumber(start)
local stop = math.max(tonumber(ARGV[1]), start)
redis.call('ZADD', KEYS[2], num(score(start, stop)), num(start) .. '-' .. num(stop))
redis.call('DEL', KEYS[1])
return 1
