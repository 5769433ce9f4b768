package pbxsim

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Phone is a SIP user agent (sipgo) on a loopback UDP socket that answers
// OPTIONS, as an operator's desk phone answers qualify and our probes. It
// can go silent (power cut) or answer with another code (503 in DND). The
// same type plays the PBX's own SIP side for liveness probes.
type Phone struct {
	ua      *sipgo.UserAgent
	conn    net.PacketConn
	user    string
	code    atomic.Int32 // 0: silent
	answers atomic.Int64
}

// NewPhone starts a phone for user on 127.0.0.1 (a free port); it stops
// when ctx ends or on Close.
func NewPhone(ctx context.Context, user string) (*Phone, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		ua.Close()
		return nil, err
	}
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		ua.Close()
		return nil, err
	}
	p := &Phone{ua: ua, conn: c, user: user}
	p.code.Store(200)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		code := int(p.code.Load())
		if code == 0 {
			return
		}
		p.answers.Add(1)
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason(code), nil))
	})
	go func() { _ = srv.ServeUDP(c) }()
	go func() { <-ctx.Done(); p.Close() }()
	return p, nil
}

// URI is the phone's contact, e.g. sip:op122-01@127.0.0.1:40123.
func (p *Phone) URI() string { return fmt.Sprintf("sip:%s@%s", p.user, p.conn.LocalAddr()) }

// Silent makes the phone stop answering (true) or answer 200 again (false).
func (p *Phone) Silent(s bool) {
	if s {
		p.code.Store(0)
	} else {
		p.code.Store(200)
	}
}

// AnswerWith makes the phone answer with code (e.g. 503 for do-not-disturb).
func (p *Phone) AnswerWith(code int) { p.code.Store(int32(code)) }

// Answers is how many OPTIONS the phone answered.
func (p *Phone) Answers() int64 { return p.answers.Load() }

// Close takes the phone off the network.
func (p *Phone) Close() {
	_ = p.conn.Close()
	_ = p.ua.Close()
}

func reason(code int) string {
	switch code {
	case 200:
		return "OK"
	case 401:
		return "Unauthorized"
	case 486:
		return "Busy Here"
	case 503:
		return "Service Unavailable"
	}
	return "Status"
}
