package metrics

import (
	"math"
	"sync/atomic"
	"time"
)

// Bucket is one cumulative histogram bucket: Count observations were ≤ Le.
type Bucket struct {
	Le    float64
	Count uint64
}

// HistogramSamples renders a histogram's buckets (cumulative, the last one
// +Inf), sum and count as the _bucket, _sum and _count samples.
func HistogramSamples(name, help string, buckets []Bucket, sum float64, count uint64) []Metric {
	out := make([]Metric, 0, len(buckets)+2)
	for _, b := range buckets {
		out = append(out, Metric{Name: name + "_bucket", Help: help, Type: "histogram",
			Labels: map[string]string{"le": formatValue(b.Le)}, Value: float64(b.Count)})
	}
	return append(out,
		Metric{Name: name + "_sum", Help: help, Type: "histogram", Value: sum},
		Metric{Name: name + "_count", Help: help, Type: "histogram", Value: float64(count)})
}

// Histogram counts durations into fixed buckets without locks: Observe is
// cheap enough for the write path.
type Histogram struct {
	bounds []time.Duration
	counts []atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sum    atomic.Int64    // nanoseconds
}

// NewHistogram makes a histogram with the given upper bounds, ascending.
func NewHistogram(bounds ...time.Duration) *Histogram {
	return &Histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// LatencyBounds suit local I/O: Redis on the LAN, a disk fsync.
var LatencyBounds = []time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

// Observe counts one duration.
func (h *Histogram) Observe(d time.Duration) {
	i := 0
	for i < len(h.bounds) && d > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(max(d, 0)))
}

// Samples renders the histogram in seconds.
func (h *Histogram) Samples(name, help string) []Metric {
	buckets := make([]Bucket, len(h.counts))
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		le := math.Inf(1)
		if i < len(h.bounds) {
			le = h.bounds[i].Seconds()
		}
		buckets[i] = Bucket{Le: le, Count: cum}
	}
	return HistogramSamples(name, help, buckets, time.Duration(h.sum.Load()).Seconds(), cum)
}

// Labeled copies ms with one more label on each sample.
func Labeled(ms []Metric, key, value string) []Metric {
	for i := range ms {
		l := make(map[string]string, len(ms[i].Labels)+1)
		for k, v := range ms[i].Labels {
			l[k] = v
		}
		l[key] = value
		ms[i].Labels = l
	}
	return ms
}
