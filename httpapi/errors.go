package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"deskwatch/service"
)

// apiError is an error of the HTTP layer itself (token, role, path) meant
// for the supervisor: Russian first, English on request (Accept-Language:
// en or ?lang=en).
type apiError struct {
	status int
	code   string
	ru, en string
}

func (e *apiError) Error() string { return e.en }

var (
	errUnauthorized = &apiError{http.StatusUnauthorized, "unauthorized", "нужен действующий токен доступа (Authorization: Bearer …)", "a valid access token is required (Authorization: Bearer …)"}
	errForbidden    = &apiError{http.StatusForbidden, "forbidden", "это действие доступно только роли supervisor", "only the supervisor role may do this"}
	errUnavailable  = &apiError{http.StatusServiceUnavailable, "store_unavailable", "хранилище (Redis) недоступно, повторите позже", "the store (Redis) is unavailable, try again later"}
)

// statuses is the one place where a use case's failure becomes an HTTP
// status.
var statuses = map[error]int{
	service.ErrInvalid:     http.StatusBadRequest,
	service.ErrNotFound:    http.StatusNotFound,
	service.ErrConflict:    http.StatusConflict,
	service.ErrUnavailable: http.StatusServiceUnavailable,
}

// bad is a request the API cannot parse; it reads like the service's own
// refusals.
func bad(code, ru, en string) *service.Error { return service.Invalid(code, ru, en) }

func english(r *http.Request) bool {
	if l := r.URL.Query().Get("lang"); l != "" {
		return l == "en"
	}
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	return strings.HasPrefix(al, "en")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeError answers with the error's status, code and message. Only
// failures of the service's dependencies (and untyped errors, which should
// not happen) are logged: bad input is the client's business.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var se *service.Error
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &se) && statuses[se.Kind] != 0:
		ae = &apiError{statuses[se.Kind], se.Code, se.RU, se.EN}
		if se.Kind == service.ErrUnavailable {
			s.log.Error().Err(err).Str("path", r.URL.Path).Msg("request failed")
		}
	default:
		s.log.Error().Err(err).Str("path", r.URL.Path).Msg("request failed")
		ae = errUnavailable
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="deskwatch"`)
	}
	msg := ae.ru
	if english(r) {
		msg = ae.en
	}
	writeJSON(w, ae.status, map[string]string{"error": msg, "code": ae.code})
}
