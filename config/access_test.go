package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestAccessLogConfig(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "secret-ari")
	c, err := Parse([]byte(yamlLines(ariOK, redisOK, httpOK, wsOK)))
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessLog.Retention != 8760*time.Hour || len(c.TrustedProxies()) != 0 {
		t.Fatalf("defaults: %v %v", c.AccessLog.Retention, c.TrustedProxies())
	}
	c, err = Parse([]byte(yamlLines(ariOK, redisOK,
		"http:",
		"  listen: 127.0.0.1:8080",
		"  trusted_proxies: [10.0.0.0/8, 192.0.2.7/32, \"2001:db8::/32\"]",
		wsOK,
		"access_log: {retention: 2160h}")))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}
	if got := c.TrustedProxies(); c.AccessLog.Retention != 2160*time.Hour || len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("parsed: %v %v", c.AccessLog.Retention, got)
	}

	_, err = Parse([]byte(yamlLines(ariOK, redisOK,
		"http:",
		"  listen: 127.0.0.1:8080",
		"  trusted_proxies: [10.0.0.1, 0.0.0.0/0]",
		wsOK,
		"access_log:",
		"  retention: 1h")))
	msgs := []string{
		`http.trusted_proxies[0] (line 5): "10.0.0.1" is not a CIDR block, e.g. 10.0.0.0/8 or 192.0.2.7/32`,
		`http.trusted_proxies[1] (line 5): "0.0.0.0/0" trusts every address: anyone could then name any client`,
		`access_log.retention (line 9): 1h0m0s is too short: at least 24h (default 8760h, a year)`,
	}
	if err == nil || err.Error() != strings.Join(msgs, "\n") {
		t.Fatalf("errors:\n%v\nwant\n%s", err, strings.Join(msgs, "\n"))
	}
	_, err = Parse([]byte(yamlLines(ariOK, redisOK, httpOK, wsOK, "access_log: {retain: 1y}")))
	if err == nil || !strings.Contains(err.Error(), `access_log.retain (line 6): unknown key "retain"; valid keys in access_log: retention`) {
		t.Fatalf("unknown key: %v", err)
	}
}
