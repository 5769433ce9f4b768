-- Raise fences to a new leader's epoch before it writes (refused, with
-- FENCED, if a later leader got there first).
-- KEYS: fences, all in one slot; ARGV: 1 epoch
for _, key in ipairs(KEYS) do
  fence(key, ARGV[1])
end
return 1
