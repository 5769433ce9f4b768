package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"deskwatch/report"
)

// RenderCache keeps the rendered files of submitted reports, which never
// change (*service.Service keeps them in Redis).
type RenderCache interface {
	Rendered(ctx context.Context, key string) ([]byte, bool, error)
	KeepRendered(ctx context.Context, key string, b []byte) error
}

// Renders counts report files rendered and served from the cache, for
// the metrics. The daemon keeps one across the APIs its reloads build.
type Renders struct {
	Live, Submitted, Cached atomic.Int64
}

// maxCached bounds a file kept in the cache: a larger one is rendered on
// every download rather than held in Redis.
const maxCached = 32 << 20

// Cache-Control of report files: a submitted version is frozen, so the
// browser may keep it for good; live figures move, so it must ask, and
// If-None-Match saves the download when they did not. Private: they need
// a token.
const (
	cacheSubmitted = "private, max-age=31536000, immutable"
	cacheLive      = "private, no-cache"
)

// reportETag is a report file's entity tag, from what the file is made
// of: the inputs hash, version, status, language and format, and the
// release that renders it. A submitted version's file is the same bytes
// every time (strong); a live one is rendered anew with its generation
// time, the same in substance (weak).
func reportETag(rep *report.Report, submitted bool, ext, release string) string {
	// The journal's head is printed on every format: a new record anywhere
	// in the chain makes a new file.
	sum := sha256.Sum256([]byte(strings.Join([]string{rep.Quarter.String(), strconv.Itoa(rep.Version), rep.Status, rep.InputsHash, rep.JournalHead.String(), rep.Lang, ext, release}, "\x00")))
	tag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	if !submitted {
		tag = "W/" + tag
	}
	return tag
}

// notModified reports whether If-None-Match names etag (or is "*"); the
// comparison is weak, as RFC 9110 asks for GET.
func notModified(r *http.Request, etag string) bool {
	for t := range strings.SplitSeq(r.Header.Get("If-None-Match"), ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

// serveReport answers a report file: 304 when the client has it, else
// the file from the cache (a submitted version rendered before) or
// rendered now, with its ETag and Cache-Control.
func (s *Server) serveReport(w http.ResponseWriter, r *http.Request, rep *report.Report, submitted bool, ext string) {
	f := formats[ext]
	etag := reportETag(rep, submitted, ext, s.opt.Version)
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheLive)
	if submitted {
		h.Set("Cache-Control", cacheSubmitted)
	}
	if notModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	// The release is in the key: a new one may render the same report
	// differently, and must not serve the files an older one kept.
	key := fmt.Sprintf("report:%s:v%d:%s:%s:%s:%s.%s", rep.Quarter, rep.Version, strings.TrimPrefix(rep.InputsHash, "sha256:"), rep.JournalHead.String(),
		renderer(s.opt.Version), rep.Lang, ext)
	body, cached := s.rendered(r.Context(), submitted, key)
	if !cached {
		var buf bytes.Buffer
		if err := f.write(&buf, rep); err != nil {
			h.Del("ETag")
			s.writeError(w, r, err)
			return
		}
		body = buf.Bytes()
		s.keepRendered(r.Context(), submitted, key, body)
	}
	h.Set("Content-Type", f.ctype)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="deskwatch-%s-v%d.%s"`, rep.Quarter, rep.Version, ext))
	h.Set("X-Inputs-Hash", rep.InputsHash)
	if head := rep.JournalHead.String(); head != "" {
		h.Set("X-Journal-Head", head)
	}
	_, _ = w.Write(body)
}

// rendered takes a submitted report's file from the cache, if kept; a
// cache that fails is only a slower download.
func (s *Server) rendered(ctx context.Context, submitted bool, key string) ([]byte, bool) {
	if !submitted || s.opt.RenderCache == nil {
		return nil, false
	}
	b, ok, err := s.opt.RenderCache.Rendered(ctx, key)
	if err != nil {
		s.log.Warn().Err(err).Str("report", key).Msg("rendered reports cache unreadable: rendering")
	}
	if ok {
		s.renders.Cached.Add(1)
	}
	return b, ok
}

// keepRendered counts a render and keeps a submitted report's file.
func (s *Server) keepRendered(ctx context.Context, submitted bool, key string, b []byte) {
	if !submitted {
		s.renders.Live.Add(1)
		return
	}
	s.renders.Submitted.Add(1)
	if s.opt.RenderCache == nil || len(b) > maxCached {
		return
	}
	if err := s.opt.RenderCache.KeepRendered(ctx, key, b); err != nil {
		s.log.Warn().Err(err).Str("report", key).Msg("rendered report not kept: the next download renders it again")
	}
}

// renderer names the release in a cached file's key: one token, whatever
// the version string holds.
func renderer(version string) string {
	sum := sha256.Sum256([]byte(version))
	return "r" + base64.RawURLEncoding.EncodeToString(sum[:9])
}
