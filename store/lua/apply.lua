-- Apply one transition of one workstation (all keys share its hash tag).
-- KEYS: 1 state, 2 applied, 3 spans, 4 index, 5 outbox, 6 fence
-- ARGV: 1 fingerprint, 2 at (ms), 3 to state, 4 cause, 5 source,
--       6 ID for a span opened at this transition, 7 workstation, 8 dedup window,
--       9 the writer's epoch (0: unfenced), 10... id, score pairs the global index now has (removed from the outbox)
-- Returns the outbox (flat id, score list): index entries still to be
-- copied to the global index. It is returned for duplicates too, so a retry
-- after a failed global update completes it.
local state, applied, spans, index, outbox = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local fp, at, to, cause, source = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local newID, ws, window = ARGV[6], ARGV[7], tonumber(ARGV[8])

fence(KEYS[6], ARGV[9])
ack(outbox, 10)
if redis.call('ZADD', applied, 'NX', ARGV[2], fp) == 0 then
  return redis.call('HGETALL', outbox)
end
redis.call('ZREMRANGEBYRANK', applied, 0, -(window + 1))

-- add_source adds src to the record's comma-separated source set.
local function add_source(rec, src)
  if src == '' then
    return false
  end
  local list = rec.sources or ''
  for s in string.gmatch(list, '[^,]+') do
    if s == src then
      return false
    end
  end
  rec.sources = (list == '') and src or (list .. ',' .. src)
  return true
end

local function index_span(id, score)
  redis.call('ZADD', index, num(score), id)
  redis.call('HSET', outbox, id, num(score))
end

local open = redis.call('HGET', state, 'open') or ''
if to == 'down' then
  if open ~= '' then
    local rec = cjson.decode(redis.call('HGET', spans, open))
    if add_source(rec, source) then
      redis.call('HSET', spans, open, cjson.encode(rec))
    end
  else
    local rec = {id = newID, ws = ws, start = at, cause = cause, sources = source}
    -- A span with this ID exists only if this down was applied before
    -- (beyond the dedup window): then it is not opened again.
    if redis.call('HSETNX', spans, newID, cjson.encode(rec)) == 1 then
      index_span(newID, open_score(at))
      open = newID
    end
  end
elseif open ~= '' then
  local rec = cjson.decode(redis.call('HGET', spans, open))
  local stop = math.max(at, rec.start)
  rec['end'] = stop
  redis.call('HSET', spans, open, cjson.encode(rec))
  index_span(open, score(rec.start, stop))
  open = ''
end
redis.call('HSET', state, 'state', to, 'since', ARGV[2], 'cause', cause, 'source', source, 'open', open)
return redis.call('HGETALL', outbox)
