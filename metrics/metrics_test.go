package metrics

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestWriteEscapesAsPrometheusSpecifies(t *testing.T) {
	ms := []Metric{
		{Name: "b_total", Help: "B with a \\ and a\nnewline.", Type: "counter", Value: 3},
		{Name: "a", Help: "A.", Type: "gauge", Labels: map[string]string{"z": "x", "name": "Оператор \"1\"\\\n"}, Value: 0.5},
		{Name: "a", Help: "A.", Type: "gauge", Labels: map[string]string{"name": "2"}, Value: math.Inf(1)},
		{Name: "h_bucket", Help: "H.", Type: "histogram", Labels: map[string]string{"le": "+Inf"}, Value: 2},
		{Name: "h_sum", Help: "H.", Type: "histogram", Value: 0.25},
		{Name: "h_count", Help: "H.", Type: "histogram", Value: 2},
		{Name: "n", Help: "N.", Type: "gauge", Value: math.NaN()},
	}
	var b bytes.Buffer
	if err := Write(&b, ms); err != nil {
		t.Fatal(err)
	}
	want := `# HELP a A.
# TYPE a gauge
a{name="Оператор \"1\"\\\n",z="x"} 0.5
a{name="2"} +Inf
# HELP b_total B with a \\ and a\nnewline.
# TYPE b_total counter
b_total 3
# HELP h H.
# TYPE h histogram
h_bucket{le="+Inf"} 2
h_sum 0.25
h_count 2
# HELP n N.
# TYPE n gauge
n NaN
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	if ms[0].Name != "b_total" {
		t.Fatal("Write reordered the caller's slice")
	}
}

func TestProcessAndBuildInfo(t *testing.T) {
	got := map[string]Metric{}
	for _, m := range Gather(Process(), BuildInfo("1.2.3"), nil) {
		got[m.Name] = m
	}
	for _, name := range []string{"process_open_fds", "process_max_fds", "process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds", "go_goroutines"} {
		if m, ok := got[name]; !ok || m.Value <= 0 {
			t.Errorf("%s = %+v, want a positive sample", name, m)
		}
	}
	bi := got["deskwatch_build_info"]
	if bi.Value != 1 || bi.Labels["version"] != "1.2.3" || !strings.HasPrefix(bi.Labels["goversion"], "go") {
		t.Fatalf("build info %+v", bi)
	}
}

func TestHistogram(t *testing.T) {
	h := NewHistogram(time.Millisecond, 10*time.Millisecond)
	for _, d := range []time.Duration{500 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, time.Second} {
		h.Observe(d)
	}
	var b bytes.Buffer
	if err := Write(&b, h.Samples("x_seconds", "X.")); err != nil {
		t.Fatal(err)
	}
	want := `# HELP x_seconds X.
# TYPE x_seconds histogram
x_seconds_bucket{le="0.001"} 2
x_seconds_bucket{le="0.01"} 3
x_seconds_bucket{le="+Inf"} 4
x_seconds_sum 1.0065
x_seconds_count 4
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	l := Labeled([]Metric{{Name: "a", Labels: map[string]string{"x": "1"}}}, "y", "2")
	if l[0].Labels["x"] != "1" || l[0].Labels["y"] != "2" {
		t.Fatalf("labels %v", l[0].Labels)
	}
}
