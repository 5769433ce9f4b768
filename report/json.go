package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"deskwatch/health"
)

// JSONFormat names the layout of WriteJSON's output; it changes only with
// an incompatible change of the field names.
const JSONFormat = "deskwatch.report.v1"

// The JSON layout. Times are RFC 3339 in the report's zone (null when zero:
// ongoing, or unbounded), durations are seconds, percentages unrounded.
type jsonHead struct {
	Format      string         `json:"format"`
	Quarter     string         `json:"quarter"`
	From        *string        `json:"from"`
	To          *string        `json:"to"`
	Zone        string         `json:"zone"`
	MeasuredTo  *string        `json:"measured_to"`
	Due         *string        `json:"due"`      // the deadline instant
	DueDate     string         `json:"due_date"` // the last day, YYYY-MM-DD
	GeneratedAt *string        `json:"generated_at"`
	Version     int            `json:"version"`
	Status      string         `json:"status"`
	InputsHash  string         `json:"inputs_hash"`
	JournalHead *jsonChainHead `json:"journal_head"` // null: no journal
	Lang        string         `json:"lang"`
	N           int            `json:"n"`
	D           float64        `json:"d"`
	Hotlines    []jsonHotline  `json:"hotlines"`
	Coverage    jsonCoverage   `json:"coverage"`
	// desks, exclusions and journal follow, streamed.
}

// jsonChainHead is the journal's chain head as of the build.
type jsonChainHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

type jsonHotline struct {
	Number string  `json:"number"`
	N      int     `json:"n"`
	D      float64 `json:"d"`
}

type jsonCoverage struct {
	UnknownSeconds float64        `json:"unknown_seconds"`
	Treatment      string         `json:"treatment"`
	Intervals      []jsonInterval `json:"intervals"`
}

type jsonInterval struct {
	Start *string `json:"start"`
	End   *string `json:"end"`
}

type jsonDesk struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Hotlines           []string `json:"hotlines"`
	InServiceFrom      *string  `json:"in_service_from"`
	InServiceUntil     *string  `json:"in_service_until"`
	Schedule           string   `json:"schedule,omitempty"` // its name; absent: around the clock
	ProvidedSeconds    float64  `json:"provided_seconds"`
	UnavailableSeconds float64  `json:"unavailable_seconds"`
	ExcludedSeconds    float64  `json:"excluded_seconds"`
	UnknownSeconds     float64  `json:"unknown_seconds"`
	Di                 float64  `json:"di"`
}

type jsonExclusion struct {
	SpanID         string  `json:"span_id"`
	Workstation    string  `json:"workstation"`
	Start          *string `json:"start"`
	End            *string `json:"end"`
	CountedSeconds float64 `json:"counted_seconds"`
	Category       string  `json:"category"`
	Reason         string  `json:"reason"`
	By             string  `json:"by"`
	At             *string `json:"at"`
}

type jsonJournal struct {
	Number            int      `json:"number"`
	Start             *string  `json:"start"`
	End               *string  `json:"end"`
	Desks             []string `json:"desks"`
	Hotlines          []string `json:"hotlines"`
	Cause             string   `json:"cause"`
	Detection         []string `json:"detection"`
	Fault             string   `json:"fault"`
	ExclusionCategory string   `json:"exclusion_category"`
	Reason            string   `json:"reason"`
	Actions           string   `json:"actions"`
	RecordedBy        string   `json:"recorded_by"`
}

// jsonDoc is the whole document, for reading it back.
type jsonDoc struct {
	jsonHead
	Desks      []jsonDesk      `json:"desks"`
	Exclusions []jsonExclusion `json:"exclusions"`
	Journal    []jsonJournal   `json:"journal"`
}

// WriteJSON writes the report as one JSON object, streaming the desks,
// exclusions and journal row by row.
func WriteJSON(w io.Writer, r *Report) error {
	if _, err := r.check(); err != nil {
		return err
	}
	loc := r.zone()
	ts := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.In(loc).Format(time.RFC3339Nano)
		return &s
	}
	head := jsonHead{
		Format: JSONFormat, Quarter: r.Quarter.String(),
		From: ts(r.From), To: ts(r.To), Zone: loc.String(), MeasuredTo: ts(r.MeasuredTo),
		Due: ts(r.due()), DueDate: r.DueDate().Format(time.DateOnly), GeneratedAt: ts(r.GeneratedAt),
		Version: r.Version, Status: r.Status, InputsHash: r.InputsHash, Lang: r.lang(),
		N: r.N, D: r.D, Hotlines: []jsonHotline{},
		Coverage: jsonCoverage{UnknownSeconds: r.Coverage.Unknown.Seconds(), Treatment: r.Coverage.Treatment,
			Intervals: []jsonInterval{}},
	}
	if r.JournalHead.Seq > 0 {
		head.JournalHead = &jsonChainHead{r.JournalHead.Seq, r.JournalHead.Hash}
	}
	for _, h := range r.Hotlines {
		head.Hotlines = append(head.Hotlines, jsonHotline{h.Number, h.N, h.D})
	}
	for _, iv := range r.Coverage.Intervals {
		head.Coverage.Intervals = append(head.Coverage.Intervals, jsonInterval{ts(iv.Start), ts(iv.End)})
	}
	b, err := json.Marshal(head)
	if err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(b[:len(b)-1]) // without the closing brace
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)

	err = jsonArray(bw, enc, "desks", len(r.Desks), func(i int) any {
		d := &r.Desks[i]
		return jsonDesk{
			ID: d.ID, Name: d.Name, Hotlines: orEmpty(d.Hotlines),
			InServiceFrom: ts(d.InServiceFrom), InServiceUntil: ts(d.InServiceUntil), Schedule: d.Schedule,
			ProvidedSeconds: d.Provided.Seconds(), UnavailableSeconds: d.Unavailable.Seconds(),
			ExcludedSeconds: d.Excluded.Seconds(), UnknownSeconds: d.Unknown.Seconds(), Di: d.Di,
		}
	})
	if err == nil {
		err = jsonArray(bw, enc, "exclusions", len(r.Exclusions), func(i int) any {
			e := &r.Exclusions[i]
			return jsonExclusion{
				SpanID: e.SpanID, Workstation: e.Workstation, Start: ts(e.Start), End: ts(e.End),
				CountedSeconds: e.Counted.Seconds(), Category: e.Category, Reason: e.Reason, By: e.By, At: ts(e.At),
			}
		})
	}
	if err == nil {
		err = jsonArray(bw, enc, "journal", len(r.Journal), func(i int) any {
			j := &r.Journal[i]
			return jsonJournal{
				Number: j.Number, Start: ts(j.Start), End: ts(j.End),
				Desks: orEmpty(j.Desks), Hotlines: orEmpty(j.Hotlines), Cause: j.Cause,
				Detection: orEmpty(j.Detection), Fault: j.Fault, ExclusionCategory: j.ExclusionCategory,
				Reason: j.Reason, Actions: j.Actions, RecordedBy: j.RecordedBy,
			}
		})
	}
	if err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	bw.WriteString("}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}

// jsonArray writes `,"name":[` and n rows, one a line.
func jsonArray(bw *bufio.Writer, enc *json.Encoder, name string, n int, row func(int) any) error {
	bw.WriteString(`,"` + name + `":[` + "\n")
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(row(i)); err != nil {
			return fmt.Errorf("%s row %d: %w", name, i, err)
		}
	}
	_, err := bw.WriteString("]")
	return err
}

func orEmpty(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// ReadJSON reads back what WriteJSON wrote, e.g. an archived submitted
// version to render again in another format. Times come back as UTC
// instants; the zone is loaded by name (or, failing that, fixed at the
// period start's offset).
func ReadJSON(rd io.Reader) (*Report, error) {
	var doc jsonDoc
	dec := json.NewDecoder(bufio.NewReaderSize(rd, 64<<10))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("report: read json: %w", err)
	}
	if doc.Format != JSONFormat {
		return nil, fmt.Errorf("report: read json: format %q, want %q", doc.Format, JSONFormat)
	}
	q, err := health.ParseQuarter(doc.Quarter)
	if err != nil {
		return nil, fmt.Errorf("report: read json: %w", err)
	}
	var perr error
	tm := func(s *string) time.Time {
		if s == nil {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, *s)
		if err != nil && perr == nil {
			perr = err
		}
		return t.UTC()
	}
	r := &Report{
		Quarter: q, From: tm(doc.From), To: tm(doc.To), MeasuredTo: tm(doc.MeasuredTo), Due: tm(doc.Due),
		GeneratedAt: tm(doc.GeneratedAt), Version: doc.Version, Status: doc.Status, InputsHash: doc.InputsHash,
		Lang: doc.Lang, N: doc.N, D: doc.D,
		Coverage: Coverage{Unknown: seconds(doc.Coverage.UnknownSeconds), Treatment: doc.Coverage.Treatment},
	}
	if h := doc.JournalHead; h != nil {
		r.JournalHead = JournalHead{h.Seq, h.Hash}
	}
	r.Zone, err = time.LoadLocation(doc.Zone)
	if err != nil && doc.From != nil {
		if t, err := time.Parse(time.RFC3339, *doc.From); err == nil {
			_, off := t.Zone()
			r.Zone = time.FixedZone(doc.Zone, off)
		}
	}
	for _, h := range doc.Hotlines {
		r.Hotlines = append(r.Hotlines, HotlineRow{h.Number, h.N, h.D})
	}
	for _, iv := range doc.Coverage.Intervals {
		r.Coverage.Intervals = append(r.Coverage.Intervals, health.Interval{Start: tm(iv.Start), End: tm(iv.End)})
	}
	r.Desks = make([]DeskRow, 0, len(doc.Desks))
	for _, d := range doc.Desks {
		r.Desks = append(r.Desks, DeskRow{
			ID: d.ID, Name: d.Name, Hotlines: d.Hotlines,
			InServiceFrom: tm(d.InServiceFrom), InServiceUntil: tm(d.InServiceUntil), Schedule: d.Schedule,
			Provided: seconds(d.ProvidedSeconds), Unavailable: seconds(d.UnavailableSeconds),
			Excluded: seconds(d.ExcludedSeconds), Unknown: seconds(d.UnknownSeconds), Di: d.Di,
		})
	}
	r.Exclusions = make([]ExclusionRow, 0, len(doc.Exclusions))
	for _, e := range doc.Exclusions {
		r.Exclusions = append(r.Exclusions, ExclusionRow{
			SpanID: e.SpanID, Workstation: e.Workstation, Start: tm(e.Start), End: tm(e.End),
			Counted: seconds(e.CountedSeconds), Category: e.Category, Reason: e.Reason, By: e.By, At: tm(e.At),
		})
	}
	r.Journal = make([]JournalRow, 0, len(doc.Journal))
	for _, j := range doc.Journal {
		r.Journal = append(r.Journal, JournalRow{
			Number: j.Number, Start: tm(j.Start), End: tm(j.End), Desks: j.Desks, Hotlines: j.Hotlines,
			Cause: j.Cause, Detection: j.Detection, Fault: j.Fault, ExclusionCategory: j.ExclusionCategory,
			Reason: j.Reason, Actions: j.Actions, RecordedBy: j.RecordedBy,
		})
	}
	if perr != nil {
		return nil, fmt.Errorf("report: read json: %w", perr)
	}
	return r, nil
}

// seconds turns a JSON seconds figure back into a duration, to the nanosecond.
func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }
