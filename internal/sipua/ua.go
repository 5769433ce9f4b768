// Package sipua is the sipgo plumbing shared by deskwatch's SIP user agents
// (sipprobe's prober and sipcanary's registration): a user agent whose logs
// go into zerolog and whose UDP reads drop what cannot be SIP, the contact
// URIs they accept, and the check that a response answers its request.
package sipua

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"
)

// sipgo reports packets it drops only through its logs. These messages are
// counted as stray and demoted to debug, so a flood of garbage cannot flood
// the log. sipprobe's TestStrayAccounting pins them to the sipgo version in
// go.mod.
var strayLogMessages = map[string]bool{
	"failed to parse":                     true, // transport: unparseable or truncated
	"Client tx failed to handle response": true, // response without CSeq, Via or branch
	"Server tx failed to handle request":  true, // malformed request
}

// logHandler routes sipgo's slog records into zerolog and counts the stray
// packets they report.
type logHandler struct {
	inner *zerolog.SlogHandler
	stray func()
}

func (h logHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.inner.Enabled(ctx, l) // errors are always looked at, to count
}

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if strayLogMessages[r.Message] {
		h.stray()
		r.Level = slog.LevelDebug
	}
	if !h.inner.Enabled(ctx, r.Level) {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{inner: h.inner.WithAttrs(as).(*zerolog.SlogHandler), stray: h.stray}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{inner: h.inner.WithGroup(name).(*zerolog.SlogHandler), stray: h.stray}
}

// Spec is what differs between the user agents of the prober and the canary.
type Spec struct {
	Log        zerolog.Logger // sipgo's own log lines go here
	Stray      func()         // counts a dropped or unparseable packet
	Name, Host string         // User-Agent, and the host for Via/Contact ("": sipgo's default)
	TLS        *tls.Config
	OnResponse func(*sip.Response) // responses to no transaction of sipgo's
	OnRequest  func(*sip.Request, *sip.ServerTx)
}

// New builds a sipgo user agent and client whose logs go into zerolog
// (stray-packet messages demoted and counted) and whose UDP reads drop what
// cannot be SIP.
func New(s Spec) (*sipgo.UserAgent, *sipgo.Client, error) {
	sl := slog.New(logHandler{inner: zerolog.NewSlogHandler(s.Log), stray: s.Stray})
	opts := []sipgo.UserAgentOption{
		sipgo.WithUserAgent(s.Name),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sl), sip.WithTransportLayerReadFilter(readFilter(s.Stray))),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sl),
			sip.WithTransactionLayerUnhandledResponseHandler(s.OnResponse),
		),
	}
	if s.Host != "" {
		opts = append(opts, sipgo.WithUserAgentHostname(s.Host))
	}
	if s.TLS != nil {
		opts = append(opts, sipgo.WithUserAgenTLSConfig(s.TLS))
	}
	ua, err := sipgo.NewUA(opts...)
	if err != nil {
		return nil, nil, err
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sl))
	if err != nil {
		ua.Close()
		return nil, nil, err
	}
	ua.TransactionLayer().OnRequest(s.OnRequest)
	return ua, client, nil
}

// readFilter drops UDP datagrams that cannot be SIP before sipgo parses them
// (and before its UDP transport remembers their source address), so a flood
// of garbage costs little. TCP and TLS reads are stream chunks: left alone.
func readFilter(stray func()) func(sip.TransportReadProps, []byte) ([]byte, error) {
	return func(props sip.TransportReadProps, data []byte) ([]byte, error) {
		if props.Transport != "UDP" || looksLikeSIP(data) || len(bytes.Trim(data, "\r\n")) == 0 {
			return data, nil // CRLF keep-alives are sipgo's to handle
		}
		stray()
		return nil, nil
	}
}

// looksLikeSIP: a status line "SIP/2.0 " or a request line "METHOD sip:".
func looksLikeSIP(b []byte) bool {
	if bytes.HasPrefix(b, []byte("SIP/2.0 ")) {
		return true
	}
	i := bytes.IndexByte(b[:min(len(b), 24)], ' ')
	if i <= 0 {
		return false
	}
	for _, c := range b[:i] {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	rest := bytes.ToLower(b[i+1 : min(len(b), i+6)])
	return bytes.HasPrefix(rest, []byte("sip:")) || bytes.HasPrefix(rest, []byte("sips:"))
}

// WaitServing waits until sipgo's UDP transport reads conn and has it in
// its pool (where client requests with Laddr and server transactions find
// it). False: ctx ended first.
func WaitServing(ctx context.Context, ua *sipgo.UserAgent, conn net.PacketConn) bool {
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
