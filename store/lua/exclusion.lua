-- Set or revoke a span's exclusion and append the audit record, atomically.
-- KEYS: 1 spans, 2 audit
-- ARGV: 1 span ID, 2 action ('exclude' | 'revoke'), 3 exclusion (JSON, for
--       exclude), 4 at (ms), 5 by, 6 actor (the authenticated caller)
-- Returns the stored record, or false if the span does not exist. Revoking
-- when there is no exclusion changes nothing and records nothing.
local spans, audit = KEYS[1], KEYS[2]
local id, action = ARGV[1], ARGV[2]
local raw = redis.call('HGET', spans, id)
if not raw then
  return false
end
local rec = cjson.decode(raw)
local previous = rec.exclusion
local detail
if action == 'revoke' then
  if previous == nil then
    return raw
  end
  rec.exclusion = nil
  detail = cjson.encode({revoked = previous})
else
  rec.exclusion = cjson.decode(ARGV[3])
  detail = cjson.encode({exclusion = rec.exclusion, previous = previous})
end
raw = cjson.encode(rec)
redis.call('HSET', spans, id, raw)
redis.call('XADD', audit, '*', 'at', ARGV[4], 'by', ARGV[5], 'actor', ARGV[6], 'action', action, 'span', id, 'detail', detail)
return raw
