package httpapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
)

// Pagination of long lists: ?limit= (default 1000, at most 10,000) and an
// opaque ?cursor= that the previous page gave in its
// Link: <…>; rel="next" header. The cursor carries a use case's own
// position (e.g. a stream id), base64url-encoded so that clients do not
// build one; the use case checks what it decodes to.
const (
	defaultPageLimit = 1000
	maxPageLimit     = 10_000
)

// page is one page asked for: Limit records after After ("" for the first).
type page struct {
	Limit int
	After string
}

// pageParams reads limit and cursor.
func pageParams(r *http.Request) (page, error) {
	q := r.URL.Query()
	p := page{Limit: defaultPageLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageLimit {
			return p, bad("bad_limit", fmt.Sprintf("limit: ожидается целое от 1 до %d", maxPageLimit), fmt.Sprintf("limit: want a whole number from 1 to %d", maxPageLimit))
		}
		p.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 {
			return p, bad("bad_cursor", "параметр cursor не от этого списка: начните без него", "cursor is not one of this list's: start without it")
		}
		p.After = string(b)
	}
	return p, nil
}

// linkNext points the Link header at the next page (this request with
// cursor set to after); nothing when after is "" (the last page).
func linkNext(w http.ResponseWriter, r *http.Request, after string) {
	if after == "" {
		return
	}
	q := r.URL.Query()
	q.Set("cursor", base64.RawURLEncoding.EncodeToString([]byte(after)))
	w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, q.Encode()))
}
