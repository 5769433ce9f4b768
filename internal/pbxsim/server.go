package pbxsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Options configure a Server. Zero values get the defaults noted per field.
type Options struct {
	Addr       string // listen address; default "127.0.0.1:0"
	Username   string // ARI user (ari.conf)
	Password   string
	Endpoints  []string // PJSIP endpoint resource names, in configuration order
	AsteriskID string   // asterisk_id / entity_id; default "02:fc:00:00:00:01"
	Logger     zerolog.Logger
	// QualifyFrequency is every AOR's qualify_frequency in seconds; 0 means
	// the default 5, a negative value disables qualify (contacts stay
	// NonQualified). SetQualifyFrequency changes it per AOR.
	QualifyFrequency int
	Clock            func() time.Time // default time.Now
	// Queues maps a queue name to its member resources. Each queue has a
	// device "Queue:<name>_avail": NOT_INUSE while any member is online,
	// INUSE otherwise; subscribeAll apps get its DeviceStateChanged like in
	// the recordings (q122 / q117 there). Nil: no queue devices.
	Queues map[string][]string
}

// Server is a fake Asterisk speaking ARI over HTTP and WebSocket.
// All methods are safe for concurrent use.
type Server struct {
	opts  Options
	log   zerolog.Logger
	clock func() time.Time

	sentTotal atomic.Int64

	mu       sync.Mutex
	ctx      context.Context
	cancel   context.CancelFunc
	addr     string
	hs       *http.Server
	wg       sync.WaitGroup
	started  bool
	closed   bool
	startup  time.Time
	order    []string // endpoint resources, configuration order
	eps      map[string]*endpoint
	queues   map[string]*queue   // by queue name
	memberOf map[string][]*queue // by resource
	apps     map[string]*application
	conns    map[*conn]struct{}
	sent     map[string]*atomic.Int64 // messages written, per app name
	changed  chan struct{}            // closed and replaced whenever apps change
	cut      map[string]bool          // apps whose sockets are refused (CutApp)
	stopOnce sync.Once
}

// ErrUnknownEndpoint is returned by script actions on a resource the PBX
// does not have.
var ErrUnknownEndpoint = errors.New("pbxsim: unknown endpoint")

// New returns a Server; call Start to listen.
func New(opts Options) *Server {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.AsteriskID == "" {
		opts.AsteriskID = "02:fc:00:00:00:01"
	}
	switch {
	case opts.QualifyFrequency == 0:
		opts.QualifyFrequency = 5
	case opts.QualifyFrequency < 0:
		opts.QualifyFrequency = 0
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger.With().Str("component", "pbxsim").Logger(),
		clock:    clock,
		eps:      map[string]*endpoint{},
		queues:   map[string]*queue{},
		memberOf: map[string][]*queue{},
		apps:     map[string]*application{},
		conns:    map[*conn]struct{}{},
		sent:     map[string]*atomic.Int64{},
		changed:  make(chan struct{}),
	}
	for name, members := range opts.Queues {
		q := &queue{name: name}
		s.queues[name] = q
		for _, m := range members {
			s.memberOf[m] = append(s.memberOf[m], q)
		}
	}
	s.SetEndpoints(opts.Endpoints)
	return s
}

// Start listens on Options.Addr and serves until ctx ends or Close is called.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return errors.New("pbxsim: already started or closed")
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("pbxsim: listen: %w", err)
	}
	s.started = true
	s.addr = ln.Addr().String()
	s.ctx, s.cancel = context.WithCancel(ctx)
	context.AfterFunc(s.ctx, s.shutdown)
	s.startup = s.clock()
	s.serveLocked(ln)
	s.log.Info().Str("url", "http://"+s.addr+"/ari").Int("endpoints", len(s.order)).Msg("fake ARI listening")
	return nil
}

func (s *Server) serveLocked(ln net.Listener) {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return s.ctx }}
	s.hs = hs
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("serve")
		}
	}()
}

// URL is the ARI base URL, e.g. "http://127.0.0.1:PORT/ari".
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "http://" + s.addr + "/ari"
}

// Addr is the host:port the server listens on (stable across Restart).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close stops the server, drops every socket and waits for its goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.shutdown()
}

func (s *Server) shutdown() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		if s.hs != nil {
			_ = s.hs.Close()
		}
		drop := s.dropSocketsLocked()
		s.mu.Unlock()
		closeAll(drop)
		s.wg.Wait()
	})
}

// DropSockets closes every WebSocket abruptly (no close frame): the
// applications vanish with them, REST keeps working.
func (s *Server) DropSockets() {
	s.mu.Lock()
	drop := s.dropSocketsLocked()
	s.mu.Unlock()
	closeAll(drop)
}

func (s *Server) dropSocketsLocked() []*conn {
	drop := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		drop = append(drop, c)
	}
	clear(s.conns)
	if len(s.apps) > 0 {
		clear(s.apps)
		s.notifyLocked()
	}
	return drop
}

func closeAll(cs []*conn) {
	for _, c := range cs {
		c.kill()
	}
}

// Restart imitates an Asterisk restart: sockets drop, the port refuses
// connections for down, then the server listens again on the same port with
// no applications or subscriptions, contacts kept (Asterisk keeps them in
// astdb) and a new startup_time. It blocks until the server is back.
func (s *Server) Restart(down time.Duration) error {
	s.mu.Lock()
	if !s.started || s.closed {
		s.mu.Unlock()
		return errors.New("pbxsim: restart: server not running")
	}
	_ = s.hs.Close()
	drop := s.dropSocketsLocked()
	ctx, addr := s.ctx, s.addr
	s.mu.Unlock()
	closeAll(drop)
	s.log.Info().Dur("down", down).Msg("restart: down")

	t := time.NewTimer(down)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	var ln net.Listener
	var err error
	for try := 0; try < 50; try++ { // the old listener may take a moment to let go
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("pbxsim: restart: listen: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = ln.Close()
		return errors.New("pbxsim: restart: server closed")
	}
	s.startup = s.clock()
	s.serveLocked(ln)
	s.log.Info().Msg("restart: up")
	return nil
}

// Connections is the number of open event WebSockets (replaced ones included).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// MessagesSent is the number of WebSocket messages written to app's
// sockets so far (all apps for ""), across reconnects.
func (s *Server) MessagesSent(app string) int64 {
	if app == "" {
		return s.sentTotal.Load()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.sent[app]; n != nil {
		return n.Load()
	}
	return 0
}

// WaitConnected blocks until application app has a connected socket.
func (s *Server) WaitConnected(ctx context.Context, app string) error {
	for {
		s.mu.Lock()
		_, ok := s.apps[app]
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("pbxsim: waiting for app %q: %w", app, ctx.Err())
		}
	}
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}
