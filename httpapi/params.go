package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"deskwatch/health"
)

// parseTime accepts RFC 3339 (with or without fraction).
func parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, bad("bad_time", fmt.Sprintf("параметр %s: %q не является временем RFC 3339 (например 2026-07-01T00:00:00+08:00)", name, v),
			fmt.Sprintf("%s: %q is not an RFC 3339 time (e.g. 2026-07-01T00:00:00+08:00)", name, v))
	}
	return t.UTC(), nil
}

// rangeParams reads period, or from and to; unless requireSome, a bound
// left out is that of the current quarter so far.
func (s *Server) rangeParams(r *http.Request, requireSome bool) (health.Interval, error) {
	q := r.URL.Query()
	if p := q.Get("period"); p != "" {
		if q.Has("from") || q.Has("to") {
			return health.Interval{}, bad("bad_range", "укажите либо period, либо from и to", "give either period or from and to, not both")
		}
		qt, err := health.ParseQuarter(p)
		if err != nil {
			return health.Interval{}, badQuarter(p)
		}
		return qt.Range(s.opt.Location), nil
	}
	var iv health.Interval
	var err error
	now := s.opt.Now().UTC()
	switch {
	case q.Get("from") != "":
		if iv.Start, err = parseTime("from", q.Get("from")); err != nil {
			return iv, err
		}
	case requireSome:
		return iv, bad("bad_range", "укажите period или from и to", "give period, or from and to")
	default:
		iv.Start = health.QuarterOf(now, s.opt.Location).Range(s.opt.Location).Start
	}
	switch {
	case q.Get("to") != "":
		if iv.End, err = parseTime("to", q.Get("to")); err != nil {
			return iv, err
		}
	case requireSome:
		return iv, bad("bad_range", "укажите и from, и to", "give both from and to")
	default:
		iv.End = now.Add(time.Second)
	}
	if !iv.End.After(iv.Start) {
		return iv, bad("bad_range", "from должно быть раньше to", "from must be before to")
	}
	return iv, nil
}

// decodeBody reads a JSON object strictly: unknown fields and trailing data are errors.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return bad("bad_body", "не удалось прочитать тело запроса", "could not read the request body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bad("bad_json", "тело запроса не является допустимым JSON: "+err.Error(), "the body is not valid JSON: "+err.Error())
	}
	if dec.More() {
		return bad("bad_json", "после объекта JSON есть лишние данные", "trailing data after the JSON object")
	}
	return nil
}

func badQuarter(s string) error {
	return bad("bad_period", fmt.Sprintf("неизвестный период %q: ожидается квартал вида 2026Q3", s), fmt.Sprintf("unknown period %q: want a quarter like 2026Q3", s))
}
