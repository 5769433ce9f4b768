package sipprobe

import (
	"errors"
	"log/slog"

	"github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"

	"deskwatch/internal/sipua"
)

// BridgeSIPLogs sends sipgo's package-level log/slog output (the few places
// that use sip.DefaultLogger instead of the loggers a Prober hands to its
// own layers) into l. sip.SetDefaultLogger writes an unguarded global: call
// this once at start-up, before any sipgo user agent exists.
func BridgeSIPLogs(l zerolog.Logger) {
	sip.SetDefaultLogger(slog.New(zerolog.NewSlogHandler(l.With().Str("component", "sipgo").Logger())))
}

// newUA builds the sipgo user agent and client of a Prober. The client only
// fills in requests (ClientRequestBuild): probes carry their own Via and
// From and do not use its transactions.
func (p *Prober) newUA() (err error) {
	p.ua, p.client, err = sipua.New(sipua.Spec{Log: p.log.With().Str("component", "sipgo").Logger(), Stray: func() { p.stats.stray.Add(1) },
		Name: p.opts.FromUser, Host: p.host, TLS: p.opts.TLSConfig, OnResponse: p.onResponse, OnRequest: p.onRequest})
	return err
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

var errRunTwice = errors.New("sipprobe: Run called twice")
