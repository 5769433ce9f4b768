-- Remove outbox entries that the global index now has.
-- KEYS: 1 outbox
-- ARGV: id, score, id, score, ...
ack(KEYS[1], 1)
return 0
