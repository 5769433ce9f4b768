package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
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
		{"/", "text/html; charset=utf-8", `<script src="/assets/app.js" type="module">`},
		{"/assets/app.js", "text/javascript; charset=utf-8", "import "},
		{"/assets/api.js", "text/javascript; charset=utf-8", "Authorization"},
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
	for _, p := range append([]string{"/", "/assets/i18n.js", "/assets/app.css"}, modules(t, h)...) {
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

var importRe = regexp.MustCompile(`(?m)^(?:import\s*|(?:import|export)\s[^'"\n;]*\sfrom\s*)['"]([^'"\n]+)['"]`)

// modules follows the imports from app.js and returns the path of every
// module the page loads, app.js first. A browser refuses a module served
// with a type other than JavaScript, so each is checked for it and for 200.
func modules(t *testing.T, h http.Handler) []string {
	t.Helper()
	seen := map[string]bool{"/assets/app.js": true}
	list := []string{"/assets/app.js"}
	for i := 0; i < len(list); i++ {
		res := get(t, h, "GET", list[i], nil)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("module %s: %d %q", list[i], res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, m := range importRe.FindAllStringSubmatch(string(body), -1) {
			if !strings.HasPrefix(m[1], "./") {
				t.Errorf("%s imports %q: only ./name.js beside it is served", list[i], m[1])
				continue
			}
			p := path.Join(path.Dir(list[i]), m[1])
			if !seen[p] {
				seen[p] = true
				list = append(list, p)
			}
		}
	}
	return list
}

// Every script under assets/ is loaded: i18n.js by index.html, the others as
// modules from app.js; none is left over.
func TestEveryScriptIsLoaded(t *testing.T) {
	loaded := map[string]bool{"/assets/i18n.js": true}
	for _, p := range modules(t, Handler()) {
		loaded[p] = true
	}
	files, err := fs.Glob(static, "static/assets/*.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if p := strings.TrimPrefix(f, "static"); !loaded[p] {
			t.Errorf("%s is served but nothing loads it", p)
		}
	}
	if len(files) != len(loaded) {
		t.Errorf("%d scripts in assets/, %d loaded", len(files), len(loaded))
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
