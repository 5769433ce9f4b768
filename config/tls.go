package config

import (
	"crypto/tls"
	"fmt"
)

// TLSConfig makes the API serve HTTPS. The pair is read again on every
// reload (SIGHUP), so a renewed certificate needs no restart.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"` // PEM, the chain after the leaf
	KeyFile  string `yaml:"key_file"`  // PEM, unencrypted
}

// Certificate reads http.tls's pair (nil without http.tls).
func (c *Config) Certificate() (*tls.Certificate, error) {
	t := c.HTTP.TLS
	if t == nil {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("http.tls: %w", err)
	}
	return &cert, nil
}

func (v *validator) tls() {
	t := v.c.HTTP.TLS
	if t == nil {
		return
	}
	if t.CertFile == "" {
		v.addf("http.tls.cert_file", "is required with http.tls: a PEM certificate (chain)")
	}
	if t.KeyFile == "" {
		v.addf("http.tls.key_file", "is required with http.tls: the PEM private key")
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return
	}
	// The key's bytes never reach the message: LoadX509KeyPair names files
	// and what is wrong, not their content.
	if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
		v.addf("http.tls", "cannot load the certificate and key: %v", err)
	}
}
