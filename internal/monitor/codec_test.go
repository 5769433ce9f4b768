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
