// Package metrics is deskwatch's small Prometheus exposition: each component
// declares and exports its own samples (a Collector) next to what counts
// them, and the HTTP API only renders what the collectors give. The text
// format is written by hand (no client library: the daemon needs a few
// dozen samples), escaped as the Prometheus exposition format specifies.
package metrics

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Metric is one sample.
type Metric struct {
	Name, Help string
	Type       string // counter | gauge | histogram
	Labels     map[string]string
	Value      float64
}

// Collector gives a component's current samples.
type Collector interface {
	Metrics() []Metric
}

// Func adapts a function to a Collector.
type Func func() []Metric

// Metrics calls f.
func (f Func) Metrics() []Metric { return f() }

// Counter and Gauge build unlabelled samples.
func Counter(name, help string, v float64) Metric {
	return Metric{Name: name, Help: help, Type: "counter", Value: v}
}

// Gauge builds an unlabelled gauge sample.
func Gauge(name, help string, v float64) Metric {
	return Metric{Name: name, Help: help, Type: "gauge", Value: v}
}

// Bool is 1 for true, 0 for false: the value of a state gauge.
func Bool(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// Gather collects every collector's samples; nil collectors are skipped.
func Gather(cs ...Collector) []Metric {
	var out []Metric
	for _, c := range cs {
		if c != nil {
			out = append(out, c.Metrics()...)
		}
	}
	return out
}

// ContentType is the exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// family is the name that HELP and TYPE carry: a histogram's _bucket, _sum
// and _count samples share one.
func family(m Metric) string {
	if m.Type == "histogram" {
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if f, ok := strings.CutSuffix(m.Name, suf); ok {
				return f
			}
		}
	}
	return m.Name
}

// Write renders ms in the text exposition format, one HELP and TYPE per
// family, families sorted by name (samples of a family keep their order).
func Write(w io.Writer, ms []Metric) error {
	ms = append([]Metric(nil), ms...) // the caller's slice stays as it was
	sort.SliceStable(ms, func(i, j int) bool { return family(ms[i]) < family(ms[j]) })
	bw := bufio.NewWriter(w)
	last := ""
	var keys []string
	for _, m := range ms {
		if f := family(m); f != last {
			bw.WriteString("# HELP " + f + " " + helpEscaper.Replace(m.Help) + "\n")
			bw.WriteString("# TYPE " + f + " " + m.Type + "\n")
			last = f
		}
		bw.WriteString(m.Name)
		if len(m.Labels) > 0 {
			keys = keys[:0]
			for k := range m.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			bw.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					bw.WriteByte(',')
				}
				bw.WriteString(k + `="` + labelEscaper.Replace(m.Labels[k]) + `"`)
			}
			bw.WriteByte('}')
		}
		bw.WriteByte(' ')
		bw.WriteString(formatValue(m.Value))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// The exposition format escapes only these: a label value's backslash,
// double quote and line feed; HELP's backslash and line feed. (strconv.Quote
// would also escape non-ASCII text such as a Russian desk name as \u…,
// which Prometheus reads literally.)
var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func formatValue(v float64) string {
	switch {
	case v != v:
		return "NaN"
	case v > 1.7976931348623157e308:
		return "+Inf"
	case v < -1.7976931348623157e308:
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
