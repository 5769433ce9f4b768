package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// zlog routes go-redis's own log lines (pool dial failures and the like)
// into zerolog, at warn: they repeat what our errors already say.
type zlog struct{ log zerolog.Logger }

func (z zlog) Printf(_ context.Context, format string, v ...any) {
	z.log.Warn().Str("component", "go-redis").Msg(fmt.Sprintf(format, v...))
}

// RouteLibraryLogs sends go-redis's global logger into log. It is global in
// go-redis, so call it once, from main.
func RouteLibraryLogs(log zerolog.Logger) { redis.SetLogger(zlog{log}) }
