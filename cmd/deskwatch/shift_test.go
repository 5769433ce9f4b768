package main

import (
	"strings"
	"testing"
	"time"

	"deskwatch/health"
)

// A desk off shift is its own state in the API (on_shift: false, with its
// schedule's name), is not among the N of a period it has no shift in, and
// the board shows it "вне смены" and counts only the desks on shift.
func TestOffShiftDesk(t *testing.T) {
	h := newHarness(t, "op122-01", "op122-02")
	h.extraYAML = `schedules:
  always: {weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}}
  never: {dates: {"2000-01-03": ["09:00-18:00"]}}
`
	h.deskYAML = map[string]string{"op122-01": ", schedule: always", "op122-02": ", schedule: never"}
	h.start()
	if err := h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5100"); err != nil {
		t.Fatal(err)
	}
	var ws struct {
		Workstations []struct {
			ID       string `json:"id"`
			State    string `json:"state"`
			Schedule string `json:"schedule"`
			OnShift  *bool  `json:"on_shift"`
		}
	}
	h.waitFor("op122-01 up", func() bool { return h.desk("op122-01").State == "up" })
	h.get("/api/v1/workstations", &ws)
	for _, w := range ws.Workstations {
		if w.OnShift == nil || *w.OnShift != (w.ID == "op122-01") || w.Schedule == "" {
			t.Errorf("%s: on_shift %v, schedule %q", w.ID, w.OnShift, w.Schedule)
		}
	}
	var av struct {
		N            int
		Workstations []struct {
			ID       string `json:"id"`
			Schedule string `json:"schedule"`
		}
	}
	if code := h.get("/api/v1/availability?period="+health.QuarterOf(time.Now(), h.config().Location()).String(), &av); code != 200 || av.N != 1 || av.Workstations[0].ID != "op122-01" || av.Workstations[0].Schedule != "always" {
		t.Errorf("availability %d %+v", code, av)
	}

	b := newBrowser(t, 1280, 800)
	defer b.checkConsole()
	b.open(h.api + "/")
	b.loginOK(h.token, 2)
	b.waitJS("the off-shift tile", `document.querySelector('.tile[data-id="op122-02"]').dataset.state === 'off'`,
		`document.querySelector('.tile[data-id="op122-02"]').textContent`, step)
	if got := b.text(`.tile[data-id="op122-02"]`); !strings.Contains(got, "вне смены") || !strings.Contains(got, "never") {
		t.Errorf("tile %q", got)
	}
	if got := b.text(`.count-card[data-hotline="122"]`); got != "122: 1 из 1вне смены: 1" {
		t.Errorf("122 card %q", got)
	}
	b.click(`.lang button[data-lang="en"]`)
	b.waitJS("English", `document.querySelector('.tile[data-id="op122-02"] .word').textContent === 'off shift'`,
		`document.querySelector('.tile[data-id="op122-02"] .word').textContent`, step)
	b.screenshot("off-shift-1280x800.png")
}
