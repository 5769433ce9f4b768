package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"deskwatch/health"
)

// The supervisors' board, driven in a real headless Chromium against the
// real daemon (pbxsim + redis-server), as a person would use it.

// liveBoard runs the daemon with every phone registered and every desk up,
// and opens the board in a 1280×800 browser (not logged in yet). The
// browser's console is checked when the test ends.
func liveBoard(t *testing.T, phones ...string) (*harness, *browser) {
	t.Helper()
	h := liveDaemon(t, phones...)
	b := newBrowser(t, 1280, 800)
	t.Cleanup(b.checkConsole)
	b.open(h.api + "/")
	return h, b
}

func registerAll(t *testing.T, h *harness) {
	t.Helper()
	for i, p := range h.phones {
		if err := h.pbx.Register(p, fmt.Sprintf("sip:%s@127.0.0.1:%d", p, 5100+i)); err != nil {
			t.Fatal(err)
		}
	}
}

// A wrong token is refused with a clear message and the form stays; the
// right one shows the board. The language switch is remembered, a viewer
// gets no supervisor actions, and logout forgets the token.
func TestWebLoginAndBoard(t *testing.T) {
	h, b := liveBoard(t, "op122-01", "op122-02", "op117-01")
	if got := b.text("#login-form h1"); got != "Вход" {
		t.Fatalf("login title %q: want Russian first", got)
	}

	b.login("not-the-token")
	b.waitJS("the refusal", `document.querySelector('#login-msg').textContent.includes('Токен не принят')`, `document.querySelector('#login-msg').textContent`, step)
	if !js[bool](b, `document.body.classList.contains('logged-out') && getComputedStyle(document.querySelector('#login-form')).display !== 'none' && sessionStorage.getItem('deskwatch.token') === null`) {
		t.Fatal("after a wrong token the form must stay and nothing be stored")
	}

	b.loginOK(h.token, 3)
	for _, id := range []string{"op122-01", "op122-02", "op117-01"} {
		if w := b.tileWord(id); w != "работает" {
			t.Errorf("%s shows %q", id, w)
		}
	}
	if got := b.text(`.count-card[data-hotline="122"] .big`); got != "122: 2 из 2" {
		t.Errorf("count card %q", got)
	}
	if got := b.text(`.group[data-hotline="117"] h2`); !strings.Contains(got, "Линия 117") {
		t.Errorf("group heading %q", got)
	}
	if js[bool](b, `location.href.includes('test-token')`) || js[string](b, `sessionStorage.getItem('deskwatch.token')`) != h.token {
		t.Fatal("the token must be in sessionStorage and never in the URL")
	}
	b.waitJS("the supervisor role", `document.body.classList.contains('supervisor') && document.querySelector('#who').textContent === 'руководитель смены'`, `document.querySelector('#who').textContent`, step)
	b.waitJS("who is signed in", `document.querySelector('#who-name').textContent === 'пользователь: duty'`, `document.querySelector('#who-name').textContent`, step)

	// Every key exists in both languages and every labelled element has text.
	if bad := js[string](b, `(() => {
		const d = window.DW_I18N, ru = Object.keys(d.ru), en = Object.keys(d.en);
		const miss = ru.filter(k => !(k in d.en)).concat(en.filter(k => !(k in d.ru)));
		document.querySelectorAll('[data-i18n]').forEach(e => { if (!(e.dataset.i18n in d.ru)) miss.push(e.dataset.i18n); });
		return miss.join(',');
	})()`); bad != "" {
		t.Fatalf("i18n keys missing in a language: %s", bad)
	}

	// English, remembered across a reload (the token too: same tab).
	b.click(`.lang button[data-lang="en"]`)
	b.waitJS("English tiles", `document.querySelector('.tile[data-id="op122-01"] .word').textContent === 'working'`, `document.querySelector('.tile .word').textContent`, step)
	b.do(chromedp.Reload())
	b.waitJS("English after reload", `document.documentElement.lang === 'en' && document.querySelectorAll('#groups .tile').length === 3 && document.querySelector('.tile[data-id="op117-01"] .word').textContent === 'working'`,
		`document.documentElement.lang + ' ' + document.body.className`, step)
	if got := b.text(`.count-card[data-hotline="117"] .big`); got != "117: 1 of 1" {
		t.Errorf("English count card %q", got)
	}
	// No Russian left in the page's own text (desk names are data: skip the tiles).
	if ru := js[string](b, `(() => {
		const clone = document.body.cloneNode(true);
		clone.querySelectorAll('.tile, .what, option, #out-table, #q-table, #timeline').forEach(e => e.remove());
		const m = clone.textContent.match(/[А-Яа-яЁё]+/g);
		return m ? m.join(' ') : '';
	})()`); ru != "" {
		t.Errorf("Russian words left in the English page: %s", ru)
	}
	b.click(`.lang button[data-lang="ru"]`)
	b.waitJS("Russian again", `document.querySelector('.tile[data-id="op122-01"] .word').textContent === 'работает'`, `document.documentElement.lang`, step)

	// Logout forgets the token and shows the form.
	b.click("#logout")
	b.waitJS("the login form after logout", `document.body.classList.contains('logged-out') && sessionStorage.getItem('deskwatch.token') === null && document.querySelectorAll('.tile').length === 0`, `document.body.className`, step)

	// A viewer sees the board and the outages, without the supervisor's actions.
	b.loginOK("test-token-viewer", 3)
	b.waitJS("the viewer role", `document.querySelector('#who').textContent === 'просмотр'`, `document.querySelector('#who').textContent`, step)
	b.waitJS("the viewer's name", `document.querySelector('#who-name').textContent === 'пользователь: board'`, `document.querySelector('#who-name').textContent`, step)
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#outages'`))
	b.waitJS("the outages view", `!document.querySelector('#view-outages').hidden && document.querySelector('#out-status').textContent !== '' && !document.querySelector('#out-status').textContent.includes('Загрузка')`, `document.querySelector('#out-status').textContent`, step)
	if js[bool](b, `document.body.classList.contains('supervisor') || getComputedStyle(document.querySelector('#manual')).display !== 'none'`) {
		t.Fatal("a viewer must not see the supervisor's forms")
	}
}

// A phone dropping turns its tile to "не работает" within a second, live:
// the page is not reloaded (a variable set before is still there).
func TestWebTileGoesDownLive(t *testing.T) {
	h, b := liveBoard(t, "op122-01", "op117-01")
	b.loginOK(h.token, 2)
	b.do(chromedp.Evaluate[chromedp.Void](`window.__dwNotReloaded = 'kept'`))

	start := time.Now()
	if err := h.pbx.Unregister("op122-01"); err != nil {
		t.Fatal(err)
	}
	b.waitJS("the tile down", `document.querySelector('.tile[data-id="op122-01"] .word').textContent === 'не работает'`,
		`document.querySelector('.tile[data-id="op122-01"]').textContent`, time.Second)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("the tile turned after %v: want within 1 s", d)
	}
	tile := b.text(`.tile[data-id="op122-01"]`)
	for _, want := range []string{"не зарегистрирован", "с ", "с"} {
		if !strings.Contains(tile, want) {
			t.Errorf("tile %q lacks %q", tile, want)
		}
	}
	if st := js[string](b, `document.querySelector('.tile[data-id="op122-01"]').dataset.state`); st != "down" {
		t.Errorf("tile state %q", st)
	}
	if got := b.text(`.count-card[data-hotline="122"] .big`); got != "122: 0 из 1" {
		t.Errorf("count card %q", got)
	}
	if got := js[string](b, `String(window.__dwNotReloaded)`); got != "kept" {
		t.Fatal("the page was reloaded")
	}
	if err := h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5100"); err != nil {
		t.Fatal(err)
	}
	b.waitJS("the tile up again", `document.querySelector('.tile[data-id="op122-01"] .word').textContent === 'работает'`, `document.querySelector('.tile[data-id="op122-01"]').textContent`, time.Second)
	if js[string](b, `String(window.__dwNotReloaded)`) != "kept" {
		t.Fatal("the page was reloaded")
	}
}

// A supervisor records a manual outage and excludes it from the page; the
// availability shown changes accordingly; an API error is shown; the
// exclusion can be revoked.
func TestWebSupervisorExcludesOutage(t *testing.T) {
	h, b := liveBoard(t, "op122-01", "op117-01")
	b.loginOK(h.token, 2)
	b.waitJS("the supervisor role", `document.body.classList.contains('supervisor')`, `document.querySelector('#who').textContent`, step)

	// A failure the monitor could not see, five hours, typed in Irkutsk time.
	loc, err := time.LoadLocation("Asia/Irkutsk")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	qStart := health.QuarterOf(now, loc).Range(loc).Start
	from := now.Add(-6 * time.Hour).Truncate(time.Second)
	if from.Before(qStart) {
		from = qStart.Add(time.Second)
	}
	to := now.Add(-time.Hour).Truncate(time.Second)
	if !to.After(from) {
		to = now.Add(-time.Second)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#outages'`))
	b.waitJS("the outages view", `!document.querySelector('#view-outages').hidden && document.querySelector('#out-status').textContent.includes('нет')`, `document.querySelector('#out-status').textContent`, step)
	b.click("#manual summary")
	b.do(chromedp.WaitVisible(chromedp.CSS("#m-cause")))
	// One script fills the form: the page re-renders the desk options on
	// live updates, and node-by-node SetValue can race that.
	b.waitJS("the desk in the form", `!!document.querySelector('#m-desk option[value="op122-01"]')`, `document.querySelector('#m-desk').innerHTML`, step)
	fill := fmt.Sprintf(`(() => { const v = {"#m-desk": %q, "#m-start": %q, "#m-end": %q, "#m-cause": %q, "#m-note": %q};
		for (const [sel, val] of Object.entries(v)) { document.querySelector(sel).value = val; }
		return document.querySelector('#m-desk').value; })()`,
		"op122-01", from.In(loc).Format("2006-01-02T15:04:05"), to.In(loc).Format("2006-01-02T15:04:05"), "не загружается компьютер оператора", "заменён блок питания")
	if got := js[string](b, fill); got != "op122-01" {
		t.Fatalf("form desk %q", got)
	}
	b.click(`#manual-form button[type=submit]`)
	b.waitJS("the manual outage listed", `document.querySelector('#manual-msg').textContent === 'Отказ записан.' && document.querySelector('#out-table tr[data-ws="op122-01"]')`,
		`document.querySelector('#manual-msg').textContent`, step)
	o := h.outagesOf("op122-01")
	if len(o) != 1 || !o[0].Manual || o[0].Start != ts(from) || o[0].End == nil || *o[0].End != ts(to) {
		t.Fatalf("stored outage %+v: want %s..%s manual", o, ts(from), ts(to))
	}
	row := fmt.Sprintf(`#out-table tr[data-id=%q]`, o[0].ID)
	if got := b.text(row); !strings.Contains(got, "не загружается компьютер оператора") || !strings.Contains(got, "5 ч 0 мин") && from.Equal(now.Add(-6*time.Hour).Truncate(time.Second)) {
		t.Errorf("row %q", got)
	}

	// The quarter before the exclusion.
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#quarter'`))
	di := `#q-table tr[data-id="op122-01"] td.di`
	b.waitJS("Di below 100", fmt.Sprintf(`document.querySelector('%s') && +document.querySelector('%s').dataset.di < 100`, di, di), `document.querySelector('#q-measured').textContent`, step)
	before := b.text(di)
	beforeD := b.text("#q-D")
	if !strings.HasPrefix(before, "99,") || b.text(`#q-table tr[data-id="op117-01"] td.di`) != "100,000\u00a0%" {
		t.Fatalf("Di before: %q, op117-01 %q", before, b.text(`#q-table tr[data-id="op117-01"] td.di`))
	}
	if !js[bool](b, `document.querySelectorAll('#timeline rect.counted').length === 1 && document.querySelectorAll('#timeline rect.excluded').length === 0`) {
		t.Error("the timeline should show one counted outage")
	}

	// Exclude it; first with no reason: the API's error is shown.
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#outages'`))
	b.click(row + ` button[data-act="exclude"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("#ex-reason")))
	b.click("#ex-submit")
	b.waitJS("the API's error", `document.querySelector('#ex-msg').textContent.includes('обоснование') && document.querySelector('#dlg-exclude').open`, `document.querySelector('#ex-msg').textContent`, step)
	b.setValue("#ex-category", "power")
	b.setValue("#ex-reason", "отключение электроснабжения в городе")
	b.setValue("#ex-by", "Иванов И.И.")
	b.click("#ex-submit")
	b.waitJS("the outage excluded", fmt.Sprintf(`!document.querySelector('#dlg-exclude').open && document.querySelector('%s').classList.contains('excluded')`, row), `document.querySelector('#ex-msg').textContent`, step)
	if got := b.text(row); !strings.Contains(got, "отключение электроснабжения") || !strings.Contains(got, "Иванов И.И.") {
		t.Errorf("excluded row %q", got)
	}
	// The excluded filter works in the page.
	b.setValue("#f-excluded", "false")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-excluded').dispatchEvent(new Event('change'))`))
	b.waitJS("the excluded filter", fmt.Sprintf(`!document.querySelector('%s')`, row), `document.querySelector('#out-status').textContent`, step)
	b.setValue("#f-excluded", "")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-excluded').dispatchEvent(new Event('change'))`))

	// The availability shown changes.
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#quarter'`))
	b.waitJS("Di back to 100", fmt.Sprintf(`+document.querySelector('%s').dataset.di === 100`, di), di+"", step)
	if after := b.text(di); after != "100,000\u00a0%" || after == before {
		t.Fatalf("Di after the exclusion %q (before %q)", after, before)
	}
	if afterD := b.text("#q-D"); afterD == beforeD || !strings.Contains(afterD, "100,000") {
		t.Errorf("D %q → %q", beforeD, afterD)
	}
	if got := b.text(`#q-table tr[data-id="op122-01"] td.excluded`); got == "0 с" {
		t.Errorf("excluded time %q", got)
	}
	if !js[bool](b, `document.querySelectorAll('#timeline rect.excluded').length === 1 && document.querySelectorAll('#timeline rect.counted').length === 0`) {
		t.Error("the timeline should show the outage as excluded")
	}
	var av struct {
		Workstations []struct {
			ID string  `json:"id"`
			Di float64 `json:"Di"`
		} `json:"workstations"`
	}
	h.get("/api/v1/availability?period="+health.QuarterOf(now, loc).String(), &av)
	for _, w := range av.Workstations {
		if w.Di != 100 {
			t.Errorf("API: %s Di %v after the exclusion", w.ID, w.Di)
		}
	}

	// Revoke: it counts again.
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#outages'`))
	b.click(row + ` button[data-act="revoke"]`)
	b.click("#rv-submit")
	b.waitJS("the exclusion revoked", fmt.Sprintf(`!document.querySelector('#dlg-revoke').open && !document.querySelector('%s').classList.contains('excluded')`, row), `document.querySelector('#rv-msg').textContent`, step)
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#quarter'`))
	b.waitJS("Di below 100 again", fmt.Sprintf(`+document.querySelector('%s').dataset.di < 100`, di), di, step)
	if got := b.text(di); got != before && !strings.HasPrefix(got, "99,") {
		t.Errorf("Di after revocation %q, before exclusion %q", got, before)
	}
}

// The event stream survives a daemon restart: the page shows that it lost
// the server, reconnects by itself, and shows the state after.
func TestWebStreamSurvivesRestart(t *testing.T) {
	h, b := liveBoard(t, "op122-01", "op117-01")
	b.loginOK(h.token, 2)
	b.do(chromedp.Evaluate[chromedp.Void](`window.__dwNotReloaded = 'kept'`))
	api := h.api

	stopped := time.Now()
	h.stop()
	if d := time.Since(stopped); d > 3*time.Second {
		t.Errorf("stopping with a browser attached took %v: event streams must end at shutdown", d)
	}
	b.waitJS("the reconnecting banner", `!document.querySelector('#banner').hidden && document.querySelector('#banner').textContent.includes('Нет связи') && document.querySelector('#conn').dataset.state === 'down'`,
		`document.querySelector('#banner').textContent`, 3*time.Second)
	b.screenshot("board-reconnecting-1280x800.png")

	// While the daemon is down a phone drops; the restarted daemon sees it.
	if err := h.pbx.Unregister("op117-01"); err != nil {
		t.Fatal(err)
	}
	h.start()
	if h.api != api {
		t.Fatalf("restarted on %s, was %s", h.api, api)
	}
	b.waitJS("reconnected with the new state", `document.querySelector('#banner').hidden && document.querySelector('#conn').dataset.state === 'live' && document.querySelector('.tile[data-id="op117-01"] .word').textContent === 'не работает'`,
		`document.querySelector('#banner').textContent + ' / ' + document.querySelector('.tile[data-id="op117-01"]').textContent`, 10*time.Second)
	if w := b.tileWord("op122-01"); w != "работает" {
		t.Errorf("op122-01 shows %q", w)
	}
	if js[string](b, `String(window.__dwNotReloaded)`) != "kept" {
		t.Fatal("the page was reloaded")
	}
	// And it is live again.
	if err := h.pbx.Register("op117-01", "sip:op117-01@127.0.0.1:5101"); err != nil {
		t.Fatal(err)
	}
	b.waitJS("live after the restart", `document.querySelector('.tile[data-id="op117-01"] .word').textContent === 'работает'`, `document.querySelector('.tile[data-id="op117-01"]').textContent`, 2*time.Second)

	// A stream silent for more than 20 s (the server's keepalive comes every
	// 15 s) is taken as dead: the page warns and connects again. The silence
	// is made by moving the page's clock 21 s ahead, not by waiting.
	b.do(chromedp.Evaluate[chromedp.Void](`(() => { const real = Date.now.bind(Date); Date.now = () => real() + 21000; })()`))
	b.waitJS("the stale banner", `!document.querySelector('#banner').hidden && document.querySelector('#banner').textContent.includes('молчит больше 20 с')`,
		`document.querySelector('#banner').textContent`, 3*time.Second)
	b.waitJS("live again after the stale stream", `document.querySelector('#banner').hidden && document.querySelector('#conn').dataset.state === 'live'`,
		`document.querySelector('#banner').textContent`, 5*time.Second)
	if err := h.pbx.Unregister("op122-01"); err != nil {
		t.Fatal(err)
	}
	b.waitJS("live on the new stream", `document.querySelector('.tile[data-id="op122-01"] .word').textContent === 'не работает'`, `document.querySelector('.tile[data-id="op122-01"]').textContent`, 2*time.Second)
}
