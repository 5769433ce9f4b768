package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"sync/atomic"
)

// apiSwitch serves the current API. A reload builds a new one from the new
// configuration (the API and the service hold no live state) and swaps it
// in; requests under way finish on the old one.
type apiSwitch struct {
	cur atomic.Pointer[apiGen]
}

// apiGen is one API with the context of its event streams.
type apiGen struct {
	h          http.Handler
	streams    context.Context
	endStreams context.CancelFunc
}

func (a *apiSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := a.cur.Load()
	r, done := endWith(r, g.streams)
	defer done()
	g.h.ServeHTTP(w, r)
}

// set makes h the API. With endStreams the event streams opened before end
// (a reload changed the desks or the tokens: boards reconnect and get the
// new desks, a removed token's stream stops); else they go on.
func (a *apiSwitch) set(h http.Handler, endStreams bool) {
	g := &apiGen{h: h}
	old := a.cur.Load()
	if old != nil && !endStreams {
		g.streams, g.endStreams = old.streams, old.endStreams
	} else {
		g.streams, g.endStreams = context.WithCancel(context.Background())
	}
	a.cur.Store(g)
	if old != nil && endStreams {
		old.endStreams()
	}
}

// endWith makes a request to the event stream also end when streams is
// done; other requests pass as they are. Call done when the request ends.
func endWith(r *http.Request, streams context.Context) (_ *http.Request, done func()) {
	if r.URL.Path != "/api/v1/events" {
		return r, func() {}
	}
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(streams, cancel)
	return r.WithContext(ctx), func() { stop(); cancel() }
}

// certSource hands the TLS handshakes the current certificate, which a
// reload replaces with the pair read again from http.tls's files.
type certSource struct {
	cur atomic.Pointer[tls.Certificate]
}

func (c *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if cert := c.cur.Load(); cert != nil {
		return cert, nil
	}
	return nil, errors.New("no certificate loaded")
}
