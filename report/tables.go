package report

import (
	"strconv"
	"strings"
	"time"
)

// The data formats (CSV and XLSX) show the same tables, built here once: a
// sheet is a list of blocks, a block a header and rows of typed cells that
// each format writes its own way.

type cellKind uint8

const (
	kText    cellKind = iota
	kInt              // a count or a number
	kPercent          // a percentage, unrounded
	kSeconds          // a duration in seconds
	kTime             // an instant, shown in the report's zone
)

type cell struct {
	kind cellKind
	s    string
	f    float64
	t    time.Time
}

func textCell(s string) cell       { return cell{kind: kText, s: s} }
func intCell(n int) cell           { return cell{kind: kInt, f: float64(n)} }
func pctCell(v float64) cell       { return cell{kind: kPercent, f: v} }
func secCell(d time.Duration) cell { return cell{kind: kSeconds, f: d.Seconds()} }
func timeCell(t time.Time) cell    { return cell{kind: kTime, t: t} }
func listCell(ss []string) cell    { return textCell(strings.Join(ss, ", ")) }
func timeOrText(t time.Time, s string) cell {
	if t.IsZero() {
		return textCell(s)
	}
	return timeCell(t)
}

type block struct {
	title  string // a heading above the block; empty for a sheet's first block
	header []string
	n      int
	// row appends row i's cells to buf[:0].
	row func(i int, buf []cell) []cell
}

type sheet struct {
	name   string
	widths []float64 // column widths in characters (XLSX)
	blocks []block
}

// maxSheetRows is the data rows an XLSX sheet holds under its header row
// (Excel's limit is 1,048,576 rows); a longer journal continues on more sheets.
var maxSheetRows = 1<<20 - 1

func (r *Report) sheets(l *labels) []sheet {
	loc := r.zone()
	type kv struct {
		k string
		v cell
	}
	meta := []kv{
		{l.keyQuarter, textCell(r.Quarter.String())},
		{l.keyFrom, timeCell(r.From)},
		{l.keyTo, timeCell(r.To)},
		{l.zone, textCell(zoneName(loc, r.From))},
		{l.measuredTo, timeOrText(r.MeasuredTo, "")},
		{l.keyDue, textCell(r.DueDate().Format(l.dateOnly))},
		{l.generated, timeOrText(r.GeneratedAt, "")},
		{l.version, intCell(r.Version)},
		{l.status, textCell(word(l.statuses, r.Status))},
		{l.inputsHash, textCell(r.InputsHash)},
		{l.journalHead, textCell(r.JournalHead.String())},
		{l.keyN, intCell(r.N)},
		{l.keyD, pctCell(r.D)},
	}
	coverage := []kv{
		{l.keyUnknownSeconds, secCell(r.Coverage.Unknown)},
		{l.keyTreatment, textCell(word(l.treatments, r.Coverage.Treatment))},
	}
	kvBlock := func(title string, rows []kv) block {
		return block{title: title, header: []string{l.key, l.value}, n: len(rows),
			row: func(i int, b []cell) []cell { return append(b, textCell(rows[i].k), rows[i].v) }}
	}

	out := []sheet{
		{name: l.sheetIndicators, widths: []float64{52, 40, 14}, blocks: []block{
			kvBlock("", meta),
			{title: l.secHotlines, header: []string{l.colHotline, l.colHotlineN, l.colHotlineD}, n: len(r.Hotlines),
				row: func(i int, b []cell) []cell {
					h := &r.Hotlines[i]
					return append(b, textCell(h.Number), intCell(h.N), pctCell(h.D))
				}},
		}},
		{name: l.sheetDesks, widths: []float64{16, 30, 12, 20, 20, 18, 18, 16, 18, 12, 18}, blocks: []block{
			{header: l.deskCols, n: len(r.Desks), row: func(i int, b []cell) []cell {
				d := &r.Desks[i]
				return append(b, textCell(d.ID), textCell(d.Name), listCell(d.Hotlines),
					timeOrText(d.InServiceFrom, ""), timeOrText(d.InServiceUntil, ""),
					secCell(d.Provided), secCell(d.Unavailable), secCell(d.Excluded), secCell(d.Unknown), pctCell(d.Di), textCell(scheduleName(l, d.Schedule)))
			}},
		}},
		{name: l.sheetExclusions, widths: []float64{22, 16, 20, 20, 16, 28, 50, 20, 20}, blocks: []block{
			{header: l.exclusionCols, n: len(r.Exclusions), row: func(i int, b []cell) []cell {
				e := &r.Exclusions[i]
				return append(b, textCell(e.SpanID), textCell(e.Workstation), timeCell(e.Start), timeOrText(e.End, l.ongoing),
					secCell(e.Counted), textCell(word(l.categories, e.Category)), textCell(e.Reason), textCell(e.By), timeOrText(e.At, ""))
			}},
		}},
	}
	journalWidths := []float64{8, 20, 20, 40, 10, 30, 16, 20, 24, 40, 40, 20}
	journal := func(from, n int) block {
		return block{header: l.journalCols, n: n, row: func(i int, b []cell) []cell {
			j := &r.Journal[from+i]
			det := make([]string, len(j.Detection))
			for k, s := range j.Detection {
				det[k] = word(l.detections, s)
			}
			return append(b, intCell(j.Number), timeCell(j.Start), timeOrText(j.End, l.ongoing), listCell(j.Desks),
				listCell(j.Hotlines), textCell(word(l.causes, j.Cause)), listCell(det), textCell(word(l.faults, j.Fault)),
				textCell(word(l.categories, j.ExclusionCategory)), textCell(j.Reason), textCell(j.Actions), textCell(j.RecordedBy))
		}}
	}
	for from, part := 0, 1; from < len(r.Journal) || part == 1; part++ {
		n := min(len(r.Journal)-from, maxSheetRows)
		name := l.sheetJournal
		if part > 1 {
			name += " (" + strconv.Itoa(part) + ")"
		}
		out = append(out, sheet{name: name, widths: journalWidths, blocks: []block{journal(from, n)}})
		from += n
	}
	out = append(out, sheet{name: l.sheetCoverage, widths: []float64{36, 60, 18}, blocks: []block{
		kvBlock("", coverage),
		{title: l.blindIntervals, header: l.intervalCols, n: len(r.Coverage.Intervals), row: func(i int, b []cell) []cell {
			iv := r.Coverage.Intervals[i]
			c := textCell("")
			if !iv.End.IsZero() {
				c = secCell(iv.End.Sub(iv.Start))
			}
			return append(b, timeCell(iv.Start), timeOrText(iv.End, l.ongoing), c)
		}},
	}})
	return out
}
