package pbxsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

const asteriskVersion = "22.10.1"

// ServeHTTP routes /ari/... like res_ari: authentication first (HTTP Basic,
// else ?api_key=user:pass), then the path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "Asterisk/"+asteriskVersion)
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		writeError(w, http.StatusUnauthorized, "Authentication required")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/ari/")
	if !ok {
		writeError(w, http.StatusNotFound, "Resource not found")
		return
	}
	if strings.HasSuffix(path, "/") {
		writeError(w, http.StatusNotFound, "ARI URLs do not end with a slash. Try /ari/"+strings.TrimSuffix(path, "/"))
		return
	}
	seg := strings.Split(path, "/")
	method := func(allowed ...string) bool {
		if slices.Contains(allowed, r.Method) {
			return true
		}
		w.Header().Set("Allow", strings.Join(allowed, ","))
		writeError(w, http.StatusMethodNotAllowed, "Invalid method")
		return false
	}
	switch {
	case seg[0] == "events" && len(seg) == 1:
		if method(http.MethodGet) {
			s.handleEvents(w, r)
		}
	case seg[0] == "endpoints" && len(seg) <= 3:
		if method(http.MethodGet) {
			s.handleEndpoints(w, seg[1:])
		}
	case path == "asterisk/info":
		if method(http.MethodGet) {
			s.handleInfo(w)
		}
	case len(seg) == 6 && seg[0] == "asterisk" && seg[1] == "config" && seg[2] == "dynamic":
		if method(http.MethodGet) {
			s.handleConfig(w, seg[3], seg[4], seg[5])
		}
	case seg[0] == "applications" && len(seg) <= 2:
		if method(http.MethodGet) {
			s.handleApplications(w, seg[1:])
		}
	case seg[0] == "applications" && len(seg) == 3 && seg[2] == "subscription":
		if method(http.MethodPost, http.MethodDelete) {
			s.handleSubscription(w, r, seg[1])
		}
	default:
		writeError(w, http.StatusNotFound, "Resource not found")
	}
}

func (s *Server) authorized(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return u == s.opts.Username && p == s.opts.Password
	}
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, "api_key") && len(v) > 0 {
			u, p, ok := strings.Cut(v[0], ":")
			return ok && u == s.opts.Username && p == s.opts.Password
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"message":"Allocation failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"message": msg})
}

type endpointJSON struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state"`
	ChannelIDs []string `json:"channel_ids"`
}

func (ep *endpoint) json() endpointJSON {
	return endpointJSON{Technology: tech, Resource: ep.resource, State: ep.stateName(), ChannelIDs: []string{}}
}

// handleEndpoints: GET /endpoints[/{tech}[/{resource}]]. Lists come in
// reverse configuration order, as ari-endpoints.json shows.
func (s *Server) handleEndpoints(w http.ResponseWriter, args []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(args) >= 1 && !strings.EqualFold(args[0], tech) {
		if len(args) == 2 {
			writeError(w, http.StatusNotFound, "Endpoint not found")
		} else {
			writeError(w, http.StatusNotFound, "No Endpoints found - invalid tech "+args[0])
		}
		return
	}
	if len(args) == 2 {
		ep := s.eps[args[1]]
		if ep == nil {
			writeError(w, http.StatusNotFound, "Endpoint not found")
			return
		}
		writeJSON(w, http.StatusOK, ep.json())
		return
	}
	out := make([]endpointJSON, 0, len(s.order))
	for i := len(s.order) - 1; i >= 0; i-- {
		out = append(out, s.eps[s.order[i]].json())
	}
	writeJSON(w, http.StatusOK, out)
}

type infoJSON struct {
	Build struct {
		OS      string `json:"os"`
		Kernel  string `json:"kernel"`
		Machine string `json:"machine"`
		Options string `json:"options"`
		Date    string `json:"date"`
		User    string `json:"user"`
	} `json:"build"`
	System struct {
		Version  string `json:"version"`
		EntityID string `json:"entity_id"`
	} `json:"system"`
	Config struct {
		Name            string `json:"name"`
		DefaultLanguage string `json:"default_language"`
		SetID           struct {
			User  string `json:"user"`
			Group string `json:"group"`
		} `json:"setid"`
	} `json:"config"`
	Status struct {
		StartupTime    string `json:"startup_time"`
		LastReloadTime string `json:"last_reload_time"`
	} `json:"status"`
}

// handleInfo: GET /asterisk/info like ari-asterisk-info.json; startup_time
// (and last_reload_time) is when Start or Restart brought the server up.
func (s *Server) handleInfo(w http.ResponseWriter) {
	var info infoJSON
	b := &info.Build
	b.OS, b.Kernel, b.Machine, b.Options, b.Date, b.User = "Linux", "6.18.44-fc-v782", "x86_64", "OPTIONAL_API", "2026-11-27 15:56:15 UTC", "root"
	info.System.Version, info.System.EntityID = asteriskVersion, s.opts.AsteriskID
	info.Config.DefaultLanguage = "en"
	s.mu.Lock()
	info.Status.StartupTime = s.startup.UTC().Format(TimeFormat)
	s.mu.Unlock()
	info.Status.LastReloadTime = info.Status.StartupTime
	writeJSON(w, http.StatusOK, info)
}

type attr struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

// handleConfig: GET /asterisk/config/dynamic/res_pjsip/aor/{id}, with the
// attributes of aor-op122-01-registered.json in their order.
func (s *Server) handleConfig(w http.ResponseWriter, class, typ, id string) {
	if class != "res_pjsip" {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Configuration class '%s' not found", class))
		return
	}
	if typ != "aor" {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Configuration option type '%s' not found", typ))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := s.eps[id]
	if ep == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Object with id '%s' not found", id))
		return
	}
	writeJSON(w, http.StatusOK, []attr{
		{"minimum_expiration", "30"},
		{"default_expiration", "60"},
		{"qualify_timeout", "3.000000"},
		{"qualify_2xx_only", "false"},
		{"mailboxes", ""},
		{"support_path", "false"},
		{"remove_unavailable", "false"},
		{"voicemail_extension", ""},
		{"max_contacts", "1"},
		{"authenticate_qualify", "false"},
		{"contact", ep.contact},
		{"maximum_expiration", "3600"},
		{"qualify_frequency", strconv.Itoa(ep.qualify)},
		{"remove_existing", "true"},
		{"outbound_proxy", ""},
	})
}

type applicationJSON struct {
	Name             string            `json:"name"`
	ChannelIDs       []string          `json:"channel_ids"`
	BridgeIDs        []string          `json:"bridge_ids"`
	EndpointIDs      []string          `json:"endpoint_ids"`
	DeviceNames      []string          `json:"device_names"`
	EventsAllowed    []json.RawMessage `json:"events_allowed"`
	EventsDisallowed []json.RawMessage `json:"events_disallowed"`
}

// json renders the application like run2-applications.json: subscribeAll
// shows the __AST_*_ALL_TOPIC ids, subscriptions are sorted.
func (a *application) json() applicationJSON {
	out := applicationJSON{Name: a.name, ChannelIDs: []string{}, BridgeIDs: []string{},
		EndpointIDs: []string{}, DeviceNames: []string{},
		EventsAllowed: []json.RawMessage{}, EventsDisallowed: []json.RawMessage{}}
	if a.all {
		out.ChannelIDs = append(out.ChannelIDs, "__AST_CHANNEL_ALL_TOPIC")
		out.BridgeIDs = append(out.BridgeIDs, "__AST_BRIDGE_ALL_TOPIC")
		out.EndpointIDs = append(out.EndpointIDs, "__AST_ENDPOINT_ALL_TOPIC")
		out.DeviceNames = append(out.DeviceNames, "__AST_DEVICE_STATE_ALL_TOPIC")
	}
	var eps, devs []string
	for t := range a.techs {
		eps = append(eps, t)
	}
	for e := range a.endpoints {
		eps = append(eps, e)
	}
	for d := range a.devices {
		devs = append(devs, d)
	}
	sort.Strings(eps)
	sort.Strings(devs)
	out.EndpointIDs = append(out.EndpointIDs, eps...)
	out.DeviceNames = append(out.DeviceNames, devs...)
	return out
}

func (s *Server) handleApplications(w http.ResponseWriter, args []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(args) == 1 {
		a := s.apps[args[0]]
		if a == nil {
			writeError(w, http.StatusNotFound, "Application not found")
			return
		}
		writeJSON(w, http.StatusOK, a.json())
		return
	}
	out := make([]applicationJSON, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, a.json())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, out)
}

// handleSubscription: POST/DELETE /applications/{app}/subscription
// ?eventSource=a,b (repeatable), with resource_applications.c's errors.
func (s *Server) handleSubscription(w http.ResponseWriter, r *http.Request, name string) {
	_ = r.ParseForm()
	var sources []string
	for _, v := range r.Form["eventSource"] {
		for _, src := range strings.Split(v, ",") {
			if src = strings.TrimSpace(src); src != "" {
				sources = append(sources, src)
			}
		}
	}
	if len(sources) == 0 {
		writeError(w, http.StatusBadRequest, "Missing parameter eventSource")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[name]
	if a == nil {
		writeError(w, http.StatusNotFound, "Application not found")
		return
	}
	subscribe := r.Method == http.MethodPost
	type target struct {
		set map[string]bool
		key string
	}
	targets := make([]target, 0, len(sources))
	for _, src := range sources {
		scheme, id, _ := strings.Cut(src, ":")
		var t target
		switch scheme {
		case "endpoint":
			tc, res, single := strings.Cut(id, "/")
			if !strings.EqualFold(tc, tech) || (single && s.eps[res] == nil) {
				break
			}
			if single {
				t = target{a.endpoints, tech + "/" + res}
			} else {
				t = target{a.techs, tech}
			}
		case "deviceState":
			if id != "" {
				t = target{a.devices, id}
			}
		case "channel", "bridge": // this PBX has no channels or bridges
		default:
			writeError(w, http.StatusBadRequest, "Invalid event source URI scheme")
			return
		}
		if t.set == nil || (!subscribe && !t.set[t.key]) {
			msg := "Event source does not exist"
			if !subscribe {
				msg = "Event source was not subscribed to"
			}
			writeError(w, http.StatusUnprocessableEntity, msg)
			return
		}
		targets = append(targets, t)
	}
	for _, t := range targets {
		if subscribe {
			t.set[t.key] = true
		} else {
			delete(t.set, t.key)
		}
	}
	s.log.Debug().Str("app", name).Bool("subscribe", subscribe).Strs("sources", sources).Msg("subscription")
	writeJSON(w, http.StatusOK, a.json())
}
