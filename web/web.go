// Package web is the supervisors' board: plain HTML, CSS and JavaScript
// embedded in the binary (no build step, nothing loaded from elsewhere). The
// page talks to the HTTP API of package httpapi with the Bearer token the
// user pastes in; it holds no secret and needs none to be served.
//
// Handler serves index.html at "/" and the files under "/assets/"; every
// other path is 404. Every answer carries a strict Content-Security-Policy
// (same origin only, no inline script or style, no framing).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every answer: only this origin, no
// inline script or style, no plugins, no framing, forms post nowhere else.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type file struct {
	body  []byte
	ctype string
	etag  string
}

// Handler serves the board. It is safe for concurrent use; the files are
// read once, at the first call.
func Handler() http.Handler {
	files := map[string]file{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js": // the board's scripts are ES modules: browsers refuse them under another type
			ct = "text/javascript; charset=utf-8"
		case ".html", ".css":
			ct = strings.SplitN(ct, ";", 2)[0] + "; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		files["/"+strings.TrimPrefix(p, "static/")] = file{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic("web: embedded files unreadable: " + err.Error()) // a broken build, not a runtime condition
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		p := r.URL.Path
		if p == "/" {
			p = "/index.html"
		}
		f, ok := files[p]
		if !ok || (p != "/index.html" && !strings.HasPrefix(p, "/assets/")) {
			http.Error(w, "404 not found", http.StatusNotFound)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// Names carry no content hash: let browsers keep a copy but ask
		// every time (a 304 is cheap), so an upgrade shows at once.
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(f.body))
	})
}
