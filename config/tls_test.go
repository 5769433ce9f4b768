package config

import (
	"strings"
	"testing"

	"deskwatch/internal/testcert"
)

func TestTLS(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	dir := t.TempDir()
	a := testcert.Write(t, dir, "a", "a")
	b := testcert.Write(t, dir, "b", "b")
	c, err := Parse([]byte(yamlLines(ariOK, redisOK, wsOK, "http:", "  listen: 127.0.0.1:8443",
		"  tls: {cert_file: "+a.CertFile+", key_file: "+a.KeyFile+"}")))
	if err != nil {
		t.Fatal(err)
	}
	if cert, err := c.Certificate(); err != nil || cert == nil || len(cert.Certificate) != 1 {
		t.Fatalf("Certificate() = %v, %v", cert, err)
	}
	for yaml, want := range map[string]string{
		"  tls: {cert_file: " + a.CertFile + "}":                              "http.tls.key_file (line 7): is required with http.tls",
		"  tls: {cert_file: " + a.CertFile + ", key_file: " + b.KeyFile + "}": "http.tls (line 7): cannot load the certificate and key: tls: private key does not match public key",
		"  tls: {cert_file: /nonexistent.crt, key_file: " + a.KeyFile + "}":   "http.tls (line 7): cannot load the certificate and key: open /nonexistent.crt",
	} {
		_, err := Parse([]byte(yamlLines(ariOK, redisOK, wsOK, "http:", "  listen: 127.0.0.1:8443", yaml)))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %s…", yaml, err, want)
		}
	}
	if c, _ := Parse([]byte(yamlLines(ariOK, redisOK, httpOK, wsOK))); c == nil {
		t.Fatal("no config")
	} else if cert, err := c.Certificate(); cert != nil || err != nil {
		t.Fatalf("without http.tls: %v, %v", cert, err)
	}
}
