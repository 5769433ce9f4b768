package store

import (
	"context"
	"embed"
	"fmt"

	"github.com/redis/go-redis/v9"

	"deskwatch/internal/fence"
	"deskwatch/spanindex"
)

//go:embed lua/*.lua
var luaFS embed.FS

// prelude gives every script the span index (the package's own Lua, so Go
// and Lua share one definition) and the store's helpers.
var prelude = spanindex.Lua + fence.Lua + `
-- num formats an integral number without exponent, for scores and members.
local function num(x) return string.format('%d', x) end
-- ack removes the outbox entries given as id, score pairs in ARGV from
-- index first on, unless they changed since they were read.
local function ack(outbox, first)
  for i = first, #ARGV - 1, 2 do
    if redis.call('HGET', outbox, ARGV[i]) == ARGV[i + 1] then
      redis.call('HDEL', outbox, ARGV[i])
    end
  end
end
`

func loadScript(name string) *redis.Script {
	src, err := luaFS.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return redis.NewScript(prelude + string(src))
}

var (
	scriptApply      = loadScript("apply")
	scriptManual     = loadScript("manual")
	scriptExclusion  = loadScript("exclusion")
	scriptAck        = loadScript("ack")
	scriptRange      = loadScript("range")
	scriptCloseBlind = loadScript("closeblind")
	scriptOpenBlind  = loadScript("openblind")
	scriptHeartbeat  = loadScript("heartbeat")
	scriptDeadLetter = loadScript("deadletter")
	scriptFence      = loadScript("fence")
	scriptLease      = loadScript("lease")
	scriptClaimApp   = loadScript("claimapp")

	allScripts = []*redis.Script{scriptApply, scriptManual, scriptExclusion, scriptAck, scriptRange, scriptCloseBlind,
		scriptOpenBlind, scriptHeartbeat, scriptDeadLetter, scriptFence, scriptLease, scriptClaimApp}
)

// loadScripts loads every script into the server's cache (on every shard of
// a Cluster), after a pipeline met NOSCRIPT, e.g. after a Redis restart.
func (s *Store) loadScripts(ctx context.Context) error {
	for _, sc := range allScripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("load scripts: %w", err)
		}
	}
	return nil
}
