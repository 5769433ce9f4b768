package qualify

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"deskwatch/ari"
)

// aors is an AORReader with canned dynamic configs.
type aors map[string]map[string]string

func (a aors) AORConfig(_ context.Context, id string) (map[string]string, error) {
	if m, ok := a[id]; ok {
		return m, nil
	}
	if id == "broken" {
		return nil, errors.New("HTTP 500")
	}
	return nil, fmt.Errorf("AOR %q: %w", id, ari.ErrNotFound)
}

func TestWarnings(t *testing.T) {
	a := New(Options{
		Reader: aors{
			"op1": {"qualify_frequency": "0", "contact": "sip:op1@10.0.0.1:5060"},
			"op2": {"qualify_frequency": "0", "contact": ""},
			"op3": {"qualify_frequency": "5.000000", "contact": "sip:op3@10.0.0.3"},
			"op5": {"qualify_frequency": "0"},
		},
		Endpoints: map[string]string{"PJSIP/op1": "d1", "PJSIP/op2": "d2", "PJSIP/op3": "d3", "PJSIP/op4": "d4", "PJSIP/broken": "d6", "PJSIP/op5": "d5"},
		Probed:    func(ep string) bool { return ep == "PJSIP/op5" },
		Logger:    zerolog.Nop(),
	})
	a.Check(context.Background())
	w := a.Warnings()
	want := map[string]string{"d1": QualifyOff, "d2": QualifyOff, "d4": AORMissing}
	if len(w) != len(want) {
		t.Fatalf("warnings %v, want %v", w, want)
	}
	for d, code := range want {
		if len(w[d]) != 1 || w[d][0] != code {
			t.Errorf("%s: %v, want [%s]", d, w[d], code)
		}
	}
}

// A qualify turned on clears the warning; a passing REST failure keeps it.
func TestWarningsFollowChecks(t *testing.T) {
	r := aors{"a": {"qualify_frequency": "0"}}
	a := New(Options{Reader: r, Endpoints: map[string]string{"PJSIP/a": "d", "PJSIP/broken": "d2"}, Logger: zerolog.Nop()})
	a.Check(context.Background())
	if len(a.Warnings()["d"]) != 1 {
		t.Fatal("no qualify_off warning")
	}
	r["a"] = map[string]string{"qualify_frequency": "5"}
	a.Check(context.Background())
	if w := a.Warnings(); len(w) != 0 {
		t.Fatalf("warnings after qualify was turned on: %v", w)
	}
}

// Two endpoints of one desk with qualify off give one warning.
func TestWarningsDeduplicatedPerDesk(t *testing.T) {
	a := New(Options{
		Reader:    aors{"a": {"qualify_frequency": "0"}, "b": {"qualify_frequency": "0"}},
		Endpoints: map[string]string{"PJSIP/a": "d", "PJSIP/b": "d"},
		Logger:    zerolog.Nop(),
	})
	a.Check(context.Background())
	if w := a.Warnings()["d"]; len(w) != 1 {
		t.Fatalf("%v", w)
	}
}
