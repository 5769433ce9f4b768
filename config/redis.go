package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// RedisConfig is the Redis connection: exactly one of URL, Sentinel and
// Cluster. URL may carry a password; String redacts it. Use
// Config.RedisPassword for the effective password.
type RedisConfig struct {
	URL          string          `yaml:"url"`
	Sentinel     *SentinelConfig `yaml:"sentinel"`
	Cluster      *ClusterConfig  `yaml:"cluster"`
	PasswordEnv  string          `yaml:"password_env"`
	PasswordFile string          `yaml:"password_file"`
	Prefix       string          `yaml:"prefix"`
	// WaitReplicas is how many replicas must hold the monitor's writes
	// before they count (WAIT); default 1 with Sentinel, else 0.
	WaitReplicas *int          `yaml:"wait_replicas"`
	WaitTimeout  time.Duration `yaml:"wait_timeout"` // default 1s
}

// SentinelConfig is a master that Redis Sentinel watches and fails over.
// The password sources are the sentinels' own (requirepass in
// sentinel.conf); the data nodes' password is redis.password_env/file.
type SentinelConfig struct {
	Master       string   `yaml:"master"`
	Addrs        []string `yaml:"addrs"`
	PasswordEnv  string   `yaml:"password_env"`
	PasswordFile string   `yaml:"password_file"`
}

// ClusterConfig is a Redis Cluster: some of its nodes, to learn the rest.
type ClusterConfig struct {
	Addrs []string `yaml:"addrs"`
}

func (r *RedisConfig) setDefaults() {
	if r.Prefix == "" {
		r.Prefix = defaultRedisPrefix
	}
	if r.WaitReplicas == nil {
		n := r.Replicas() // a Sentinel setup has a replica to fail over to
		r.WaitReplicas = &n
	}
	if r.WaitTimeout == 0 {
		r.WaitTimeout = defaultWaitTimeout
	}
}

// String prints the Redis settings with any password in the URL redacted.
func (r RedisConfig) String() string {
	s := fmt.Sprintf("{URL:%s PasswordEnv:%s PasswordFile:%s Prefix:%q", redactURL(r.URL), r.PasswordEnv, r.PasswordFile, r.Prefix)
	if r.Sentinel != nil {
		s += fmt.Sprintf(" Sentinel:%+v", *r.Sentinel)
	}
	if r.Cluster != nil {
		s += fmt.Sprintf(" Cluster:%+v", *r.Cluster)
	}
	return s + "}"
}

func (r RedisConfig) log(e *zerolog.Event) {
	e.Str("redis_url", redactURL(r.URL)).
		Str("redis_password", secretSource(r.PasswordEnv, r.PasswordFile)).
		Str("redis_prefix", r.Prefix)
	if s := r.Sentinel; s != nil {
		e.Str("redis_sentinel_master", s.Master).Strs("redis_sentinel_addrs", s.Addrs).
			Str("redis_sentinel_password", secretSource(s.PasswordEnv, s.PasswordFile))
	}
	if r.Cluster != nil {
		e.Strs("redis_cluster_addrs", r.Cluster.Addrs)
	}
	if r.WaitReplicas != nil {
		e.Int("redis_wait_replicas", *r.WaitReplicas)
	}
}

// Replicas is how many replicas must hold the monitor's writes:
// wait_replicas, else 1 with Sentinel and 0 otherwise.
func (r RedisConfig) Replicas() int {
	switch {
	case r.WaitReplicas != nil:
		return *r.WaitReplicas
	case r.Sentinel != nil:
		return 1
	}
	return 0
}

// RedisSentinelPassword reads the sentinels' own password from
// redis.sentinel.password_env or password_file ("" without one).
func (c *Config) RedisSentinelPassword() (string, error) {
	s := c.Redis.Sentinel
	if s == nil {
		return "", nil
	}
	pw, err := readSecret(s.PasswordEnv, s.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("redis sentinel password: %w", err)
	}
	return pw, nil
}

func (v *validator) redis() {
	r := &v.c.Redis
	var set []string
	for _, m := range []struct {
		key string
		on  bool
	}{{"url", r.URL != ""}, {"sentinel", r.Sentinel != nil}, {"cluster", r.Cluster != nil}} {
		if m.on {
			set = append(set, "redis."+m.key)
		}
	}
	switch {
	case len(set) == 0:
		v.addf("redis.url", "is required unless redis.sentinel or redis.cluster is set, e.g. redis://127.0.0.1:6379/0")
	case len(set) > 1:
		for _, p := range set[1:] {
			v.addf(p, "conflicts with %s: set exactly one of redis.url, redis.sentinel and redis.cluster", v.c.ref(set[0]))
		}
	}
	if r.URL != "" {
		v.redisURL(r)
	}
	if s := r.Sentinel; s != nil {
		if s.Master == "" {
			v.addf("redis.sentinel.master", "is required: the master's name in sentinel.conf, e.g. mymaster")
		} else if strings.ContainsAny(s.Master, " \t\r\n") {
			v.addf("redis.sentinel.master", "%q must not contain white space", s.Master)
		}
		v.addrs("redis.sentinel.addrs", s.Addrs, "10.0.0.11:26379")
		v.secret("redis.sentinel", s.PasswordEnv, s.PasswordFile)
	}
	if r.Cluster != nil {
		v.addrs("redis.cluster.addrs", r.Cluster.Addrs, "10.0.0.11:6379")
	}
	v.secret("redis", r.PasswordEnv, r.PasswordFile)
	if strings.ContainsAny(r.Prefix, "{}") {
		v.addf("redis.prefix", "must not contain { or } (they mark Redis Cluster hash tags)")
	}
	if n := r.WaitReplicas; n != nil && (*n < 0 || *n > 16) {
		v.addf("redis.wait_replicas", "%d must be from 0 (do not wait) to 16", *n)
	}
	// WAIT must answer before the client's 3 s read timeout.
	if r.WaitTimeout != 0 && (r.WaitTimeout < 10*time.Millisecond || r.WaitTimeout > 2*time.Second) {
		v.addf("redis.wait_timeout", "%s must be from 10ms to 2s", r.WaitTimeout)
	}
}

func (v *validator) redisURL(r *RedisConfig) {
	u := v.url("redis.url", r.URL, "redis", "rediss")
	if u == nil {
		return
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" && !digits.MatchString(db) {
		v.addf("redis.url", "database %q must be a number, e.g. redis://127.0.0.1:6379/0", db)
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		for _, f := range []struct{ key, val string }{{"password_env", r.PasswordEnv}, {"password_file", r.PasswordFile}} {
			if f.val != "" {
				v.addf("redis."+f.key, "conflicts with the password in redis.url: set only one of them")
			}
		}
	}
}

// addrs checks a list of host:port addresses of Redis nodes.
func (v *validator) addrs(path string, list []string, example string) {
	if len(list) == 0 {
		v.addf(path, "at least one host:port is required, e.g. [%q]", example)
	}
	seen := map[string]string{}
	for i, a := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		host, port, err := net.SplitHostPort(a)
		n, perr := strconv.Atoi(port)
		switch first, dup := seen[a]; {
		case err != nil || host == "":
			v.addf(p, "%q is not host:port, e.g. %s", a, example)
		case perr != nil || n < 1 || n > 65535:
			v.addf(p, "port %q must be a number from 1 to 65535", port)
		case dup:
			v.addf(p, "%q is already listed at %s", a, v.c.ref(first))
		default:
			seen[a] = p
		}
	}
}
