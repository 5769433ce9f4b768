package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	urlSafe    = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	technology = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	digits     = regexp.MustCompile(`^[0-9]+$`)
	sha256Hex  = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// Validate checks the whole configuration and returns every problem found,
// joined (one per line, each naming the field path and, when the config came
// from YAML, the line). It also checks that the password sources can be
// read, so the environment variables and files must be in place.
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.timezone()
	v.ari()
	v.redis()
	v.http()
	v.httpLimits()
	v.tls()
	v.workstations(v.hotlines())
	v.schedules()
	v.computers()
	eps := map[string]bool{}
	for _, w := range v.c.Workstations {
		for _, e := range w.Endpoints {
			eps[e] = true
		}
	}
	v.sip(eps)
	if v.c.SIP.Enabled {
		v.probeOverrides()
	}
	v.alerts()
	v.accessLog()
	v.state()
	v.journal()
	v.ha()
	return errors.Join(v.errs...)
}

type validator struct {
	c    *Config
	errs []error
}

func (v *validator) addf(path, format string, args ...any) {
	v.errs = append(v.errs, &problem{path: path, line: v.c.line(path), msg: fmt.Sprintf(format, args...)})
}

// line is the YAML line of path, or of its nearest ancestor present in the
// file (for a missing key: the section it is missing from); 0 if unknown.
func (c *Config) line(path string) int {
	for path != "" {
		if l, ok := c.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// ref names another field for a message: "workstations[0] (line 9)".
func (c *Config) ref(path string) string {
	if l, ok := c.lines[path]; ok {
		return fmt.Sprintf("%s (line %d)", path, l)
	}
	return path
}

// atLine is " (line N)" for path, or "" when unknown.
func (c *Config) atLine(path string) string {
	if l, ok := c.lines[path]; ok {
		return fmt.Sprintf(" (line %d)", l)
	}
	return ""
}

func (v *validator) timezone() {
	tz := v.c.Timezone
	switch loc, err := time.LoadLocation(tz); {
	case tz == "":
		v.addf("timezone", "is required, e.g. Asia/Irkutsk")
	case tz == "Local":
		v.addf("timezone", `"Local" depends on the machine; use an IANA name such as Asia/Irkutsk`)
	case err != nil:
		v.addf("timezone", "unknown time zone %q; use an IANA name such as Asia/Irkutsk", tz)
	default:
		v.c.loc = loc
	}
}

func (v *validator) ari() {
	a := &v.c.ARI
	if a.URL == "" {
		v.addf("ari.url", "is required, e.g. http://127.0.0.1:8088/ari")
	} else if u := v.url("ari.url", a.URL, "http", "https"); u != nil && u.User != nil {
		v.addf("ari.url", "must not contain a user name or password; use ari.username and ari.password_env or ari.password_file")
	}
	if a.Username == "" {
		v.addf("ari.username", "is required")
	}
	if a.PasswordEnv == "" && a.PasswordFile == "" {
		v.addf("ari", "no password source: set password_env or password_file")
	}
	v.secret("ari", a.PasswordEnv, a.PasswordFile)
	switch {
	case a.App == "":
		v.addf("ari.app", "is required, e.g. deskwatch")
	case !urlSafe.MatchString(a.App):
		v.addf("ari.app", "%q may contain only letters, digits, '.', '_' and '-'", a.App)
	}
	switch {
	case a.Technology == "":
		v.addf("ari.technology", "is required, e.g. PJSIP")
	case !technology.MatchString(a.Technology):
		v.addf("ari.technology", "%q is not a channel technology name (letters and digits, e.g. PJSIP)", a.Technology)
	}
	if a.ReconnectMin <= 0 {
		v.addf("ari.reconnect_min", "%s must be positive, e.g. 500ms", a.ReconnectMin)
	}
	if a.ReconnectMax <= 0 {
		v.addf("ari.reconnect_max", "%s must be positive, e.g. 30s", a.ReconnectMax)
	}
	if a.ReconnectMin > a.ReconnectMax && a.ReconnectMax > 0 {
		v.addf("ari.reconnect_min", "%s is longer than ari.reconnect_max (%s)", a.ReconnectMin, a.ReconnectMax)
	}
}

// url checks that s is an absolute URL with one of the schemes and a host,
// and returns it (nil if it is not). Messages never show a password.
func (v *validator) url(path, s string, schemes ...string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold a password
		}
		v.addf(path, "not a valid URL: %v", err)
		return nil
	}
	shown := u.Redacted()
	if !strings.Contains(s, "://") || !slices.Contains(schemes, u.Scheme) {
		v.addf(path, "%q must start with %s://", shown, strings.Join(schemes, ":// or "))
		return nil
	}
	if u.Hostname() == "" {
		v.addf(path, "%q has no host", shown)
		return nil
	}
	return u
}

// secret checks one password source of section ("ari" or "redis"): at most
// one of password_env and password_file, a sane variable name, and that the
// secret can be read now.
func (v *validator) secret(section, env, file string) {
	envPath, filePath := section+".password_env", section+".password_file"
	switch {
	case env != "" && file != "":
		v.addf(filePath, "conflicts with %s: set only one of them", envPath)
	case env != "" && !envName.MatchString(env):
		// Do not echo it: it may be the password pasted in the wrong place.
		v.addf(envPath, "not a valid environment variable name (letters, digits and _); it must name the variable that holds the password, not the password itself")
	case env != "":
		if _, err := readSecret(env, ""); err != nil {
			v.addf(envPath, "%v", err)
		}
	case file != "":
		if _, err := readSecret("", file); err != nil {
			v.addf(filePath, "%v", err)
		}
	}
}

func (v *validator) http() {
	h := &v.c.HTTP
	if h.Listen == "" {
		v.addf("http.listen", "is required, e.g. 127.0.0.1:8080")
	} else if _, port, err := net.SplitHostPort(h.Listen); err != nil {
		v.addf("http.listen", "%q is not host:port, e.g. 127.0.0.1:8080 or :8080", h.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.addf("http.listen", "port %q must be a number from 0 (any free port) to 65535", port)
	}

	names := map[string]string{}  // name -> path
	hashes := map[string]string{} // lower-case hash -> path
	for i, t := range h.Tokens {
		p := fmt.Sprintf("http.tokens[%d]", i)
		switch first, dup := names[t.Name]; {
		case t.Name == "":
			v.addf(p+".name", "is required")
		case dup:
			v.addf(p+".name", "%q is already used by %s", t.Name, v.c.ref(first))
		default:
			names[t.Name] = p
		}
		switch t.Role {
		case RoleViewer, RoleSupervisor:
		case "":
			v.addf(p+".role", "is required: %s or %s", RoleViewer, RoleSupervisor)
		default:
			v.addf(p+".role", "unknown role %q: use %s or %s", t.Role, RoleViewer, RoleSupervisor)
		}
		// Never echo the value: it may be the token itself pasted by mistake.
		hash := strings.ToLower(t.SHA256)
		switch first, dup := hashes[hash]; {
		case t.SHA256 == "":
			v.addf(p+".sha256", "is required: the hex SHA-256 of the token")
		case !sha256Hex.MatchString(t.SHA256):
			v.addf(p+".sha256", "must be 64 hex characters: the SHA-256 of the token, not the token itself")
		case dup:
			v.addf(p+".sha256", "same token hash as %s", v.c.ref(first))
		default:
			hashes[hash] = p
		}
	}
}

// hotlines checks the extra hotline numbers and returns all known ones.
func (v *validator) hotlines() map[string]bool {
	known := map[string]bool{}
	for _, h := range builtinHotlines {
		known[h] = true
	}
	seen := map[string]string{}
	for i, h := range v.c.Hotlines {
		p := fmt.Sprintf("hotlines[%d]", i)
		if first, dup := seen[h]; dup {
			v.addf(p, "%q is already listed at %s", h, v.c.ref(first))
			continue
		}
		seen[h] = p
		if !digits.MatchString(h) {
			v.addf(p, "%q is not a hotline number (digits only)", h)
			continue
		}
		known[h] = true
	}
	return known
}

func (v *validator) workstations(hotlines map[string]bool) {
	ws := v.c.Workstations
	if len(ws) == 0 {
		v.addf("workstations", "at least one workstation is required")
		return
	}
	// An invalid ari.technology is reported once, not at every endpoint.
	tech, checkTech := v.c.ARI.Technology, true
	if !technology.MatchString(tech) {
		tech, checkTech = defaultTechnology, false
	}
	type use struct {
		path string // workstations[i].endpoints[j]
		ws   int
	}
	ids := map[string]string{}    // id -> path of the id
	endpoints := map[string]use{} // endpoint -> its first use
	for i, w := range ws {
		p := fmt.Sprintf("workstations[%d]", i)
		switch first, dup := ids[w.ID]; {
		case w.ID == "":
			v.addf(p+".id", "is required")
		case w.ID == "." || w.ID == "..":
			v.addf(p+".id", "%q is not allowed as an id", w.ID)
		case !urlSafe.MatchString(w.ID):
			v.addf(p+".id", "%q may contain only letters A-Z a-z, digits, '.', '_' and '-' (it is used in URLs)", w.ID)
		case dup:
			v.addf(p+".id", "%q is already used by %s", w.ID, v.c.ref(first))
		default:
			ids[w.ID] = p + ".id"
		}

		if len(w.Hotlines) == 0 {
			v.addf(p+".hotlines", `at least one hotline is required, e.g. ["122"]`)
		}
		seen := map[string]string{}
		for j, h := range w.Hotlines {
			hp := fmt.Sprintf("%s.hotlines[%d]", p, j)
			if first, dup := seen[h]; dup {
				v.addf(hp, "%q is already listed at %s", h, v.c.ref(first))
				continue
			}
			seen[h] = hp
			if !hotlines[h] {
				v.addf(hp, "unknown hotline %q: only 122 and 117 are built in; declare others in the top-level hotlines list", h)
			}
		}

		if len(w.Endpoints) == 0 {
			v.addf(p+".endpoints", `at least one endpoint is required, e.g. ["%s/op122-01"]`, tech)
		}
		for j, e := range w.Endpoints {
			ep := fmt.Sprintf("%s.endpoints[%d]", p, j)
			t, res, ok := strings.Cut(e, "/")
			if !ok || t == "" || res == "" || strings.ContainsAny(res, "/ \t") {
				v.addf(ep, "%q is not of the form TECH/resource, e.g. %s/op122-01", e, tech)
				continue
			}
			if checkTech && t != tech {
				v.addf(ep, "%q has technology %s, but ari.technology is %s", e, t, tech)
				continue
			}
			first, dup := endpoints[e]
			switch {
			case dup && first.ws == i:
				v.addf(ep, "%q is already listed at %s", e, v.c.ref(first.path))
			case dup:
				v.addf(ep, "%q is already used by workstation %s%s", e, ws[first.ws].ID, v.c.atLine(first.path))
			default:
				endpoints[e] = use{ep, i}
			}
		}

		if w.InServiceFrom != nil && w.InServiceUntil != nil && !w.InServiceUntil.After(*w.InServiceFrom) {
			v.addf(p+".in_service_until", "%s is not after in_service_from (%s)",
				w.InServiceUntil.Format(time.RFC3339), w.InServiceFrom.Format(time.RFC3339))
		}
	}
}
