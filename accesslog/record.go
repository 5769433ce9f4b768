// Package accesslog records who read personal data (152-FZ; the standard's
// п.4 and п.20): operators' names and the names in the journal are
// personal data, so every authenticated request that returns them leaves a
// record. Records go through a bounded queue to a Redis stream, append
// only, kept for a retention and trimmed by time (the stream id's
// timestamp), never by count. A failed or slow Redis never holds up the
// request: the record is retried, or dropped when the queue is full, and
// counted either way; every record is also one zerolog line.
package accesslog

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Record is one authenticated access. Actor is the token's name: the
// token itself is never recorded.
type Record struct {
	ID     string    `json:"id,omitempty"` // the stream entry's id, when read back
	Time   time.Time `json:"time"`         // when the request came
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`   // viewer | supervisor | cli
	Client string    `json:"client"` // the client's address: through a trusted proxy, from X-Forwarded-For
	Remote string    `json:"remote"` // the connection's peer address
	// ForwardedFor is the X-Forwarded-For header as a trusted proxy sent
	// it; from any other peer it is ignored and left out.
	ForwardedFor string `json:"forwarded_for,omitempty"`
	Method       string `json:"method"`
	Route        string `json:"route"` // the route's pattern: "GET /api/v1/journal/{n}"
	Path         string `json:"path"`  // the concrete path: "/api/v1/journal/2026-0017"
	// Params are what selected the data: the period, from, to, desks,
	// hotline, ids in the path.
	Params map[string]string `json:"params,omitempty"`
	Status int               `json:"status"` // 0 for the CLI
	Bytes  int64             `json:"bytes"`
}

// fields are the record as a stream entry's values (empty ones left out).
func (r Record) fields() []any {
	f := make([]any, 0, 24)
	add := func(k, v string) {
		if v != "" {
			f = append(f, k, v)
		}
	}
	add("t", r.Time.UTC().Format(time.RFC3339Nano))
	add("actor", r.Actor)
	add("role", r.Role)
	add("client", r.Client)
	add("remote", r.Remote)
	add("xff", r.ForwardedFor)
	add("method", r.Method)
	add("route", r.Route)
	add("path", r.Path)
	if len(r.Params) > 0 {
		b, _ := json.Marshal(r.Params) // a map of strings always marshals
		f = append(f, "params", string(b))
	}
	return append(f, "status", strconv.Itoa(r.Status), "bytes", strconv.FormatInt(r.Bytes, 10))
}

// fromMessage reads a stream entry back. Values it cannot parse are left
// zero: the entry is still shown, as written.
func fromMessage(m redis.XMessage) Record {
	s := func(k string) string { v, _ := m.Values[k].(string); return v }
	r := Record{ID: m.ID, Actor: s("actor"), Role: s("role"), Client: s("client"), Remote: s("remote"), ForwardedFor: s("xff"),
		Method: s("method"), Route: s("route"), Path: s("path")}
	r.Time, _ = time.Parse(time.RFC3339Nano, s("t"))
	r.Status, _ = strconv.Atoi(s("status"))
	r.Bytes, _ = strconv.ParseInt(s("bytes"), 10, 64)
	if p := s("params"); p != "" {
		_ = json.Unmarshal([]byte(p), &r.Params)
	}
	if r.Time.IsZero() {
		r.Time = idTime(m.ID)
	}
	return r
}

// idTime is the time in a stream id ("1719792000000-0").
func idTime(id string) time.Time {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// validID reports whether id is a stream id, "ms-seq".
func validID(id string) bool {
	ms, seq, ok := strings.Cut(id, "-")
	_, err1 := strconv.ParseUint(ms, 10, 64)
	_, err2 := strconv.ParseUint(seq, 10, 64)
	return ok && err1 == nil && err2 == nil
}

// msID is the first stream id at t.
func msID(t time.Time) string { return strconv.FormatInt(max(t.UnixMilli(), 0), 10) }
