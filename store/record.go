package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"deskwatch/health"
)

// record is a span as stored: JSON in the workstation's spans hash, read
// and rewritten by the Lua scripts (cjson), so times are integer ms.
type record struct {
	ID        string            `json:"id"`
	WS        string            `json:"ws"`
	Start     int64             `json:"start"`
	End       int64             `json:"end,omitempty"` // 0: open
	Cause     string            `json:"cause,omitempty"`
	Sources   string            `json:"sources,omitempty"` // comma-separated set
	Manual    bool              `json:"manual,omitempty"`
	Note      string            `json:"note,omitempty"`
	Exclusion *health.Exclusion `json:"exclusion,omitempty"`
}

// decodeRecord parses a stored record. Its meaning is that of
// encoding/json; records of the shape the store writes (a flat object of
// the known keys, each once, no white space, integer times, strings
// without escapes) take a fast path whose strings share raw's memory, and
// anything else goes through encoding/json.
func decodeRecord(raw string) (record, error) {
	if r, ok := parseRecord(raw); ok {
		return r, nil
	}
	return decodeRecordJSON(raw)
}

func decodeRecordJSON(raw string) (record, error) {
	var r record
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return r, fmt.Errorf("decode span record: %w", err)
	}
	return r, nil
}

// Fields of a record, as bits, to refuse (hand over to encoding/json) a
// key given twice.
const (
	fID = 1 << iota
	fWS
	fStart
	fEnd
	fCause
	fSources
	fManual
	fNote
	fExclusion
)

// parseRecord is the fast path of decodeRecord: it reports false for
// anything outside the subset described there, and otherwise returns what
// encoding/json would. The JSON comes from cjson (Lua scripts: keys in any
// order, "/" escaped, integers as %.14g, i.e. without exponent below 10^14)
// and from encoding/json (AddManual; SetExclusion's nested exclusion).
func parseRecord(s string) (r record, ok bool) {
	if len(s) < 2 || s[0] != '{' {
		return r, false
	}
	i := 1
	if s[i] == '}' {
		return r, i+1 == len(s)
	}
	var seen int
	for {
		// Key: only the known ones, which never need escapes.
		key, n, ok := parseString(s[i:])
		if !ok {
			return r, false
		}
		i += n
		if i >= len(s) || s[i] != ':' {
			return r, false
		}
		i++
		var bit int
		var str *string
		switch key {
		case "id":
			bit, str = fID, &r.ID
		case "ws":
			bit, str = fWS, &r.WS
		case "cause":
			bit, str = fCause, &r.Cause
		case "sources":
			bit, str = fSources, &r.Sources
		case "note":
			bit, str = fNote, &r.Note
		case "start":
			bit = fStart
		case "end":
			bit = fEnd
		case "manual":
			bit = fManual
		case "exclusion":
			bit = fExclusion
		default:
			return r, false
		}
		if seen&bit != 0 {
			return r, false
		}
		seen |= bit
		switch {
		case str != nil:
			v, n, ok := parseString(s[i:])
			if !ok {
				return r, false
			}
			*str, i = v, i+n
		case bit == fStart || bit == fEnd:
			v, n, ok := parseInt(s[i:])
			if !ok {
				return r, false
			}
			if bit == fStart {
				r.Start = v
			} else {
				r.End = v
			}
			i += n
		case bit == fManual:
			switch {
			case strings.HasPrefix(s[i:], "true"):
				r.Manual, i = true, i+4
			case strings.HasPrefix(s[i:], "false"):
				r.Manual, i = false, i+5
			default:
				return r, false
			}
		default: // exclusion: a nested object, rare; encoding/json decodes it
			n, ok := objectLen(s[i:])
			if !ok {
				return r, false
			}
			ex := new(health.Exclusion)
			if err := json.Unmarshal([]byte(s[i:i+n]), ex); err != nil {
				return r, false
			}
			r.Exclusion, i = ex, i+n
		}
		if i >= len(s) {
			return r, false
		}
		switch s[i] {
		case ',':
			i++
		case '}':
			return r, i+1 == len(s)
		default:
			return r, false
		}
	}
}

// strClass classifies the bytes of a JSON string for parseString: 0
// plain, or one of the following.
var strClass = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = strBad
	}
	t['\\'] = strBad
	t['"'] = strQuote
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = strMultiByte
	}
	return t
}()

const (
	strQuote     = 1 // the end
	strBad       = 2 // escape or control character: not for the fast path
	strMultiByte = 3 // part of a multi-byte character, to validate
)

// parseString parses a JSON string at the start of s without escapes or
// control characters and of valid UTF-8, returning its contents (sharing
// s's memory) and its length with the quotes.
func parseString(s string) (v string, n int, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return "", 0, false
	}
	ascii := true
	for j := 1; j < len(s); j++ {
		switch strClass[s[j]] {
		case 0:
		case strQuote:
			v = s[1:j]
			if !ascii && !utf8.ValidString(v) {
				return "", 0, false
			}
			return v, j + 1, true
		case strBad:
			return "", 0, false
		default:
			ascii = false
		}
	}
	return "", 0, false
}

// parseInt parses a JSON integer (no fraction or exponent, at most 18
// digits, so it fits int64) at the start of s.
func parseInt(s string) (v int64, n int, ok bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		n = 1
	}
	start := n
	// Eight digits at a time (times in ms have 13), then one by one.
	if n+8 <= len(s) {
		x := uint64(s[n]) | uint64(s[n+1])<<8 | uint64(s[n+2])<<16 | uint64(s[n+3])<<24 |
			uint64(s[n+4])<<32 | uint64(s[n+5])<<40 | uint64(s[n+6])<<48 | uint64(s[n+7])<<56
		const ones = 0x0101010101010101
		if x&(0xF0*ones) == 0x30*ones && (x+0x06*ones)&(0xF0*ones) == 0x30*ones {
			x &= 0x0F * ones
			x = (x * 10) + (x >> 8)
			x = ((x&0x000000FF000000FF)*(100+(1000000<<32)) + ((x>>16)&0x000000FF000000FF)*(1+(10000<<32))) >> 32
			v, n = int64(x), n+8
		}
	}
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		v = v*10 + int64(s[n]-'0')
		n++
	}
	digits := n - start
	if digits == 0 || digits > 18 || digits > 1 && s[start] == '0' {
		return 0, 0, false
	}
	if n < len(s) && (s[n] == '.' || s[n] == 'e' || s[n] == 'E') {
		return 0, 0, false
	}
	if neg {
		v = -v
	}
	return v, n, true
}

// objectLen returns the length of the JSON object at the start of s,
// skipping strings; validity is left to encoding/json.
func objectLen(s string) (int, bool) {
	if len(s) == 0 || s[0] != '{' {
		return 0, false
	}
	depth, inString := 0, false
	for j := 0; j < len(s); j++ {
		c := s[j]
		switch {
		case inString:
			switch c {
			case '\\':
				j++
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

func (r *record) open() bool { return r.End == 0 }

func (r *record) span() health.Span {
	var sp health.Span
	r.fill(&sp, nil)
	return sp
}

// sourcePool hands out Sources slices from shared allocations.
type sourcePool struct{ free []health.Source }

// take returns an empty slice with capacity n: full, so that a caller's
// append copies it rather than writing over the next span's.
func (p *sourcePool) take(n int) []health.Source {
	if len(p.free) < n {
		p.free = make([]health.Source, max(n, 1024))
	}
	s := p.free[:0:n]
	p.free = p.free[n:]
	return s
}

// fill sets *sp to the record's span, taking the Sources from pool (nil:
// allocated alone). It writes in place: a Span is large to copy.
func (r *record) fill(sp *health.Span, pool *sourcePool) {
	*sp = health.Span{
		ID:          r.ID,
		Workstation: r.WS,
		Start:       fromMs(r.Start),
		Cause:       health.Cause(r.Cause),
		Manual:      r.Manual,
		Note:        r.Note,
		Exclusion:   r.Exclusion,
	}
	if !r.open() {
		sp.End = fromMs(r.End)
	}
	if r.Sources == "" {
		return
	}
	n := strings.Count(r.Sources, ",") + 1
	var list []health.Source
	if pool != nil {
		list = pool.take(n)
	} else {
		list = make([]health.Source, 0, n)
	}
	for src := range strings.SplitSeq(r.Sources, ",") {
		if src != "" {
			list = append(list, health.Source(src))
		}
	}
	if len(list) > 0 {
		sp.Sources = list
	}
}
