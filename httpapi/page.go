package httpapi

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Pagination of the list routes: ?limit= (DefaultLimit, at most MaxLimit)
// and ?cursor=, opaque, taken from the previous page's
// Link: <…>; rel="next" (or its body's next_cursor). A cursor is bound to
// the path and the other parameters it was made for: with others it is
// refused. Routes that page are listed in pagedRoutes, and the OpenAPI
// test checks that each documents limit, cursor and Link.
const (
	DefaultLimit = 1000
	MaxLimit     = 10_000
)

var pagedRoutes = map[string]bool{
	"GET /api/v1/outages":    true,
	"GET /api/v1/journal":    true,
	"GET /api/v1/access-log": true,
}

// page is a list request's limit and where it goes on from.
type page struct {
	limit int
	after []byte // the route's position (JSON) from the cursor; nil: the first page
	scope []byte // the request without limit and cursor, which the cursor must match
}

const scopeLen = 8 // bytes of SHA-256 binding a cursor to its query

// readPage reads limit and cursor.
func readPage(r *http.Request) (page, error) {
	q := r.URL.Query()
	p := page{limit: DefaultLimit, scope: pageScope(r)}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return p, bad("bad_limit", fmt.Sprintf("limit: ожидается число от 1 до %d", MaxLimit), fmt.Sprintf("limit: want a number from 1 to %d", MaxLimit))
		}
		p.limit = n
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) <= scopeLen || !bytes.Equal(b[:scopeLen], p.scope) || !json.Valid(b[scopeLen:]) {
			return p, bad("bad_cursor", "курсор не подходит к этому запросу: начните с первой страницы без cursor",
				"the cursor does not belong to this query: start again from the first page, without cursor")
		}
		p.after = b[scopeLen:]
	}
	return p, nil
}

// pageScope binds cursors to the path and every parameter but limit and
// cursor (url.Values.Encode sorts them).
func pageScope(r *http.Request) []byte {
	q := r.URL.Query()
	q.Del("limit")
	q.Del("cursor")
	sum := sha256.Sum256([]byte(r.URL.Path + "?" + q.Encode()))
	return sum[:scopeLen]
}

// position decodes the cursor's position into v; false on the first page.
func (p page) position(v any) (bool, error) {
	if p.after == nil {
		return false, nil
	}
	if err := json.Unmarshal(p.after, v); err != nil {
		return false, bad("bad_cursor", "курсор повреждён: начните с первой страницы без cursor", "the cursor is damaged: start again from the first page, without cursor")
	}
	return true, nil
}

// next makes the cursor of the page after pos and sets the Link header to
// it; it returns the cursor for the body.
func (p page) next(w http.ResponseWriter, r *http.Request, pos any) string {
	b, _ := json.Marshal(pos)
	cursor := base64.RawURLEncoding.EncodeToString(append(append([]byte(nil), p.scope...), b...))
	q := r.URL.Query()
	q.Set("cursor", cursor)
	q.Set("limit", strconv.Itoa(p.limit))
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	w.Header().Set("Link", "<"+u.String()+`>; rel="next"`)
	return cursor
}

// writeList answers {"<name>": [items…], "next_cursor": cursor or null},
// each item rendered by dto and written as it goes, through a small
// buffer: a page's JSON is never whole in memory.
func writeList[T any](w http.ResponseWriter, name string, items []T, dto func(T) any, cursor string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	key, _ := json.Marshal(name)
	fmt.Fprintf(bw, "{%s:[", key)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i, it := range items {
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		buf.Reset()
		_ = enc.Encode(dto(it))
		_, _ = bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	next := []byte("null")
	if cursor != "" {
		next, _ = json.Marshal(cursor)
	}
	fmt.Fprintf(bw, `],"next_cursor":%s}`+"\n", next)
	_ = bw.Flush()
}

// servePage answers one page of a list named name: fetch gets up to limit
// items after pos (nil: the first page) and whether more follow; posOf is
// an item's position for the next cursor, dto its JSON. A list route is
// a call to it (and a line in pagedRoutes).
func servePage[T, P any](s *Server, w http.ResponseWriter, r *http.Request, name string,
	fetch func(after *P, limit int) ([]T, bool, error), posOf func(T) P, dto func(T) any) {
	pg, err := readPage(r)
	var pos P
	ok := false
	if err == nil {
		ok, err = pg.position(&pos)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var after *P
	if ok {
		after = &pos
	}
	items, more, err := fetch(after, pg.limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	next := ""
	if more && len(items) > 0 {
		next = pg.next(w, r, posOf(items[len(items)-1]))
	}
	writeList(w, name, items, dto, next)
}
