package sipua

import (
	"deskwatch/internal/sipua/sipuatest"
	"errors"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// load reads a recorded message; the Asterisk qualify used here is one of
// sipprobe's fixtures (its testdata/README.md says where it comes from).
func load(t testing.TB, name string) sip.Message {
	return sipuatest.Load(t, "../../sipprobe/testdata/"+name)
}

func TestMatch(t *testing.T) {
	req := load(t, "asterisk-options-to-phone.sip").(*sip.Request)
	for _, tc := range []struct {
		name string
		edit func(*sip.Response)
		want string // "" = match
	}{
		{"same", func(*sip.Response) {}, ""},
		{"To tag added", func(r *sip.Response) { r.To().Params.Add("tag", "x") }, ""},
		{"branch", func(r *sip.Response) { r.Via().Params.Add("branch", "z9hG4bKother") }, "Via branch"},
		{"no branch", func(r *sip.Response) { r.Via().Params.Remove("branch") }, "Via branch"},
		{"no Via", func(r *sip.Response) { r.RemoveHeader("Via") }, "no Via"},
		{"Call-ID", func(r *sip.Response) { // sipgo shares the request's Call-ID header: replace it
			r.RemoveHeader("Call-ID")
			cid := sip.CallIDHeader("forged")
			r.AppendHeader(&cid)
		}, "Call-ID"},
		{"no Call-ID", func(r *sip.Response) { r.RemoveHeader("Call-ID") }, "Call-ID"},
		{"CSeq number", func(r *sip.Response) { r.CSeq().SeqNo++ }, "CSeq"},
		{"CSeq method", func(r *sip.Response) { r.CSeq().MethodName = sip.REGISTER }, "CSeq"},
		{"no CSeq", func(r *sip.Response) { r.RemoveHeader("CSeq") }, "CSeq"},
		{"From tag", func(r *sip.Response) { r.From().Params.Add("tag", "forged") }, "From tag"},
		{"no From", func(r *sip.Response) { r.RemoveHeader("From") }, "no From"},
	} {
		req := load(t, "asterisk-options-to-phone.sip").(*sip.Request) // fresh: sipgo shares some headers
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		tc.edit(res)
		err := Match(req, res)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (!errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want a mismatch on %s", tc.name, err, tc.want)
		}
	}
	if Match(nil, nil) == nil || Match(req, nil) == nil {
		t.Error("nil must not match")
	}
}
