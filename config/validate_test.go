package config

import (
	"strings"
	"testing"
)

// A valid config is ok() with the lines replaced; cases write their YAML out
// in full so that the line numbers in the expected messages are visible.
const (
	ariOK   = `ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW}`
	redisOK = `redis: {url: "redis://127.0.0.1:6379/0"}`
	httpOK  = `http: {listen: "127.0.0.1:8080"}`
	wsOK    = "workstations:\n  - {id: a, hotlines: [\"122\"], endpoints: [PJSIP/a]}"
)

func yamlLines(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func TestValidateErrors(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "secret-ari")
	t.Setenv("DW_TEST_REDIS_PW", "secret-redis")
	t.Setenv("DW_TEST_EMPTY", "")

	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "valid minimal",
			yaml: yamlLines(ariOK, redisOK, httpOK, wsOK),
		},
		{
			name: "everything missing",
			yaml: "timezone: UTC\n",
			want: []string{
				"ari.url: is required, e.g. http://127.0.0.1:8088/ari",
				"ari.username: is required",
				"ari: no password source: set password_env or password_file",
				"redis.url: is required unless redis.sentinel or redis.cluster is set, e.g. redis://127.0.0.1:6379/0",
				"http.listen: is required, e.g. 127.0.0.1:8080",
				"workstations: at least one workstation is required",
			},
		},
		{
			name: "missing fields point at their section",
			yaml: yamlLines(
				"ari:",
				"  app: deskwatch",
				"redis:",
				"  prefix: x",
				"http:",
				"  tokens:",
				"    - {}",
				"workstations:",
				"  - name: desk",
			),
			want: []string{
				"ari.url (line 1): is required, e.g. http://127.0.0.1:8088/ari",
				"ari.username (line 1): is required",
				"ari (line 1): no password source: set password_env or password_file",
				"redis.url (line 3): is required unless redis.sentinel or redis.cluster is set, e.g. redis://127.0.0.1:6379/0",
				"http.listen (line 5): is required, e.g. 127.0.0.1:8080",
				"http.tokens[0].name (line 7): is required",
				"http.tokens[0].role (line 7): is required: viewer or supervisor",
				"http.tokens[0].sha256 (line 7): is required: the hex SHA-256 of the token",
				"workstations[0].id (line 9): is required",
				`workstations[0].hotlines (line 9): at least one hotline is required, e.g. ["122"]`,
				`workstations[0].endpoints (line 9): at least one endpoint is required, e.g. ["PJSIP/op122-01"]`,
			},
		},
		{
			name: "empty lists",
			yaml: yamlLines(ariOK, redisOK, httpOK, "workstations: []"),
			want: []string{"workstations (line 4): at least one workstation is required"},
		},
		{
			name: "bad timezone",
			yaml: yamlLines("timezone: Mars/Olympus", ariOK, redisOK, httpOK, wsOK),
			want: []string{`timezone (line 1): unknown time zone "Mars/Olympus"; use an IANA name such as Asia/Irkutsk`},
		},
		{
			name: "Local timezone",
			yaml: yamlLines("timezone: Local", ariOK, redisOK, httpOK, wsOK),
			want: []string{`timezone (line 1): "Local" depends on the machine; use an IANA name such as Asia/Irkutsk`},
		},

		// ari
		{
			name: "ari url scheme",
			yaml: yamlLines(
				"ari:",
				"  url: ws://pbx:8088/ari",
				"  username: dw",
				"  password_env: DW_TEST_ARI_PW",
				redisOK, httpOK, wsOK),
			want: []string{`ari.url (line 2): "ws://pbx:8088/ari" must start with http:// or https://`},
		},
		{
			name: "ari url without scheme",
			yaml: yamlLines(`ari: {url: "pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW}`, redisOK, httpOK, wsOK),
			want: []string{`ari.url (line 1): "pbx:8088/ari" must start with http:// or https://`},
		},
		{
			name: "ari url unparsable",
			yaml: yamlLines(`ari: {url: "http://pbx:port/ari", username: dw, password_env: DW_TEST_ARI_PW}`, redisOK, httpOK, wsOK),
			want: []string{`ari.url (line 1): not a valid URL: invalid port ":port" after host`},
		},
		{
			name: "ari url without host",
			yaml: yamlLines(`ari: {url: "http://:8088/ari", username: dw, password_env: DW_TEST_ARI_PW}`, redisOK, httpOK, wsOK),
			want: []string{`ari.url (line 1): "http://:8088/ari" has no host`},
		},
		{
			name: "ari url with credentials",
			yaml: yamlLines(`ari: {url: "http://dw:hunter2@pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW}`, redisOK, httpOK, wsOK),
			want: []string{"ari.url (line 1): must not contain a user name or password; use ari.username and ari.password_env or ari.password_file"},
		},
		{
			name: "ari both password sources",
			yaml: yamlLines(
				"ari:",
				"  url: http://pbx:8088/ari",
				"  username: dw",
				"  password_env: DW_TEST_ARI_PW",
				"  password_file: /etc/deskwatch/ari-password",
				redisOK, httpOK, wsOK),
			want: []string{"ari.password_file (line 5): conflicts with ari.password_env: set only one of them"},
		},
		{
			name: "ari password env is not a variable name",
			yaml: yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_env: "hunter2!"}`, redisOK, httpOK, wsOK),
			want: []string{"ari.password_env (line 1): not a valid environment variable name (letters, digits and _); it must name the variable that holds the password, not the password itself"},
		},
		{
			name: "ari password env not set",
			yaml: yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_UNSET_VARIABLE}`, redisOK, httpOK, wsOK),
			want: []string{"ari.password_env (line 1): environment variable DW_TEST_UNSET_VARIABLE is not set"},
		},
		{
			name: "ari password env empty",
			yaml: yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_EMPTY}`, redisOK, httpOK, wsOK),
			want: []string{"ari.password_env (line 1): environment variable DW_TEST_EMPTY is empty"},
		},
		{
			name: "ari password file missing",
			yaml: yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_file: /nonexistent/ari-password}`, redisOK, httpOK, wsOK),
			want: []string{"ari.password_file (line 1): cannot read password file: open /nonexistent/ari-password: no such file or directory"},
		},
		{
			name: "ari app and technology",
			yaml: yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW, app: "desk watch", technology: "PJ-SIP"}`, redisOK, httpOK, wsOK),
			want: []string{
				`ari.app (line 1): "desk watch" may contain only letters, digits, '.', '_' and '-'`,
				`ari.technology (line 1): "PJ-SIP" is not a channel technology name (letters and digits, e.g. PJSIP)`,
			},
		},
		{
			name: "reconnect_min above reconnect_max",
			yaml: yamlLines(
				"ari:",
				"  url: http://pbx:8088/ari",
				"  username: dw",
				"  password_env: DW_TEST_ARI_PW",
				"  reconnect_min: 1m",
				"  reconnect_max: 30s",
				redisOK, httpOK, wsOK),
			want: []string{"ari.reconnect_min (line 5): 1m0s is longer than ari.reconnect_max (30s)"},
		},
		{
			name: "reconnect_min above default reconnect_max",
			yaml: yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW, reconnect_min: 45s}`, redisOK, httpOK, wsOK),
			want: []string{"ari.reconnect_min (line 1): 45s is longer than ari.reconnect_max (30s)"},
		},
		{
			name: "negative reconnect",
			yaml: yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW, reconnect_min: -1s, reconnect_max: -2s}`, redisOK, httpOK, wsOK),
			want: []string{
				"ari.reconnect_min (line 1): -1s must be positive, e.g. 500ms",
				"ari.reconnect_max (line 1): -2s must be positive, e.g. 30s",
			},
		},

		// redis
		{
			name: "redis url scheme, shown without password",
			yaml: yamlLines(ariOK, `redis: {url: "http://:hunter2@127.0.0.1:6379"}`, httpOK, wsOK),
			want: []string{`redis.url (line 2): "http://:xxxxx@127.0.0.1:6379" must start with redis:// or rediss://`},
		},
		{
			name: "redis url without host",
			yaml: yamlLines(ariOK, `redis: {url: "redis:///0"}`, httpOK, wsOK),
			want: []string{`redis.url (line 2): "redis:///0" has no host`},
		},
		{
			name: "redis database not a number",
			yaml: yamlLines(ariOK, `redis: {url: "rediss://redis.example:6380/db1"}`, httpOK, wsOK),
			want: []string{`redis.url (line 2): database "db1" must be a number, e.g. redis://127.0.0.1:6379/0`},
		},
		{
			name: "redis password twice",
			yaml: yamlLines(ariOK,
				"redis:",
				`  url: "redis://:hunter2@127.0.0.1:6379/0"`,
				"  password_env: DW_TEST_REDIS_PW",
				httpOK, wsOK),
			want: []string{"redis.password_env (line 4): conflicts with the password in redis.url: set only one of them"},
		},
		{
			name: "redis both password sources",
			yaml: yamlLines(ariOK,
				"redis:",
				`  url: "redis://127.0.0.1:6379/0"`,
				"  password_env: DW_TEST_REDIS_PW",
				"  password_file: /etc/deskwatch/redis-password",
				httpOK, wsOK),
			want: []string{"redis.password_file (line 5): conflicts with redis.password_env: set only one of them"},
		},
		{
			name: "redis password env not set",
			yaml: yamlLines(ariOK, `redis: {url: "redis://127.0.0.1:6379/0", password_env: DW_TEST_UNSET_VARIABLE}`, httpOK, wsOK),
			want: []string{"redis.password_env (line 2): environment variable DW_TEST_UNSET_VARIABLE is not set"},
		},
		{
			name: "redis prefix with hash tag",
			yaml: yamlLines(ariOK, `redis: {url: "redis://127.0.0.1:6379/0", prefix: "{dw}:"}`, httpOK, wsOK),
			want: []string{"redis.prefix (line 2): must not contain { or } (they mark Redis Cluster hash tags)"},
		},

		// http
		{
			name: "listen without port",
			yaml: yamlLines(ariOK, redisOK, `http: {listen: "8080"}`, wsOK),
			want: []string{`http.listen (line 3): "8080" is not host:port, e.g. 127.0.0.1:8080 or :8080`},
		},
		{
			name: "listen with named port",
			yaml: yamlLines(ariOK, redisOK, `http: {listen: ":http"}`, wsOK),
			want: []string{`http.listen (line 3): port "http" must be a number from 0 (any free port) to 65535`},
		},
		{
			name: "listen on a port out of range",
			yaml: yamlLines(ariOK, redisOK, `http: {listen: "127.0.0.1:65536"}`, wsOK),
			want: []string{`http.listen (line 3): port "65536" must be a number from 0 (any free port) to 65535`},
		},
		{
			name: "tokens",
			yaml: yamlLines(ariOK, redisOK,
				"http:",
				"  listen: 127.0.0.1:8080",
				"  tokens:",
				"    - {name: duty, role: supervisor, sha256: "+strings.Repeat("ab", 32)+"}",
				"    - {name: duty, role: admin, sha256: "+strings.Repeat("AB", 32)+"}",
				"    - {name: wall, role: viewer, sha256: my-secret-token}",
				"    - {name: wall2, role: viewer, sha256: "+strings.Repeat("g", 64)+"}",
				"    - {name: wall3, role: viewer, sha256: "+strings.Repeat("a", 63)+"}",
				wsOK),
			want: []string{
				`http.tokens[1].name (line 7): "duty" is already used by http.tokens[0] (line 6)`,
				`http.tokens[1].role (line 7): unknown role "admin": use viewer or supervisor`,
				`http.tokens[1].sha256 (line 7): same token hash as http.tokens[0] (line 6)`,
				"http.tokens[2].sha256 (line 8): must be 64 hex characters: the SHA-256 of the token, not the token itself",
				"http.tokens[3].sha256 (line 9): must be 64 hex characters: the SHA-256 of the token, not the token itself",
				"http.tokens[4].sha256 (line 10): must be 64 hex characters: the SHA-256 of the token, not the token itself",
			},
		},

		// hotlines
		{
			name: "undeclared hotline",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				"workstations:",
				`  - {id: a, hotlines: ["122", "112"], endpoints: [PJSIP/a]}`),
			want: []string{`workstations[0].hotlines[1] (line 5): unknown hotline "112": only 122 and 117 are built in; declare others in the top-level hotlines list`},
		},
		{
			name: "declared hotline",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				`hotlines: ["112"]`,
				"workstations:",
				`  - {id: a, hotlines: ["117", 112], endpoints: [PJSIP/a]}`),
		},
		{
			name: "bad and repeated hotlines",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				"hotlines:",
				`  - "112"`,
				`  - "112"`,
				`  - "1-12"`,
				"workstations:",
				`  - {id: a, hotlines: ["122", "122"], endpoints: [PJSIP/a]}`),
			want: []string{
				`hotlines[1] (line 6): "112" is already listed at hotlines[0] (line 5)`,
				`hotlines[2] (line 7): "1-12" is not a hotline number (digits only)`,
				`workstations[0].hotlines[1] (line 9): "122" is already listed at workstations[0].hotlines[0] (line 9)`,
			},
		},

		// workstations
		{
			name: "duplicate workstation ids",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				"workstations:",
				"  - {id: op122-01, hotlines: [\"122\"], endpoints: [PJSIP/a]}",
				"  - {id: op122-02, hotlines: [\"122\"], endpoints: [PJSIP/b]}",
				"  - id: op122-01",
				"    hotlines: [\"122\"]",
				"    endpoints: [PJSIP/c]"),
			want: []string{`workstations[2].id (line 7): "op122-01" is already used by workstations[0].id (line 5)`},
		},
		{
			name: "workstation ids not URL-safe",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				"workstations:",
				"  - {id: \"АРМ-1\", hotlines: [\"122\"], endpoints: [PJSIP/a]}",
				"  - {id: \"op 2\", hotlines: [\"122\"], endpoints: [PJSIP/b]}",
				"  - {id: \"a/b\", hotlines: [\"122\"], endpoints: [PJSIP/c]}",
				"  - {id: \"..\", hotlines: [\"122\"], endpoints: [PJSIP/d]}"),
			want: []string{
				`workstations[0].id (line 5): "АРМ-1" may contain only letters A-Z a-z, digits, '.', '_' and '-' (it is used in URLs)`,
				`workstations[1].id (line 6): "op 2" may contain only letters A-Z a-z, digits, '.', '_' and '-' (it is used in URLs)`,
				`workstations[2].id (line 7): "a/b" may contain only letters A-Z a-z, digits, '.', '_' and '-' (it is used in URLs)`,
				`workstations[3].id (line 8): ".." is not allowed as an id`,
			},
		},
		{
			name: "endpoint on two desks",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				"workstations:",
				"  - id: op122-01",
				"    hotlines: [\"122\"]",
				"    endpoints:",
				"      - PJSIP/op122-01",
				"  - id: op122-02",
				"    hotlines: [\"122\"]",
				"    endpoints: [PJSIP/op122-02]",
				"  - id: op122-03",
				"    hotlines: [\"122\"]",
				"    endpoints: [PJSIP/op122-01, PJSIP/op122-03, PJSIP/op122-03]"),
			want: []string{
				`workstations[2].endpoints[0] (line 14): "PJSIP/op122-01" is already used by workstation op122-01 (line 8)`,
				`workstations[2].endpoints[2] (line 14): "PJSIP/op122-03" is already listed at workstations[2].endpoints[1] (line 14)`,
			},
		},
		{
			name: "malformed endpoints",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				"workstations:",
				"  - id: a",
				"    hotlines: [\"122\"]",
				"    endpoints:",
				"      - op122-01",
				"      - PJSIP/",
				"      - /op122-01",
				"      - PJSIP/op 1",
				"      - PJSIP/a/b",
				"      - SIP/op122-01"),
			want: []string{
				`workstations[0].endpoints[0] (line 8): "op122-01" is not of the form TECH/resource, e.g. PJSIP/op122-01`,
				`workstations[0].endpoints[1] (line 9): "PJSIP/" is not of the form TECH/resource, e.g. PJSIP/op122-01`,
				`workstations[0].endpoints[2] (line 10): "/op122-01" is not of the form TECH/resource, e.g. PJSIP/op122-01`,
				`workstations[0].endpoints[3] (line 11): "PJSIP/op 1" is not of the form TECH/resource, e.g. PJSIP/op122-01`,
				`workstations[0].endpoints[4] (line 12): "PJSIP/a/b" is not of the form TECH/resource, e.g. PJSIP/op122-01`,
				`workstations[0].endpoints[5] (line 13): "SIP/op122-01" has technology SIP, but ari.technology is PJSIP`,
			},
		},
		{
			name: "other technology configured",
			yaml: yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW, technology: SIP}`, redisOK, httpOK,
				"workstations:",
				"  - {id: a, hotlines: [\"122\"], endpoints: [SIP/a]}"),
		},
		{
			name: "service window reversed",
			yaml: yamlLines(ariOK, redisOK, httpOK,
				"workstations:",
				"  - id: a",
				"    hotlines: [\"122\"]",
				"    endpoints: [PJSIP/a]",
				"    in_service_from: 2026-01-01T00:00:00+08:00",
				"    in_service_until: 2025-06-01T00:00:00+08:00",
				"  - id: b",
				"    hotlines: [\"122\"]",
				"    endpoints: [PJSIP/b]",
				"    in_service_from: 2026-01-01T00:00:00+08:00",
				"    in_service_until: 2025-12-31T16:00:00Z"),
			want: []string{
				"workstations[0].in_service_until (line 9): 2025-06-01T00:00:00+08:00 is not after in_service_from (2026-01-01T00:00:00+08:00)",
				"workstations[1].in_service_until (line 14): 2025-12-31T16:00:00Z is not after in_service_from (2026-01-01T00:00:00+08:00)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error:\n%v", err)
				}
				if c == nil {
					t.Fatal("nil config without error")
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want:\n%s", strings.Join(tt.want, "\n"))
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			for _, secret := range []string{"hunter2", "secret-ari", "secret-redis", "my-secret-token"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error reveals secret %q", secret)
				}
			}
		})
	}
}

// Validate also works on a Config built in code (no line numbers then).
func TestValidateWithoutLines(t *testing.T) {
	c := &Config{
		Timezone: "UTC",
		ARI:      ARIConfig{URL: "http://pbx:8088/ari", Username: "dw", PasswordFile: "/nonexistent/pw", App: "deskwatch", ReconnectMin: 1, ReconnectMax: 2},
		Redis:    RedisConfig{URL: "redis://127.0.0.1:6379/0"},
		HTTP:     HTTPConfig{Listen: ":8080"},
		Workstations: []WorkstationConfig{
			{ID: "a", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/a"}},
			{ID: "b", Hotlines: []string{"117"}, Endpoints: []string{"PJSIP/a"}},
		},
	}
	want := "ari.password_file: cannot read password file: open /nonexistent/pw: no such file or directory\n" +
		"ari.technology: is required, e.g. PJSIP\n" +
		`workstations[1].endpoints[0]: "PJSIP/a" is already used by workstation a`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
}
