-- Record the writer's heartbeat.
-- KEYS: 1 heartbeat, 2 fence; ARGV: 1 at (ms), 2 the writer's epoch (0: unfenced)
fence(KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
return 1
