package sipcanary

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// granted reads the expiry the registrar granted the canary's contact: its
// expires parameter in the 200's Contact list (Asterisk lists every binding
// of the AOR), else the Expires header, else the only Contact's, else what
// was asked.
func granted(res *sip.Response, contact sip.Uri, asked int) int {
	type binding struct {
		uri     sip.Uri
		expires int // -1: no parameter
	}
	var bs []binding
	for _, h := range res.GetHeaders("Contact") {
		for _, v := range splitContacts(h.Value()) {
			var b binding
			var params sip.HeaderParams
			if _, err := sip.ParseAddressValue(v, &b.uri, &params); err != nil {
				continue
			}
			b.expires = -1
			if e, ok := params.Get("expires"); ok {
				if n, err := strconv.Atoi(e); err == nil && n >= 0 {
					b.expires = n
				}
			}
			bs = append(bs, b)
		}
	}
	for _, b := range bs {
		if b.expires >= 0 && b.uri.User == contact.User && strings.EqualFold(b.uri.Host, contact.Host) && cmp.Or(b.uri.Port, 5060) == cmp.Or(contact.Port, 5060) {
			return b.expires
		}
	}
	if n, err := strconv.Atoi(headerValue(res, "Expires")); err == nil && n >= 0 {
		return n
	}
	if len(bs) == 1 && bs[0].expires >= 0 {
		return bs[0].expires
	}
	return asked
}

// splitContacts splits a Contact header value at the commas between
// contacts (not those inside quotes or angle brackets).
func splitContacts(v string) []string {
	var out []string
	quoted, bracket, start := false, false, 0
	for i, r := range v {
		switch {
		case r == '"' && !bracket:
			quoted = !quoted
		case r == '<' && !quoted:
			bracket = true
		case r == '>' && !quoted:
			bracket = false
		case r == ',' && !quoted && !bracket:
			out = append(out, strings.TrimSpace(v[start:i]))
			start = i + 1
		}
	}
	if s := strings.TrimSpace(v[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

func headerValue(res *sip.Response, name string) string {
	if h := res.GetHeader(name); h != nil {
		return strings.TrimSpace(h.Value())
	}
	return ""
}
