package service

import (
	"context"
	"errors"
	"fmt"

	"deskwatch/accesslog"
)

// AccessLog is the record of who read personal data (*accesslog.Log).
type AccessLog interface {
	Records(ctx context.Context, q accesslog.Query) (accesslog.Page, error)
}

// MaxAccessPage is the most records one page of the access log holds.
const MaxAccessPage = 10_000

// Access reads the access log for the supervisor's API and the auditor's
// CLI, refusing alike. It stands apart from Service: the access log is not
// the availability record, and a Service without one still serves.
type Access struct{ log AccessLog }

// NewAccess returns the access log's use cases over l.
func NewAccess(l AccessLog) *Access { return &Access{log: l} }

// AccessRecords is a page of records of q, oldest first.
func (a *Access) AccessRecords(ctx context.Context, q accesslog.Query) (accesslog.Page, error) {
	switch {
	case !q.To.After(q.From):
		return accesslog.Page{}, Invalid("bad_range", "from должно быть раньше to", "from must be before to")
	case q.Limit < 1 || q.Limit > MaxAccessPage:
		return accesslog.Page{}, Invalid("bad_limit", fmt.Sprintf("limit: ожидается целое от 1 до %d", MaxAccessPage),
			fmt.Sprintf("limit: want a whole number from 1 to %d", MaxAccessPage))
	}
	p, err := a.log.Records(ctx, q)
	if errors.Is(err, accesslog.ErrBadCursor) {
		return p, Invalid("bad_cursor", "параметр cursor не от этого списка: начните без него", "cursor is not one of this list's: start without it")
	}
	return p, classify(err)
}
