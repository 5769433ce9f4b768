// Package config loads and validates the deskwatch YAML configuration.
//
// The file is strict: unknown keys, wrong shapes and invalid values are
// errors, all reported at once, each naming the field path and the line.
// See deploy/deskwatch.example.yaml for every field.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones work on machines without a zoneinfo database

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"deskwatch/health"
	"deskwatch/schedule"
)

// Token roles.
const (
	RoleViewer     = "viewer"
	RoleSupervisor = "supervisor"
)

// Defaults applied by Parse to fields left empty.
const (
	defaultTimezone     = "Asia/Irkutsk"
	defaultApp          = "deskwatch"
	defaultTechnology   = "PJSIP"
	defaultReconnectMin = 500 * time.Millisecond
	defaultReconnectMax = 30 * time.Second
	defaultRedisPrefix  = "dw:"
	defaultWaitTimeout  = time.Second
)

// builtinHotlines are always known; others must be declared under hotlines.
var builtinHotlines = []string{"122", "117"}

// Config is the whole configuration file.
type Config struct {
	Timezone     string              `yaml:"timezone"`
	ARI          ARIConfig           `yaml:"ari"`
	Redis        RedisConfig         `yaml:"redis"`
	HTTP         HTTPConfig          `yaml:"http"`
	Hotlines     []string            `yaml:"hotlines"` // extra numbers beyond 122 and 117
	Workstations []WorkstationConfig `yaml:"workstations"`
	SIP          SIPConfig           `yaml:"sip"`
	Alerts       AlertsConfig        `yaml:"alerts"`
	AccessLog    AccessLogConfig     `yaml:"access_log"`
	// Schedules are the named service schedules desks may follow.
	Schedules map[string]ScheduleConfig `yaml:"schedules"`
	// StateDir holds what deskwatch keeps locally (the spool); default
	// $DESKWATCH_STATE_DIR, else /var/lib/deskwatch.
	StateDir string        `yaml:"state_dir"`
	Spool    SpoolConfig   `yaml:"spool"`
	Journal  JournalConfig `yaml:"journal"`
	HA       HAConfig      `yaml:"ha"`

	lines  map[string]int                // field path -> YAML line, filled by Parse
	blocks map[string]int                // field path -> first line of a block scalar's text
	loc    *time.Location                // set by a successful Validate
	scheds map[string]*schedule.Schedule // compiled by Validate
}

// ARIConfig is the connection to the Asterisk REST Interface. The password
// itself is never stored here: see Config.ARIPassword.
type ARIConfig struct {
	URL          string        `yaml:"url"`
	Username     string        `yaml:"username"`
	PasswordEnv  string        `yaml:"password_env"`
	PasswordFile string        `yaml:"password_file"`
	App          string        `yaml:"app"`
	Technology   string        `yaml:"technology"`
	ReconnectMin time.Duration `yaml:"reconnect_min"`
	ReconnectMax time.Duration `yaml:"reconnect_max"`
	// MaxSkew: an event dated further than this from its receipt is dated
	// by its receipt (the PBX's clock is off); default 2s.
	MaxSkew time.Duration `yaml:"max_skew"`
}

// HTTPConfig is the HTTP API listener, its bearer tokens and the limits of
// what one client may hold (defaults and checks in http.go).
type HTTPConfig struct {
	Listen string     `yaml:"listen"`
	Tokens []Token    `yaml:"tokens"`
	TLS    *TLSConfig `yaml:"tls"` // nil: plain HTTP (e.g. behind a reverse proxy)

	ReadHeaderTimeout       time.Duration `yaml:"read_header_timeout"`
	ReadTimeout             time.Duration `yaml:"read_timeout"`  // a whole request, body included
	WriteTimeout            time.Duration `yaml:"write_timeout"` // one answer; each write of an event stream
	IdleTimeout             time.Duration `yaml:"idle_timeout"`  // a keep-alive connection between requests
	MaxConnections          int           `yaml:"max_connections"`
	MaxConnectionsPerClient int           `yaml:"max_connections_per_client"` // per client IP address
	// TrustedProxies (CIDR) may name the client in X-Forwarded-For, for
	// the access log.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Token is an API client. Only the SHA-256 of the token is configured
// (lower-case hex after Parse).
type Token struct {
	Name   string `yaml:"name"`
	Role   string `yaml:"role"` // RoleViewer or RoleSupervisor
	SHA256 string `yaml:"sha256"`
}

// WorkstationConfig is one operator desk as written in the file.
type WorkstationConfig struct {
	ID             string     `yaml:"id"`
	Name           string     `yaml:"name"` // defaults to ID
	Hotlines       []string   `yaml:"hotlines"`
	Endpoints      []string   `yaml:"endpoints"` // "PJSIP/op122-01"
	InServiceFrom  *time.Time `yaml:"in_service_from"`
	InServiceUntil *time.Time `yaml:"in_service_until"`
	// Probe overrides the sip section's schedule for this desk's endpoints.
	Probe *ProbeConfig `yaml:"probe"`
	// Schedule names the desk's service schedule; empty: around the clock.
	Schedule string `yaml:"schedule"`
	// Computer is the operator's computer, probed by deskwatch: the desk is
	// up only while it answers too.
	Computer *ComputerConfig `yaml:"computer"`
}

// ProbeConfig is a desk's own SIP probe schedule; zero fields keep the
// sip section's values.
type ProbeConfig struct {
	Interval time.Duration `yaml:"interval"`
	Timeout  time.Duration `yaml:"timeout"`
	Misses   int           `yaml:"misses"`
	Answers  int           `yaml:"answers"`
}

// Load reads, parses and validates the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config %s:\n%w", path, err)
	}
	return c, nil
}

// Parse decodes a configuration strictly, applies defaults and validates it.
// The error lists every problem, one per line.
func Parse(data []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the configuration is empty")
		}
		return nil, yamlError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &problem{line: next.Line, msg: "only one YAML document is allowed; remove the second one (---)"}
	case !errors.Is(err, io.EOF):
		return nil, yamlError(err)
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, errors.New("the configuration is empty")
	}

	c := &Config{}
	d := decoder{lines: map[string]int{}, blocks: map[string]int{}}
	d.value(root, reflect.ValueOf(c).Elem(), "")
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	c.lines, c.blocks = d.lines, d.blocks
	c.setDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func yamlError(err error) error {
	return fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
}

func (c *Config) setDefaults() {
	if c.Timezone == "" {
		c.Timezone = defaultTimezone
	}
	if c.ARI.App == "" {
		c.ARI.App = defaultApp
	}
	if c.ARI.Technology == "" {
		c.ARI.Technology = defaultTechnology
	}
	if c.ARI.ReconnectMin == 0 {
		c.ARI.ReconnectMin = defaultReconnectMin
	}
	if c.ARI.ReconnectMax == 0 {
		c.ARI.ReconnectMax = defaultReconnectMax
	}
	c.Redis.setDefaults()
	c.HTTP.setDefaults()
	for i := range c.HTTP.Tokens {
		c.HTTP.Tokens[i].SHA256 = strings.ToLower(c.HTTP.Tokens[i].SHA256)
	}
	c.SIP.setDefaults()
	c.Alerts.setDefaults()
	c.AccessLog.setDefaults()
	for _, w := range c.Workstations {
		w.Computer.setDefaults()
	}
	c.stateDefaults()
	c.HA.setDefaults()
	for i := range c.Workstations {
		if c.Workstations[i].Name == "" {
			c.Workstations[i].Name = c.Workstations[i].ID
		}
	}
}

// Location is the configured time zone (for reports and day boundaries).
// After a successful Validate it never fails; before, an unloadable zone
// yields UTC.
func (c *Config) Location() *time.Location {
	if c.loc != nil {
		return c.loc
	}
	tz := c.Timezone
	if tz == "" {
		tz = defaultTimezone
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

// AllHotlines returns the built-in hotlines 122 and 117 followed by the
// extra ones declared in the file.
func (c *Config) AllHotlines() []string {
	all := append([]string(nil), builtinHotlines...)
	for _, h := range c.Hotlines {
		if !slices.Contains(all, h) {
			all = append(all, h)
		}
	}
	return all
}

// HealthWorkstations returns the desks for the core, in file order, with service
// times in UTC (zero when not set).
func (c *Config) HealthWorkstations() []health.Workstation {
	out := make([]health.Workstation, 0, len(c.Workstations))
	for _, w := range c.Workstations {
		hw := health.Workstation{
			ID:        w.ID,
			Name:      w.Name,
			Hotlines:  append([]string(nil), w.Hotlines...),
			Endpoints: append([]string(nil), w.Endpoints...),
			Schedule:  w.Schedule,
		}
		if w.Computer != nil {
			hw.Computer = w.Computer.Host
		}
		if w.InServiceFrom != nil {
			hw.InServiceFrom = w.InServiceFrom.UTC()
		}
		if w.InServiceUntil != nil {
			hw.InServiceUntil = w.InServiceUntil.UTC()
		}
		out = append(out, hw)
	}
	return out
}

// ARIPassword reads the ARI password from the configured environment
// variable or file.
func (c *Config) ARIPassword() (string, error) {
	pw, err := readSecret(c.ARI.PasswordEnv, c.ARI.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("ari password: %w", err)
	}
	if pw == "" {
		return "", errors.New("ari password: set ari.password_env or ari.password_file")
	}
	return pw, nil
}

// RedisPassword returns the Redis password from redis.password_env or
// redis.password_file, else the one in redis.url, else "" (no AUTH).
func (c *Config) RedisPassword() (string, error) {
	pw, err := readSecret(c.Redis.PasswordEnv, c.Redis.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("redis password: %w", err)
	}
	if pw != "" {
		return pw, nil
	}
	if u, err := url.Parse(c.Redis.URL); err == nil && u.User != nil {
		p, _ := u.User.Password()
		return p, nil
	}
	return "", nil
}

// readSecret reads the secret from the environment variable env or the file
// (trailing newlines trimmed). Both empty yields "", nil. The error names the
// variable or file, never the secret.
func readSecret(env, file string) (string, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("cannot read password file: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("password file %s is empty", file)
		}
		return v, nil
	}
	return "", nil
}

// MarshalZerologObject logs the effective configuration without secrets.
func (c *Config) MarshalZerologObject(e *zerolog.Event) {
	e.Str("timezone", c.Timezone).
		Str("ari_url", redactURL(c.ARI.URL)).
		Str("ari_username", c.ARI.Username).
		Str("ari_password", secretSource(c.ARI.PasswordEnv, c.ARI.PasswordFile)).
		Str("ari_app", c.ARI.App).
		Str("ari_technology", c.ARI.Technology).
		Dur("ari_reconnect_min", c.ARI.ReconnectMin).
		Dur("ari_reconnect_max", c.ARI.ReconnectMax).
		Dur("ari_max_skew", c.ARI.MaxSkew).
		Str("http_listen", c.HTTP.Listen).
		Int("http_tokens", len(c.HTTP.Tokens)).
		Int("http_max_connections", c.HTTP.MaxConnections).
		Bool("http_tls", c.HTTP.TLS != nil).
		Str("journal_key", secretSource("", c.Journal.KeyFile)).
		Strs("hotlines", c.AllHotlines()).
		Int("workstations", len(c.Workstations)).
		Str("state_dir", c.StateDir).
		Stringer("spool_max_bytes", c.Spool.MaxBytes)
	c.Redis.log(e)
	c.HA.log(e)
}

func secretSource(env, file string) string {
	switch {
	case env != "":
		return "env " + env
	case file != "":
		return "file " + file
	}
	return "none"
}

// redactURL hides the password of a URL; an unparsable URL that might hold
// one is hidden entirely.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "(invalid URL, hidden)"
		}
		return s
	}
	return u.Redacted()
}
