package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"deskwatch/health"
)

// Fault says whose fault an incident was.
const (
	FaultInstitution = "institution" // the institution's: counted in t_недоступности
	FaultExternal    = "external"    // not the institution's (footnote * of п.28)
	FaultUnknown     = "unknown"     // not established yet
)

// Faults lists the valid fault values.
var Faults = []string{FaultInstitution, FaultExternal, FaultUnknown}

// Kind is the kind of a chain record.
type Kind string

// Record kinds; doc.go describes their payloads.
const (
	KindEntryOpened      Kind = "entry_opened"      // an entry opened for a detected span
	KindManual           Kind = "manual"            // an entry opened for a span entered by hand
	KindSpanAdded        Kind = "span_added"        // a span joined the entry
	KindSpanClosed       Kind = "span_closed"       // one of its spans ended
	KindSpanChanged      Kind = "span_changed"      // an open span's sources grew
	KindEntryClosed      Kind = "entry_closed"      // all its spans have ended
	KindNote             Kind = "note"              // a supervisor's cause, actions or fault
	KindExclusion        Kind = "exclusion"         // a span was excluded from the formula
	KindExclusionRevoked Kind = "exclusion_revoked" // a span's exclusion was withdrawn
	KindMaintenance      Kind = "maintenance"       // planned maintenance declared, ended or cancelled
	KindChainKeyed       Kind = "chain_keyed"       // the records from here on are keyed (entry "")
)

var kinds = map[Kind]bool{
	KindEntryOpened: true, KindManual: true, KindSpanAdded: true, KindSpanClosed: true, KindSpanChanged: true,
	KindEntryClosed: true, KindNote: true, KindExclusion: true, KindExclusionRevoked: true, KindChainKeyed: true, KindMaintenance: true,
}

// Record is one link of the append-only chain. Hash is the SHA-256 (or,
// keyed, the HMAC-SHA256) of the canonical encoding of the other fields
// (doc.go); PrevHash is the Hash of the record before it.
type Record struct {
	Seq   int64
	At    time.Time // when it was recorded (UTC, ms)
	Kind  Kind
	Entry string // the entry's ID, "2026-0017"; "" for a record about the chain
	By    string // who made the change: a person as they wrote, or the system name for detected facts
	// Actor is who made the change, authenticated: an API token's name,
	// "cli:" and the OS user, or the system name; "" in format 1 records.
	Actor    string
	Alg      string // "sha256", "hmac-sha256:KEYID", or "" (format 1: SHA-256)
	Payload  json.RawMessage
	PrevHash string
	Hash     string
}

// Keyed reports whether the record's hash is an HMAC with the journal's key.
func (r Record) Keyed() bool { return strings.HasPrefix(r.Alg, algHMAC) }

// Head is the chain's last record: print it on reports, check it later with
// VerifyOptions.Anchors. Seq 0: the chain is empty.
type Head struct {
	Seq  int64
	Hash string
}

// Entry is one incident of the журнал учета работы АРМ: the latest state,
// folded from its records.
type Entry struct {
	Year   int // the year of its first span's start in the journal's zone
	Number int // sequential within Year, from 1

	Start time.Time // the earliest start of its spans
	End   time.Time // the latest end, once every span has ended; zero while ongoing

	Desks    []string // workstation IDs, sorted
	Hotlines []string // hotlines of those desks, sorted
	SpanIDs  []string // in order of start

	// Cause is the supervisor's latest noted cause (for a manual entry, the
	// note entered with it), or the detected cause until one is noted.
	Cause         string
	CauseNoted    bool
	DetectedCause health.Cause // the cause the spans were grouped by
	Manual        bool         // entered by hand rather than detected

	Detection []string // sources of its spans: ari, sip, manual; sorted
	Fault     string   // FaultInstitution, FaultExternal or FaultUnknown

	// Set when every span of the entry is excluded: the latest exclusion's.
	ExclusionCategory string
	ExclusionReason   string

	Actions    string // the latest noted actions
	RecordedBy string // who noted it last; for an entry without notes, who opened it

	History []Record // every record that touched it, in chain order

	// Planned lists the maintenance windows the entry falls in (плановые
	// работы), by number: those its span records name (written when the
	// journal has Options.Maintenance), to which the service adds, when
	// reading, the windows that overlap it now (for records written before
	// the marking was kept).
	Planned []string
}

// ID is the entry's key: year and zero-padded number, "2026-0017".
func (e Entry) ID() string { return entryID(e.Year, e.Number) }

// Label is the entry's number as the journal shows it: "17/2026".
func (e Entry) Label() string { return fmt.Sprintf("%d/%d", e.Number, e.Year) }

// Ongoing reports whether some span of the entry has not ended.
func (e Entry) Ongoing() bool { return e.End.IsZero() }

// Excluded reports whether the entry is left out of the formula.
func (e Entry) Excluded() bool { return e.ExclusionCategory != "" }

// Note is a supervisor's addition to an entry: any of cause, actions and
// fault (nil leaves it as it is). By is required.
type Note struct {
	Cause   *string
	Actions *string
	Fault   *string // FaultInstitution, FaultExternal or FaultUnknown
	By      string
	Actor   string    // the authenticated caller, recorded beside By
	At      time.Time // zero: now
}

var (
	// ErrNotFound: no such entry.
	ErrNotFound = errors.New("journal: not found")
	// ErrTampered: a stored record does not match its hash.
	ErrTampered = errors.New("journal: record does not match its hash")
	// ErrConflict: other writers kept appending; nothing was written.
	ErrConflict = errors.New("journal: too many concurrent appends")
	// ErrKey: a record is keyed and the journal has no key, or another one.
	ErrKey = errors.New("journal: the record is keyed with a key this journal does not have (journal.key_file)")
)

// ValidationError reports an argument the journal refuses. Nothing was
// written.
type ValidationError struct {
	Field   string
	Problem string
}

func (e *ValidationError) Error() string {
	return "journal: invalid " + e.Field + ": " + e.Problem
}

func entryID(year, number int) string { return fmt.Sprintf("%04d-%04d", year, number) }

// parseEntryID splits "2026-0017" into 2026 and 17.
func parseEntryID(id string) (year, number int, ok bool) {
	y, n, found := strings.Cut(id, "-")
	if !found {
		return 0, 0, false
	}
	year, err1 := strconv.Atoi(y)
	number, err2 := strconv.Atoi(n)
	return year, number, err1 == nil && err2 == nil && number > 0
}

// Times are kept to the millisecond, in UTC, as the store keeps them.
const stamp = "2006-01-02T15:04:05.000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(stamp) }

func parseTime(s string) (time.Time, error) { return time.Parse(stamp, s) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

func truncMs(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Millisecond)
}
