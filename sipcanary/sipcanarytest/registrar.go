// Package sipcanarytest provides a SIP registrar for tests of the SIP
// canary and of the daemon that runs it.
package sipcanarytest

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Mode is how the registrar answers REGISTER.
type Mode int

const (
	// Accept challenges requests without valid credentials with 401 and
	// binds the contact of those with them, like Asterisk's res_pjsip.
	Accept Mode = iota
	// Refuse answers every REGISTER 403 Forbidden.
	Refuse
	// Silent answers nothing (the registrar hangs or the network drops).
	Silent
)

// RegistrarOptions configure a Registrar. Zero values take the defaults.
type RegistrarOptions struct {
	Realm string            // default "asterisk"
	Users map[string]string // user → password
	// Grant is the expiry granted to every binding (whatever was asked),
	// whole seconds. Default 120 s.
	Grant time.Duration
	// HeaderExpires, when set, is what the 200's Expires header says, while
	// the contact's expires parameter says Grant (which a client must
	// prefer: it is the binding's own).
	HeaderExpires time.Duration
	// NonceLifetime: credentials for an older nonce are challenged again
	// with stale=true. Default 32 s (Asterisk's nonce_lifetime).
	NonceLifetime time.Duration
	// Others are bindings of other user agents listed in every 200
	// (expires=3570), as Asterisk lists every contact of the AOR.
	Others []string
	// MinExpires: a REGISTER asking for less (but not 0) is answered 423
	// Interval Too Brief with this Min-Expires.
	MinExpires time.Duration
	// Proxy: challenge like a proxy, 407 with Proxy-Authenticate, and
	// read Proxy-Authorization.
	Proxy bool
}

// Register is one REGISTER received (retransmissions not counted).
type Register struct {
	At          time.Time
	User        string // of the To URI
	CallID      string
	CSeq        uint32
	Contact     string // the Contact URI; "" if none
	Expires     int    // asked (Expires header, else the contact's parameter); -1 if neither
	Credentials bool   // carried an Authorization (Proxy-Authorization) header
	Authorized  bool   // and the digest verified (nonce ours and fresh, nc increasing)
	NC          int    // nc of the credentials
	Code        int    // the answer; 0: none
}

// Registrar is a SIP registrar on a loopback UDP socket (sipgo server).
type Registrar struct {
	opts   RegistrarOptions
	ua     *sipgo.UserAgent
	client *sipgo.Client
	conn   net.PacketConn

	mu       sync.Mutex
	mode     Mode
	nonces   map[string]*nonce
	bindings map[string]time.Time // contact URI → expiry
	log      []Register
}

type nonce struct {
	issued time.Time
	lastNC int
}

// StartRegistrar starts a registrar on 127.0.0.1 (a free port); it stops
// when the test ends.
func StartRegistrar(t testing.TB, o RegistrarOptions) *Registrar {
	t.Helper()
	if o.Realm == "" {
		o.Realm = "asterisk"
	}
	if o.Grant == 0 {
		o.Grant = 120 * time.Second
	}
	if o.NonceLifetime == 0 {
		o.NonceLifetime = 32 * time.Second
	}
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("registrar"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Registrar{opts: o, ua: ua, client: client, conn: conn,
		nonces: map[string]*nonce{}, bindings: map[string]time.Time{}}
	srv.OnRegister(r.onRegister)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() {
		conn.Close()
		ua.Close()
		<-done
	})
	return r
}

// URI is the registrar's SIP URI, e.g. sip:127.0.0.1:40123.
func (r *Registrar) URI() string { return "sip:" + r.conn.LocalAddr().String() }

// SetMode changes how the registrar answers from now on.
func (r *Registrar) SetMode(m Mode) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}

// Registers returns every REGISTER received so far, in order.
func (r *Registrar) Registers() []Register {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Register(nil), r.log...)
}

// Bound returns the contacts bound now (not expired, not removed).
func (r *Registrar) Bound() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	now := time.Now()
	for c, exp := range r.bindings {
		if now.Before(exp) {
			out = append(out, c)
		}
	}
	return out
}

// Qualify sends OPTIONS to contact, as Asterisk qualifies a registered
// contact, and returns the answer's code.
func (r *Registrar) Qualify(ctx context.Context, contact string) (int, error) {
	var u sip.Uri
	if err := sip.ParseUri(contact, &u); err != nil {
		return 0, err
	}
	res, err := r.client.Do(ctx, sip.NewRequest(sip.OPTIONS, u))
	if err != nil {
		return 0, err
	}
	return int(res.StatusCode), nil
}

func (r *Registrar) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	rec := Register{At: time.Now(), CallID: req.CallID().Value(), Expires: -1}
	if to := req.To(); to != nil {
		rec.User = to.Address.User
	}
	if cs := req.CSeq(); cs != nil {
		rec.CSeq = cs.SeqNo
	}
	if c := req.Contact(); c != nil {
		rec.Contact = c.Address.String()
		if e, ok := c.Params.Get("expires"); ok {
			rec.Expires, _ = strconv.Atoi(e)
		}
	}
	if h := req.GetHeader("Expires"); h != nil {
		rec.Expires, _ = strconv.Atoi(strings.TrimSpace(h.Value()))
	}

	r.mu.Lock()
	res := r.answer(req, &rec)
	if res != nil {
		rec.Code = int(res.StatusCode)
	}
	r.log = append(r.log, rec)
	r.mu.Unlock()
	if res != nil {
		_ = tx.Respond(res)
	}
}

// answer decides the response (nil: none); r.mu held.
func (r *Registrar) answer(req *sip.Request, rec *Register) *sip.Response {
	switch r.mode {
	case Silent:
		return nil
	case Refuse:
		return sip.NewResponseFromRequest(req, 403, "Forbidden", nil)
	}
	if m := int(r.opts.MinExpires / time.Second); rec.Expires > 0 && rec.Expires < m {
		res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
		res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(m)))
		return res
	}
	in := "Authorization"
	if r.opts.Proxy {
		in = "Proxy-Authorization"
	}
	h := req.GetHeader(in)
	if h == nil {
		return r.challenge(req, false)
	}
	rec.Credentials = true
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil {
		return sip.NewResponseFromRequest(req, 400, "Bad Request", nil)
	}
	rec.NC = cred.Nc
	ok, stale := r.verify(req, cred)
	if !ok {
		return r.challenge(req, false) // Asterisk challenges a wrong password again
	}
	if stale {
		return r.challenge(req, true)
	}
	rec.Authorized = true

	now := time.Now()
	if rec.Contact != "" {
		if rec.Expires == 0 {
			delete(r.bindings, rec.Contact)
		} else {
			r.bindings[rec.Contact] = now.Add(r.opts.Grant)
		}
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	grant := int(r.opts.Grant / time.Second)
	for c, exp := range r.bindings {
		if now.Before(exp) {
			res.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<%s>;expires=%d", c, grant)))
		}
	}
	for _, c := range r.opts.Others {
		res.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<%s>;expires=3570", c)))
	}
	hdr := grant
	if r.opts.HeaderExpires != 0 {
		hdr = int(r.opts.HeaderExpires / time.Second)
	}
	if rec.Expires == 0 {
		hdr = 0
	}
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(hdr)))
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	return res
}

// verify checks the digest: RFC 2617 with qop=auth, MD5, a nonce this
// registrar issued, the request's URI, and nc above any seen for the nonce.
func (r *Registrar) verify(req *sip.Request, c *digest.Credentials) (ok, stale bool) {
	pw, known := r.opts.Users[c.Username]
	n := r.nonces[c.Nonce]
	switch {
	case !known, n == nil, c.Realm != r.opts.Realm, c.QOP != "auth", c.Cnonce == "",
		c.URI != req.Recipient.String(), c.Algorithm != "" && !strings.EqualFold(c.Algorithm, "MD5"):
		return false, false
	}
	ha1 := md5hex(c.Username + ":" + r.opts.Realm + ":" + pw)
	ha2 := md5hex(string(req.Method) + ":" + c.URI)
	want := md5hex(fmt.Sprintf("%s:%s:%08x:%s:%s:%s", ha1, c.Nonce, c.Nc, c.Cnonce, c.QOP, ha2))
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.Response))) != 1 {
		return false, false
	}
	if c.Nc <= n.lastNC {
		return false, false // a replay
	}
	n.lastNC = c.Nc
	return true, time.Since(n.issued) > r.opts.NonceLifetime
}

func (r *Registrar) challenge(req *sip.Request, stale bool) *sip.Response {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nv := fmt.Sprintf("%d/%s", time.Now().Unix(), hex.EncodeToString(b))
	r.nonces[nv] = &nonce{issued: time.Now()}
	code, reason, out := 401, "Unauthorized", "WWW-Authenticate"
	if r.opts.Proxy {
		code, reason, out = 407, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	v := fmt.Sprintf(`Digest realm="%s",nonce="%s",opaque="%s",algorithm=MD5,qop="auth"`, r.opts.Realm, nv, hex.EncodeToString(b[:8]))
	if stale {
		v += ",stale=true"
	}
	res.AppendHeader(sip.NewHeader(out, v))
	return res
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}
