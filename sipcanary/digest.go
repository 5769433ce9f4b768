package sipcanary

import (
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// authState is the challenge last received for one header pair.
type authState struct {
	code   int    // 401 or 407
	in     string // WWW-Authenticate or Proxy-Authenticate
	out    string // Authorization or Proxy-Authorization
	chal   *digest.Challenge
	nc     int
	cnonce string
}

// authorize answers the challenges kept so far, nc incremented.
func (c *Canary) authorize(req *sip.Request) error {
	for i := range c.auth {
		a := &c.auth[i]
		if a.chal == nil {
			continue
		}
		a.nc++
		cred, err := digest.Digest(a.chal, digest.Options{
			Method: string(sip.REGISTER), URI: req.Recipient.String(), Count: a.nc,
			Username: c.opts.User, Password: c.opts.Password, Cnonce: a.cnonce,
		})
		if err != nil {
			a.chal = nil
			return fmt.Errorf("digest: %w", err)
		}
		a.cnonce = cred.Cnonce // one cnonce per nonce, as nc counts per nonce
		req.AppendHeader(sip.NewHeader(a.out, cred.String()))
	}
	return nil
}

// challenge picks the first digest challenge in the header named in that
// the canary can answer (MD5 or SHA-256 family, qop auth or none).
func challenge(res *sip.Response, in string) (*digest.Challenge, error) {
	var why error = fmt.Errorf("no %s header", in)
	for _, h := range res.GetHeaders(in) {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil {
			why = err
			continue
		}
		chal.Algorithm = strings.ToUpper(chal.Algorithm)
		for i := range chal.QOP {
			chal.QOP[i] = strings.TrimSpace(chal.QOP[i])
		}
		if len(chal.QOP) > 0 && !chal.SupportsQOP("auth") {
			why = fmt.Errorf("unsupported qop %q", strings.Join(chal.QOP, ","))
			continue
		}
		if !digest.CanDigest(chal) {
			why = fmt.Errorf("unsupported digest algorithm %q", chal.Algorithm)
			continue
		}
		return chal, nil
	}
	return nil, why
}
