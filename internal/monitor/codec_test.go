package monitor

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"deskwatch/health"
)

// The hand-written encoding is encoding/json's, and decodes back to the
// same write, to the nanosecond.
func TestEncodeAsJSON(t *testing.T) {
	at := time.Date(2026, 11, 27, 16, 5, 0, 212_345_678, time.UTC)
	tr := func(detail string) *health.Transition {
		return &health.Transition{Workstation: "op122-01", At: at, From: health.StateUp, To: health.StateDown,
			Cause: health.CauseUnregistered, Source: health.SourceARI, Detail: detail}
	}
	for _, o := range []op{
		{kind: opTransition, tr: tr("ContactStatusChange Removed"), at: at},
		{kind: opTransition, tr: tr(`a "quoted" <b>&\ détail` + "\n\x01"), at: at},
		{kind: opTransition, tr: &health.Transition{Workstation: "d", At: at, From: health.StateUnknown, To: health.StateUp}, at: at},
		{kind: opOpenBlind, blind: health.SourceARI, at: at},
		{kind: opCloseBlind, blind: health.SourceMonitor, at: at},
		{kind: opHeartbeat, at: time.Date(2110, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		want, err := json.Marshal(o.record())
		if err != nil {
			t.Fatal(err)
		}
		got := o.encode()
		if string(got) != string(want) {
			t.Errorf("encode %v:\n got %s\nwant %s", o.kind, got, want)
		}
		back, err := decodeOp(got)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, o) {
			t.Errorf("decode %s = %+v, want %+v", got, back, o)
		}
	}
}

// The hand-written decoding is encoding/json's wherever it takes a record,
// and takes those encode writes with plain strings.
func TestDecodeAsJSON(t *testing.T) {
	at := time.Date(2026, 11, 27, 16, 5, 0, 212_345_678, time.UTC)
	plain := op{kind: opTransition, at: at, tr: &health.Transition{Workstation: "op122-01", At: at, From: health.StateUp,
		To: health.StateDown, Cause: health.CauseUnregistered, Source: health.SourceARI, Detail: "ContactStatusChange Removed"}}
	if _, ok := parsePlain(plain.encode()); !ok {
		t.Fatalf("plain record %s not taken", plain.encode())
	}
	for _, in := range []string{
		string(plain.encode()),
		string(op{kind: opHeartbeat, at: at}.encode()),
		string(op{kind: opCloseBlind, blind: health.SourceSIP, at: at}.encode()),
		`{"op":"transition","at":"2026-11-27T16:05:00.212345678+03:00","ws":"d","to":"up"}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z","ws":"a","ws":"b"}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z","ws":"a\"b"}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z","ws":"é"}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z","WS":"a"}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z","op":"heartbeat"}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z","other":"x"}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z", "ws":"a"}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z","ws":"a",}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z","ws":"a"`,
		`{"op":"transition","ws":"a","at":"2026-11-27T16:05:00Z"}`,
		`{"op":"transition","at":"yesterday"}`,
		`{"op":"transition","at":"2026-11-27T16:05:00Z","ws":1}`,
		`{"op":"heartbeat"}`,
		`{"op":"heartbeat","at":"2026-11-27T16:05:00Z"}x`,
	} {
		got, ok := parsePlain([]byte(in))
		var want record
		err := json.Unmarshal([]byte(in), &want)
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: parsed %+v, encoding/json %+v, %v", in, got, want, err)
		}
	}
}
