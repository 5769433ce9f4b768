-- Open a source's blind interval unless one is open.
-- KEYS: 1 open (start ms), 2 fence
-- ARGV: 1 at (ms), 2 the writer's epoch (0: unfenced)
fence(KEYS[2], ARGV[2])
return redis.call('SETNX', KEYS[1], ARGV[1])
