package sipprobe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Result is what one probe says about its peer.
type Result struct {
	Alive  bool          // a final response (200–699) to our OPTIONS arrived
	Code   int           // its status code; 0 when not alive
	RTT    time.Duration // from sending to the final response; 0 when not alive
	Reason string        // for people: "200 OK", "timeout after 2s", ...
}

// Classify turns the outcome of one OPTIONS transaction into a Result. It is
// pure. res is the final response that the prober accepted (after Match), or
// the last provisional one, or nil; err is the transaction's error (timeout,
// transport) or nil.
//
// Any final response means the peer's SIP stack is running: 401/407 (Asterisk
// challenges every unauthenticated OPTIONS), 404, 486 and 503 (do-not-disturb
// or maintenance on many phones) are alive, with the code kept. A provisional
// response alone, a timeout, a transport error, or a response that is not a
// well-formed answer to an OPTIONS (status outside 100–699, other SIP
// version, missing Via/From/To/Call-ID/CSeq, CSeq method other than OPTIONS)
// are not.
func Classify(res *sip.Response, err error, rtt time.Duration) Result {
	if err != nil {
		r := Result{Reason: failureReason(err)}
		if res != nil && res.StatusCode >= 100 && res.StatusCode < 200 {
			r.Reason += fmt.Sprintf(" (only %d %s)", res.StatusCode, res.Reason)
		}
		return r
	}
	if res == nil {
		return Result{Reason: "no response"}
	}
	if bad := malformed(res); bad != "" {
		return Result{Reason: "malformed response: " + bad}
	}
	if res.StatusCode < 200 {
		return Result{Reason: fmt.Sprintf("only provisional %d %s", res.StatusCode, res.Reason)}
	}
	r := Result{Alive: true, Code: res.StatusCode, RTT: max(rtt, 0), Reason: fmt.Sprintf("%d %s", res.StatusCode, res.Reason)}
	switch {
	case res.StatusCode == 401 || res.StatusCode == 407:
		r.Reason += " (challenge: alive)"
	case res.StatusCode == 503:
		r.Reason += " (alive; do-not-disturb or maintenance?)"
	case res.StatusCode >= 300:
		r.Reason += " (alive)"
	}
	return r
}

// IsTimeout reports whether err means "no final response in time" rather
// than a transport failure.
func IsTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sip.ErrTransactionTimeout)
}

func failureReason(err error) string {
	if IsTimeout(err) {
		return "timeout"
	}
	return "error: " + err.Error()
}

// malformed names what makes res unusable as an answer, or returns "".
func malformed(res *sip.Response) string {
	switch {
	case res.StatusCode < 100 || res.StatusCode > 699:
		return fmt.Sprintf("status %d", res.StatusCode)
	case res.SipVersion != "SIP/2.0":
		return fmt.Sprintf("version %q", res.SipVersion)
	case res.Via() == nil:
		return "no Via"
	case res.From() == nil:
		return "no From"
	case res.To() == nil:
		return "no To"
	case res.CallID() == nil:
		return "no Call-ID"
	case res.CSeq() == nil:
		return "no CSeq"
	case res.CSeq().MethodName != sip.OPTIONS:
		return "CSeq method " + string(res.CSeq().MethodName)
	}
	return ""
}
