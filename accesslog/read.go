package accesslog

import (
	"context"
	"errors"
	"time"
)

// Query selects records: those whose request came in [From, To), of one
// actor if Actor is set, oldest first, Limit at most, after the stream id
// After (the previous page's Next).
type Query struct {
	From, To time.Time
	Actor    string
	Limit    int
	After    string
}

// Page is one page of records; Next is where the next page starts ("" at
// the end). A page may be shorter than the limit, even empty, and still
// have a Next: a read scans at most scanBudget entries.
type Page struct {
	Records []Record
	Next    string
}

// ErrBadCursor is an After that is not a stream id.
var ErrBadCursor = errors.New("accesslog: not a cursor of this log")

const scanBudget = 100_000

// Records reads a page. Stream ids are the time a record was written, a
// little after its request (at most Lateness), so the scan reaches that far
// beyond the range and each record's own time decides.
func (l *Log) Records(ctx context.Context, q Query) (Page, error) {
	if q.Limit <= 0 {
		return Page{}, errors.New("accesslog: limit must be positive")
	}
	start := msID(q.From.Add(-Lateness))
	if q.After != "" {
		if !validID(q.After) {
			return Page{}, ErrBadCursor
		}
		start = "(" + q.After
	}
	end := msID(q.To.Add(Lateness))
	chunk := int64(min(max(q.Limit, 100), 10_000))
	var p Page
	last, scanned := "", 0
	for len(p.Records) < q.Limit && scanned < scanBudget {
		msgs, err := l.rdb.XRangeN(ctx, l.key, start, end, chunk).Result()
		if err != nil {
			return Page{}, err
		}
		for _, m := range msgs {
			last = m.ID
			scanned++
			if r := fromMessage(m); q.match(r) {
				p.Records = append(p.Records, r)
				if len(p.Records) == q.Limit {
					break
				}
			}
		}
		if int64(len(msgs)) < chunk && (len(msgs) == 0 || last == msgs[len(msgs)-1].ID) {
			return p, nil // the range is read to its end
		}
		start = "(" + last
	}
	more, err := l.rdb.XRangeN(ctx, l.key, "("+last, end, 1).Result()
	if err != nil {
		return Page{}, err
	}
	if len(more) > 0 {
		p.Next = last
	}
	return p, nil
}

func (q Query) match(r Record) bool {
	return !r.Time.Before(q.From) && r.Time.Before(q.To) && (q.Actor == "" || r.Actor == q.Actor)
}

// All reads every record of q, page by page (for the CLI).
func (l *Log) All(ctx context.Context, q Query) ([]Record, error) {
	q.Limit = 10_000
	var out []Record
	for {
		p, err := l.Records(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Records...)
		if p.Next == "" {
			return out, nil
		}
		q.After = p.Next
	}
}
