package pbxsim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Replay plays a .jsonl recording (one WebSocket message per line) to the
// connected applications. Each line goes to every app that would have
// received it (the routing rules of emitLocked, on the line's type,
// endpoint and device), with "application" set to the receiving app.
// Line i is sent at (ts_i - ts_first)/speed after the start and its
// timestamp rewritten to base + (ts_i - ts_first)/speed, base being the
// clock at the start. The server's endpoint and contact state follows the
// replayed events (endpoints the server lacks are added), so REST stays
// consistent. A malformed line stops the replay with an error naming it.
func (s *Server) Replay(ctx context.Context, r io.Reader, speed float64) error {
	if !(speed > 0) || math.IsInf(speed, 1) {
		return fmt.Errorf("pbxsim: replay: bad speed %v", speed)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	base, start := s.clock(), time.Now()
	var first time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		msg, ev, err := parseLine(line)
		if err != nil {
			return fmt.Errorf("pbxsim: replay line %d: %w", n, err)
		}
		if !ev.at.IsZero() {
			if first.IsZero() {
				first = ev.at
			}
			off := time.Duration(float64(ev.at.Sub(first)) / speed)
			if wait := time.Until(start.Add(off)); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			ts := base.Add(off).UTC().AppendFormat([]byte{'"'}, TimeFormat)
			msg["timestamp"] = append(ts, '"')
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.replayLine(msg, ev)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("pbxsim: replay: %w", err)
	}
	return nil
}

// parseLine decodes one recorded message into its top-level fields and the
// parts routing and state need.
func parseLine(line []byte) (map[string]json.RawMessage, *event, error) {
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(line, &msg); err != nil {
		return nil, nil, err
	}
	var in struct {
		Type      string  `json:"type"`
		Timestamp *string `json:"timestamp"`
		Endpoint  *struct {
			Technology, Resource, State string
		} `json:"endpoint"`
		ContactInfo *struct {
			URI    string `json:"uri"`
			Status string `json:"contact_status"`
		} `json:"contact_info"`
		DeviceState *struct{ Name string } `json:"device_state"`
	}
	if err := json.Unmarshal(line, &in); err != nil {
		return nil, nil, err
	}
	if in.Type == "" {
		return nil, nil, errors.New("no type")
	}
	ev := &event{typ: in.Type}
	if in.Timestamp != nil {
		t, err := time.Parse(TimeFormat, *in.Timestamp)
		if err != nil {
			return nil, nil, err
		}
		ev.at = t
	}
	if e := in.Endpoint; e != nil {
		ev.tech, ev.resource, ev.state = e.Technology, e.Resource, e.State
	}
	if c := in.ContactInfo; c != nil {
		ev.uri, ev.status = c.URI, c.Status
	}
	if d := in.DeviceState; d != nil {
		ev.device = d.Name
	}
	return msg, ev, nil
}

func (s *Server) replayLine(msg map[string]json.RawMessage, ev *event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev.resource != "" && (ev.tech == tech || ev.tech == "") {
		ep := s.eps[ev.resource]
		if ep == nil {
			ep = s.addEndpointLocked(ev.resource)
		}
		s.setOnlineLocked(ep, ev.state == "online")
		if ev.typ == ContactStatusChange {
			if ev.status == StatusRemoved {
				ep.contact, ep.status = "", ""
			} else {
				ep.contact, ep.status = ev.uri, ev.status
			}
		}
	}
	for _, a := range s.apps {
		if a.conn == nil || !a.routes(ev) {
			continue
		}
		msg["application"] = appendStr(nil, a.name)
		b, err := json.Marshal(msg)
		if err != nil {
			continue // cannot happen: every value came from a valid document
		}
		a.conn.enqueue(b)
	}
}
