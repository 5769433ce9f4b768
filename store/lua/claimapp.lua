-- Claim an ARI application name for an instance, or refresh our claim.
-- KEYS: 1 the app's claim; ARGV: 1 instance, 2 TTL ms
-- Returns the instance holding the name now (ours if the claim succeeded).
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then
  return cur
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
