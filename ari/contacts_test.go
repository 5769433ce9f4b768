package ari

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
)

// After the snapshot every configured AOR is read and each contact it lists
// is emitted; an unregistered AOR names none, a missing or failing one is
// skipped, and the events flow after it.
func TestClientEmitsAORContacts(t *testing.T) {
	f := newFakeARI(t)
	f.aorContacts = map[string]string{"op122-02": "sip:a@10.0.0.2:5060, sip:b@10.0.0.3:5060", "op117-01": "HTTP 500"}
	h := startClient(t, f, func(o *Options) {
		o.Endpoints = []string{"op122-01", "op122-04", "op122-02", "op117-01", "op999-01"}
	})
	conn := f.accept(t)
	for o := h.next(t); o.Kind != health.KindSighted; o = h.next(t) {
		if o.Kind == health.KindAORContact {
			t.Fatalf("contact before Sighted: %+v", o)
		}
	}
	aor := func(ep, c string) health.Observation {
		return health.Observation{Endpoint: ep, Source: health.SourceARI, Kind: health.KindAORContact, At: t0, Contact: c, Detail: "AOR contact"}
	}
	want := []health.Observation{
		aor("PJSIP/op122-01", "sip:op122-01@127.0.0.1:5101"),
		aor("PJSIP/op122-02", "sip:a@10.0.0.2:5060"),
		aor("PJSIP/op122-02", "sip:b@10.0.0.3:5060"),
	}
	for i, w := range want {
		if got := h.next(t); !reflect.DeepEqual(got, w) {
			t.Fatalf("contact %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	line := fixtureLines(t, "run2-tech-subscription.jsonl")[0]
	conn.send(t, line)
	if got, w := h.next(t), translateAll(t, [][]byte{line}); !reflect.DeepEqual(got, w[0]) {
		t.Fatalf("event after the contacts: %+v, want %+v", got, w[0])
	}
	if logs := h.logs.String(); !strings.Contains(logs, "could not read some AORs") || !strings.Contains(logs, `"failed":1`) {
		t.Errorf("the failed read is not logged once:\n%s", logs)
	}
}

// While connected the AORs are read again every AORRefresh.
func TestClientRereadsAORContacts(t *testing.T) {
	f := newFakeARI(t)
	h := startClient(t, f, func(o *Options) { o.AORRefresh = 50 * time.Millisecond })
	f.accept(t)
	h.expectSnapshot(t, t0)
	t1 := t0.Add(time.Hour)
	h.clock.Set(t1)
	f.mu.Lock()
	f.aorContacts = map[string]string{"op122-01": "sip:op122-01@10.0.0.9:5060"}
	f.mu.Unlock()
	for {
		o := h.next(t)
		if o.Kind != health.KindAORContact || o.Endpoint != "PJSIP/op122-01" {
			t.Fatalf("got %+v, want the AOR's contact again", o)
		}
		if o.Contact == "sip:op122-01@10.0.0.9:5060" && o.At.Equal(t1) {
			break
		}
	}
	if s := h.c.Stats(); s.Reconnects != 0 {
		t.Errorf("a re-read reconnected: %+v", s)
	}
}

func TestAORContacts(t *testing.T) {
	for in, want := range map[string][]string{
		"":                         nil,
		"sip:a@h":                  {"sip:a@h"},
		" sip:a@h , ,sip:b@h:5062": {"sip:a@h", "sip:b@h:5062"},
	} {
		if got := aorContacts(in); !reflect.DeepEqual(got, want) {
			t.Errorf("aorContacts(%q) = %q, want %q", in, got, want)
		}
	}
}
