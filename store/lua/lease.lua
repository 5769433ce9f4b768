-- The writer's lease. KEYS: 1 lease ("epoch:instance", with a TTL), 2 epoch counter
-- ARGV: 1 op (acquire|renew|release), 2 instance, 3 epoch (renew, release), 4 TTL ms
-- Returns {epoch, holder}: acquire gives a new epoch (INCR) if the lease was
-- free, else 0 and the holder; renew and release act only on our own lease
-- (same instance and epoch) and return its epoch, or 0 and the holder.
local op, me, ttl = ARGV[1], ARGV[2], ARGV[4]
local cur = redis.call('GET', KEYS[1])
if op == 'acquire' then
  if cur then
    local e, holder = string.match(cur, '^(%d+):(.*)$')
    return {0, holder or cur}
  end
  local epoch = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], num(epoch) .. ':' .. me, 'PX', ttl)
  return {epoch, me}
end
local mine = ARGV[3] .. ':' .. me
if cur ~= mine then
  local holder = ''
  if cur then
    local _, h = string.match(cur, '^(%d+):(.*)$')
    holder = h or cur
  end
  return {0, holder}
end
if op == 'renew' then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('DEL', KEYS[1])
end
return {tonumber(ARGV[3]), me}
