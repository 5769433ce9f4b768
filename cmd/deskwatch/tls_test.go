package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/internal/testcert"
)

// With http.tls the API speaks HTTPS; a reload reads the pair again, so a
// renewed certificate serves the next handshake, and a broken one is
// refused while the last good one goes on serving.
func TestTLSCertificateReloads(t *testing.T) {
	dir := t.TempDir()
	first := testcert.Write(t, dir, "api", "first")
	r := newReloadRig(t, "op122-01")
	text := strings.Replace(r.text(), "  tokens:\n", "  tls: {cert_file: "+first.CertFile+", key_file: "+first.KeyFile+"}\n  tokens:\n", 1)
	r.writeText(text)
	cfg, err := config.Load(r.file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDaemon(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	d.reloaded.reloader = r.reload
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	r.notice("READY=1")

	pool := x509.NewCertPool()
	pool.AddCert(first.Cert)
	// served asks /healthz over a new connection and returns the name on
	// the certificate that answered, and the config reload's state.
	served := func() (string, string) {
		t.Helper()
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
		resp, err := c.Get("https://" + r.listen + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var hz struct{ Config struct{ Reload string } }
		if err := json.NewDecoder(resp.Body).Decode(&hz); err != nil {
			t.Fatal(err)
		}
		return resp.TLS.PeerCertificates[0].Subject.CommonName, hz.Config.Reload
	}
	if cn, _ := served(); cn != "first" {
		t.Fatalf("served %q", cn)
	}
	second := testcert.Write(t, dir, "api", "second") // renewed in place
	pool.AddCert(second.Cert)
	r.sighup()
	if cn, reload := served(); cn != "second" || reload != "ok" {
		t.Fatalf("after renewal: %q, reload %q", cn, reload)
	}
	if err := os.WriteFile(second.KeyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.sighup()
	if cn, reload := served(); cn != "second" || reload != "failed" {
		t.Fatalf("after a broken key: %q, reload %q", cn, reload)
	}
}
