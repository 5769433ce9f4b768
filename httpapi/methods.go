package httpapi

import (
	"fmt"
	"net/http"
	"strings"
)

// catchAll is the pattern of noRoute. ServeMux answers 405 itself only when
// no pattern matches the path, and this one matches every path: so noRoute
// asks the mux which other methods the path has.
const catchAll = "/"

var errNoRoute = &apiError{http.StatusNotFound, "no_route", "нет такого адреса API", "no such API path"}

// methods are those a route may be registered with (HEAD comes with GET).
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// noRoute answers a request no route took: 405 with Allow when the path is
// served under other methods, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	allow := s.allowed(r)
	if len(allow) == 0 {
		s.writeError(w, r, errNoRoute)
		return
	}
	list := strings.Join(allow, ", ")
	w.Header().Set("Allow", list)
	s.writeError(w, r, &apiError{http.StatusMethodNotAllowed, "method_not_allowed",
		fmt.Sprintf("метод %s для этого адреса не поддерживается; допустимы: %s", r.Method, list),
		fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, list)})
}

// allowed lists the methods a route serves r's path with.
func (s *Server) allowed(r *http.Request) []string {
	var out []string
	for _, m := range methods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); pattern != catchAll {
			out = append(out, m)
		}
	}
	return out
}
