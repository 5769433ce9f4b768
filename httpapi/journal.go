package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"deskwatch/health"
)

// JournalEntry is one incident of the журнал учета работы АРМ, its latest
// state with every record that made it.
type JournalEntry struct {
	ID                string          `json:"id"`    // "2026-0017"
	Label             string          `json:"label"` // "17/2026"
	Year              int             `json:"year"`
	Number            int             `json:"number"`
	Start             time.Time       `json:"start"`
	End               *time.Time      `json:"end"`
	Desks             []string        `json:"desks"`
	Hotlines          []string        `json:"hotlines"`
	SpanIDs           []string        `json:"spans"`
	Cause             string          `json:"cause"`
	CauseNoted        bool            `json:"cause_noted"`
	DetectedCause     string          `json:"detected_cause,omitempty"`
	Manual            bool            `json:"manual"`
	Detection         []string        `json:"detection"`
	Fault             string          `json:"fault"`
	ExclusionCategory string          `json:"exclusion_category,omitempty"`
	ExclusionReason   string          `json:"exclusion_reason,omitempty"`
	Actions           string          `json:"actions,omitempty"`
	RecordedBy        string          `json:"recorded_by"`
	History           []JournalRecord `json:"history"`
}

// JournalRecord is one appended, hash-chained record.
type JournalRecord struct {
	Seq     int64           `json:"seq"`
	At      time.Time       `json:"at"`
	Kind    string          `json:"kind"`
	By      string          `json:"by"`
	Payload json.RawMessage `json:"payload"`
	Hash    string          `json:"hash"`
}

// JournalNote is a supervisor's addition: nil fields stay as they are.
type JournalNote struct {
	Cause   *string `json:"cause"`
	Actions *string `json:"actions"`
	Fault   *string `json:"fault"`
	By      string  `json:"by"`
}

// Journal is the incident journal.
type Journal interface {
	Entries(ctx context.Context, from, to time.Time) ([]JournalEntry, error)
	Entry(ctx context.Context, year, number int) (JournalEntry, error)
	AddNote(ctx context.Context, year, number int, n JournalNote, at time.Time) (JournalEntry, error)
	// RecordManual and Ingest tell the journal at once about a manual
	// entry or a changed exclusion (it would also find them on its own).
	RecordManual(ctx context.Context, sp health.Span, by string, at time.Time) error
	Ingest(ctx context.Context, spans []health.Span, by string, at time.Time) error
}

func (s *Server) listJournal(w http.ResponseWriter, r *http.Request) {
	iv, err := s.rangeParams(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	es, err := s.opt.Journal.Entries(r.Context(), iv.Start, iv.End)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if es == nil {
		es = []JournalEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"journal": es})
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
	if err == nil {
		var e JournalEntry
		if e, err = s.opt.Journal.Entry(r.Context(), y, n); err == nil {
			writeJSON(w, http.StatusOK, e)
			return
		}
	}
	s.writeError(w, r, err)
}

var faults = []string{"institution", "external", "unknown"}

func (s *Server) addJournalNote(w http.ResponseWriter, r *http.Request) {
	y, n, err := s.entryRef(r.PathValue("n"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var b JournalNote
	if err := decodeBody(r, &b); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case b.Cause == nil && b.Actions == nil && b.Fault == nil:
		err = bad("empty_note", "укажите хотя бы одно из: cause, actions, fault", "give at least one of cause, actions, fault")
	case b.Fault != nil && !slices.Contains(faults, *b.Fault):
		err = bad("bad_fault", fmt.Sprintf("fault %q: допустимы institution (вина учреждения), external (не по вине учреждения), unknown", *b.Fault),
			fmt.Sprintf("fault %q: want institution, external or unknown", *b.Fault))
	case b.Cause != nil && (strings.TrimSpace(*b.Cause) == "" || len(*b.Cause) > 2000),
		b.Actions != nil && len(*b.Actions) > 4000, len(b.By) > 200:
		err = bad("bad_note", "причина не может быть пустой; причина до 2000, меры до 4000, by до 200 символов", "cause may not be empty; cause up to 2000, actions up to 4000, by up to 200 characters")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if strings.TrimSpace(b.By) == "" {
		b.By = callerOf(r).Name
	}
	e, err := s.opt.Journal.AddNote(r.Context(), y, n, b, s.opt.Now().UTC())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// tellJournal passes a changed span on; a failure is logged, not returned:
// the span is stored and the journal's own follower will find it.
func (s *Server) tellJournal(ctx context.Context, sp health.Span, by string, entered bool) {
	if s.opt.Journal == nil {
		return
	}
	var err error
	if entered {
		err = s.opt.Journal.RecordManual(ctx, sp, by, s.opt.Now().UTC())
	} else {
		err = s.opt.Journal.Ingest(ctx, []health.Span{sp}, by, s.opt.Now().UTC())
	}
	if err != nil {
		s.log.Warn().Err(err).Str("span", sp.ID).Msg("journal not told at once; its follower will catch up")
	}
}
