package sipprobe

import (
	"math"
	"sync/atomic"
	"time"

	"deskwatch/metrics"
)

// rttBounds are the upper bounds of the RTT histogram buckets (Prometheus
// "le"), tuned for phones on a LAN; a last +Inf bucket follows.
var rttBounds = [...]time.Duration{
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

// Stats are the Prober's counters since New.
type Stats struct {
	Targets  int    // desks probed now (the PBX not included)
	InFlight int    // probes waiting for their answer now (at most one per target)
	Sent     uint64 // OPTIONS transactions started
	Answers  uint64 // final responses (alive)
	Timeouts uint64 // no final response in time (incl. provisional only)
	Errors   uint64 // transport errors: refused, unreachable, TLS, DNS
	// Stray counts packets that were not an answer to a probe in flight:
	// unparseable or truncated datagrams, responses whose branch is no probe
	// in flight (late answers after a timeout and answers to a resent
	// request land here too), responses carrying a probe's branch with a
	// wrong Call-ID, CSeq or From tag or malformed, and requests sent to the
	// prober.
	Stray uint64
	// Skipped counts probe slots not used: the target's previous probe was
	// still running, MaxConnecting dials were hanging, or Run fell behind.
	Skipped uint64
	RTT     Histogram // RTT of answers
}

// Histogram is a Prometheus-style histogram of durations.
type Histogram struct {
	Count  uint64
	Sum    time.Duration
	counts [len(rttBounds) + 1]uint64 // per bucket, not cumulative
}

// Bucket is one cumulative histogram bucket: Count observations were ≤ Le
// seconds. The last bucket has Le = +Inf and Count = Histogram.Count.
type Bucket = metrics.Bucket

// Buckets returns the cumulative bucket counts, ready for a Prometheus
// histogram (le in seconds).
func (h Histogram) Buckets() []Bucket {
	out := make([]Bucket, 0, len(h.counts))
	var cum uint64
	for i, c := range h.counts {
		cum += c
		le := math.Inf(1)
		if i < len(rttBounds) {
			le = rttBounds[i].Seconds()
		}
		out = append(out, Bucket{Le: le, Count: cum})
	}
	return out
}

type counters struct {
	sent, answers, timeouts, errors, stray, skipped atomic.Uint64
	rttCount, rttSum                                atomic.Uint64
	rtt                                             [len(rttBounds) + 1]atomic.Uint64
}

func (c *counters) observeRTT(d time.Duration) {
	i := 0
	for i < len(rttBounds) && d > rttBounds[i] {
		i++
	}
	c.rtt[i].Add(1)
	c.rttSum.Add(uint64(max(d, 0)))
	c.rttCount.Add(1)
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Sent: c.sent.Load(), Answers: c.answers.Load(), Timeouts: c.timeouts.Load(),
		Errors: c.errors.Load(), Stray: c.stray.Load(), Skipped: c.skipped.Load(),
	}
	for i := range c.rtt {
		s.RTT.counts[i] = c.rtt[i].Load()
		s.RTT.Count += s.RTT.counts[i] // consistent with the buckets
	}
	s.RTT.Sum = time.Duration(c.rttSum.Load())
	return s
}
