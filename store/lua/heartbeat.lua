-- Record the writer's heartbeat unless a later one is recorded: a replayed
-- heartbeat never moves it back.
-- KEYS: 1 heartbeat, 2 fence
-- ARGV: 1 at (ms), 2 the writer's epoch (0: unfenced)
-- Returns 1 if it was recorded, 0 if a later one was already there.
fence(KEYS[2], ARGV[2])
local at = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '')
if cur and cur >= at then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
