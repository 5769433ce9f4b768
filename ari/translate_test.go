package ari

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
)

// Expected class of every recorded line, in file order:
// A contact available, U contact unreachable, R contact removed,
// on / off endpoint online / offline, - known but no observation, X ErrReplaced.
var fixtureExpect = map[string][]string{
	"ari-events.jsonl": {
		"A", "-", "A", "-", "-", // register op122-01
		"A", "-", "A", "-", // register op122-02
		"A", "-", "-", "A", "-", // register op117-01
		"-", "-", "R", // un-REGISTER op122-02
		"-", "-", "-", "U", // kill -9 op117-01
		"A", "-", "A", "-", // register op122-03, Expires 30
		"-", "R", "-", // ... expired
	},
	"run2-tech-subscription.jsonl": {
		"A", "on", "-", "A", // register op122-06
		"off", "-", "R", // un-REGISTER op122-06
		"on", "-", "A", // re-register op117-01 (was Unreachable: no NonQualified)
		"off", "-", "U", // kill -9 op117-01
		"R", // un-REGISTER while Unreachable: Removed only
	},
	"run2-endpoint-subscription.jsonl": {
		"A", "on", "-", "A",
		"off", "-", "R",
		"on", "-", "A",
		"off", "-", "U",
		"R",
	},
	"run2-subscribeAll.jsonl": {
		"A", "-", "A", "-",
		"-", "R", "-",
		"-", "A", "-", "-",
		"-", "-", "-", "U",
		"R",
	},
	"run3-application-replaced.jsonl": {"X"},
}

var classKinds = map[string]health.Kind{
	"A":   health.KindContactAvailable,
	"U":   health.KindContactUnreachable,
	"R":   health.KindContactRemoved,
	"on":  health.KindOnline,
	"off": health.KindOffline,
}

func fixtureLines(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "ari", name))
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestTranslateEveryFixtureLine(t *testing.T) {
	files, _ := filepath.Glob("../testdata/ari/*.jsonl")
	if len(files) != len(fixtureExpect) {
		t.Fatalf("testdata has %d .jsonl files, table covers %d", len(files), len(fixtureExpect))
	}
	for name, want := range fixtureExpect {
		lines := fixtureLines(t, name)
		if len(lines) != len(want) {
			t.Fatalf("%s: %d lines, table has %d", name, len(lines), len(want))
		}
		for i, line := range lines {
			obs, err := Translate(line)
			where := fmt.Sprintf("%s:%d", name, i+1)
			switch want[i] {
			case "X":
				if !errors.Is(err, ErrReplaced) || obs != nil {
					t.Errorf("%s: got %v, %v; want ErrReplaced", where, obs, err)
				}
			case "-":
				if err != nil || obs != nil {
					t.Errorf("%s: got %v, %v; want nothing", where, obs, err)
				}
			default:
				if err != nil || len(obs) != 1 {
					t.Fatalf("%s: got %v, %v; want one %s", where, obs, err, want[i])
				}
				if obs[0].Kind != classKinds[want[i]] {
					t.Errorf("%s: kind %s, want %s", where, obs[0].Kind, classKinds[want[i]])
				}
				checkFields(t, where, line, obs[0])
			}
		}
	}
}

// checkFields compares an observation with an independent reading of the raw line.
func checkFields(t *testing.T, where string, line []byte, o health.Observation) {
	t.Helper()
	var m struct {
		Type      string
		Timestamp string
		Endpoint  struct{ Technology, Resource, State string }
		Contact   struct {
			URI       string `json:"uri"`
			Status    string `json:"contact_status"`
			Roundtrip string `json:"roundtrip_usec"`
		} `json:"contact_info"`
	}
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse("2006-01-02T15:04:05.000-0700", m.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	want := health.Observation{
		Endpoint: m.Endpoint.Technology + "/" + m.Endpoint.Resource,
		Source:   health.SourceARI,
		Kind:     o.Kind,
		At:       at.UTC(),
		Contact:  m.Contact.URI,
		Detail:   m.Type + " " + m.Contact.Status,
	}
	if m.Type == "EndpointStateChange" {
		want.Detail = m.Type + " " + m.Endpoint.State
	} else if m.Contact.Roundtrip != "0" {
		want.Detail += " roundtrip_usec=" + m.Contact.Roundtrip
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", where, o, want)
	}
	if o.At.Location() != time.UTC {
		t.Errorf("%s: At not in UTC: %v", where, o.At.Location())
	}
}

func TestTranslateExample(t *testing.T) {
	line := fixtureLines(t, "ari-events.jsonl")[2]
	obs, err := Translate(line)
	if err != nil {
		t.Fatal(err)
	}
	want := []health.Observation{{
		Endpoint: "PJSIP/op122-01",
		Source:   health.SourceARI,
		Kind:     health.KindContactAvailable,
		At:       time.Date(2026, 11, 27, 16, 4, 17, 118e6, time.UTC),
		Contact:  "sip:op122-01@127.0.0.1:5101",
		Detail:   "ContactStatusChange Reachable roundtrip_usec=2118",
	}}
	if !reflect.DeepEqual(obs, want) {
		t.Errorf("got %+v\nwant %+v", obs, want)
	}
}

func TestTranslateConvertsOffsetToUTC(t *testing.T) {
	raw := `{"type":"EndpointStateChange","timestamp":"2026-11-27T19:07:42.900+0300",` +
		`"endpoint":{"technology":"PJSIP","resource":"op122-06","state":"online"}}`
	obs, err := Translate([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 27, 16, 7, 42, 900e6, time.UTC); !obs[0].At.Equal(want) || obs[0].At.Location() != time.UTC {
		t.Errorf("At = %v, want %v", obs[0].At, want)
	}
}

const (
	okTS  = `"timestamp":"2026-11-27T16:04:17.115+0000"`
	okEP  = `"endpoint":{"technology":"PJSIP","resource":"op122-01","state":"offline"}`
	okCI  = `"contact_info":{"uri":"sip:op122-01@127.0.0.1:5101","contact_status":"NonQualified","roundtrip_usec":"0"}`
	okCSC = `{"type":"ContactStatusChange",` + okTS + `,` + okEP + `,` + okCI + `}`
)

var badMessages = []struct {
	name, raw string
	want      error
	mention   string // the error text must name it
}{
	{"empty", ``, ErrMalformed, ""},
	{"truncated", okCSC[:40], ErrMalformed, ""},
	{"not an object", `["ContactStatusChange"]`, ErrMalformed, ""},
	{"null", `null`, ErrMalformed, "missing type"},
	{"no type", `{"timestamp":"2026-11-27T16:04:17.115+0000"}`, ErrMalformed, "missing type"},
	{"empty type", `{"type":""}`, ErrMalformed, "missing type"},
	{"numeric type", `{"type":5}`, ErrMalformed, ""},
	{"RFC 3339 timestamp", strings.Replace(okCSC, "16:04:17.115+0000", "16:04:17.115Z", 1), ErrMalformed, "timestamp"},
	{"colon in offset", strings.Replace(okCSC, "+0000", "+00:00", 1), ErrMalformed, "timestamp"},
	{"no milliseconds", strings.Replace(okCSC, "17.115", "17", 1), ErrMalformed, "timestamp"},
	{"null timestamp", strings.Replace(okCSC, `"2026-11-27T16:04:17.115+0000"`, `null`, 1), ErrMalformed, "timestamp"},
	{"bad timestamp on ignored type", `{"type":"PeerStatusChange","timestamp":"yesterday"}`, ErrMalformed, "timestamp"},
	{"no timestamp", `{"type":"ContactStatusChange",` + okEP + `,` + okCI + `}`, ErrMalformed, "without timestamp"},
	{"endpoint is a string", `{"type":"ContactStatusChange",` + okTS + `,"endpoint":"PJSIP/op122-01",` + okCI + `}`, ErrMalformed, "ContactStatusChange"},
	{"no endpoint", `{"type":"ContactStatusChange",` + okTS + `,` + okCI + `}`, ErrMalformed, "endpoint"},
	{"roundtrip as number", strings.Replace(okCSC, `"roundtrip_usec":"0"`, `"roundtrip_usec":0`, 1), ErrMalformed, ""},
	{"contact status Unknown", strings.Replace(okCSC, "NonQualified", "Unknown", 1), ErrUnknownStatus, `"Unknown"`},
	{"contact status empty", strings.Replace(okCSC, "NonQualified", "", 1), ErrUnknownStatus, "PJSIP/op122-01"},
	{"endpoint state unknown", `{"type":"EndpointStateChange",` + okTS + `,"endpoint":{"technology":"PJSIP","resource":"x","state":"unknown"}}`, ErrUnknownStatus, `"unknown"`},
	{"type known to ari/v5", `{"type":"ChannelCreated",` + okTS + `,"channel":{"id":"1"}}`, ErrUnknownType, "ChannelCreated"},
	{"type ari/v5 does not know", `{"type":"ChannelToneDetected",` + okTS + `}`, ErrUnknownType, "ChannelToneDetected"},
	{"future type without timestamp", `{"type":"SomethingNew","x":[1,2]}`, ErrUnknownType, "SomethingNew"},
	{"replaced without timestamp", `{"type":"ApplicationReplaced"}`, ErrReplaced, ""},
	{"replaced with bad timestamp", `{"type":"ApplicationReplaced","timestamp":"never"}`, ErrReplaced, ""},
}

func TestTranslateErrors(t *testing.T) {
	for _, tc := range badMessages {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := Translate([]byte(tc.raw))
			if !errors.Is(err, tc.want) || obs != nil {
				t.Fatalf("got %v, %v; want %v", obs, err, tc.want)
			}
			for _, other := range []error{ErrMalformed, ErrUnknownType, ErrUnknownStatus, ErrReplaced} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("%v also matches %v", err, other)
				}
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}
}

func FuzzTranslate(f *testing.F) {
	for name := range fixtureExpect {
		for _, line := range fixtureLines(f, name) {
			f.Add(line)
		}
	}
	for _, tc := range badMessages {
		f.Add([]byte(tc.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		obs, err := Translate(raw)
		if err != nil {
			if obs != nil {
				t.Fatalf("observations with an error: %v", err)
			}
			return
		}
		for _, o := range obs {
			if o.Source != health.SourceARI || !strings.Contains(o.Endpoint, "/") || o.At.IsZero() || o.At.Location() != time.UTC {
				t.Fatalf("bad observation %+v", o)
			}
		}
	})
}
