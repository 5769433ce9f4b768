package pbxsim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// application is a Stasis application: it exists while a socket is
// connected under its name.
type application struct {
	name      string
	conn      *conn
	all       bool            // subscribeAll=true
	techs     map[string]bool // "PJSIP"
	endpoints map[string]bool // "PJSIP/op122-01"
	devices   map[string]bool // deviceState:NAME
}

func (a *application) hasEndpoint(tech, resource string) bool {
	return a.techs[tech] || a.endpoints[tech+"/"+resource]
}

// Subscriptions lists app's event sources ("endpoint:PJSIP",
// "endpoint:PJSIP/op122-06", "deviceState:NAME", and "subscribeAll" for a
// socket opened with subscribeAll=true), sorted; nil if the app does not exist.
func (s *Server) Subscriptions(app string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[app]
	if a == nil {
		return nil
	}
	out := []string{}
	if a.all {
		out = append(out, "subscribeAll")
	}
	for t := range a.techs {
		out = append(out, "endpoint:"+t)
	}
	for e := range a.endpoints {
		out = append(out, "endpoint:"+e)
	}
	for d := range a.devices {
		out = append(out, "deviceState:"+d)
	}
	sort.Strings(out)
	return out
}

// conn is one event WebSocket. Messages are queued without blocking the
// emitter and written by the connection's own writer goroutine.
type conn struct {
	ws     *websocket.Conn
	app    string
	ctx    context.Context
	cancel context.CancelFunc
	sent   *atomic.Int64
	total  *atomic.Int64

	mu       sync.Mutex
	queue    [][]byte
	spare    [][]byte
	replaced bool // got ApplicationReplaced: nothing more is sent
	wake     chan struct{}
}

func (c *conn) enqueue(msg []byte) {
	c.mu.Lock()
	if !c.replaced {
		c.queue = append(c.queue, msg)
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// writeLoop writes queued messages until the connection ends.
func (c *conn) writeLoop() {
	for {
		select {
		case <-c.wake:
		case <-c.ctx.Done():
			return
		}
		c.mu.Lock()
		batch := c.queue
		c.queue, c.spare = c.spare[:0], nil
		c.mu.Unlock()
		for i, m := range batch {
			// Background: a cancellable ctx costs an AfterFunc per write;
			// kill closes the socket, which ends a blocked write anyway.
			if err := c.ws.Write(context.Background(), websocket.MessageText, m); err != nil {
				c.kill()
				return
			}
			c.sent.Add(1)
			c.total.Add(1)
			batch[i] = nil
		}
		c.mu.Lock()
		if c.spare == nil {
			c.spare = batch[:0]
		}
		c.mu.Unlock()
	}
}

// kill closes the socket abruptly, without a close frame.
func (c *conn) kill() {
	c.cancel()
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		_ = ws.CloseNow()
	}
}

// handleEvents serves GET /ari/events?app=NAME[&subscribeAll=true].
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("app")
	if name == "" {
		writeError(w, http.StatusBadRequest, "Missing param 'app'")
		return
	}
	if strings.Contains(name, ",") {
		writeError(w, http.StatusBadRequest, "pbxsim: one application per socket")
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		writeError(w, http.StatusBadRequest, "WebSocket upgrade required")
		return
	}
	all := q.Get("subscribeAll") == "true"

	c, err := s.attach(name, all)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.detach(c)
		c.cancel()
		s.wg.Done()
		s.log.Warn().Err(err).Str("app", name).Msg("websocket accept")
		return
	}
	c.mu.Lock()
	c.ws = ws
	c.mu.Unlock()
	if c.ctx.Err() != nil { // dropped while accepting
		_ = ws.CloseNow()
	}
	s.log.Debug().Str("app", name).Bool("subscribeAll", all).Msg("websocket connected")

	done := make(chan struct{})
	go func() {
		defer close(done)
		c.writeLoop()
	}()
	for {
		if _, _, err := ws.Read(context.Background()); err != nil { // kill ends it
			break
		}
	}
	c.kill()
	<-done
	s.detach(c)
	s.log.Debug().Str("app", name).Msg("websocket closed")
	s.wg.Done()
}

// attach registers a socket under app name, taking the application over
// from a previous socket if there is one (run3-application-replaced.jsonl):
// the old socket gets ApplicationReplaced and nothing after it, and is left
// open; the subscriptions stay with the application. The app exists from
// here on, so a subscription POSTed right after the handshake finds it.
func (s *Server) attach(name string, all bool) (*conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.ctx == nil {
		return nil, errors.New("pbxsim: server closed")
	}
	if s.cut[name] {
		return nil, errors.New("pbxsim: application " + name + " is cut off")
	}
	s.wg.Add(1)
	sent := s.sent[name]
	if sent == nil {
		sent = new(atomic.Int64)
		s.sent[name] = sent
	}
	c := &conn{app: name, sent: sent, total: &s.sentTotal, wake: make(chan struct{}, 1)}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	s.conns[c] = struct{}{}
	a := s.apps[name]
	if a == nil {
		a = &application{name: name, techs: map[string]bool{}, endpoints: map[string]bool{}, devices: map[string]bool{}}
		s.apps[name] = a
	} else if old := a.conn; old != nil {
		ev := event{typ: ApplicationReplaced, at: s.clock()}
		old.enqueue(ev.encode(nil, s.opts.AsteriskID, name))
		old.mu.Lock()
		old.replaced = true
		old.mu.Unlock()
		s.log.Info().Str("app", name).Msg("application replaced by a new socket")
	}
	a.conn = c
	a.all = a.all || all
	s.notifyLocked()
	return c, nil
}

// detach forgets a socket; its application goes with it unless another
// socket took it over.
func (s *Server) detach(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if a := s.apps[c.app]; a != nil && a.conn == c {
		delete(s.apps, c.app)
		s.notifyLocked()
	}
}

// SendRaw sends msg as one text message to app's socket, as is.
func (s *Server) SendRaw(app string, msg []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[app]
	if a == nil || a.conn == nil {
		return fmt.Errorf("pbxsim: application %q not connected", app)
	}
	a.conn.enqueue(append([]byte(nil), msg...))
	return nil
}
