package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"deskwatch/journal"
)

// Journal is what the journal routes ask of the service (*service.Service).
type Journal interface {
	JournalPage(ctx context.Context, from, to time.Time, after *journal.EntryCursor, limit int) ([]journal.Entry, bool, error)
	JournalEntry(ctx context.Context, year, number int) (journal.Entry, error)
	AddNote(ctx context.Context, year, number int, n journal.Note) (journal.Entry, error)
}

// entryDTO is one incident of the журнал учета работы АРМ, its latest
// state with every record that made it.
type entryDTO struct {
	ID                string      `json:"id"`    // "2026-0017"
	Label             string      `json:"label"` // "17/2026"
	Year              int         `json:"year"`
	Number            int         `json:"number"`
	Start             time.Time   `json:"start"`
	End               *time.Time  `json:"end"`
	Desks             []string    `json:"desks"`
	Hotlines          []string    `json:"hotlines"`
	SpanIDs           []string    `json:"spans"`
	Cause             string      `json:"cause"`
	CauseNoted        bool        `json:"cause_noted"`
	DetectedCause     string      `json:"detected_cause,omitempty"`
	Manual            bool        `json:"manual"`
	Detection         []string    `json:"detection"`
	Fault             string      `json:"fault"`
	ExclusionCategory string      `json:"exclusion_category,omitempty"`
	ExclusionReason   string      `json:"exclusion_reason,omitempty"`
	Actions           string      `json:"actions,omitempty"`
	RecordedBy        string      `json:"recorded_by"`
	History           []recordDTO `json:"history"`
	Planned           []string    `json:"planned,omitempty"` // maintenance windows it falls in (плановые работы)
}

// recordDTO is one appended, hash-chained record.
type recordDTO struct {
	Seq     int64           `json:"seq"`
	At      time.Time       `json:"at"`
	Kind    string          `json:"kind"`
	By      string          `json:"by"`    // as they wrote
	Actor   string          `json:"actor"` // authenticated; "" in records made before it was kept
	Payload json.RawMessage `json:"payload"`
	Hash    string          `json:"hash"`
}

func toEntry(e journal.Entry) entryDTO {
	out := entryDTO{ID: e.ID(), Label: e.Label(), Year: e.Year, Number: e.Number, Start: e.Start, Desks: e.Desks, Hotlines: e.Hotlines,
		SpanIDs: e.SpanIDs, Cause: e.Cause, CauseNoted: e.CauseNoted, DetectedCause: string(e.DetectedCause), Manual: e.Manual, Detection: e.Detection,
		Fault: e.Fault, ExclusionCategory: e.ExclusionCategory, ExclusionReason: e.ExclusionReason, Actions: e.Actions, RecordedBy: e.RecordedBy, Planned: e.Planned}
	if !e.End.IsZero() {
		end := e.End
		out.End = &end
	}
	for _, r := range e.History {
		out.History = append(out.History, recordDTO{Seq: r.Seq, At: r.At, Kind: string(r.Kind), By: r.By, Actor: r.Actor, Payload: r.Payload, Hash: r.Hash})
	}
	return out
}

// noteBody is a supervisor's addition: nil fields stay as they are.
type noteBody struct {
	Cause   *string `json:"cause"`
	Actions *string `json:"actions"`
	Fault   *string `json:"fault"`
	By      string  `json:"by"` // default: the token's name
}

// entryPos is a journal page's cursor: after this entry.
type entryPos struct {
	Start        int64 `json:"s"` // unix ms
	Year, Number int
}

func (s *Server) listJournal(w http.ResponseWriter, r *http.Request) {
	iv, err := s.rangeParams(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	servePage(s, w, r, "journal", func(after *entryPos, limit int) ([]journal.Entry, bool, error) {
		var c *journal.EntryCursor
		if after != nil {
			c = &journal.EntryCursor{Start: time.UnixMilli(after.Start).UTC(), Year: after.Year, Number: after.Number}
		}
		return s.opt.Journal.JournalPage(r.Context(), iv.Start, iv.End, c, limit)
	}, func(e journal.Entry) entryPos { return entryPos{e.Start.UnixMilli(), e.Year, e.Number} },
		func(e journal.Entry) any { return toEntry(e) })
}

// entryRef reads "2026-0017", "2026-17" or "17" (this year in the zone).
func (s *Server) entryRef(v string) (year, number int, err error) {
	y, n, two := strings.Cut(v, "-")
	if !two {
		n, y = y, strconv.Itoa(s.opt.Now().In(s.opt.Location).Year())
	}
	year, err1 := strconv.Atoi(y)
	number, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil || year < 1970 || number < 1 {
		return 0, 0, bad("bad_entry", fmt.Sprintf("номер записи журнала %q: ожидается 2026-0017 или 17", v), fmt.Sprintf("journal entry %q: want 2026-0017 or 17", v))
	}
	return year, number, nil
}

func (s *Server) getJournalEntry(w http.ResponseWriter, r *http.Request) {
	y, n, err := s.entryRef(r.PathValue("n"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerEntry(w, r)(s.opt.Journal.JournalEntry(r.Context(), y, n))
}

func (s *Server) addJournalNote(w http.ResponseWriter, r *http.Request) {
	y, n, err := s.entryRef(r.PathValue("n"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var b noteBody
	if err := decodeBody(r, &b); err != nil {
		s.writeError(w, r, err)
		return
	}
	note := journal.Note{Cause: b.Cause, Actions: b.Actions, Fault: b.Fault, By: orCaller(r, b.By), Actor: callerOf(r).Name}
	s.answerEntry(w, r)(s.opt.Journal.AddNote(r.Context(), y, n, note))
}

// answerEntry renders a use case's journal entry, or its error.
func (s *Server) answerEntry(w http.ResponseWriter, r *http.Request) func(journal.Entry, error) {
	return func(e journal.Entry, err error) {
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, toEntry(e))
	}
}
