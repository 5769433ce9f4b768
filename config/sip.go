package config

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// SIPConfig configures deskwatch's own SIP probes (OPTIONS to each desk's
// contact and to the PBX), which see a dead phone within seconds where
// Asterisk's qualify is off.
type SIPConfig struct {
	Enabled  bool          `yaml:"enabled"`  // default false
	Listen   string        `yaml:"listen"`   // local UDP/TCP address for probes; default 0.0.0.0:0
	Interval time.Duration `yaml:"interval"` // default 5s, at least 1s
	Timeout  time.Duration `yaml:"timeout"`  // default 2s
	Misses   int           `yaml:"misses"`   // unanswered probes before down; default 2
	Answers  int           `yaml:"answers"`  // answered probes before up; default 1
	// PBX is the PBX's own SIP URI for liveness (e.g. sip:10.0.0.5:5060);
	// empty: not probed.
	PBX string `yaml:"pbx"`
	// Contacts are fixed contact URIs per endpoint, for phones whose
	// contact ARI does not tell (otherwise learned from ContactStatusChange).
	Contacts map[string]string `yaml:"contacts"`
	// Canary, when present, keeps deskwatch's own account registered on
	// the PBX: a refused or unanswered REGISTER shows in /healthz and the
	// metrics. Used only with Enabled.
	Canary *CanaryConfig `yaml:"canary"`
}

// CanaryConfig is the account deskwatch registers with digest auth. The
// password itself is never stored here: see Config.CanaryPassword.
type CanaryConfig struct {
	Registrar    string        `yaml:"registrar"` // SIP URI of the PBX, UDP, e.g. sip:10.0.0.5:5060
	User         string        `yaml:"user"`
	PasswordEnv  string        `yaml:"password_env"`
	PasswordFile string        `yaml:"password_file"`
	Domain       string        `yaml:"domain"`  // of the AOR; default the registrar's host
	Expires      time.Duration `yaml:"expires"` // asked for; default 120s, refreshed at half the grant
}

// CanaryPassword reads the canary's password from sip.canary.password_env
// or sip.canary.password_file ("" when there is no canary).
func (c *Config) CanaryPassword() (string, error) {
	k := c.SIP.Canary
	if k == nil {
		return "", nil
	}
	pw, err := readSecret(k.PasswordEnv, k.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("sip canary password: %w", err)
	}
	if pw == "" {
		return "", errors.New("sip canary password: set sip.canary.password_env or sip.canary.password_file")
	}
	return pw, nil
}

func (s *SIPConfig) setDefaults() {
	if s.Listen == "" {
		s.Listen = "0.0.0.0:0"
	}
	if s.Interval == 0 {
		s.Interval = 5 * time.Second
	}
	if s.Timeout == 0 {
		s.Timeout = 2 * time.Second
	}
	if s.Misses == 0 {
		s.Misses = 2
	}
	if s.Answers == 0 {
		s.Answers = 1
	}
	if s.Canary != nil && s.Canary.Expires == 0 {
		s.Canary.Expires = 120 * time.Second
	}
}

func (v *validator) sip(endpoints map[string]bool) {
	s := &v.c.SIP
	if !s.Enabled {
		return // the section is read but not used
	}
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		v.addf("sip.listen", "%q is not host:port, e.g. 0.0.0.0:5070", s.Listen)
	}
	if s.Interval < time.Second {
		v.addf("sip.interval", "%s is below the minimum of 1s", s.Interval)
	}
	// The prober needs an answer's wait to end before the next probe of
	// the same target is due: shorter than the interval, not equal.
	if s.Timeout <= 0 || s.Timeout >= s.Interval {
		v.addf("sip.timeout", "%s must be positive and shorter than sip.interval (%s)", s.Timeout, s.Interval)
	}
	if s.Misses < 1 || s.Misses > 100 {
		v.addf("sip.misses", "%d must be from 1 to 100", s.Misses)
	}
	if s.Answers < 1 || s.Answers > 100 {
		v.addf("sip.answers", "%d must be from 1 to 100", s.Answers)
	}
	if s.PBX != "" && !sipURI(s.PBX) {
		v.addf("sip.pbx", "%q is not a SIP URI, e.g. sip:10.0.0.5:5060", s.PBX)
	}
	for ep, uri := range s.Contacts {
		path := "sip.contacts." + ep
		if !endpoints[ep] {
			v.addf(path, "endpoint %q is on no workstation", ep)
		}
		if !sipURI(uri) {
			v.addf(path, "%q is not a SIP URI, e.g. sip:op122-01@10.0.0.21:5060", uri)
		}
	}
	if s.Canary != nil {
		v.canary(s.Canary)
	}
}

func (v *validator) canary(k *CanaryConfig) {
	const at = "sip.canary"
	r := k.Registrar
	lower := strings.ToLower(r)
	notUDP := strings.HasPrefix(lower, "sips:") || (strings.Contains(lower, ";transport=") && !strings.Contains(lower, ";transport=udp"))
	switch {
	case r == "":
		v.addf(at+".registrar", "is required, e.g. sip:10.0.0.5:5060")
	case strings.Contains(r, "@"):
		// Do not echo it: the user part may hold a password.
		v.addf(at+".registrar", "must be the PBX's address without a user part, e.g. sip:10.0.0.5:5060; set sip.canary.user")
	case notUDP:
		v.addf(at+".registrar", "%q: only UDP is supported, e.g. sip:10.0.0.5:5060", r)
	case !sipURI(r):
		v.addf(at+".registrar", "%q is not a SIP URI, e.g. sip:10.0.0.5:5060", r)
	}
	if k.User == "" {
		v.addf(at+".user", "is required: the canary's PJSIP endpoint, e.g. deskwatch-canary")
	} else if strings.ContainsAny(k.User, "@:;<> \t\"") {
		v.addf(at+".user", "%q must be a bare user name, e.g. deskwatch-canary", k.User)
	}
	if k.PasswordEnv == "" && k.PasswordFile == "" {
		v.addf(at, "no password source: set password_env or password_file")
	}
	v.secret(at, k.PasswordEnv, k.PasswordFile)
	if strings.ContainsAny(k.Domain, "@;<> \t\"") {
		v.addf(at+".domain", "%q must be a host name or IP, e.g. 10.0.0.5", k.Domain)
	}
	if k.Expires < 10*time.Second || k.Expires > 24*time.Hour {
		v.addf(at+".expires", "%s must be from 10s to 24h", k.Expires)
	}
}

func sipURI(s string) bool {
	rest, ok := strings.CutPrefix(s, "sip:")
	if !ok {
		rest, ok = strings.CutPrefix(s, "sips:")
	}
	return ok && rest != "" && !strings.ContainsAny(rest, " \t\r\n")
}

// probeOverrides checks each desk's probe schedule against the sip section.
func (v *validator) probeOverrides() {
	s := &v.c.SIP
	for i, w := range v.c.Workstations {
		p := w.Probe
		if p == nil {
			continue
		}
		path := fmt.Sprintf("workstations[%d].probe", i)
		iv := cmp.Or(p.Interval, s.Interval)
		if p.Interval != 0 && p.Interval < time.Second {
			v.addf(path+".interval", "%s is below the minimum of 1s", p.Interval)
		}
		// Without a timeout of its own, a desk whose interval is shorter than
		// the section's timeout gets half its interval (as the prober does).
		if p.Timeout != 0 && (p.Timeout < 0 || p.Timeout >= iv) {
			v.addf(path+".timeout", "%s must be positive and shorter than the interval (%s)", p.Timeout, iv)
		}
		if p.Misses < 0 || p.Misses > 100 {
			v.addf(path+".misses", "%d must be from 1 to 100", p.Misses)
		}
		if p.Answers < 0 || p.Answers > 100 {
			v.addf(path+".answers", "%d must be from 1 to 100", p.Answers)
		}
	}
}
