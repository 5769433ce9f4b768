package sipua

import (
	"errors"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// ErrMismatch: a response that does not answer the request it was handed to.
var ErrMismatch = errors.New("response does not match the request")

// Match checks that res answers req: same top Via branch, Call-ID, CSeq
// (number and method) and From tag. It is pure.
//
// sipgo matches responses to client transactions by Via branch and CSeq
// method only (RFC 3261 17.1.3), so a response carrying our branch with
// another Call-ID or CSeq number would otherwise be taken as the answer.
func Match(req *sip.Request, res *sip.Response) error {
	if req == nil || res == nil {
		return fmt.Errorf("%w: nothing to match", ErrMismatch)
	}
	qv, sv := req.Via(), res.Via()
	if qv == nil || sv == nil {
		return fmt.Errorf("%w: no Via", ErrMismatch)
	}
	qb, _ := qv.Params.Get("branch")
	sb, _ := sv.Params.Get("branch")
	if qb == "" || qb != sb {
		return fmt.Errorf("%w: Via branch %q", ErrMismatch, sb)
	}
	qc, sc := req.CallID(), res.CallID()
	if qc == nil || sc == nil || *qc != *sc {
		return fmt.Errorf("%w: Call-ID", ErrMismatch)
	}
	qs, ss := req.CSeq(), res.CSeq()
	if qs == nil || ss == nil || qs.SeqNo != ss.SeqNo || qs.MethodName != ss.MethodName {
		return fmt.Errorf("%w: CSeq", ErrMismatch)
	}
	qf, sf := req.From(), res.From()
	if qf == nil || sf == nil {
		return fmt.Errorf("%w: no From", ErrMismatch)
	}
	qt, _ := qf.Params.Get("tag")
	st, _ := sf.Params.Get("tag")
	if qt != st {
		return fmt.Errorf("%w: From tag", ErrMismatch)
	}
	return nil
}
