package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"deskwatch/health"
)

// Screenshots of the board, the outages and the quarter at 1280×800, for a
// person to look at (artifacts/ or $DESKWATCH_ARTIFACTS).
func TestWebScreenshots(t *testing.T) {
	h := newHarness(t, linePhones(10, "%02d")...)
	registerAll(t, h)
	h.start()
	h.waitFor("desks up", func() bool { return h.desk("op117-10").State == "up" })
	h.pbx.Unregister("op122-03")
	h.pbx.Unreachable("op117-07")
	h.waitFor("desks down", func() bool { return h.desk("op117-07").State == "down" && h.desk("op122-03").State == "down" })
	// Some history: a manual outage, excluded, and one counted.
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	qStart := health.QuarterOf(time.Now(), loc).Range(loc).Start
	at := func(d time.Duration) string { return qStart.Add(d).Format(time.RFC3339) }
	var sp struct{ ID string }
	if code := h.do("POST", "/api/v1/outages", h.token, map[string]string{"workstation": "op122-05", "start": at(20 * 24 * time.Hour), "end": at(20*24*time.Hour + 5*time.Hour), "cause": "нет электропитания в здании"}, &sp); code != 201 {
		t.Fatalf("manual outage: %d", code)
	}
	if code := h.do("POST", "/api/v1/outages/"+sp.ID+"/exclusion", h.token, map[string]string{"category": "power", "reason": "отключение электроснабжения в городе"}, nil); code != 200 {
		t.Fatalf("exclusion: %d", code)
	}
	if code := h.do("POST", "/api/v1/outages", h.token, map[string]string{"workstation": "op117-02", "start": at(40 * 24 * time.Hour), "end": at(41 * 24 * time.Hour), "cause": "не загружается компьютер оператора"}, nil); code != 201 {
		t.Fatalf("manual outage: %d", code)
	}

	b := newBrowser(t, 1280, 800)
	defer b.checkConsole()
	b.open(h.api + "/")
	b.screenshot("login-1280x800.png")
	b.loginOK(h.token, 20)
	b.screenshot("board-1280x800.png")
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#outages'`))
	b.waitJS("outages listed", `document.querySelectorAll('#out-table tbody tr').length >= 4`, `document.querySelector('#out-status').textContent`, step)
	b.screenshot("outages-1280x800.png")
	b.click("#manual summary")
	b.fullScreenshot("outages-form-full-1280.png")
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#quarter'`))
	b.waitJS("the quarter", `document.querySelectorAll('#q-table tbody tr').length === 20 && document.querySelectorAll('#timeline rect.counted').length >= 3`, `document.querySelector('#q-measured').textContent`, step)
	b.waitJS("the report links (the report API answers)", `!document.querySelector('#reports').hidden && document.querySelectorAll('#report-links a').length === 4`, `document.querySelector('#reports').hidden`, step)
	b.screenshot("quarter-1280x800.png")
	b.fullScreenshot("quarter-full-1280.png")
	b.click(`.lang button[data-lang="en"]`)
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#board'`))
	b.waitJS("English", `document.querySelector('.tile[data-id="op122-03"] .word').textContent === 'not working'`, `document.documentElement.lang`, step)
	b.screenshot("board-en-1280x800.png")
}

// 200 desks on a 1920×1080 wall screen: compact tiles, wall mode.
func TestWebWall200Desks(t *testing.T) {
	h := newHarness(t, linePhones(100, "%03d")...)
	registerAll(t, h)
	h.start()
	h.waitFor("desks up", func() bool { return h.desk("op117-100").State == "up" })
	for _, p := range []string{"op122-007", "op122-042", "op117-013", "op117-099"} {
		h.pbx.Unregister(p)
	}
	h.pbx.Unreachable("op122-080")
	h.waitFor("desks down", func() bool { return h.desk("op122-080").State == "down" })

	b := newBrowser(t, 1920, 1080)
	defer b.checkConsole()
	b.open(h.api + "/")
	b.loginOK(h.token, 200)
	b.waitJS("the counts", `document.querySelector('.count-card[data-hotline="122"] .big').textContent === '122: 97 из 100' && document.querySelector('.count-card[data-hotline="117"] .big').textContent === '117: 98 из 100'`,
		`document.querySelector('#summary').textContent`, step)
	if !js[bool](b, `document.querySelector('#view-board').classList.contains('board-compact')`) {
		t.Error("200 desks should use compact tiles")
	}
	b.screenshot("board-1920x1080-200desks.png")
	b.click("#wall-toggle")
	b.waitJS("wall mode", `document.body.classList.contains('wall') && getComputedStyle(document.querySelector('#out-filters')).display === 'none' && getComputedStyle(document.querySelector('.tabs')).display === 'none'`, `document.body.className`, step)
	b.screenshot("wall-1920x1080-200desks.png")
	// Wall mode is remembered.
	b.do(chromedp.Reload())
	b.waitJS("wall mode after reload", `document.body.classList.contains('wall') && document.querySelectorAll('#groups .tile').length === 200`, `document.body.className`, step)
	// Bounded: the whole board fits on the wall screen.
	if h := js[float64](b, `document.documentElement.scrollHeight`); h > 1080 {
		t.Errorf("wall page is %v px high: want it to fit 1080", h)
	}
}

// linePhones names n phones on line 122 and n on line 117, numbered from 1
// in the given format ("%02d": op122-01 …).
func linePhones(n int, number string) []string {
	var phones []string
	for _, l := range []string{"122", "117"} {
		for i := 1; i <= n; i++ {
			phones = append(phones, fmt.Sprintf("op%s-"+number, l, i))
		}
	}
	return phones
}
