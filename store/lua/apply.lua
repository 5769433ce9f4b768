-- Apply the transitions of one or more workstations, each desk's in order,
-- each transition atomically and idempotently. On a Cluster the caller
-- sends one desk per call (its keys share the hash tag {ws:ID}, one slot);
-- on a single master, several desks.
-- KEYS: per desk 1 state, 2 applied, 3 spans, 4 index, 5 outbox, 6 fence;
--       then, with direct, the global index P:spans
-- ARGV: 1 the writer's epoch (0: unfenced), 2 dedup window, 3 direct (1: write
--       P:spans here; 0: through the outbox), then per desk: workstation, the
--       number of its transitions, the number of outbox acks, the acks (id,
--       score pairs the global index now has, removed from the outbox), then
--       per transition: fingerprint, at (ms), to state, cause, source, ID for
--       a span opened at this transition.
-- With direct, the outboxes are emptied into P:spans and nothing is returned.
-- Otherwise it returns each desk's outbox (flat id, score list): index
-- entries still to be copied to the global index. It is returned even if
-- every transition was a duplicate, so a retry after a failed global update
-- completes it.
local epoch, window, direct = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local ndesks = math.floor(#KEYS / 6)
local global = direct and KEYS[#KEYS]
if direct then
  -- A global index that is no sorted set would fail the call half way:
  -- go through the outboxes instead, and the caller's copy fails.
  local t = redis.call('TYPE', global).ok
  direct = t == 'zset' or t == 'none'
end

-- keys_of lists the i-th key of every desk.
local function keys_of(i)
  local list = {}
  for d = 0, ndesks - 1 do
    list[d + 1] = KEYS[d * 6 + i]
  end
  return list
end

-- Every desk's fence first, in one MGET: a refused call applies nothing.
if epoch ~= 0 then
  local fences = keys_of(6)
  local held = redis.call('MGET', unpack(fences))
  local raise = {}
  for d, h in ipairs(held) do
    h = tonumber(h or '0')
    if h > epoch then
      error({err = 'FENCED ' .. num(h)})
    end
    if h < epoch then
      raise[#raise + 1] = fences[d]
    end
  end
  for _, key in ipairs(raise) do
    redis.call('SET', key, num(epoch))
  end
end

-- An outbox is rarely left (see below): one EXISTS for all of them.
local left = direct and redis.call('EXISTS', unpack(keys_of(5))) > 0

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

-- safe matches what JSON carries unescaped (cjson escapes "/").
local function safe(s)
  return not string.find(s, '[^%w%.%-_ ]')
end

-- open_record is the JSON of a span opened at at: the record cjson would
-- write (keys in another order), without cjson's cost when every string is
-- plain (IDs, workstations and sources always are; causes are words).
local function open_record(id, ws, at, cause, source)
  if not (safe(cause) and safe(source)) then
    return cjson.encode({id = id, ws = ws, start = at, cause = cause, sources = source})
  end
  return '{"id":"' .. id .. '","ws":"' .. ws .. '","start":' .. num(at) .. ',"cause":"' .. cause ..
    '","sources":"' .. source .. '"}'
end

-- close_record returns the open span record raw closed at at (clamped to
-- its start), its start and its end. A record written by cjson or
-- encoding/json holds the key "start" once, at the top (a quote inside a
-- string is escaped, and no nested object has a start), and an open one
-- no "end": then the end is added to the text; anything else is decoded.
local function close_record(raw, at)
  local s = string.match(raw, '"start":(%d+)[,}]')
  if s and string.sub(raw, -1) == '}' and not string.find(raw, '"end":', 1, true) then
    local start = tonumber(s)
    local stop = math.max(at, start)
    return string.sub(raw, 1, -2) .. ',"end":' .. num(stop) .. '}', start, stop
  end
  local rec = cjson.decode(raw)
  local stop = math.max(at, rec.start)
  rec['end'] = stop
  return cjson.encode(rec), rec.start, stop
end

-- index_span records a span's score in the desk's index and the global
-- one, directly or through the outbox.
local function index_span(index, outbox, id, sc)
  sc = num(sc)
  redis.call('ZADD', index, sc, id)
  if direct then
    redis.call('ZADD', global, 'LT', sc, id)
  else
    redis.call('HSET', outbox, id, sc)
  end
end

local out = {}
local a = 4
for d = 0, ndesks - 1 do
  local state, applied, spans, index, outbox = KEYS[d * 6 + 1], KEYS[d * 6 + 2], KEYS[d * 6 + 3], KEYS[d * 6 + 4], KEYS[d * 6 + 5]
  local ws, ntr, nack = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  a = a + 3
  for i = a, a + 2 * nack - 1, 2 do
    if redis.call('HGET', outbox, ARGV[i]) == ARGV[i + 1] then
      redis.call('HDEL', outbox, ARGV[i])
    end
  end
  a = a + 2 * nack
  if left and redis.call('HLEN', outbox) > 0 then
    -- Left by a call whose copy failed, by a crash before a copy, or by a
    -- manual span: copied here (ZADD LT: a stale score never undoes a newer).
    local kv = redis.call('HGETALL', outbox)
    for i = 1, #kv, 2 do
      redis.call('ZADD', global, 'LT', kv[i + 1], kv[i])
    end
    redis.call('DEL', outbox)
  end

  -- The desk's state is read before its first new transition and written
  -- after its last one.
  local open, last
  for _ = 1, ntr do
    local fp, atS, to, cause, source, newID = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
    a = a + 6
    if redis.call('ZADD', applied, 'NX', atS, fp) == 1 then
      local at = tonumber(atS)
      if not open then
        open = redis.call('HGET', state, 'open') or ''
      end
      if to == 'down' then
        if open ~= '' then
          local rec = cjson.decode(redis.call('HGET', spans, open))
          if add_source(rec, source) then
            redis.call('HSET', spans, open, cjson.encode(rec))
          end
        else
          -- A span with this ID exists only if this down was applied before
          -- (beyond the dedup window): then it is not opened again.
          if redis.call('HSETNX', spans, newID, open_record(newID, ws, at, cause, source)) == 1 then
            index_span(index, outbox, newID, open_score(at))
            open = newID
          end
        end
      elseif open ~= '' then
        local raw, start, stop = close_record(redis.call('HGET', spans, open), at)
        redis.call('HSET', spans, open, raw)
        index_span(index, outbox, open, score(start, stop))
        open = ''
      end
      last = a - 6
    end
  end
  if last then
    -- Trimmed once per desk: within the call it remembers more, never less.
    redis.call('ZREMRANGEBYRANK', applied, 0, -(window + 1))
    redis.call('HSET', state, 'state', ARGV[last + 2], 'since', ARGV[last + 1], 'cause', ARGV[last + 3],
      'source', ARGV[last + 4], 'open', open)
  end
  if not direct then
    out[#out + 1] = redis.call('HGETALL', outbox)
  end
end
return out
