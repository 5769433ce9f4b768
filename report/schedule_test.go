package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/schedule"
)

// weekdays9to18 is a day shift Monday to Friday, in Irkutsk time.
func weekdays9to18() *schedule.Schedule {
	s := &schedule.Schedule{Name: "day", Location: irkutsk}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		s.Weekly[wd] = []schedule.Range{{Start: 9 * 60, End: 18 * 60}}
	}
	return s
}

// A desk on a schedule is provided only during its shifts: an outage at
// night costs nothing, one in a shift counts; every format prints the
// schedule's name and that t_provided.
func TestBuildWithSchedules(t *testing.T) {
	q := health.Quarter{Year: 2026, Q: 4}
	day := weekdays9to18()
	in := Inputs{
		Desks: []health.Workstation{
			{ID: "day-1", Name: "Дневное", Hotlines: []string{"122"}, Schedule: "day"},
			{ID: "always", Name: "Круглосуточное", Hotlines: []string{"122"}},
		},
		Spans: []health.Span{
			// Monday 2 Nov 2026, 20:00-23:00: outside the shift.
			{ID: "night", Workstation: "day-1", Start: at(2026, 11, 2, 20, 0, 0), End: at(2026, 11, 2, 23, 0, 0), Cause: health.CauseUnregistered},
			// Tuesday 3 Nov, 17:00-19:00: one hour inside.
			{ID: "evening", Workstation: "day-1", Start: at(2026, 11, 3, 17, 0, 0), End: at(2026, 11, 3, 19, 0, 0), Cause: health.CauseUnregistered},
			{ID: "always-1", Workstation: "always", Start: at(2026, 11, 2, 20, 0, 0), End: at(2026, 11, 2, 23, 0, 0), Cause: health.CauseUnregistered},
		},
		Schedules: map[string]Schedule{"day": day},
	}
	end := q.Range(irkutsk).End
	r := Build(q, irkutsk, end, in)
	if len(r.Desks) != 2 {
		t.Fatalf("desks %+v", r.Desks)
	}
	// Q4 2026 has 66 weekdays (no calendar followed here): 66 × 9 h.
	d, a := r.Desks[0], r.Desks[1]
	if d.Schedule != "day" || d.Provided != 66*9*time.Hour || d.Unavailable != time.Hour {
		t.Errorf("scheduled desk %+v", d)
	}
	if a.Schedule != "" || a.Provided != end.Sub(q.Range(irkutsk).Start) || a.Unavailable != 3*time.Hour {
		t.Errorf("around-the-clock desk %+v", a)
	}

	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "График") || !rowHas(t, b.String(), "day-1", "day") || !rowHas(t, b.String(), "always", "круглосуточно") {
		t.Errorf("CSV lacks the schedules:\n%s", b.String())
	}
	b.Reset()
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&b)
	if err != nil || back.Desks[0].Schedule != "day" || back.Desks[1].Schedule != "" {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
	_, text := pdfText(t, r, t.TempDir())
	if !strings.Contains(text, "график: day") || !strings.Contains(text, "график: круглосуточно") {
		t.Errorf("PDF lacks the schedules: %s", text)
	}

	// Another schedule gives other figures, and another hash.
	late := weekdays9to18()
	late.Weekly[time.Tuesday] = []schedule.Range{{Start: 9 * 60, End: 20 * 60}}
	in.Schedules = map[string]Schedule{"day": late}
	r2 := Build(q, irkutsk, end, in)
	if r2.InputsHash == r.InputsHash || r2.Desks[0].Unavailable != 2*time.Hour {
		t.Errorf("changed schedule: hash %s, desk %+v", r2.InputsHash, r2.Desks[0])
	}
	// Desks without a schedule hash as before schedules existed.
	in.Desks[0].Schedule, in.Schedules = "", nil
	if h := Build(q, irkutsk, end, in).InputsHash; h != inputsHash(q, in.Desks, in.Spans, nil, nil, q.Range(irkutsk), nil, nil) {
		t.Error("the hash of a report without schedules changed")
	}
}

// rowHas reports whether the desks table has a row for id holding value.
func rowHas(t *testing.T, doc, id, value string) bool {
	for _, r := range csvTables(t, []byte(doc), ru.sheetDesks)[ru.sheetDesks] {
		if r[0] == id && slices.Contains(r, value) {
			return true
		}
	}
	return false
}
