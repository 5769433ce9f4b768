package config

import (
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
	if s.Timeout <= 0 || s.Timeout > s.Interval {
		v.addf("sip.timeout", "%s must be positive and at most sip.interval (%s)", s.Timeout, s.Interval)
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
}

func sipURI(s string) bool {
	rest, ok := strings.CutPrefix(s, "sip:")
	if !ok {
		rest, ok = strings.CutPrefix(s, "sips:")
	}
	return ok && rest != "" && !strings.ContainsAny(rest, " \t\r\n")
}
