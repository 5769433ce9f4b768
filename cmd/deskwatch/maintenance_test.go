package main

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"deskwatch/health"
)

type window struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Counts   bool   `json:"counts"`
	Category string `json:"category"`
	By       string `json:"by"`
	EndedBy  string `json:"ended_by"`
}

type plannedOutage struct {
	ID          string   `json:"id"`
	Workstation string   `json:"workstation"`
	Planned     bool     `json:"planned"`
	Maintenance []string `json:"maintenance"`
}

// A supervisor declares a window that does not count; an outage inside it is
// planned in the API and excluded from the figures; the window is ended
// early, and cannot then be cancelled; a viewer cannot declare one.
func TestMaintenanceAPI(t *testing.T) {
	h := liveDaemon(t, "op122-01", "op122-02")
	now := time.Now().UTC()
	body := map[string]any{"workstations": []string{"op122-01"}, "from": ts(now), "to": ts(now.Add(time.Hour)),
		"reason": "замена коммутатора", "counts": false, "category": "other"}
	if code := h.do("POST", "/api/v1/maintenance", "test-token-viewer", body, nil); code != 403 {
		t.Errorf("viewer declared: %d", code)
	}
	var w window
	if code := h.do("POST", "/api/v1/maintenance", h.token, body, &w); code != 201 || w.ID != "mw-1" || w.State != "running" || w.Counts || w.By != "duty" {
		t.Fatalf("declare: %d %+v", code, w)
	}
	bad := map[string]any{"workstations": []string{"op122-01"}, "from": ts(now.Add(-time.Hour)), "to": ts(now), "reason": "x"}
	if code := h.do("POST", "/api/v1/maintenance", h.token, bad, nil); code != 400 {
		t.Errorf("a window in the past: %d", code)
	}
	var ws struct {
		Workstations []struct {
			ID          string `json:"id"`
			Maintenance string `json:"maintenance"`
		}
	}
	h.get("/api/v1/workstations", &ws)
	if ws.Workstations[0].Maintenance != "mw-1" || ws.Workstations[1].Maintenance != "" {
		t.Errorf("workstations %+v", ws.Workstations)
	}

	if err := h.pbx.Unregister("op122-01"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("op122-01 down", func() bool { return h.desk("op122-01").State == "down" })
	// The record follows the view by one handoff (the monitor's writer).
	var outs struct{ Outages []plannedOutage }
	h.waitFor("the outage recorded", func() bool {
		outs.Outages = nil
		h.get("/api/v1/outages?workstation=op122-01", &outs)
		return len(outs.Outages) > 0
	})
	if len(outs.Outages) == 0 || !outs.Outages[0].Planned || !slices.Equal(outs.Outages[0].Maintenance, []string{"mw-1"}) {
		t.Fatalf("outages %+v", outs.Outages)
	}
	var one plannedOutage
	if code := h.get("/api/v1/outages/"+outs.Outages[0].ID, &one); code != 200 || !one.Planned {
		t.Errorf("one outage %d %+v", code, one)
	}
	period := health.QuarterOf(time.Now(), h.config().Location()).String()
	var av struct {
		Workstations []struct {
			ID           string  `json:"id"`
			UnavailableS float64 `json:"unavailable_s"`
			ExcludedS    float64 `json:"excluded_s"`
		}
	}
	h.waitFor("time excluded", func() bool {
		h.get("/api/v1/availability?period="+period, &av)
		return av.Workstations[0].ExcludedS > 0
	})
	if av.Workstations[0].UnavailableS != 0 {
		t.Errorf("planned time counted: %+v", av.Workstations[0])
	}

	var ended window
	if code := h.do("POST", "/api/v1/maintenance/mw-1/end", h.token, nil, &ended); code != 200 || ended.State != "over" || ended.EndedBy != "duty" {
		t.Fatalf("end: %d %+v", code, ended)
	}
	if code := h.do("DELETE", "/api/v1/maintenance/mw-1", h.token, nil, nil); code != 409 {
		t.Errorf("cancel after the end: %d", code)
	}
	if code := h.do("POST", "/api/v1/maintenance/mw-9/end", h.token, nil, nil); code != 404 {
		t.Errorf("unknown window: %d", code)
	}
	later := map[string]any{"all": true, "from": ts(now.Add(24 * time.Hour)), "to": ts(now.Add(25 * time.Hour)), "reason": "перенос стоек"}
	var w2 window
	if code := h.do("POST", "/api/v1/maintenance", h.token, later, &w2); code != 201 || !w2.Counts || w2.State != "scheduled" {
		t.Fatalf("declare later: %d %+v", code, w2)
	}
	if code := h.do("DELETE", "/api/v1/maintenance/"+w2.ID, h.token, nil, &w2); code != 200 || w2.State != "cancelled" {
		t.Errorf("cancel: %d %+v", code, w2)
	}
	var list struct{ Maintenance []window }
	if code := h.get("/api/v1/maintenance", &list); code != 200 || len(list.Maintenance) != 2 || list.Maintenance[0].ID != w2.ID {
		t.Errorf("list %d %+v", code, list)
	}
}

// liveDaemon runs the daemon with every phone registered and up.
func liveDaemon(t *testing.T, phones ...string) *harness {
	t.Helper()
	h := newHarness(t, phones...)
	registerAll(t, h)
	h.start()
	for _, p := range phones {
		h.waitFor(p+" up", func() bool { return h.desk(p).State == "up" })
	}
	return h
}

// On the board a supervisor declares a window for every desk, sees it in
// the list, and the tiles say плановые работы.
func TestWebMaintenanceForm(t *testing.T) {
	h, b := liveBoard(t, "op122-01")
	b.loginOK(h.token, 1)
	b.waitJS("the supervisor role", `document.body.classList.contains('supervisor')`, `document.querySelector('#who').textContent`, step)
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#outages'`))
	b.waitJS("the outages view", `!document.querySelector('#view-outages').hidden`, `location.hash`, step)
	b.click("#maint summary")
	b.waitJS("the scope options", `!!document.querySelector('#mw-scope option[value="all"]') && document.querySelector('#mw-none') && !document.querySelector('#mw-none').hidden`,
		`document.querySelector('#mw-scope').innerHTML`, step)
	loc := h.config().Location()
	// Ten minutes ahead (the form takes whole minutes): still "scheduled"
	// however long a busy machine takes to render the list.
	from, to := time.Now().Add(10*time.Minute).In(loc), time.Now().Add(2*time.Hour).In(loc)
	fill := fmt.Sprintf(`(() => { const v = {"#mw-scope": "all", "#mw-from": %q, "#mw-to": %q, "#mw-reason": %q};
		for (const [sel, val] of Object.entries(v)) { document.querySelector(sel).value = val; }
		return document.querySelector('#mw-scope').value; })()`, from.Format("2006-01-02T15:04"), to.Format("2006-01-02T15:04"), "обновление АТС")
	if got := js[string](b, fill); got != "all" {
		t.Fatalf("scope %q", got)
	}
	b.click(`#mw-form button[type=submit]`)
	b.waitJS("the window listed", `document.querySelector('#mw-msg').textContent === 'Плановые работы mw-1 объявлены.' && !!document.querySelector('#mw-list li[data-id="mw-1"][data-state="scheduled"]')`,
		`document.querySelector('#mw-msg').textContent + ' ' + document.querySelector('#mw-list').textContent`, step)
	b.screenshot("maintenance-form-1280x800.png")
	b.click(`#mw-list li[data-id="mw-1"] button[data-act="cancel"]`)
	b.waitJS("cancelled", `!!document.querySelector('#mw-list li[data-id="mw-1"][data-state="cancelled"]')`, `document.querySelector('#mw-list').textContent`, step)
}
