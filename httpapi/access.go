package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"deskwatch/accesslog"
)

// AccessRecorder takes access records (*accesslog.Log); Record must not
// block.
type AccessRecorder interface {
	Record(accesslog.Record)
	Health() accesslog.Health
}

// AccessReader reads the access log (*service.Access).
type AccessReader interface {
	AccessRecords(ctx context.Context, q accesslog.Query) (accesslog.Page, error)
}

// Access configures the access log (152-FZ): who read personal data.
type Access struct {
	// Log takes a record of every authenticated request to a route that
	// is not in unlogged, refused by role or not.
	Log AccessRecorder
	// Reader, if set, serves GET /api/v1/access-log.
	Reader AccessReader
	// TrustedProxies may set the client's address with X-Forwarded-For;
	// the header from any other peer is ignored.
	TrustedProxies []netip.Prefix
}

// unlogged are the authenticated routes that return no personal data.
// Every other route is logged, so a route added later is logged unless it
// is put here.
var unlogged = map[string]bool{
	"GET /metrics":             true,
	"GET /api/v1/openapi.json": true,
	"GET /api/v1/whoami":       true, // the caller's own name
}

// selectors are the query parameters that select data, recorded as asked.
var selectors = []string{"period", "from", "to", "workstation", "hotline", "open", "version", "actor", "limit", "cursor"}

const maxParam = 256 // bytes of one recorded parameter

// accessRoutes are whoami and, with a reader, the access log itself.
func (s *Server) accessRoutes() []route {
	rs := []route{{"GET", "/api/v1/whoami", roleViewer, s.whoami}}
	if a := s.opt.Access; a != nil && a.Reader != nil {
		rs = append(rs, route{"GET", "/api/v1/access-log", roleSupervisor, s.accessLog})
	}
	return rs
}

// whoami is the token's name and role, for the board's header.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	writeJSON(w, http.StatusOK, map[string]string{"name": c.Name, "role": c.Role})
}

// accessLog answers GET /api/v1/access-log?from=&to=&actor= (or period),
// oldest first, paginated.
func (s *Server) accessLog(w http.ResponseWriter, r *http.Request) {
	iv, err := s.rangeParams(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The position is the last stream id read, which may be past the
	// last record shown (records are filtered by time and actor): a page
	// may be short, even empty, and still have a next one.
	pg, err := readPage(r)
	var after string
	if err == nil {
		_, err = pg.position(&after)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.opt.Access.Reader.AccessRecords(r.Context(), accesslog.Query{From: iv.Start, To: iv.End, Actor: r.URL.Query().Get("actor"), Limit: pg.limit, After: after})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	next := ""
	if p.Next != "" {
		next = pg.next(w, r, p.Next)
	}
	writeList(w, "access_log", p.Records, func(rec accesslog.Record) any { return rec }, next)
}

type accessKey struct{}

// noteCaller tells the access log who the token is, before the role is
// checked, so that a refused request is recorded too.
func noteCaller(r *http.Request, c Caller) {
	if p, ok := r.Context().Value(accessKey{}).(*Caller); ok {
		*p = c
	}
}

// logged wraps an authenticated route (auth inside) so that each request
// whose token was valid leaves a record: at the end, or for an event
// stream when its snapshot is flushed.
func (s *Server) logged(rt route, h http.Handler) http.Handler {
	a := s.opt.Access
	pattern := rt.method + " " + rt.path
	if a == nil || a.Log == nil || unlogged[pattern] {
		return h
	}
	wildcards := pathWildcards(rt.path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var who Caller
		done := false
		record := func(cw *countingWriter) {
			if done || who.Name == "" {
				return // recorded already, or no valid token (401)
			}
			done = true
			client, remote, xff := clientAddr(r, a.TrustedProxies)
			a.Log.Record(accesslog.Record{Time: start, Actor: who.Name, Role: who.Role, Client: client, Remote: remote, ForwardedFor: xff,
				Method: r.Method, Route: pattern, Path: r.URL.Path, Params: selected(r, wildcards), Status: cw.code(), Bytes: cw.n})
		}
		cw := &countingWriter{ResponseWriter: w, onFlush: record}
		h.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), accessKey{}, &who)))
		record(cw)
	})
}

// pathWildcards are the {names} in a route's path.
func pathWildcards(path string) []string {
	var names []string
	for _, seg := range strings.Split(path, "/") {
		if n, ok := strings.CutPrefix(seg, "{"); ok {
			names = append(names, strings.TrimSuffix(strings.TrimSuffix(n, "}"), "..."))
		}
	}
	return names
}

// selected are the ids in the path and the selecting query parameters.
func selected(r *http.Request, wildcards []string) map[string]string {
	var m map[string]string
	set := func(k, v string) {
		if v == "" {
			return
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = clip(v)
	}
	for _, n := range wildcards {
		set(n, r.PathValue(n))
	}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		for _, k := range selectors {
			set(k, strings.Join(q[k], ","))
		}
	}
	return m
}

// clientAddr is the client's address, the peer's, and X-Forwarded-For when
// the peer is a trusted proxy: then the client is the nearest address in
// the header that is not a trusted proxy itself.
func clientAddr(r *http.Request, trusted []netip.Prefix) (client, remote, xff string) {
	remote = r.RemoteAddr
	if host, _, err := net.SplitHostPort(remote); err == nil {
		remote = host
	}
	peer, err := netip.ParseAddr(remote)
	xff = strings.Join(r.Header.Values("X-Forwarded-For"), ", ")
	if err != nil || xff == "" || !isTrusted(peer, trusted) {
		return remote, remote, ""
	}
	client = remote
	hops := strings.Split(xff, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // not an address: trust nothing before it
		}
		client = hop.Unmap().String()
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return client, remote, clip(xff)
}

// clip bounds what a client may make a record hold.
func clip(s string) string {
	if len(s) > maxParam {
		return strings.ToValidUTF8(s[:maxParam], "")
	}
	return s
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// countingWriter counts the bytes sent and keeps the status; an event
// stream's first flush (its snapshot) calls onFlush.
type countingWriter struct {
	http.ResponseWriter
	status  int
	n       int64
	onFlush func(*countingWriter)
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// Flush keeps event streams working through the wrapper.
func (w *countingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	if w.onFlush != nil {
		w.onFlush(w)
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *countingWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// accessHealth adds the access log's state to /healthz, and the warning
// access_log_failing (with the last error) while its writes fail.
func (s *Server) accessHealth(body map[string]any) {
	a := s.opt.Access
	if a == nil || a.Log == nil {
		return
	}
	h := a.Log.Health()
	body["access_log"] = map[string]any{"writes_ok": h.OK, "queued": h.Queued, "written": h.Written, "failed": h.Failed, "dropped": h.Dropped}
	if h.OK {
		return
	}
	warn, _ := body["warnings"].(map[string][]string)
	if warn == nil {
		warn = map[string][]string{}
		body["warnings"] = warn
	}
	warn["access_log_failing"] = []string{h.LastError}
}
