package sipprobe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/rs/zerolog"
)

// CanaryOptions configure a Canary. Zero values take the defaults noted.
type CanaryOptions struct {
	// Registrar is the SIP URI of the PBX's registrar, e.g.
	// "sip:10.0.0.5:5060": UDP, no user part. Required.
	Registrar string
	// User and Password are the canary account's digest credentials
	// (its AOR is sip:User@Domain). Both required. The password is never
	// logged nor shown in Status.
	User, Password string
	// Domain of the AOR in To and From. Default: the registrar's host.
	Domain string
	// Expires asked for in each REGISTER. Default 120 s, at least 1 s,
	// rounded up to whole seconds. The registrar's grant wins (the Contact's
	// expires, else the Expires header); a 423 raises it to Min-Expires.
	Expires time.Duration
	// Timeout of one registration attempt, its digest challenge included.
	// Default 5 s.
	Timeout time.Duration
	// Listen is the local UDP address ("ip:port") the canary registers from
	// and answers the PBX's OPTIONS (qualify) on. Default "0.0.0.0:0"; the
	// Contact then carries the local address routing to the registrar.
	Listen string
	Logger zerolog.Logger
	Now    func() time.Time // default time.Now; stamps Status
}

// CanaryStatus is the canary's registration as last seen.
type CanaryStatus struct {
	// Registered: the last REGISTER (or refresh) was accepted and its grant
	// has not run out. A refused or unanswered one clears it at once.
	Registered bool
	// Since Registered took its current value (zero until the first
	// attempt ends).
	Since time.Time
	// LastAttempt: when the last registration attempt started.
	LastAttempt time.Time
	// LastCode is the final response to the last attempt (200, 401, 403,
	// 503...); 0 when there was none (timeout, transport error).
	LastCode int
	// LastError says why the last attempt failed; "" after a success.
	LastError string
	// Failures counts the failed attempts, Refreshes the accepted
	// REGISTERs that renewed a binding still registered.
	Failures  uint64
	Refreshes uint64
}

const (
	defaultCanaryExpires = 120 * time.Second
	defaultCanaryTimeout = 5 * time.Second
	canaryBackoffMin     = time.Second
	canaryBackoffMax     = 30 * time.Second
	canaryUnregisterMax  = 2 * time.Second
	canaryMinRefresh     = 500 * time.Millisecond
	// A REGISTER exchange sends at most this many requests: a stale
	// cached nonce, a 407, a 401, a stale retry, a 423.
	canaryMaxRequests = 6
)

// Canary keeps deskwatch's own account registered on the PBX, with digest
// authentication, and refreshes it at half the granted expiry. A refused or
// unanswered REGISTER means the registrar is broken: Status says so at once
// and the canary retries with a backoff of 1 s doubling to 30 s. When Run's
// context ends it un-registers (Expires: 0), bounded by 2 s.
//
// Digest: the last challenge (WWW-Authenticate for 401, Proxy-Authenticate
// for 407; MD5 or SHA-256, qop=auth or none) is kept and answered ahead of
// the next challenge with nc incremented, so a refresh costs one round trip
// while the registrar honours the nonce (Asterisk's nonce_lifetime is 32 s:
// it challenges again, with stale=true, and the canary answers the new
// nonce). A 401 or 407 to credentials computed from the challenge of that
// same exchange — a second challenge without stale=true — and a 403 are
// refusals. One Call-ID for the canary's life, CSeq incremented per request
// (RFC 3261 10.2.4). Requests to the canary's socket are answered: 200 to
// OPTIONS (the PBX's qualify) and NOTIFY, 480 to INVITE, 405 to the rest.
type Canary struct {
	opts   CanaryOptions
	log    zerolog.Logger
	ruri   sip.Uri // Request-URI: the registrar
	aor    sip.Uri // To and From
	conn   net.PacketConn
	laddr  sip.Addr // conn's address, to make sipgo send from conn
	host   string   // conn's IP; "" when unspecified (then: routing to the registrar)
	port   int
	ua     *sipgo.UserAgent
	client *sipgo.Client

	// Run's goroutine only.
	callID  string
	fromTag string
	cseq    uint32
	expires int // seconds asked for
	auth    [2]authState
	contact *sip.Uri // registered (or tried) last; un-registered at the end
	// mayBeBound: a REGISTER was accepted, or shutdown cut one short: the
	// registrar may hold a binding, so Run removes it at the end.
	mayBeBound bool

	running atomic.Bool
	closed  sync.Once

	mu sync.Mutex
	st canaryState
}

type canaryState struct {
	registered  bool
	since       time.Time
	expiresAt   time.Time // of the accepted binding
	lastAttempt time.Time
	lastCode    int
	lastError   string
	failures    uint64
	refreshes   uint64
}

// authState is the challenge last received for one header pair.
type authState struct {
	code   int    // 401 or 407
	in     string // WWW-Authenticate or Proxy-Authenticate
	out    string // Authorization or Proxy-Authorization
	chal   *digest.Challenge
	nc     int
	cnonce string
}

// NewCanary checks o, fills in defaults and binds the UDP socket, so that a
// bad address fails here. Run serves the socket and closes it when it
// returns; Close releases it if Run is never called.
func NewCanary(o CanaryOptions) (*Canary, error) {
	if o.Expires == 0 {
		o.Expires = defaultCanaryExpires
	}
	if o.Timeout == 0 {
		o.Timeout = defaultCanaryTimeout
	}
	if o.Listen == "" {
		o.Listen = "0.0.0.0:0"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.Registrar == "":
		return nil, errors.New("sipprobe: canary: no Registrar")
	case o.User == "":
		return nil, errors.New("sipprobe: canary: no User")
	case o.Password == "":
		return nil, errors.New("sipprobe: canary: no Password")
	case o.Expires < time.Second:
		return nil, fmt.Errorf("sipprobe: canary: Expires %s is below 1s", o.Expires)
	case o.Timeout < 0:
		return nil, fmt.Errorf("sipprobe: canary: Timeout %s is negative", o.Timeout)
	}
	ruri, tp, err := parseContact(o.Registrar)
	if err != nil {
		return nil, fmt.Errorf("sipprobe: canary: registrar: %w", err)
	}
	if tp != "UDP" {
		return nil, fmt.Errorf("sipprobe: canary: registrar %q: only UDP is supported", o.Registrar)
	}
	if ruri.User != "" || ruri.Password != "" {
		// Never echo it: it may carry a password.
		return nil, errors.New("sipprobe: canary: the registrar URI must have no user part (set User)")
	}
	if o.Domain == "" {
		o.Domain = ruri.Host
	}
	c := &Canary{
		opts:    o,
		log:     o.Logger.With().Str("component", "sipcanary").Str("registrar", o.Registrar).Str("user", o.User).Logger(),
		ruri:    sip.Uri{Scheme: "sip", Host: ruri.Host, Port: ruri.Port},
		aor:     sip.Uri{Scheme: "sip", User: o.User, Host: o.Domain},
		callID:  sip.GenerateTagN(24) + "@deskwatch",
		fromTag: sip.GenerateTagN(16),
		expires: int(math.Ceil(o.Expires.Seconds())),
		auth: [2]authState{
			{code: 401, in: "WWW-Authenticate", out: "Authorization"},
			{code: 407, in: "Proxy-Authenticate", out: "Proxy-Authorization"},
		},
	}
	conn, err := net.ListenPacket("udp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("sipprobe: canary: listen %s: %w", o.Listen, err)
	}
	la := conn.LocalAddr().(*net.UDPAddr)
	c.conn, c.port = conn, la.Port
	c.laddr = sip.Addr{IP: la.IP, Port: la.Port}
	if !la.IP.IsUnspecified() {
		c.host = la.IP.String()
	}
	if err := c.newUA(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sipprobe: canary: %w", err)
	}
	return c, nil
}

func (c *Canary) newUA() (err error) {
	c.ua, c.client, err = newUserAgent(uaSpec{
		log:   c.opts.Logger.With().Str("component", "sipgo").Str("of", "sipcanary").Logger(),
		stray: func() {},
		name:  "deskwatch",
		onResponse: func(r *sip.Response) {
			c.log.Debug().Str("response", r.StartLine()).Msg("SIP response to no REGISTER in flight (late or retransmitted)")
		},
		onRequest: c.onRequest,
	})
	return err
}

// Close releases the socket and sipgo's transports. Run calls it on return.
func (c *Canary) Close() error {
	var err error
	c.closed.Do(func() {
		c.ua.Close()
		err = c.conn.Close()
	})
	return err
}

// Status returns the registration as last seen. Safe at any time.
func (c *Canary) Status() CanaryStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := CanaryStatus{
		Since: c.st.since, LastAttempt: c.st.lastAttempt, LastCode: c.st.lastCode,
		LastError: c.st.lastError, Failures: c.st.failures, Refreshes: c.st.refreshes,
	}
	s.Registered = c.st.registered
	if s.Registered && !c.now().Before(c.st.expiresAt) {
		// The grant ran out while an attempt was still waiting.
		s.Registered, s.Since = false, c.st.expiresAt
	}
	return s
}

func (c *Canary) now() time.Time { return c.opts.Now().UTC() }

// Run registers, refreshes and retries until ctx ends, then un-registers
// and returns nil.
func (c *Canary) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errRunTwice
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := c.ua.TransportLayer().ServeUDP(c.conn); err != nil {
			c.log.Error().Err(err).Msg("SIP socket stopped")
		}
	}()
	defer func() {
		c.Close()
		<-served
	}()
	if !waitServing(ctx, c.ua, c.conn) {
		return nil
	}
	c.log.Info().Str("listen", c.conn.LocalAddr().String()).Int("expires", c.expires).
		Dur("timeout", c.opts.Timeout).Msg("SIP canary registration started")

	failures := 0 // in a row, for the backoff
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			c.unregister(ctx)
			return nil
		case <-timer.C:
		}
		if ctx.Err() != nil { // both were ready
			c.unregister(ctx)
			return nil
		}
		timer.Reset(c.attempt(ctx, &failures))
	}
}

// attempt registers once and says when to try next.
func (c *Canary) attempt(ctx context.Context, failures *int) time.Duration {
	start := c.now()
	c.mu.Lock()
	c.st.lastAttempt = start
	c.mu.Unlock()

	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	r := c.exchange(actx, c.expires)
	if ctx.Err() != nil {
		c.mayBeBound = true // its answer is unknown
		return 0            // shutting down: not the registrar's fault
	}
	if r.err == nil {
		c.mayBeBound = true
		*failures = 0
		return c.succeeded(r)
	}
	*failures++
	backoff := canaryBackoffMin << min(*failures-1, 5)
	backoff = min(backoff, canaryBackoffMax)
	c.failed(r, *failures, backoff)
	return backoff
}

// result is the end of one REGISTER exchange.
type result struct {
	code    int
	reason  string
	granted int       // seconds, on success
	sent    time.Time // the accepted request left (Now)
	err     error     // nil: accepted
}

func (c *Canary) succeeded(r result) time.Duration {
	grant := time.Duration(r.granted) * time.Second
	now := c.now()
	c.mu.Lock()
	renewed := c.st.registered && now.Before(c.st.expiresAt)
	if renewed {
		c.st.refreshes++
	} else {
		c.st.registered, c.st.since = true, now
	}
	c.st.expiresAt = r.sent.Add(grant)
	c.st.lastCode, c.st.lastError = r.code, ""
	c.mu.Unlock()
	refresh := max(grant/2, canaryMinRefresh)
	ev := c.log.Info()
	msg := "SIP canary registered"
	if renewed {
		ev, msg = c.log.Debug(), "SIP canary registration refreshed"
	}
	ev.Int("code", r.code).Int("granted_s", r.granted).Str("contact", c.contact.String()).Dur("refresh_in", refresh).Msg(msg)
	return refresh
}

func (c *Canary) failed(r result, inRow int, retry time.Duration) {
	now := c.now()
	c.mu.Lock()
	was := c.st.registered && now.Before(c.st.expiresAt)
	switch {
	case was || c.st.since.IsZero():
		c.st.since = now
	case c.st.registered: // the grant ran out first (Status said so)
		c.st.since = c.st.expiresAt
	}
	c.st.registered = false
	c.st.failures++
	c.st.lastCode, c.st.lastError = r.code, r.err.Error()
	c.mu.Unlock()
	ev := c.log.Warn()
	if !was && inRow > 1 {
		ev = c.log.Info() // still failing: said already
	}
	ev.Int("code", r.code).Str("error", r.err.Error()).Int("failures_in_row", inRow).Dur("retry_in", retry).
		Bool("was_registered", was).Msg("SIP canary registration failed")
}

// unregister removes the canary's binding (Expires: 0), best effort,
// within 2 s, when Run ends.
func (c *Canary) unregister(parent context.Context) {
	defer func() {
		now := c.now()
		c.mu.Lock()
		if c.st.registered {
			c.st.registered, c.st.since = false, now
		}
		c.mu.Unlock()
	}()
	if !c.mayBeBound || c.contact == nil {
		return // never registered
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), min(canaryUnregisterMax, c.opts.Timeout))
	defer cancel()
	r := c.exchange(ctx, 0)
	if r.err != nil {
		c.log.Warn().Int("code", r.code).Str("error", r.err.Error()).Msg("SIP canary un-registration failed")
		return
	}
	c.log.Info().Int("code", r.code).Msg("SIP canary un-registered")
}

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
	local := localIPFor(ip)
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
			if !answers(req, res) {
				c.log.Debug().Str("response", res.StartLine()).Msg("skipping a response that does not answer our REGISTER")
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

func answers(req *sip.Request, res *sip.Response) bool {
	rc, qc := res.CSeq(), req.CSeq()
	if res.CallID() == nil || res.CallID().Value() != req.CallID().Value() || rc == nil || rc.SeqNo != qc.SeqNo || rc.MethodName != qc.MethodName {
		return false
	}
	rf := res.From()
	if rf == nil {
		return false
	}
	rt, _ := rf.Params.Get("tag")
	qt, _ := req.From().Params.Get("tag")
	return rt == qt
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
		if b.expires >= 0 && b.uri.User == contact.User && strings.EqualFold(b.uri.Host, contact.Host) && portOr(b.uri.Port, 5060) == portOr(contact.Port, 5060) {
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

// onRequest answers requests to the canary's contact: the PBX qualifies a
// registered contact with OPTIONS and may send unsolicited NOTIFYs (MWI).
// The canary takes no calls.
func (c *Canary) onRequest(req *sip.Request, tx *sip.ServerTx) {
	if req.IsAck() {
		return
	}
	code, reason := 405, "Method Not Allowed"
	switch req.Method {
	case sip.OPTIONS, sip.NOTIFY:
		code, reason = 200, "OK"
	case sip.INVITE:
		code, reason = 480, "Temporarily Unavailable"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if code == 405 || req.Method == sip.OPTIONS {
		res.AppendHeader(sip.NewHeader("Allow", "OPTIONS, NOTIFY"))
	}
	if err := tx.Respond(res); err != nil {
		c.log.Debug().Err(err).Str("request", req.StartLine()).Msg("answering a request to the canary failed")
	}
	tx.TerminateGracefully()
}

// waitServing waits until sipgo's UDP transport reads conn and has it in
// its pool (where client requests with Laddr and server transactions find
// it).
func waitServing(ctx context.Context, ua *sipgo.UserAgent, conn net.PacketConn) bool {
	for {
		if c, err := ua.TransportLayer().GetConnection("udp", conn.LocalAddr().String()); err == nil {
			c.TryClose() // GetConnection took a reference
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Millisecond):
		}
	}
}
