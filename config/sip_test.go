package config

import (
	"strings"
	"testing"
	"time"
)

func TestSIPSection(t *testing.T) {
	t.Setenv("DESKWATCH_ARI_PASSWORD", "x")
	base := `ari: {url: "http://127.0.0.1:8088/ari", username: u, password_env: DESKWATCH_ARI_PASSWORD}
redis: {url: "redis://127.0.0.1:6379/0"}
http: {listen: "127.0.0.1:8080"}
workstations:
  - {id: a, hotlines: ["122"], endpoints: ["PJSIP/a"]}
`
	cfg, err := Parse([]byte(base + "sip: {enabled: true, pbx: \"sip:10.0.0.5:5060\", contacts: {PJSIP/a: \"sip:a@10.0.0.21\"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.SIP; s.Interval != 5*time.Second || s.Timeout != 2*time.Second || s.Misses != 2 || s.Answers != 1 || s.Listen != "0.0.0.0:0" {
		t.Fatalf("defaults %+v", s)
	}
	_, err = Parse([]byte(base + "sip: {enabled: true, interval: 500ms, timeout: 3s, misses: 0, pbx: \"http://x\", contacts: {PJSIP/zz: \"nope\"}}\n"))
	for _, want := range []string{"sip.interval (line 6): 500ms is below the minimum of 1s", "sip.pbx (line 6): \"http://x\" is not a SIP URI",
		"sip.contacts.PJSIP/zz", "endpoint \"PJSIP/zz\" is on no workstation", "\"nope\" is not a SIP URI"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// The prober refuses a timeout equal to the interval (the wait would run
// into the next probe), so config check refuses it too, in the section
// and in a desk's own schedule; a millisecond less is accepted.
func TestSIPTimeoutShorterThanInterval(t *testing.T) {
	t.Setenv("DESKWATCH_ARI_PASSWORD", "x")
	base := `ari: {url: "http://127.0.0.1:8088/ari", username: u, password_env: DESKWATCH_ARI_PASSWORD}
redis: {url: "redis://127.0.0.1:6379/0"}
http: {listen: "127.0.0.1:8080"}
workstations:
`
	for _, c := range []struct{ desk, sip, want string }{
		{"", "interval: 2s, timeout: 2s", "sip.timeout (line 6): 2s must be positive and shorter than sip.interval (2s)"},
		{"probe: {interval: 3s, timeout: 3s}", "", "workstations[0].probe.timeout (line 5): 3s must be positive and shorter than the interval (3s)"},
		{"probe: {timeout: 5s}", "", "workstations[0].probe.timeout (line 5): 5s must be positive and shorter than the interval (5s)"},
		{"", "interval: 2s, timeout: 1999ms", ""},
		{"probe: {interval: 3s, timeout: 2999ms}", "", ""},
	} {
		desk := "  - {id: a, hotlines: [\"122\"], endpoints: [\"PJSIP/a\"]"
		if c.desk != "" {
			desk += ", " + c.desk
		}
		_, err := Parse([]byte(base + desk + "}\nsip: {enabled: true, " + c.sip + "}\n"))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %s refused: %v", c.desk, c.sip, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %s: error %v, want %q", c.desk, c.sip, err, c.want)
		}
	}
}

func TestSIPCanary(t *testing.T) {
	t.Setenv("DESKWATCH_ARI_PASSWORD", "x")
	t.Setenv("DW_TEST_CANARY_PW", "canary-hunter2")
	base := `ari: {url: "http://127.0.0.1:8088/ari", username: u, password_env: DESKWATCH_ARI_PASSWORD}
redis: {url: "redis://127.0.0.1:6379/0"}
http: {listen: "127.0.0.1:8080"}
workstations:
  - {id: a, hotlines: ["122"], endpoints: ["PJSIP/a"]}
sip:
  enabled: true
`
	cfg, err := Parse([]byte(base + "  canary: {registrar: \"sip:10.0.0.5:5060\", user: deskwatch-canary, password_env: DW_TEST_CANARY_PW}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if k := cfg.SIP.Canary; k == nil || k.Expires != 120*time.Second || k.Registrar != "sip:10.0.0.5:5060" || k.User != "deskwatch-canary" || k.Domain != "" {
		t.Fatalf("canary %+v", k)
	}
	if pw, err := cfg.CanaryPassword(); err != nil || pw != "canary-hunter2" {
		t.Fatalf("password %q, %v", pw, err)
	}
	if cfg, err := Parse([]byte(base)); err != nil || cfg.SIP.Canary != nil {
		t.Fatalf("no canary section: %+v %v", cfg.SIP.Canary, err)
	} else if pw, err := cfg.CanaryPassword(); pw != "" || err != nil {
		t.Fatalf("password without a canary: %q %v", pw, err)
	}

	for _, tc := range []struct {
		name, canary string
		want         []string
	}{
		{"empty", "  canary: {}\n", []string{
			"sip.canary.registrar (line 8): is required, e.g. sip:10.0.0.5:5060",
			"sip.canary.user (line 8): is required: the canary's PJSIP endpoint, e.g. deskwatch-canary",
			"sip.canary (line 8): no password source: set password_env or password_file",
		}},
		{"bad values", "  canary:\n    registrar: \"sip:deskwatch:canary-hunter2@10.0.0.5\"\n    user: \"a@b\"\n    password_env: DW_TEST_CANARY_PW\n    password_file: /etc/pw\n    domain: \"x y\"\n    expires: 5s\n", []string{
			"sip.canary.registrar (line 9): must be the PBX's address without a user part, e.g. sip:10.0.0.5:5060; set sip.canary.user",
			`sip.canary.user (line 10): "a@b" must be a bare user name, e.g. deskwatch-canary`,
			"sip.canary.password_file (line 12): conflicts with sip.canary.password_env: set only one of them",
			`sip.canary.domain (line 13): "x y" must be a host name or IP, e.g. 10.0.0.5`,
			"sip.canary.expires (line 14): 5s must be from 10s to 24h",
		}},
		{"not UDP", "  canary: {registrar: \"sip:10.0.0.5;transport=tcp\", user: c, password_file: /nonexistent/canary-pw, expires: 48h}\n", []string{
			`sip.canary.registrar (line 8): "sip:10.0.0.5;transport=tcp": only UDP is supported, e.g. sip:10.0.0.5:5060`,
			"sip.canary.password_file (line 8): cannot read password file: open /nonexistent/canary-pw: no such file or directory",
			"sip.canary.expires (line 8): 48h0m0s must be from 10s to 24h",
		}},
		{"not SIP", "  canary: {registrar: \"http://10.0.0.5\", user: c, password_env: DW_TEST_UNSET_CANARY}\n", []string{
			`sip.canary.registrar (line 8): "http://10.0.0.5" is not a SIP URI, e.g. sip:10.0.0.5:5060`,
			"sip.canary.password_env (line 8): environment variable DW_TEST_UNSET_CANARY is not set",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(base + tc.canary))
			if err == nil {
				t.Fatal("no error")
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error reveals the password")
			}
		})
	}

	// With sip disabled the section is read but not used (nor checked).
	off := strings.Replace(base, "enabled: true", "enabled: false", 1)
	if _, err := Parse([]byte(off + "  canary: {user: c}\n")); err != nil {
		t.Errorf("disabled sip: %v", err)
	}
}

func TestProbeOverride(t *testing.T) {
	t.Setenv("DESKWATCH_ARI_PASSWORD", "x")
	base := `ari: {url: "http://127.0.0.1:8088/ari", username: u, password_env: DESKWATCH_ARI_PASSWORD}
redis: {url: "redis://127.0.0.1:6379/0"}
http: {listen: "127.0.0.1:8080"}
sip: {enabled: true}
workstations:
`
	cfg, err := Parse([]byte(base + "  - {id: a, hotlines: [\"122\"], endpoints: [\"PJSIP/a\"], probe: {interval: 1s, misses: 3}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Workstations[0].Probe; p == nil || p.Interval != time.Second || p.Misses != 3 {
		t.Fatalf("%+v", p)
	}
	_, err = Parse([]byte(base + "  - {id: a, hotlines: [\"122\"], endpoints: [\"PJSIP/a\"], probe: {interval: 1s, timeout: 3s}}\n"))
	if err == nil || !strings.Contains(err.Error(), "workstations[0].probe.timeout") {
		t.Fatalf("error %v", err)
	}
	_, err = Parse([]byte(base + "  - {id: a, hotlines: [\"122\"], endpoints: [\"PJSIP/a\"], probe: {interval: 200ms, timeout: 100ms}}\n"))
	if err == nil || !strings.Contains(err.Error(), "workstations[0].probe.interval (line 6): 200ms is below the minimum of 1s") {
		t.Fatalf("error %v", err)
	}
}
