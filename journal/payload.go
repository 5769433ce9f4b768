package journal

// Payloads of the record kinds (doc.go). Times are UTC strings to the
// millisecond, so an auditor reads them as they are.

// openedPayload: entry_opened and manual.
type openedPayload struct {
	Year   int    `json:"year"`
	Number int    `json:"number"`
	Cause  string `json:"cause"`
	Anchor string `json:"anchor"` // start of the span that opened the entry
}

// spanBody is a span's content besides its ID: what its figures depend on,
// and the hotlines its desk served when it joined.
type spanBody struct {
	Desk     string   `json:"desk"`
	Hotlines []string `json:"hotlines"`
	Start    string   `json:"start"`
	End      string   `json:"end,omitempty"` // empty: open
	Cause    string   `json:"cause"`
	Sources  []string `json:"sources"`
	Manual   bool     `json:"manual,omitempty"`
	Note     string   `json:"note,omitempty"`
	// Planned: the planned maintenance windows (mw-N) that applied to the
	// desk somewhere in the span by the record's time (an open span: up to
	// it), as the windows then stood. Absent when none, and in records
	// written before it was kept (the service marks those when reading).
	Planned []string `json:"planned,omitempty"`
}

// spanPayload: span_added, span_closed and span_changed, the span as it is
// after the record. span_closed records of format 1 carry span, end and
// sources only (Desk is empty).
type spanPayload struct {
	Span string `json:"span"`
	spanBody
	Exclusion *exclusionBody `json:"exclusion,omitempty"`
}

// full reports whether the payload carries the whole span (format 2).
func (p *spanPayload) full() bool { return p.Desk != "" }

// exclusionBody is an exclusion as recorded.
type exclusionBody struct {
	Category string `json:"category"`
	Reason   string `json:"reason"`
	By       string `json:"by"`              // who set it, as they wrote
	Actor    string `json:"actor,omitempty"` // who set it, authenticated (format 2)
	At       string `json:"at"`              // when it was set
}

// exclusionPayload: exclusion (the exclusion set) and exclusion_revoked
// (the exclusion withdrawn); from format 2 on followed by the span as it
// is after the record (without its exclusion: that is the kind's).
type exclusionPayload struct {
	Span string `json:"span"`
	exclusionBody
	spanBody
}

// entryClosedPayload: entry_closed.
type entryClosedPayload struct {
	End string `json:"end"`
}

// notePayload: note. Absent fields are left as they were.
type notePayload struct {
	Cause   *string `json:"cause,omitempty"`
	Actions *string `json:"actions,omitempty"`
	Fault   *string `json:"fault,omitempty"`
}

// keyedPayload: chain_keyed, the records from here on are keyed.
type keyedPayload struct {
	Alg string `json:"alg"` // as in the records' alg field: hmac-sha256:KEYID
}
