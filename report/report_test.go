package report

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
)

func TestFromAvailability(t *testing.T) {
	r := sampleReport(t)
	if got, want := r.From, at(2026, 7, 1, 0, 0, 0); !got.Equal(want) {
		t.Errorf("From = %v, want %v", got, want)
	}
	if got, want := r.DueDate().Format("02.01.2006"), "15.10.2026"; got != want {
		t.Errorf("DueDate = %s, want %s", got, want)
	}
	if len(r.Hotlines) != 2 || r.Hotlines[0].Number != "117" || r.Hotlines[1].Number != "122" {
		t.Fatalf("hotlines = %+v, want 117 then 122", r.Hotlines)
	}
	if r.Hotlines[0].N != 4 || r.Hotlines[1].N != 10 {
		t.Errorf("hotline N = %d, %d; want 4 (3 + sup-01), 10 (9 + sup-01)", r.Hotlines[0].N, r.Hotlines[1].N)
	}
	desk := map[string]DeskRow{}
	var sum float64
	for _, d := range r.Desks {
		desk[d.ID] = d
		sum += d.Di
	}
	if math.Abs(sum/float64(r.N)-r.D) > 1e-9 {
		t.Errorf("D = %v, mean of Di = %v", r.D, sum/float64(r.N))
	}
	pbx := 45*time.Minute + 29*time.Second
	for id, want := range map[string]time.Duration{
		"op122-05": 3*time.Hour + pbx,                                   // began before the quarter
		"op117-01": time.Hour + pbx,                                     // ends after it
		"op117-02": 2*time.Hour + 25*time.Minute + 30*time.Second + pbx, // entered by hand
		"op122-01": pbx,                                                 // the power cut is excluded
		"op122-09": 14*time.Minute + 35*time.Second,                     // commissioned after the PBX incident
	} {
		if got := desk[id].Unavailable; got != want {
			t.Errorf("%s unavailable = %v, want %v", id, got, want)
		}
	}
	if got := desk["op122-01"].Excluded; got != 150*time.Minute {
		t.Errorf("op122-01 excluded = %v, want 2h30m", got)
	}
	if got, want := desk["op122-09"].Provided, at(2026, 10, 1, 0, 0, 0).Sub(at(2026, 8, 15, 9, 0, 0)); got != want {
		t.Errorf("op122-09 provided = %v, want %v", got, want)
	}
	if !desk["op122-09"].InServiceFrom.Equal(at(2026, 8, 15, 9, 0, 0)) || desk["op122-09"].Name == "" {
		t.Errorf("op122-09 row lacks its workstation data: %+v", desk["op122-09"])
	}
	if r.Status != StatusSubmitted {
		t.Errorf("status %q", r.Status)
	}
	open := FromAvailability(health.Quarter{Year: 2026, Q: 3}, irkutsk, health.AvailabilityResult{
		Period:   health.Quarter{Year: 2026, Q: 3}.Range(irkutsk),
		Measured: health.Interval{Start: at(2026, 7, 1, 0, 0, 0), End: at(2026, 8, 1, 0, 0, 0)},
	}, nil)
	if open.Status != StatusOpen {
		t.Errorf("a running quarter: status %q, want open", open.Status)
	}
}

// Text from people (journal entries) may hold anything: control characters,
// characters beyond the font, invalid UTF-8, markup.
func TestHostileText(t *testing.T) {
	r := sampleReport(t)
	r.Journal[0].Actions = "ok 😀 <b>&amp;</b>\x00\x07 tab\tcr\r\n\xff\xfe end"
	r.Journal[0].RecordedBy = "\u2028"
	r.Desks[0].Name = "  spaced  "
	for name, write := range writers {
		var buf bytes.Buffer
		if err := write(&buf, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "xlsx" {
			_, sheets := readXLSX(t, buf.Bytes())
			if got := sheets["Журнал"]["K2"].IS; !strings.Contains(got, "<b>&amp;</b>") || !strings.Contains(got, "😀") {
				t.Errorf("xlsx text %q", got)
			}
			if got := sheets["АРМ"]["B2"].IS; got != "  spaced  " {
				t.Errorf("spaces lost: %q", got)
			}
		}
	}
}

var writers = map[string]func(io.Writer, *Report) error{
	"json": WriteJSON, "csv": WriteCSV, "xlsx": WriteXLSX, "pdf": WritePDF,
}

func TestEmptyReport(t *testing.T) {
	q := health.Quarter{Year: 2026, Q: 4}
	r := FromAvailability(q, irkutsk, health.Availability(q.Range(irkutsk), at(2026, 10, 1, 0, 0, 0), nil), nil)
	for name, write := range writers {
		var buf bytes.Buffer
		if err := write(&buf, r); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if r.DueDate().Format("02.01.2006") != "15.01.2027" {
		t.Errorf("Q4 due %v", r.DueDate())
	}
}

func TestBadInput(t *testing.T) {
	for name, write := range writers {
		if err := write(io.Discard, nil); err == nil {
			t.Errorf("%s: nil report accepted", name)
		}
		if err := write(io.Discard, &Report{Lang: "de"}); err == nil || !strings.Contains(err.Error(), `"de"`) {
			t.Errorf("%s: unknown language: %v", name, err)
		}
	}
	if _, err := ReadJSON(strings.NewReader(`{"format":"other"}`)); err == nil {
		t.Error("ReadJSON accepted another format")
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	r := sampleReport(t)
	for name, write := range writers {
		if err := write(&failWriter{n: 100}, r); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: write error lost: %v", name, err)
		}
	}
}

func TestDisplayFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ru.seconds(7948800 * time.Second), "7\u00a0948\u00a0800 с"},
		{ru.seconds(1500 * time.Millisecond), "1,5 с"},
		{ru.seconds(250*time.Millisecond + 400*time.Microsecond), "0,25 с"},
		{en.seconds(1234567 * time.Second), "1,234,567 s"},
		{ru.seconds(999 * time.Second), "999 с"},
		{hoursMinutes(2208*time.Hour + 59*time.Second), "2208:00"},
		{hoursMinutes(45*time.Minute + 29*time.Second), "0:45"},
		{hoursMinutes(-90 * time.Minute), "-1:30"},
		{ru.integer(-1234), "-1\u00a0234"},
		{ru.percent(99.99999), "100,0000"},
		{ru.percent(99.94306), "99,9431"},
		{en.percent(99.94304), "99.9430"},
		{dataFloat(99.94304123456789, ','), "99,94304123456789"},
		{zoneName(time.UTC, time.Time{}), "UTC"},
		{zoneName(irkutsk, at(2026, 7, 1, 0, 0, 0)), "Asia/Irkutsk (UTC+08:00)"},
		{string(appendCol(nil, 27)), "AB"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestOutputIsDeterministic(t *testing.T) {
	for name, write := range writers {
		var a, b bytes.Buffer
		if err := write(&a, sampleReport(t)); err != nil {
			t.Fatal(err)
		}
		if err := write(&b, sampleReport(t)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two renderings of the same report differ", name)
		}
	}
}
