package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("invalid JSON:\n%s", buf.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"format": JSONFormat, "quarter": "2026Q3", "from": "2026-07-01T00:00:00+08:00",
		"to": "2026-10-01T00:00:00+08:00", "zone": "Asia/Irkutsk", "due_date": "2026-10-15",
		"due": "2026-10-16T00:00:00+08:00", "n": 13.0, "d": r.D, "status": "submitted", "version": 2.0,
	} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %v", k, doc[k], want)
		}
	}
	desk0 := doc["desks"].([]any)[0].(map[string]any)
	if desk0["di"] != r.Desks[0].Di || desk0["provided_seconds"] != r.Desks[0].Provided.Seconds() ||
		desk0["unavailable_seconds"] != r.Desks[0].Unavailable.Seconds() {
		t.Errorf("desk 0 = %v, want %+v", desk0, r.Desks[0])
	}
	if desk0["in_service_from"] != nil {
		t.Errorf("unbounded service start = %v, want null", desk0["in_service_from"])
	}

	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Zone.String() != r.Zone.String() {
		t.Errorf("zone %v, want %v", back.Zone, r.Zone)
	}
	back.Zone = r.Zone
	if !reflect.DeepEqual(back, r) {
		t.Errorf("JSON round trip differs:\n got %+v\nwant %+v", back, r)
	}
}

func TestJSONOngoingIsNull(t *testing.T) {
	r := sampleReport(t)
	r.Journal[5].End = time.Time{}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Journal []map[string]any `json:"journal"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if end, ok := doc.Journal[5]["end"]; !ok || end != nil {
		t.Errorf("ongoing end = %v (present %v), want null", end, ok)
	}
}
