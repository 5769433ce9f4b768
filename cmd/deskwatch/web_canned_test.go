package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"deskwatch/web"
)

// cannedAPI answers the board's requests with fixed desks, for the states a
// test cannot easily make with pbxsim (SIP probes, the PBX down, blind):
// a viewer token, no report API.
func cannedAPI(t *testing.T, desks []map[string]any) *httptest.Server {
	stop := make(chan struct{})
	writeJSON := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/workstations", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"workstations": desks})
	})
	mux.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		b, _ := json.Marshal(map[string]any{"workstations": desks, "at": time.Now().UTC().Format(time.RFC3339Nano)})
		fmt.Fprintf(w, "retry: 2000\n\nid: 1\nevent: snapshot\ndata: %s\n\n", b)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})
	mux.HandleFunc("GET /api/v1/whoami", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"name": "board", "role": "viewer"})
	})
	mux.HandleFunc("POST /api/v1/outages/{id}/exclusion", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 403, map[string]string{"error": "это действие доступно только роли supervisor", "code": "forbidden"})
	})
	mux.HandleFunc("GET /api/v1/outages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"outages": []any{}})
	})
	mux.HandleFunc("GET /api/v1/availability", func(w http.ResponseWriter, r *http.Request) {
		ws := []map[string]any{}
		for _, d := range desks {
			ws = append(ws, map[string]any{"id": d["id"], "provided_s": 86400.0, "unavailable_s": 0.0, "excluded_s": 0.0, "unknown_s": 0.0, "Di": 100.0, "hotlines": d["hotlines"]})
		}
		writeJSON(w, 200, map[string]any{
			"period": map[string]string{"from": "2026-10-01T00:00:00+08:00", "to": "2027-01-01T00:00:00+08:00", "zone": "Asia/Irkutsk", "measured_to": time.Now().Format(time.RFC3339Nano)},
			"N":      len(desks), "D": 100.0, "workstations": ws, "hotlines": map[string]any{"122": map[string]any{"N": 5, "D": 100.0}},
		})
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, map[string]string{"error": "нет такого адреса API", "code": "no_route"})
	})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer canned-viewer" {
			writeJSON(w, 401, map[string]string{"error": "нужен действующий токен доступа", "code": "unauthorized"})
			return
		}
		mux.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(routes(api, web.Handler(), context.Background()))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) })
	return srv
}

// Every state and cause has its word (never colour alone), the probe's RTT
// and "probe only" show, desks group by hotline, and a viewer gets no
// supervisor actions; without a report API no report links show.
func TestWebTileDetails(t *testing.T) {
	irk, err := time.LoadLocation("Asia/Irkutsk")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-3*time.Minute - 10*time.Second)
	iso := since.UTC().Format(time.RFC3339Nano)
	desk := func(id, line, state, cause string, extra map[string]any) map[string]any {
		d := map[string]any{"id": id, "name": "АРМ " + id, "hotlines": []string{}, "state": state, "since": iso, "endpoints": []any{}}
		if line != "" {
			d["hotlines"] = []string{line}
		}
		if cause != "" {
			d["cause"] = cause
		}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	probe := func(rtt float64) map[string]any {
		return map[string]any{"endpoints": []any{map[string]any{"id": "PJSIP/x", "state": "up", "last_event_at": iso, "probe": map[string]any{"result": "ok", "code": 200, "rtt_ms": rtt, "at": iso}}}}
	}
	desks := []map[string]any{
		desk("d-up", "122", "up", "", probe(12.4)),
		desk("d-unreg", "122", "down", "unregistered", nil),
		desk("d-unreach", "122", "down", "unreachable", nil),
		desk("d-offline", "122", "down", "offline", nil),
		desk("d-missing", "122", "down", "missing", nil),
		desk("d-pbx", "117", "down", "pbx", nil),
		desk("d-unknown", "117", "unknown", "", nil),
		desk("d-probeonly", "117", "up", "", mergeMaps(probe(3.2), map[string]any{"probe_only": true})),
		desk("d-112", "112", "up", "", nil),
		desk("d-none", "", "up", "", map[string]any{"since": nil}),
	}
	srv := cannedAPI(t, desks)
	b := newBrowser(t, 1280, 800)
	defer b.checkConsole()
	b.open(srv.URL + "/")
	b.loginOK("canned-viewer", 10)
	want := map[string][]string{
		"d-up":        {"работает", "RTT 12 мс", "с " + since.In(irk).Format("15:04"), "3 мин"},
		"d-unreg":     {"не работает", "не зарегистрирован"},
		"d-unreach":   {"не работает", "не отвечает"},
		"d-offline":   {"не работает", "не в сети"},
		"d-missing":   {"не работает", "нет на АТС"},
		"d-pbx":       {"не работает", "АТС недоступна"},
		"d-unknown":   {"нет данных", "монитор не видит АТС"},
		"d-probeonly": {"работает", "RTT 3,2 мс", "только SIP-проба"},
		"d-112":       {"работает"},
		"d-none":      {"работает"},
	}
	for id, parts := range want {
		got := b.text(fmt.Sprintf(`.tile[data-id=%q]`, id))
		for _, p := range parts {
			if !strings.Contains(got, p) {
				t.Errorf("%s: tile %q lacks %q", id, got, p)
			}
		}
		// Never colour alone: an icon and a word for the state.
		if !js[bool](b, fmt.Sprintf(`!!document.querySelector('.tile[data-id=%q] .state svg') && document.querySelector('.tile[data-id=%q] .word').textContent !== ''`, id, id)) {
			t.Errorf("%s: no icon or word", id)
		}
	}
	if got := js[string](b, `[...document.querySelectorAll('.group > h2 > span:first-child')].map(e => e.textContent).join('|')`); got != "Линия 122|Линия 117|Линия 112|Без линии" {
		t.Errorf("groups %q", got)
	}
	if got := b.text(`.count-card[data-hotline="117"]`); got != "117: 1 из 3не работают: 1 · нет данных: 1" {
		t.Errorf("117 card %q", got)
	}
	b.waitJS("the viewer role", `document.querySelector('#who').textContent === 'просмотр' && !document.body.classList.contains('supervisor')`, `document.querySelector('#who').textContent`, step)
	b.screenshot("tiles-all-states-1280x800.png")

	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#quarter'`))
	b.waitJS("the quarter", `document.querySelectorAll('#q-table tbody tr').length === 10`, `document.querySelector('#q-msg').textContent`, step)
	time.Sleep(200 * time.Millisecond) // let the report check answer
	if !js[bool](b, `document.querySelector('#reports').hidden`) {
		t.Error("report links shown although the report API answers 404")
	}
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
