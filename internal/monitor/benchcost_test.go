package monitor_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"
)

// cost is what a benchmark's writes cost at one moment: Redis's CPU and
// commands (from INFO), the round trips the client made, and this
// process's CPU (getrusage: the loop, the writer, the benchmark's sender).
type cost struct {
	redisCPU, goCPU float64 // seconds
	calls, scripts  int64   // commands Redis ran (inside scripts too), script calls among them
	trips           int64
}

// tripCounter counts the client's round trips: a pipeline is one.
type tripCounter struct{ n atomic.Int64 }

func (*tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (t *tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { t.n.Add(1); return next(ctx, cmd) }
}
func (t *tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { t.n.Add(1); return next(ctx, cmds) }
}

var trips = map[*redis.Client]*tripCounter{}

// countTrips makes sampleCost count rdb's round trips from now on.
func countTrips(rdb *redis.Client) {
	t := new(tripCounter)
	rdb.AddHook(t)
	trips[rdb] = t
}

func sampleCost(b *testing.B, rdb *redis.Client) cost {
	b.Helper()
	var c cost
	if t := trips[rdb]; t != nil {
		c.trips = t.n.Load()
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	c.goCPU = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	info, err := rdb.Info(context.Background(), "cpu", "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		switch {
		case k == "used_cpu_user" || k == "used_cpu_sys":
			f, _ := strconv.ParseFloat(v, 64)
			c.redisCPU += f
		case strings.HasPrefix(k, "cmdstat_") && k != "cmdstat_info":
			calls, _, _ := strings.Cut(strings.TrimPrefix(v, "calls="), ",")
			n, _ := strconv.ParseInt(calls, 10, 64)
			c.calls += n
			if k == "cmdstat_evalsha" || k == "cmdstat_eval" {
				c.scripts += n
			}
		}
	}
	return c
}

// report adds the cost per transition since before.
func (c cost) report(b *testing.B, before cost, n int) {
	per := func(x float64) float64 { return x / float64(n) }
	b.ReportMetric(per(c.redisCPU-before.redisCPU)*1e6, "redis-cpu-µs/tr")
	b.ReportMetric(per(c.goCPU-before.goCPU)*1e6, "go-cpu-µs/tr")
	b.ReportMetric(per(float64(c.calls-before.calls)), "redis-cmds/tr")
	b.ReportMetric(per(float64(c.scripts-before.scripts)), "scripts/tr")
	if c.trips > 0 {
		b.ReportMetric(per(float64(c.trips-before.trips)), "trips/tr")
	}
}
