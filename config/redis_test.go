package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRedisModes(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "secret-ari")
	t.Setenv("DW_TEST_SENTINEL_PW", "secret-sentinel")
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("secret-redis\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		redis []string // lines from line 2
		want  []string
	}{
		{name: "sentinel", redis: []string{"redis:", "  sentinel: {master: mymaster, addrs: [\"10.0.0.11:26379\", \"10.0.0.12:26379\"], password_env: DW_TEST_SENTINEL_PW}"}},
		{name: "cluster", redis: []string{"redis:", "  cluster: {addrs: [\"10.0.0.11:6379\"]}", "  wait_replicas: 1", "  wait_timeout: 500ms"}},
		{
			name:  "url and sentinel",
			redis: []string{"redis:", "  url: redis://127.0.0.1:6379/0", "  sentinel: {master: m, addrs: [\"h:26379\"]}", "  cluster: {addrs: [\"h:6379\"]}"},
			want: []string{
				"redis.sentinel (line 4): conflicts with redis.url (line 3): set exactly one of redis.url, redis.sentinel and redis.cluster",
				"redis.cluster (line 5): conflicts with redis.url (line 3): set exactly one of redis.url, redis.sentinel and redis.cluster",
			},
		},
		{
			name:  "empty sentinel",
			redis: []string{"redis:", "  sentinel: {}"},
			want: []string{
				"redis.sentinel.master (line 3): is required: the master's name in sentinel.conf, e.g. mymaster",
				`redis.sentinel.addrs (line 3): at least one host:port is required, e.g. ["10.0.0.11:26379"]`,
			},
		},
		{
			name: "bad sentinel fields",
			redis: []string{"redis:", "  sentinel:", "    master: my master",
				"    addrs: [\"h:26379\", \"h\", \"h:0\", \"h:26379\"]",
				"    password_env: DW_TEST_SENTINEL_PW", "    password_file: " + pwFile},
			want: []string{
				`redis.sentinel.master (line 4): "my master" must not contain white space`,
				`redis.sentinel.addrs[1] (line 5): "h" is not host:port, e.g. 10.0.0.11:26379`,
				`redis.sentinel.addrs[2] (line 5): port "0" must be a number from 1 to 65535`,
				`redis.sentinel.addrs[3] (line 5): "h:26379" is already listed at redis.sentinel.addrs[0] (line 5)`,
				"redis.sentinel.password_file (line 7): conflicts with redis.sentinel.password_env: set only one of them",
			},
		},
		{
			name:  "sentinel password unset",
			redis: []string{"redis:", "  sentinel: {master: m, addrs: [\"h:26379\"], password_env: DW_TEST_UNSET_VARIABLE}"},
			want:  []string{"redis.sentinel.password_env (line 3): environment variable DW_TEST_UNSET_VARIABLE is not set"},
		},
		{
			name:  "cluster without nodes, bad wait",
			redis: []string{"redis:", "  cluster: {addrs: []}", "  wait_replicas: 17", "  wait_timeout: 5s"},
			want: []string{
				`redis.cluster.addrs (line 3): at least one host:port is required, e.g. ["10.0.0.11:6379"]`,
				"redis.wait_replicas (line 4): 17 must be from 0 (do not wait) to 16",
				"redis.wait_timeout (line 5): 5s must be from 10ms to 2s",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := append([]string{ariOK}, tt.redis...)
			_, err := Parse([]byte(yamlLines(append(lines, httpOK, wsOK)...)))
			if got, want := errText(err), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			if err != nil && strings.Contains(err.Error(), "secret-") {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}
