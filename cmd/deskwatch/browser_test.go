package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A headless Chromium driven through chromedp, for the board's tests
// (web_test.go and the files beside it).

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
