package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHTTPLimits(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	c, err := Parse([]byte(yamlLines(ariOK, redisOK, httpOK, wsOK)))
	if err != nil {
		t.Fatal(err)
	}
	want := HTTPConfig{Listen: "127.0.0.1:8080", ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 120 * time.Second,
		IdleTimeout: 90 * time.Second, MaxConnections: 512, MaxConnectionsPerClient: 64}
	if c.HTTP.Tokens = nil; !reflect.DeepEqual(c.HTTP, want) {
		t.Errorf("defaults %+v, want %+v", c.HTTP, want)
	}

	// withHTTP writes the http section from line 3, its limits from line 5.
	withHTTP := func(limits ...string) (*Config, error) {
		lines := append([]string{ariOK, redisOK, "http:", "  listen: 127.0.0.1:8080"}, limits...)
		return Parse([]byte(yamlLines(append(lines, wsOK)...)))
	}
	c, err = withHTTP("  read_timeout: 2s", "  idle_timeout: 3s", "  max_connections: 10", "  max_connections_per_client: 10")
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.ReadTimeout != 2*time.Second || c.HTTP.IdleTimeout != 3*time.Second || c.HTTP.MaxConnections != 10 ||
		c.HTTP.MaxConnectionsPerClient != 10 || c.HTTP.WriteTimeout != DefaultWriteTimeout || c.HTTP.ReadHeaderTimeout != 2*time.Second {
		t.Fatalf("set: %+v %v", c.HTTP, err)
	}

	_, err = withHTTP("  read_header_timeout: 30s", "  read_timeout: 20s", "  write_timeout: 500ms", "  idle_timeout: -1s",
		"  max_connections: 100", "  max_connections_per_client: 101")
	wantErr := []string{
		"http.write_timeout (line 7): 500ms is below the minimum of 1s",
		"http.idle_timeout (line 8): -1s is below the minimum of 1s",
		"http.read_header_timeout (line 5): 30s is longer than http.read_timeout (20s), which covers the headers too",
		"http.max_connections_per_client (line 10): 101 must be from 1 to http.max_connections (100)",
	}
	if err == nil || err.Error() != strings.Join(wantErr, "\n") {
		t.Errorf("error:\n%v\nwant:\n%s", err, strings.Join(wantErr, "\n"))
	}
	_, err = Parse([]byte(yamlLines(ariOK, redisOK, "http: {listen: ':80', max_connections: -5, max_connections_per_client: x}", wsOK)))
	wantErr = []string{`http.max_connections_per_client (line 3): "x" is not a whole number`}
	if err == nil || err.Error() != strings.Join(wantErr, "\n") {
		t.Errorf("error:\n%v\nwant:\n%s", err, strings.Join(wantErr, "\n"))
	}
	_, err = Parse([]byte(yamlLines(ariOK, redisOK, "http: {listen: ':80', max_connections: -5}", wsOK)))
	wantErr = []string{"http.max_connections (line 3): -5 must be from 1 to 1048576"}
	if err == nil || err.Error() != strings.Join(wantErr, "\n") {
		t.Errorf("error:\n%v\nwant:\n%s", err, strings.Join(wantErr, "\n"))
	}
}
