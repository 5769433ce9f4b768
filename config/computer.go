package config

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// Computer checks.
const (
	CheckICMP = "icmp" // ICMP echo (unprivileged: see README)
	CheckTCP  = "tcp"  // TCP connect to Port, for hosts that drop ping
)

// ComputerConfig is an operator's computer deskwatch probes. Its schedule
// works like the SIP probes': a verdict after Misses silent probes or
// Answers answered ones, one probe every Interval.
type ComputerConfig struct {
	Host     string        `yaml:"host"`     // IP or name
	Check    string        `yaml:"check"`    // icmp (default) or tcp
	Port     int           `yaml:"port"`     // tcp: the port that must accept a connection
	Interval time.Duration `yaml:"interval"` // default 10s, at least 1s
	Timeout  time.Duration `yaml:"timeout"`  // default 2s, at most interval
	Misses   int           `yaml:"misses"`   // silent probes before down; default 3
	Answers  int           `yaml:"answers"`  // answered probes before up; default 1
}

func (k *ComputerConfig) setDefaults() {
	if k == nil {
		return
	}
	if k.Check == "" {
		k.Check = CheckICMP
	}
	if k.Interval == 0 {
		k.Interval = 10 * time.Second
	}
	if k.Timeout == 0 {
		k.Timeout = min(2*time.Second, k.Interval/2)
	}
	if k.Misses == 0 {
		k.Misses = 3
	}
	if k.Answers == 0 {
		k.Answers = 1
	}
}

// computers checks every desk's computer.
func (v *validator) computers() {
	hosts := map[string]string{}
	for i, w := range v.c.Workstations {
		k := w.Computer
		if k == nil {
			continue
		}
		p := fmt.Sprintf("workstations[%d].computer", i)
		switch first, dup := hosts[k.Host]; {
		case k.Host == "":
			v.addf(p+".host", "is required: the computer's IP address or name, e.g. 10.0.1.21")
		case strings.ContainsAny(k.Host, " \t/@") || (strings.Contains(k.Host, ":") && net.ParseIP(k.Host) == nil):
			v.addf(p+".host", "%q must be a bare IP address or host name, without a port or scheme", k.Host)
		case dup:
			v.addf(p+".host", "%q is already the computer of %s", k.Host, v.c.ref(first))
		default:
			hosts[k.Host] = fmt.Sprintf("workstations[%d]", i)
		}
		switch k.Check {
		case CheckICMP:
			if k.Port != 0 {
				v.addf(p+".port", "is only for check: tcp")
			}
		case CheckTCP:
			if k.Port < 1 || k.Port > 65535 {
				v.addf(p+".port", "%d: check tcp needs the port that must accept a connection (1-65535), e.g. 3389", k.Port)
			}
		default:
			v.addf(p+".check", "unknown check %q: use icmp or tcp", k.Check)
		}
		if k.Interval < time.Second {
			v.addf(p+".interval", "%s is below the minimum of 1s", k.Interval)
		}
		if k.Timeout <= 0 || k.Timeout > k.Interval {
			v.addf(p+".timeout", "%s must be positive and at most the interval (%s)", k.Timeout, k.Interval)
		}
		if k.Misses < 1 || k.Misses > 100 {
			v.addf(p+".misses", "%d must be from 1 to 100", k.Misses)
		}
		if k.Answers < 1 || k.Answers > 100 {
			v.addf(p+".answers", "%d must be from 1 to 100", k.Answers)
		}
	}
}
