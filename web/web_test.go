package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestServesIndexAndAssets(t *testing.T) {
	h := Handler()
	for _, c := range []struct{ path, ctype, contains string }{
		{"/", "text/html; charset=utf-8", `<script src="/assets/app.js"`},
		{"/assets/app.js", "text/javascript; charset=utf-8", "Authorization"},
		{"/assets/i18n.js", "text/javascript; charset=utf-8", "DW_I18N"},
		{"/assets/app.css", "text/css; charset=utf-8", ".tile"},
		{"/assets/icon.svg", "image/svg+xml", "<svg"},
	} {
		res := get(t, h, "GET", c.path, nil)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != c.ctype || !strings.Contains(string(body), c.contains) {
			t.Errorf("%s: %d %q, body has %q: %v", c.path, res.StatusCode, res.Header.Get("Content-Type"), c.contains, strings.Contains(string(body), c.contains))
		}
		if got := res.Header.Get("Content-Security-Policy"); got != CSP {
			t.Errorf("%s: CSP %q", c.path, got)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("ETag") == "" {
			t.Errorf("%s: headers %v", c.path, res.Header)
		}
		// A second fetch with the ETag is a cheap 304.
		res2 := get(t, h, "GET", c.path, map[string]string{"If-None-Match": res.Header.Get("ETag")})
		if res2.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidation gave %d", c.path, res2.StatusCode)
		}
	}
	if res := get(t, h, "HEAD", "/", nil); res.StatusCode != 200 {
		t.Errorf("HEAD /: %d", res.StatusCode)
	}
}

func TestStrictCSP(t *testing.T) {
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(CSP, want) {
			t.Errorf("CSP lacks %q", want)
		}
	}
	if strings.Contains(CSP, "unsafe") || strings.Contains(CSP, "http") || strings.Contains(CSP, "*") {
		t.Errorf("CSP allows too much: %s", CSP)
	}
}

// The page itself must obey the CSP: no inline script, no inline style, no
// outside address.
func TestPageObeysCSP(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", "/assets/app.js", "/assets/i18n.js", "/assets/app.css"} {
		body, _ := io.ReadAll(get(t, h, "GET", p, nil).Body)
		s := string(body)
		if p == "/" {
			if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>`).MatchString(s) || strings.Contains(s, "<style") ||
				regexp.MustCompile(`\sstyle=`).MatchString(s) || regexp.MustCompile(`\son[a-z]+=`).MatchString(s) {
				t.Errorf("index.html has inline script or style")
			}
		}
		if m := regexp.MustCompile(`(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).FindString(s); m != "" && !strings.Contains(m, "www.w3.org") {
			t.Errorf("%s refers to an outside address %q", p, m)
		}
		if strings.Contains(s, "setAttribute('style'") || strings.Contains(s, "innerHTML") || strings.Contains(s, "eval(") {
			t.Errorf("%s uses style attributes, innerHTML or eval", p)
		}
	}
}

func TestOnlyKnownPaths(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/assets/", "/assets", "/nope", "/static/index.html", "/assets/../index.html.bak", "/api/v1/workstations"} {
		if res := get(t, h, "GET", p, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		} else if res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: 404 without CSP", p)
		}
	}
	if res := get(t, h, "POST", "/", nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", res.StatusCode)
	}
}
