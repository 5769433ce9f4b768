-- Record a heartbeat unless a later one is recorded: a replayed heartbeat
-- never moves it back.
-- KEYS: 1 heartbeat
-- ARGV: 1 at (ms)
-- Returns 1 if it was recorded, 0 if a later one was already there.
local at = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '')
if cur and cur >= at then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
