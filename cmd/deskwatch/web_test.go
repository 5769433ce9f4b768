package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"deskwatch/health"
	"deskwatch/web"
)

// The supervisors' board, driven in a real headless Chromium against the
// real daemon (pbxsim + redis-server), as a person would use it.

const chromiumPath = "/usr/bin/chromium"

// step bounds every browser action: a hung page fails the test quickly.
const step = 5 * time.Second

type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newBrowser starts a fresh Chromium (own temporary profile) with a viewport
// of w×h, and fails (never skips) when Chromium is not installed.
func newBrowser(t *testing.T, w, h int) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s not found: install Chromium (apt-get install chromium, or bash scripts/setup.sh): %v", chromiumPath, err)
	}
	profile, err := os.MkdirTemp("", "deskwatch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(w, h),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	logf := func(string, ...any) {}
	if os.Getenv("DESKWATCH_TEST_LOG") != "" {
		logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, "chromedp: "+f+"\n", a...) }
	}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(logf), chromedp.WithLogf(logf))
	t.Cleanup(acancel)
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx}
	// The first Do starts the browser and binds it to ctx: bound it by a
	// timer, not by a deadline on ctx (that would close the browser later).
	timer := time.AfterFunc(20*time.Second, cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h))); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	timer.Stop()
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// checkConsole fails on an uncaught exception or a Content-Security-Policy
// violation in the page. Failed requests (401, a restarting server) are
// expected and logged by the browser as network errors: not counted.
func (b *browser) checkConsole() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if m.IsException() || m.Source == "security" || m.Source == "javascript" || strings.Contains(m.Text, "Content Security Policy") {
			b.t.Errorf("browser console: %s (%s:%d)", m, m.URL, m.Line)
		}
	}
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// js evaluates an expression in the page and decodes its value into T.
func js[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitJS polls a boolean expression until it holds; on timeout it reports
// what the page shows (diag, an expression giving a string).
func (b *browser) waitJS(what, cond, diag string, within time.Duration) time.Duration {
	b.t.Helper()
	start := time.Now()
	for {
		if js[bool](b, "!!("+cond+")") {
			return time.Since(start)
		}
		if time.Since(start) > within {
			b.t.Fatalf("timed out after %v waiting for %s; page shows: %s", within, what, js[string](b, "String("+diag+")"))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (b *browser) open(url string) {
	b.t.Helper()
	b.do(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#login-form")))
	// The script sets up the page after the document: wait for it.
	b.waitJS("the script to run", `document.querySelector('#login-form h1').textContent !== ''`, `document.body.className`, step)
}

// setValue sets a field's value in one script: chromedp.SetValue resolves
// the node first and can lose a race with the page re-rendering on a live
// update ("could not set value on node N").
func (b *browser) setValue(sel, v string) {
	b.t.Helper()
	b.do(chromedp.WaitReady(chromedp.CSS(sel)))
	got := js[string](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; return e.value; })()`, sel, v))
	if got != v {
		b.t.Fatalf("%s: value %q after setting %q", sel, got, v)
	}
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (b *browser) login(token string) {
	b.t.Helper()
	b.setValue("#token", token)
	b.click("#login-submit")
}

// loginOK logs in and waits until the board shows n tiles and the event
// stream is live.
func (b *browser) loginOK(token string, n int) {
	b.t.Helper()
	b.login(token)
	b.waitJS(fmt.Sprintf("%d tiles and a live stream", n),
		fmt.Sprintf(`document.querySelectorAll('#groups .tile').length >= %d && document.querySelector('#conn').dataset.state === 'live'`, n),
		`document.querySelectorAll('#groups .tile').length + ' tiles; conn ' + document.querySelector('#conn').dataset.state + '; ' + document.querySelector('#login-msg').textContent`, step)
}

func (b *browser) tileWord(id string) string {
	return js[string](b, fmt.Sprintf(`(document.querySelector('.tile[data-id=%q] .word') || {}).textContent || ''`, id))
}

func (b *browser) text(sel string) string {
	return js[string](b, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel))
}

// screenshot saves the viewport as a PNG artifact.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	return b.capture(name, chromedp.CaptureScreenshot())
}

// fullScreenshot saves the whole page, beyond the viewport.
func (b *browser) fullScreenshot(name string) string {
	b.t.Helper()
	return b.capture(name, chromedp.FullScreenshot(100))
}

func (b *browser) capture(name string, shot chromedp.Action[[]byte]) string {
	b.t.Helper()
	dir := artifactsDir(b.t)
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", p)
	return p
}

// artifactsDir is $DESKWATCH_ARTIFACTS, or artifacts/ at the repository root.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DESKWATCH_ARTIFACTS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "artifacts")
				break
			}
			if filepath.Dir(d) == d {
				dir = filepath.Join(wd, "artifacts")
				break
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// liveBoard runs the daemon with every phone registered and every desk up,
// and opens the board in a 1280×800 browser (not logged in yet). The
// browser's console is checked when the test ends.
func liveBoard(t *testing.T, phones ...string) (*harness, *browser) {
	t.Helper()
	h := newHarness(t, phones...)
	registerAll(t, h)
	h.start()
	for _, p := range phones {
		h.waitFor(p+" up", func() bool { return h.desk(p).State == "up" })
	}
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

// Screenshots of the board, the outages and the quarter at 1280×800, for a
// person to look at (artifacts/ or $DESKWATCH_ARTIFACTS).
func TestWebScreenshots(t *testing.T) {
	var phones []string
	for _, l := range []string{"122", "117"} {
		for i := 1; i <= 10; i++ {
			phones = append(phones, fmt.Sprintf("op%s-%02d", l, i))
		}
	}
	h := newHarness(t, phones...)
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
	var phones []string
	for _, l := range []string{"122", "117"} {
		for i := 1; i <= 100; i++ {
			phones = append(phones, fmt.Sprintf("op%s-%03d", l, i))
		}
	}
	h := newHarness(t, phones...)
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
