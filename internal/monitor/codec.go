package monitor

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"deskwatch/health"
)

// op is one write, kept in decision order.
type op struct {
	kind  opKind
	tr    *health.Transition
	blind health.Source
	at    time.Time
	seq   uint64 // its spool entry; 0 while only in memory
}

type opKind uint8

const (
	opTransition opKind = iota
	opOpenBlind
	opCloseBlind
	opHeartbeat
)

var opNames = [...]string{opTransition: "transition", opOpenBlind: "open_blind", opCloseBlind: "close_blind", opHeartbeat: "heartbeat"}

func (k opKind) String() string { return opNames[k] }

// maxDetail bounds a transition's Detail in its record.
const maxDetail = 4096

// record is an op as the spool and the dead letters keep it: JSON, so that
// an operator can read a kept file. Times are RFC 3339 with nanoseconds:
// exactly the time decided.
type record struct {
	Op     string       `json:"op"`
	At     time.Time    `json:"at"`
	WS     string       `json:"ws,omitempty"`
	From   health.State `json:"from,omitempty"`
	To     health.State `json:"to,omitempty"`
	Cause  health.Cause `json:"cause,omitempty"`
	Source string       `json:"source,omitempty"` // of the transition, or the blind source
	Detail string       `json:"detail,omitempty"`
}

func (o op) record() record {
	r := record{Op: o.kind.String(), At: o.at}
	switch o.kind {
	case opTransition:
		t := o.tr
		r.At, r.WS, r.From, r.To, r.Cause, r.Source, r.Detail = t.At, t.Workstation, t.From, t.To, t.Cause, string(t.Source), t.Detail
		if len(r.Detail) > maxDetail { // the store keeps none of it; a record must fit the spool
			r.Detail = strings.ToValidUTF8(r.Detail[:maxDetail], "") + "…"
		}
	case opOpenBlind, opCloseBlind:
		r.Source = string(o.blind)
	}
	return r
}

// encode writes o's record as encoding/json would (TestEncodeAsJSON), by
// hand: the loop spools every decision, and reflection was most of it.
func (o op) encode() []byte {
	r := o.record()
	b := make([]byte, 0, 160)
	b = appendField(b, `{"op":`, r.Op)
	b = append(b, `,"at":"`...)
	b = r.At.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	for _, f := range [...]struct{ key, val string }{
		{`,"ws":`, r.WS}, {`,"from":`, string(r.From)}, {`,"to":`, string(r.To)},
		{`,"cause":`, string(r.Cause)}, {`,"source":`, r.Source}, {`,"detail":`, r.Detail},
	} {
		if f.val != "" {
			b = appendField(b, f.key, f.val)
		}
	}
	return append(b, '}')
}

// appendField appends key and v as a JSON string; plain ASCII as is, the
// rest through encoding/json.
func appendField(b []byte, key, v string) []byte {
	b = append(b, key...)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(v)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}

// decodeOp reads an op back from its record: as encoding/json does
// (TestDecodeAsJSON), by hand for the records encode writes with plain
// ASCII strings, since the writer decodes every write it reads back from
// disk.
func decodeOp(b []byte) (op, error) {
	r, ok := parsePlain(b)
	if !ok {
		r = record{}
		if err := json.Unmarshal(b, &r); err != nil {
			return op{}, fmt.Errorf("decode write %q: %w", b, err)
		}
	}
	o := op{at: r.At}
	switch r.Op {
	case "transition":
		o.kind = opTransition
		o.tr = &health.Transition{Workstation: r.WS, At: r.At, From: r.From, To: r.To, Cause: r.Cause,
			Source: health.Source(r.Source), Detail: r.Detail}
	case "open_blind", "close_blind":
		o.kind, o.blind = opOpenBlind, health.Source(r.Source)
		if r.Op == "close_blind" {
			o.kind = opCloseBlind
		}
	case "heartbeat":
		o.kind = opHeartbeat
	default:
		return op{}, fmt.Errorf("decode write %q: unknown op %q", b, r.Op)
	}
	return o, nil
}

// parsePlain parses a record of the shape encode writes: "op" and "at"
// first, then known keys each at most once, every string printable ASCII
// without escapes. It reports false for anything else.
func parsePlain(b []byte) (r record, ok bool) {
	const head = `{"op":"`
	if len(b) < len(head)+2 || string(b[:len(head)]) != head || b[len(b)-1] != '}' {
		return r, false
	}
	s := string(b) // one allocation: the fields share it
	i := len(head) - 1
	next := func() (string, bool) { // a plain string at s[i:], then i past it
		if i >= len(s) || s[i] != '"' {
			return "", false
		}
		for j := i + 1; j < len(s); j++ {
			switch c := s[j]; {
			case c == '"':
				v := s[i+1 : j]
				i = j + 1
				return v, true
			case c < 0x20 || c >= 0x7f || c == '\\':
				return "", false
			}
		}
		return "", false
	}
	seen := [len(plainKeys)]bool{true} // "op" is the head
	for k := 0; ; k++ {
		if k > 0 {
			key, ok := next()
			if !ok || i >= len(s) || s[i] != ':' {
				return r, false
			}
			i++
			idx := slices.Index(plainKeys[:], key)
			if idx < 0 || seen[idx] || (k == 1) != (key == "at") {
				return r, false
			}
			seen[idx] = true
			v, ok := next()
			if !ok {
				return r, false
			}
			switch key {
			case "at":
				if r.At.UnmarshalText([]byte(v)) != nil {
					return r, false
				}
			case "ws":
				r.WS = v
			case "from":
				r.From = health.State(v)
			case "to":
				r.To = health.State(v)
			case "cause":
				r.Cause = health.Cause(v)
			case "source":
				r.Source = v
			default:
				r.Detail = v
			}
		} else {
			v, ok := next()
			if !ok {
				return r, false
			}
			r.Op = v
		}
		switch {
		case i == len(s)-1:
			return r, k > 0
		case i < len(s) && s[i] == ',':
			i++
		default:
			return r, false
		}
	}
}

var plainKeys = [...]string{"op", "at", "ws", "from", "to", "cause", "source", "detail"}
