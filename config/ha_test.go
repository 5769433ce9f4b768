package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestHA(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "secret-ari")
	host, _ := os.Hostname()
	tests := []struct {
		name     string
		ha       []string // lines from line 6
		instance string
		lease    time.Duration
		want     []string
	}{
		{name: "off", ha: nil},
		{name: "defaults", ha: []string{"ha: {enabled: true}"}, instance: host, lease: 5 * time.Second},
		{name: "set", ha: []string{"ha:", "  enabled: true", "  instance: dw-b", "  lease: 2s"}, instance: "dw-b", lease: 2 * time.Second},
		{
			name: "bad",
			ha:   []string{"ha:", "  enabled: true", "  instance: dw b", "  lease: 100ms"},
			want: []string{
				`ha.instance (line 8): "dw b": want 1-128 characters of A-Z a-z 0-9 . _ - (default: the host name)`,
				"ha.lease (line 9): 100ms: want 1s to 1m (a standby takes over within it)",
			},
		},
		{name: "unknown key", ha: []string{"ha: {enabled: true, leader: true}"},
			want: []string{`ha.leader (line 6): unknown key "leader"; valid keys in ha: enabled, instance, lease`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(yamlLines(append([]string{ariOK, redisOK, httpOK, wsOK}, tt.ha...)...)))
			if got, want := errText(err), strings.Join(tt.want, "\n"); got != want {
				t.Fatalf("error:\n%s\nwant:\n%s", got, want)
			}
			if err == nil && (c.HA.Instance != tt.instance || c.HA.Lease != tt.lease) {
				t.Fatalf("ha = %+v, want instance %q, lease %s", c.HA, tt.instance, tt.lease)
			}
		})
	}
}
