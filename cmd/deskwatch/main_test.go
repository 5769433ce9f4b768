package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheckCommand(t *testing.T) {
	t.Setenv("DESKWATCH_ARI_PASSWORD", "secret-value")
	var out, errb bytes.Buffer
	if rc := run([]string{"config", "check", "../../deploy/deskwatch.example.yaml"}, &out, &errb); rc != 0 || !strings.Contains(out.String(), ": ok (3 workstations, zone Asia/Irkutsk)") {
		t.Fatalf("example: rc %d %q %q", rc, out.String(), errb.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("timezone: Mars/Olympus\nari: {url: \"http://pbx:8088/ari\", username: dw, password_env: DESKWATCH_ARI_PASSWORD}\nredis: {url: \"redis://127.0.0.1:6379/0\"}\nhttp: {listen: \"127.0.0.1:8080\"}\nworkstations:\n  - {id: a, hotlines: [\"122\"], endpoints: [\"PJSIP/a\"]}\n  - {id: a, hotlines: [\"911\"], endpoints: [\"PJSIP/a\"]}\n"), 0o600)
	out.Reset()
	errb.Reset()
	rc := run([]string{"config", "check", bad}, &out, &errb)
	msg := errb.String()
	if rc != 1 {
		t.Fatalf("rc %d, want 1", rc)
	}
	for _, want := range []string{"timezone (line 1)", "workstations[1].id (line 7)", "workstations[1].hotlines[0]", "workstations[1].endpoints[0]"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "secret-value") {
		t.Error("a secret leaked into the message")
	}
	if rc := run([]string{"frobnicate"}, &out, &errb); rc != 2 {
		t.Errorf("unknown command rc %d", rc)
	}
}

func TestHelpAndVersionExitZero(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"help"}, {"serve", "-h"}, {"demo", "-h"}, {"report", "-h"}, {"report", "submit", "-h"},
		{"journal", "-h"}, {"journal", "verify", "-h"}, {"config", "-h"}, {"config", "check", "-h"}, {"access-log", "-h"},
		{"version"}, {"-version"},
	} {
		var out, errb bytes.Buffer
		rc := run(args, &out, &errb)
		if rc != 0 || !strings.Contains(strings.ToLower(out.String()+errb.String()), map[bool]string{true: "deskwatch dev", false: "usage"}[strings.Contains(args[0], "version")]) {
			t.Errorf("deskwatch %v: rc %d, out %q, err %q", args, rc, out.String(), errb.String())
		}
	}
}
