package ari

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestAORConfig(t *testing.T) {
	f := newFakeARI(t)
	c, err := New(Options{URL: f.url(), Username: testUser, Password: testPassword, App: testApp})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	reg, err := c.AORConfig(ctx, "op122-01")
	if err != nil {
		t.Fatal(err)
	}
	if reg["contact"] != "sip:op122-01@127.0.0.1:5101" || reg["qualify_frequency"] != "5" || len(reg) != 15 {
		t.Errorf("registered AOR: %v", reg)
	}
	unreg, err := c.AORConfig(ctx, "op122-04")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := unreg["contact"]; !ok || v != "" {
		t.Errorf("unregistered AOR contact = %q, %v; want present and empty", v, ok)
	}

	_, err = c.AORConfig(ctx, "nope")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "Object with id 'nope' not found") {
		t.Errorf("unknown AOR: %v", err)
	}

	bad, _ := New(Options{URL: f.url(), Username: testUser, Password: "wrong", App: testApp})
	_, err = bad.AORConfig(ctx, "op122-01")
	if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v", err)
	}
}

func TestNew(t *testing.T) {
	c, err := New(Options{URL: "https://monitor:s3cret@pbx.example:8089/ari/", App: "desk watch",
		Endpoints: []string{"op122-01", "PJSIP/op117-01"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.eventsURL != "wss://pbx.example:8089/ari/events?app=desk+watch" {
		t.Errorf("eventsURL %q", c.eventsURL)
	}
	if c.base != "https://pbx.example:8089/ari" || c.opts.Username != "monitor" || c.opts.Password != "s3cret" {
		t.Errorf("base %q, user %q", c.base, c.opts.Username)
	}
	if got := strings.Join(c.configured, ","); got != "PJSIP/op122-01,PJSIP/op117-01" {
		t.Errorf("configured %q", got)
	}
	if c.opts.Technology != "PJSIP" || c.opts.ReconnectMin <= 0 || c.opts.HTTPClient == nil || c.opts.Now == nil {
		t.Errorf("defaults not set: %+v", c.opts)
	}

	for name, o := range map[string]Options{
		"no app":        {URL: "http://127.0.0.1:8088/ari"},
		"unparsable":    {URL: "http://monitor:s3cret@pbx example/ari", App: "a"},
		"bad port":      {URL: "http://monitor:s3cret@pbx:80x/ari", App: "a"},
		"ws scheme":     {URL: "ws://127.0.0.1:8088/ari", App: "a"},
		"no host":       {URL: "/ari", App: "a"},
		"backoff order": {URL: "http://127.0.0.1:8088/ari", App: "a", ReconnectMin: 2e9, ReconnectMax: 1e9},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: password in error", name)
		}
	}
}
