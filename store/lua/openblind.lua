-- Open a source's blind interval at at, unless one is open (it is kept) or
-- this very opening was applied before (a replay).
-- KEYS: 1 open (start ms), 2 applied (fingerprints of the last opens and
--       closes, scored by at), 3 fence
-- ARGV: 1 at (ms), 2 dedup window, 3 the writer's epoch (0: unfenced)
-- Returns 1 if an interval was opened, 0 otherwise.
fence(KEYS[3], ARGV[3])
if redis.call('ZADD', KEYS[2], 'NX', ARGV[1], 'open:' .. ARGV[1]) == 0 then
  return 0
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  return 1
end
return 0
