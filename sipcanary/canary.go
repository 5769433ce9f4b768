package sipcanary

import (
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"

	"deskwatch/internal/sipua"
)

// Options configure a Canary. Zero values take the defaults noted.
type Options struct {
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

// Status is the canary's registration as last seen.
type Status struct {
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
	opts   Options
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

// New checks o, fills in defaults and binds the UDP socket, so that a
// bad address fails here. Run serves the socket and closes it when it
// returns; Close releases it if Run is never called.
func New(o Options) (*Canary, error) {
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
	ruri, tp, err := sipua.ParseContact(o.Registrar)
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
	c.ua, c.client, err = sipua.New(sipua.Spec{
		Log:   c.opts.Logger.With().Str("component", "sipgo").Str("of", "sipcanary").Logger(),
		Stray: func() {},
		Name:  "deskwatch",
		OnResponse: func(r *sip.Response) {
			c.log.Debug().Str("response", r.StartLine()).Msg("SIP response to no REGISTER in flight (late or retransmitted)")
		},
		OnRequest: c.onRequest,
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
func (c *Canary) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Status{
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
