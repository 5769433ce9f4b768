package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// apiError is an error meant for the supervisor: Russian first, English on
// request (Accept-Language: en or ?lang=en).
type apiError struct {
	status int
	code   string
	ru, en string
}

func (e *apiError) Error() string { return e.en }

func bad(code, ru, en string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, ru: ru, en: en}
}

var (
	errUnauthorized = &apiError{http.StatusUnauthorized, "unauthorized", "нужен действующий токен доступа (Authorization: Bearer …)", "a valid access token is required (Authorization: Bearer …)"}
	errForbidden    = &apiError{http.StatusForbidden, "forbidden", "это действие доступно только роли supervisor", "only the supervisor role may do this"}
	errNotFound     = &apiError{http.StatusNotFound, "not_found", "не найдено", "not found"}
	errUnavailable  = &apiError{http.StatusServiceUnavailable, "store_unavailable", "хранилище (Redis) недоступно, повторите позже", "the store (Redis) is unavailable, try again later"}
)

var errConflict = errors.New("conflict")

// ErrNotFound is what the store adapters return for a missing span; cmd
// wires the store's own sentinel to it.
var ErrNotFound = errors.New("not found")

// ValidationError is a store-side rejection of input (e.g. a bad category).
type ValidationError interface{ Validation() bool }

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

// writeError is the one place that maps errors to status codes.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var ve ValidationError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, ErrNotFound) || errors.Is(err, s.notFound):
		ae = errNotFound
	case errors.Is(err, s.conflict):
		ae = &apiError{http.StatusConflict, "conflict", "такая запись уже есть с другими данными", "such a record already exists with other data"}
	case errors.As(err, &ve) && ve.Validation():
		ae = bad("invalid", "неверные данные: "+err.Error(), "invalid input: "+err.Error())
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
