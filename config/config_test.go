package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/alerts"
	"deskwatch/health"
)

const examplePath = "../deploy/deskwatch.example.yaml"

func TestDecodeErrors(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "secret-ari")
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{
			name: "unknown top-level key",
			yaml: yamlLines(ariOK, redisOK, httpOK, wsOK, "colour: red"),
			want: `colour (line 6): unknown key "colour"; valid keys at the top level: timezone, ari, redis, http, hotlines, workstations, sip, alerts, access_log, schedules, state_dir, spool, journal, ha`,
		},
		{
			name: "unknown nested key",
			yaml: yamlLines(
				"ari:",
				"  url: http://pbx:8088/ari",
				"  username: dw",
				"  pasword_env: DW_TEST_ARI_PW",
				redisOK, httpOK, wsOK),
			want: `ari.pasword_env (line 4): unknown key "pasword_env"; valid keys in ari: url, username, password_env, password_file, app, technology, reconnect_min, reconnect_max, max_skew`,
		},
		{
			name: "unknown key in a list item",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				"workstations:",
				"  - id: a",
				"    hotlines: [\"122\"]",
				"    endpoint: PJSIP/a"),
			want: `workstations[0].endpoint (line 7): unknown key "endpoint"; valid keys in workstations[0]: id, name, hotlines, endpoints, in_service_from, in_service_until, probe, schedule, computer`,
		},
		{
			name: "unknown keys everywhere at once",
			yaml: yamlLines(
				"ari: {url: http://pbx:8088/ari, username: dw, password_env: DW_TEST_ARI_PW, user: x}",
				redisOK,
				"http: {listen: ':8080', tokens: [{name: a, role: viewer, hash: x}]}",
				wsOK,
				"extra: 1"),
			want: strings.Join([]string{
				`ari.user (line 1): unknown key "user"; valid keys in ari: url, username, password_env, password_file, app, technology, reconnect_min, reconnect_max, max_skew`,
				`http.tokens[0].hash (line 3): unknown key "hash"; valid keys in http.tokens[0]: name, role, sha256`,
				`extra (line 6): unknown key "extra"; valid keys at the top level: timezone, ari, redis, http, hotlines, workstations, sip, alerts, access_log, schedules, state_dir, spool, journal, ha`,
			}, "\n"),
		},
		{
			name: "duplicate key",
			yaml: yamlLines(ariOK, redisOK, httpOK, wsOK, `redis: {url: "redis://other:6379/0"}`),
			want: "redis (line 6): duplicate key (first set at line 2)",
		},
		{
			name: "wrong shapes",
			yaml: yamlLines(
				"ari: http://pbx:8088/ari",
				"redis:",
				"  - url: redis://127.0.0.1:6379/0",
				"http: {listen: [a, b]}",
				`hotlines: "112"`,
				wsOK),
			want: strings.Join([]string{
				"ari (line 1): expected a mapping (key: value), found a single value",
				"redis (line 3): expected a mapping (key: value), found a list",
				"http.listen (line 4): expected a single value, found a list",
				"hotlines (line 5): expected a list, found a single value",
			}, "\n"),
		},
		{
			name: "bad duration",
			yaml: yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW, reconnect_min: 5}`, redisOK, httpOK, wsOK),
			want: `ari.reconnect_min (line 1): "5" is not a duration: use a number with a unit, e.g. 500ms, 30s, 2m`,
		},
		{
			name: "bad time",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				"workstations:",
				"  - id: a",
				"    hotlines: [\"122\"]",
				"    endpoints: [PJSIP/a]",
				"    in_service_from: 2026-01-01",
				"    in_service_until: 2026-02-01 00:00:00"),
			want: strings.Join([]string{
				`workstations[0].in_service_from (line 8): "2026-01-01" is not an RFC 3339 time, e.g. 2026-01-01T00:00:00+08:00`,
				`workstations[0].in_service_until (line 9): "2026-02-01 00:00:00" is not an RFC 3339 time, e.g. 2026-01-01T00:00:00+08:00`,
			}, "\n"),
		},
		{
			name: "not a mapping at the top",
			yaml: "- a\n- b\n",
			want: "line 1: expected a mapping (key: value), found a list",
		},
		{name: "empty", yaml: "", want: "the configuration is empty"},
		{name: "only comments", yaml: "# nothing\n", want: "the configuration is empty"},
		{name: "empty document", yaml: "---\n", want: "the configuration is empty"},
		{
			name: "two documents",
			yaml: yamlLines(ariOK, redisOK, httpOK, wsOK, "---", "timezone: UTC"),
			want: "line 6: only one YAML document is allowed; remove the second one (---)",
		},
		{
			name: "syntax error",
			yaml: "ari:\n\turl: http://pbx:8088/ari\n",
			want: "invalid YAML: line 2: found character that cannot start any token",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want:\n%s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}

func TestExample(t *testing.T) {
	t.Setenv("DESKWATCH_ARI_PASSWORD", "example-secret")
	c, err := Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := c.ARIPassword(); err != nil || pw != "example-secret" {
		t.Errorf("ARIPassword() = %q, %v", pw, err)
	}
	if c.Location().String() != "Asia/Irkutsk" {
		t.Errorf("Location() = %v", c.Location())
	}
	if got := c.AllHotlines(); !reflect.DeepEqual(got, []string{"122", "117", "112"}) {
		t.Errorf("AllHotlines() = %v", got)
	}
	ws := c.HealthWorkstations()
	if len(ws) != 3 || ws[0].ID != "op122-01" || ws[0].Name != "АРМ 1, линия 122" {
		t.Errorf("HealthWorkstations() = %+v", ws)
	}
	if len(c.HTTP.Tokens) != 2 || c.HTTP.Tokens[0].Role != RoleSupervisor || c.HTTP.Tokens[1].Role != RoleViewer {
		t.Errorf("tokens = %+v", c.HTTP.Tokens)
	}
}

// Every key of the file format appears in the example, set or commented out.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(t reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			key, ok := f.Tag.Lookup("yaml")
			if !ok {
				continue
			}
			if !regexp.MustCompile(`(?m)^[\s#-]*` + key + `:`).Match(data) {
				t.Errorf("example does not mention %s%s", path, key)
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() {
				walk(ft, path+key+".")
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
}

func TestDefaults(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	c, err := Parse([]byte(yamlLines(ariOK, redisOK, httpOK, wsOK)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Timezone != "Asia/Irkutsk" || c.Location().String() != "Asia/Irkutsk" {
		t.Errorf("timezone %q, location %v", c.Timezone, c.Location())
	}
	if c.ARI.App != "deskwatch" || c.ARI.Technology != "PJSIP" {
		t.Errorf("app %q, technology %q", c.ARI.App, c.ARI.Technology)
	}
	if c.ARI.ReconnectMin != 500*time.Millisecond || c.ARI.ReconnectMax != 30*time.Second {
		t.Errorf("reconnect %v..%v", c.ARI.ReconnectMin, c.ARI.ReconnectMax)
	}
	if c.Redis.Prefix != "dw:" {
		t.Errorf("prefix %q", c.Redis.Prefix)
	}
	if c.Workstations[0].Name != "a" {
		t.Errorf("name %q, want the id", c.Workstations[0].Name)
	}
	if got := c.AllHotlines(); !reflect.DeepEqual(got, []string{"122", "117"}) {
		t.Errorf("AllHotlines() = %v", got)
	}
}

func TestTimezone(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	c, err := Parse([]byte(yamlLines("timezone: Europe/Moscow", ariOK, redisOK, httpOK, wsOK)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Location().String() != "Europe/Moscow" {
		t.Errorf("Location() = %v", c.Location())
	}
	// Before validation an unknown zone falls back to UTC instead of nil.
	if loc := (&Config{Timezone: "Mars/Olympus"}).Location(); loc != time.UTC {
		t.Errorf("Location() = %v, want UTC", loc)
	}
	if loc := (&Config{}).Location(); loc.String() != "Asia/Irkutsk" {
		t.Errorf("Location() = %v, want the default", loc)
	}
}

func TestHealthWorkstations(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	c, err := Parse([]byte(yamlLines(ariOK, redisOK, httpOK,
		"workstations:",
		"  - id: a",
		"    name: Desk A",
		"    hotlines: [\"122\", \"117\"]",
		"    endpoints: [PJSIP/a1, PJSIP/a2]",
		"    in_service_from: 2026-01-01T00:00:00+08:00",
		"    in_service_until: 2026-03-01T08:30:00+08:00",
		"  - {id: b, hotlines: [\"117\"], endpoints: [PJSIP/b], in_service_until: null}",
	)))
	if err != nil {
		t.Fatal(err)
	}
	got := c.HealthWorkstations()
	want := []health.Workstation{
		{
			ID: "a", Name: "Desk A", Hotlines: []string{"122", "117"}, Endpoints: []string{"PJSIP/a1", "PJSIP/a2"},
			InServiceFrom:  time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC),
			InServiceUntil: time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC),
		},
		{ID: "b", Name: "b", Hotlines: []string{"117"}, Endpoints: []string{"PJSIP/b"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("HealthWorkstations() =\n%+v\nwant\n%+v", got, want)
	}
	if got[0].InServiceFrom.Location() != time.UTC {
		t.Error("times are not in UTC")
	}
	got[0].Endpoints[0] = "changed" // the result is a copy
	if c.Workstations[0].Endpoints[0] != "PJSIP/a1" {
		t.Error("HealthWorkstations shares slices with the config")
	}
}

func TestSecrets(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pwFile := file("ari", "from-file\n")
	crlfFile := file("crlf", "from-file\r\n")
	emptyFile := file("empty", "\n")
	t.Setenv("DW_ARI", "from-env")
	t.Setenv("DW_EMPTY", "")

	ari := func(env, file string) *Config { return &Config{ARI: ARIConfig{PasswordEnv: env, PasswordFile: file}} }
	redis := func(url, env, file string) *Config {
		return &Config{Redis: RedisConfig{URL: url, PasswordEnv: env, PasswordFile: file}}
	}
	tests := []struct {
		name    string
		get     func() (string, error)
		want    string
		wantErr string
	}{
		{"ari env", ari("DW_ARI", "").ARIPassword, "from-env", ""},
		{"ari file", ari("", pwFile).ARIPassword, "from-file", ""},
		{"ari file crlf", ari("", crlfFile).ARIPassword, "from-file", ""},
		{"ari env unset", ari("DW_UNSET_VARIABLE", "").ARIPassword, "", "ari password: environment variable DW_UNSET_VARIABLE is not set"},
		{"ari env empty", ari("DW_EMPTY", "").ARIPassword, "", "ari password: environment variable DW_EMPTY is empty"},
		{"ari file missing", ari("", "/nonexistent/pw").ARIPassword, "", "ari password: cannot read password file: open /nonexistent/pw: no such file or directory"},
		{"ari file empty", ari("", emptyFile).ARIPassword, "", "ari password: password file " + emptyFile + " is empty"},
		{"ari none", ari("", "").ARIPassword, "", "ari password: set ari.password_env or ari.password_file"},
		{"redis env", redis("redis://h:6379/0", "DW_ARI", "").RedisPassword, "from-env", ""},
		{"redis file", redis("redis://h:6379/0", "", pwFile).RedisPassword, "from-file", ""},
		{"redis url", redis("redis://user:in-url@h:6379/0", "", "").RedisPassword, "in-url", ""},
		{"redis none", redis("redis://h:6379/0", "", "").RedisPassword, "", ""},
		{"redis env unset", redis("redis://h:6379/0", "DW_UNSET_VARIABLE", "").RedisPassword, "", "redis password: environment variable DW_UNSET_VARIABLE is not set"},
		{"redis file empty", redis("redis://h:6379/0", "", emptyFile).RedisPassword, "", "redis password: password file " + emptyFile + " is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if got != tt.want {
				t.Errorf("password = %q, want %q", got, tt.want)
			}
			if errText(err) != tt.wantErr {
				t.Errorf("error = %q, want %q", errText(err), tt.wantErr)
			}
		})
	}

	// Validate reports an unreadable password file with its path and line.
	t.Setenv("DW_TEST_ARI_PW", "x")
	_, err := Parse([]byte(yamlLines(ariOK, redisOK, httpOK, wsOK)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse([]byte(yamlLines(
		"ari: {url: http://pbx:8088/ari, username: dw, password_file: "+emptyFile+"}",
		"redis: {url: redis://127.0.0.1:6379/0, password_file: "+pwFile+"}",
		httpOK, wsOK)))
	if want := "ari.password_file (line 1): password file " + emptyFile + " is empty"; errText(err) != want {
		t.Errorf("error = %q, want %q", errText(err), want)
	}
}

// One reader for every secret, alerts' included. No source means no secret
// (Redis without AUTH); a caller that needs one says which keys to set.
// alerts had a reader of its own that failed there instead: an SMTP user
// without a password source still fails, in AlertChannels, and never logs
// in with an empty password.
func TestReadSecretWithoutSource(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(" spaced pw \r\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DW_SPACED", " env pw \n")
	for _, tc := range []struct{ env, file, want string }{
		{"", "", ""},
		{"DW_SPACED", "", " env pw \n"}, // the environment as it is
		{"", pw, " spaced pw "},         // only the file's trailing line ends go
	} {
		if got, err := readSecret(tc.env, tc.file); got != tc.want || err != nil {
			t.Errorf("readSecret(%q, %q) = %q, %v; want %q", tc.env, tc.file, got, err, tc.want)
		}
	}

	c := &Config{Alerts: AlertsConfig{Channels: ChannelsConfig{Email: []EmailConfig{{Name: "m", SMTP: "127.0.0.1:25", Username: "u"}}}}}
	if _, err := c.AlertChannels(); errText(err) != "alerts email m: password: no secret source" {
		t.Errorf("user without a password source: %v", err)
	}
	c.Alerts.Channels.Email[0].Username = ""
	if ch, err := c.AlertChannels(); err != nil || ch.Email[0].Password != "" || ch.Email[0].Retries != 3 || ch.Email[0].TLS != alerts.TLSStartTLS {
		t.Errorf("no AUTH: %+v %v", ch, err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNoSecretsPrinted(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "secret-ari")
	t.Setenv("DW_TEST_HOOK_SECRET", "secret-hmac")
	t.Setenv("DW_TEST_TG_TOKEN", "123456:secret-bot-token")
	c, err := Parse([]byte(yamlLines(ariOK, `redis: {url: "redis://dw:hunter2@127.0.0.1:6379/0"}`, httpOK, wsOK,
		"alerts:",
		"  rules: [{name: blind, kind: monitor_blind, channels: [hook, tg]}]",
		"  channels:",
		`    webhook: [{name: hook, url: "https://hooks.example.ru/x", secret_env: DW_TEST_HOOK_SECRET}]`,
		`    telegram: [{name: tg, chat_id: "-100123", token_env: DW_TEST_TG_TOKEN}]`)))
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := c.AlertChannels(); err != nil || string(ch.Webhook[0].Secret) != "secret-hmac" || ch.Telegram[0].Token != "123456:secret-bot-token" {
		t.Fatalf("AlertChannels() = %+v, %v", ch, err)
	}
	if pw, _ := c.RedisPassword(); pw != "hunter2" {
		t.Fatalf("RedisPassword() = %q", pw)
	}
	var logged bytes.Buffer
	log := zerolog.New(&logged)
	log.Info().Object("config", c).Msg("")
	log.Info().Object("alerts", &c.Alerts).Msg("")
	for name, s := range map[string]string{
		"%v":      fmt.Sprintf("%v", *c),
		"%+v":     fmt.Sprintf("%+v", c),
		"Redis":   c.Redis.String(),
		"zerolog": logged.String(),
	} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "secret-ari") || strings.Contains(s, "secret-hmac") || strings.Contains(s, "secret-bot-token") {
			t.Errorf("%s reveals a secret: %s", name, s)
		}
	}
	if !strings.Contains(logged.String(), "tg→api.telegram.org chat -100123") {
		t.Errorf("zerolog output lacks the telegram channel: %s", logged.String())
	}
	if want := `{URL:redis://dw:xxxxx@127.0.0.1:6379/0 PasswordEnv: PasswordFile: Prefix:"dw:"}`; c.Redis.String() != want {
		t.Errorf("Redis.String() = %s, want %s", c.Redis.String(), want)
	}
	if !strings.Contains(logged.String(), `"ari_password":"env DW_TEST_ARI_PW"`) {
		t.Errorf("zerolog output lacks the password source: %s", logged.String())
	}
	if got := (RedisConfig{URL: "redis://u:p@[bad"}).String(); strings.Contains(got, "u:p") {
		t.Errorf("unparsable URL shown: %s", got)
	}
}

func TestLoad(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	if _, err := Load("/nonexistent/deskwatch.yaml"); errText(err) != "config: open /nonexistent/deskwatch.yaml: no such file or directory" {
		t.Errorf("error = %q", errText(err))
	}
	p := filepath.Join(t.TempDir(), "deskwatch.yaml")
	if err := os.WriteFile(p, []byte(yamlLines(ariOK, redisOK, httpOK, wsOK, "timezone: Mars/Olympus", "colour: red")), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	want := "config " + p + ":\n" +
		`colour (line 7): unknown key "colour"; valid keys at the top level: timezone, ari, redis, http, hotlines, workstations, sip, alerts, access_log, schedules, state_dir, spool, journal, ha`
	if errText(err) != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}
