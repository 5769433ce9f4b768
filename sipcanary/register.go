package sipcanary

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"deskwatch/internal/sipua"
)

// exchange sends REGISTER asking for expires seconds (0: remove the
// binding), answers digest challenges and 423, and returns the outcome.
func (c *Canary) exchange(ctx context.Context, expires int) result {
	contact := c.contact
	if expires > 0 || contact == nil {
		host, err := c.contactHost(ctx)
		if err != nil {
			return result{err: err}
		}
		contact = &sip.Uri{Scheme: "sip", User: c.opts.User, Host: host, Port: c.port}
		c.contact = contact
	}
	answered := [2]bool{} // a challenge of this exchange was answered
	staleRetried := false
	var last result
	for range canaryMaxRequests {
		req := c.request(*contact, expires)
		if err := c.authorize(req); err != nil {
			return result{err: err}
		}
		sent := c.now()
		res, err := c.do(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("no final answer within %s", c.opts.Timeout)
				if expires == 0 {
					err = errors.New("no final answer in time")
				}
			}
			return result{err: err}
		}
		code := int(res.StatusCode)
		last = result{code: code, reason: res.Reason, sent: sent}
		switch {
		case code >= 200 && code < 300:
			if expires == 0 {
				return last
			}
			last.granted = granted(res, *contact, expires)
			if last.granted <= 0 {
				last.err = fmt.Errorf("%d %s but no expiry granted for %s", code, res.Reason, contact.String())
			}
			return last
		case code == 401 || code == 407:
			i := 0
			if code == 407 {
				i = 1
			}
			a := &c.auth[i]
			chal, err := challenge(res, a.in)
			if err != nil {
				last.err = fmt.Errorf("%d %s: %w", code, res.Reason, err)
				return last
			}
			if answered[i] && !(chal.Stale && !staleRetried) {
				last.err = fmt.Errorf("%d %s: credentials refused", code, res.Reason)
				return last
			}
			if answered[i] {
				staleRetried = true
			}
			answered[i] = true
			a.chal, a.nc, a.cnonce = chal, 0, ""
		case code == 423 && expires > 0:
			m, err := strconv.Atoi(headerValue(res, "Min-Expires"))
			if err != nil || m <= expires {
				last.err = fmt.Errorf("%d %s without a usable Min-Expires", code, res.Reason)
				return last
			}
			c.log.Info().Int("asked", expires).Int("min_expires", m).Msg("registrar wants a longer expiry: asking for it")
			expires, c.expires = m, m
		default:
			last.err = fmt.Errorf("%d %s", code, res.Reason)
			return last
		}
	}
	if last.err == nil {
		last.err = fmt.Errorf("%d %s: gave up after %d requests", last.code, last.reason, canaryMaxRequests)
	}
	return last
}

// contactHost is the host of the canary's Contact and Via: the listen IP,
// or the local address routing to the registrar.
func (c *Canary) contactHost(ctx context.Context) (string, error) {
	if c.host != "" {
		return c.host, nil
	}
	ip := strings.Trim(c.ruri.Host, "[]")
	if net.ParseIP(ip) == nil {
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, c.ruri.Host)
		if err != nil || len(ips) == 0 {
			return "", fmt.Errorf("resolve %s: %v", c.ruri.Host, err)
		}
		ip = ips[0].IP.String()
	}
	local := sipua.LocalIPFor(ip)
	if local == "" {
		return "", fmt.Errorf("no route to %s", ip)
	}
	return local, nil
}

// request builds the next REGISTER: same Call-ID and From tag, next CSeq,
// a new branch, sent from the canary's socket.
func (c *Canary) request(contact sip.Uri, expires int) *sip.Request {
	req := sip.NewRequest(sip.REGISTER, c.ruri)
	req.SetTransport("UDP")
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: contact.Host, Port: c.port}
	via.Params.Add("branch", sip.GenerateBranchN(16))
	via.Params.Add("rport", "")
	req.AppendHeader(via)
	maxfwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxfwd)
	from := &sip.FromHeader{Address: c.aor}
	from.Params.Add("tag", c.fromTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: c.aor})
	callID := sip.CallIDHeader(c.callID)
	req.AppendHeader(&callID)
	c.cseq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: c.cseq, MethodName: sip.REGISTER})
	req.AppendHeader(&sip.ContactHeader{Address: contact})
	exp := sip.ExpiresHeader(expires)
	req.AppendHeader(&exp)
	req.AppendHeader(sip.NewHeader("User-Agent", "deskwatch"))
	req.Laddr = c.laddr
	return req
}

// do sends req in a sipgo client transaction and returns its final
// response. A response on our branch with another Call-ID, CSeq or From tag
// (sipgo matches on branch and method only) is skipped.
func (c *Canary) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	tx, err := c.client.TransactionRequest(ctx, req, sipgo.ClientRequestBuild)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if err := sipua.Match(req, res); err != nil {
				c.log.Debug().Err(err).Str("response", res.StartLine()).Msg("skipping a response that does not answer our REGISTER")
				continue
			}
			return res, nil
		case <-tx.Done():
			if err := tx.Err(); err != nil {
				return nil, err
			}
			return nil, errors.New("transaction ended without a final response")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
