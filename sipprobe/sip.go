package sipprobe

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"
)

// BridgeSIPLogs sends sipgo's package-level log/slog output (the few places
// that use sip.DefaultLogger instead of the loggers a Prober hands to its
// own layers) into l. sip.SetDefaultLogger writes an unguarded global: call
// this once at start-up, before any sipgo user agent exists.
func BridgeSIPLogs(l zerolog.Logger) {
	sip.SetDefaultLogger(slog.New(zerolog.NewSlogHandler(l.With().Str("component", "sipgo").Logger())))
}

// sipgo reports packets it drops only through its logs. These messages are
// counted as stray and demoted to debug, so a flood of garbage cannot flood
// the log. TestStrayAccounting pins them to the sipgo version in go.mod.
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

// uaSpec is what differs between the user agents of the prober and the canary.
type uaSpec struct {
	log        zerolog.Logger // sipgo's own log lines go here
	stray      func()         // counts a dropped or unparseable packet
	name, host string         // User-Agent, and the host for Via/Contact ("": sipgo's default)
	tls        *tls.Config
	onResponse func(*sip.Response) // responses to no transaction of sipgo's
	onRequest  func(*sip.Request, *sip.ServerTx)
}

// newUserAgent builds a sipgo user agent and client whose logs go into
// zerolog (stray-packet messages demoted and counted) and whose UDP reads
// drop what cannot be SIP.
func newUserAgent(s uaSpec) (*sipgo.UserAgent, *sipgo.Client, error) {
	sl := slog.New(logHandler{inner: zerolog.NewSlogHandler(s.log), stray: s.stray})
	opts := []sipgo.UserAgentOption{
		sipgo.WithUserAgent(s.name),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sl), sip.WithTransportLayerReadFilter(readFilter(s.stray))),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sl),
			sip.WithTransactionLayerUnhandledResponseHandler(s.onResponse),
		),
	}
	if s.host != "" {
		opts = append(opts, sipgo.WithUserAgentHostname(s.host))
	}
	if s.tls != nil {
		opts = append(opts, sipgo.WithUserAgenTLSConfig(s.tls))
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
	ua.TransactionLayer().OnRequest(s.onRequest)
	return ua, client, nil
}

// newUA builds the sipgo user agent and client of a Prober. The client only
// fills in requests (ClientRequestBuild): probes carry their own Via and
// From and do not use its transactions.
func (p *Prober) newUA() (err error) {
	p.ua, p.client, err = newUserAgent(uaSpec{log: p.log.With().Str("component", "sipgo").Logger(), stray: func() { p.stats.stray.Add(1) },
		name: p.opts.FromUser, host: p.host, tls: p.opts.TLSConfig, onResponse: p.onResponse, onRequest: p.onRequest})
	return err
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

// onRequest answers requests sent to the prober's socket: 200 to OPTIONS
// (we are alive too), 405 to anything else. They are counted as stray.
func (p *Prober) onRequest(req *sip.Request, tx *sip.ServerTx) {
	p.stats.stray.Add(1)
	code, reason := 405, "Method Not Allowed"
	if req.Method == sip.OPTIONS {
		code, reason = 200, "OK"
	}
	if err := tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil)); err != nil {
		p.log.Debug().Err(err).Str("request", req.StartLine()).Msg("answering a request to the prober failed")
	}
	tx.TerminateGracefully()
}

// parseContact reads a contact URI and the transport it asks for: sips: or
// ;transport=tls → TLS, ;transport=tcp → TCP, else UDP.
func parseContact(contact string) (sip.Uri, string, error) {
	var u sip.Uri
	s := strings.TrimSpace(contact)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if err := sip.ParseUri(s, &u); err != nil {
		return u, "", fmt.Errorf("sipprobe: bad contact URI %q: %w", contact, err)
	}
	if u.Scheme != "sip" && u.Scheme != "sips" {
		return u, "", fmt.Errorf("sipprobe: contact URI %q: scheme must be sip or sips", contact)
	}
	if u.Host == "" {
		return u, "", fmt.Errorf("sipprobe: contact URI %q has no host", contact)
	}
	tp := "UDP"
	if v, ok := u.UriParams.Get("transport"); ok {
		tp = strings.ToUpper(v)
	}
	if u.Scheme == "sips" && (tp == "UDP" || tp == "TCP") {
		tp = "TLS" // sipgo would send sips: without ;transport over UDP
	}
	switch tp {
	case "UDP", "TCP", "TLS":
	default:
		return u, "", fmt.Errorf("sipprobe: contact URI %q: transport %s not supported (udp, tcp, tls)", contact, tp)
	}
	return u, tp, nil
}

// localIPFor returns the local address the kernel would use to reach host
// (no packet is sent), for the Via and From of UDP probes when the prober
// listens on all interfaces. "" when host is not an IP or has no route.
func localIPFor(host string) string {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return ""
	}
	c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: ip, Port: 5060})
	if err != nil {
		return ""
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String()
}

var errRunTwice = errors.New("sipprobe: Run called twice")
