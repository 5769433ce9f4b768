package journal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the texts a supervisor enters, in characters (runes, not
// bytes: Cyrillic takes two bytes a letter). The service checks them first
// to answer in words; the journal keeps them for every other caller.
const (
	MaxBy      = 200
	MaxCause   = 2000
	MaxActions = 4000
)

// AddNote appends a supervisor's note to an entry and returns the entry's
// new state: the latest noted cause, actions and fault win, the history
// keeps every note. An unknown entry is ErrNotFound; a note without By,
// without any field, with an empty or too long text or a fault other than
// institution, external or unknown is a *ValidationError.
func (j *Journal) AddNote(ctx context.Context, year, number int, n Note) (Entry, error) {
	pl, err := checkNote(n)
	if err != nil {
		return Entry{}, err
	}
	at := truncMs(n.At)
	if at.IsZero() {
		at = j.now()
	}
	id := entryID(year, number)
	by := strings.TrimSpace(n.By)

	j.mu.Lock()
	for attempt := range maxAttempts {
		err = j.appendNote(ctx, id, by, pl, at)
		if !errors.Is(err, errHeadMoved) {
			break
		}
		if perr := conflictPause(ctx, attempt); perr != nil {
			err = perr
			break
		}
	}
	j.mu.Unlock()
	switch {
	case errors.Is(err, errHeadMoved):
		return Entry{}, ErrConflict
	case err != nil:
		return Entry{}, fmt.Errorf("journal: note on entry %d/%d: %w", number, year, err)
	}
	return j.Entry(ctx, year, number)
}

func (j *Journal) appendNote(ctx context.Context, id, by string, pl notePayload, at time.Time) error {
	h, err := j.readHead(ctx)
	if err != nil {
		return err
	}
	n, err := j.rdb.LLen(ctx, j.entryKey(id)).Result()
	if err != nil {
		return fmt.Errorf("read entry index: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	p := newPlanner(j, at, h)
	p.append(KindNote, id, by, pl)
	p.flush()
	return j.commit(ctx, p.batches)
}

func checkNote(n Note) (notePayload, error) {
	if err := checkText("By", n.By, MaxBy); err != nil {
		return notePayload{}, err
	}
	if strings.ContainsAny(n.By, "\r\n\t") {
		return notePayload{}, &ValidationError{"By", "must be one line"}
	}
	if n.Cause == nil && n.Actions == nil && n.Fault == nil {
		return notePayload{}, &ValidationError{"Note", "empty: give a cause, actions or a fault"}
	}
	var pl notePayload
	if n.Cause != nil {
		if err := checkText("Cause", *n.Cause, MaxCause); err != nil {
			return notePayload{}, err
		}
		pl.Cause = trimmed(*n.Cause)
	}
	if n.Actions != nil {
		if err := checkText("Actions", *n.Actions, MaxActions); err != nil {
			return notePayload{}, err
		}
		pl.Actions = trimmed(*n.Actions)
	}
	if n.Fault != nil {
		if !slices.Contains(Faults, *n.Fault) {
			return notePayload{}, &ValidationError{"Fault", fmt.Sprintf("%q: want one of %s", *n.Fault, strings.Join(Faults, ", "))}
		}
		f := *n.Fault
		pl.Fault = &f
	}
	return pl, nil
}

// checkText accepts non-blank UTF-8 text of at most limit characters,
// without control characters other than line breaks and tabs.
func checkText(field, s string, limit int) error {
	switch {
	case !utf8.ValidString(s):
		return &ValidationError{field, "not valid UTF-8"}
	case strings.TrimSpace(s) == "":
		return &ValidationError{field, "empty"}
	case utf8.RuneCountInString(s) > limit:
		return &ValidationError{field, fmt.Sprintf("longer than %d characters", limit)}
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }):
		return &ValidationError{field, "contains control characters"}
	}
	return nil
}

func trimmed(s string) *string {
	s = strings.TrimSpace(s)
	return &s
}
