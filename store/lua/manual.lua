-- Add a manual span and its audit record, atomically.
-- KEYS: 1 spans, 2 index, 3 outbox, 4 audit
-- ARGV: 1 span ID, 2 record (JSON), 3 index score, 4 at (ms), 5 by, 6 actor
-- Returns {created (0|1), stored record, outbox (flat id, score list)}.
local spans, index, outbox, audit = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id = ARGV[1]
local existing = redis.call('HGET', spans, id)
if existing then
  return {0, existing, redis.call('HGETALL', outbox)}
end
redis.call('HSET', spans, id, ARGV[2])
redis.call('ZADD', index, ARGV[3], id)
redis.call('HSET', outbox, id, ARGV[3])
redis.call('XADD', audit, '*', 'at', ARGV[4], 'by', ARGV[5], 'actor', ARGV[6], 'action', 'manual', 'span', id, 'detail', ARGV[2])
return {1, ARGV[2], redis.call('HGETALL', outbox)}
