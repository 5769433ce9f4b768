-- Append a refused write to the dead letters, once: the same write set
-- aside again (a replay after a crash) is not appended twice.
-- KEYS: 1 stream, 2 seen (fingerprints, scored by at)
-- ARGV: 1 fingerprint, 2 at (ms), 3 kind, 4 content (JSON), 5 reason,
--       6 kept (entries and fingerprints kept, approximately)
-- Returns 1 if appended, 0 if it was there.
if redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1]) == 0 then
  return 0
end
local kept = tonumber(ARGV[6])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(kept + 1))
redis.call('XADD', KEYS[1], 'MAXLEN', '~', kept, '*',
  'at', ARGV[2], 'kind', ARGV[3], 'content', ARGV[4], 'reason', ARGV[5])
return 1
