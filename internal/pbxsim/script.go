package pbxsim

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// endpoint is one PJSIP endpoint with its single AOR (max_contacts=1).
type endpoint struct {
	resource string
	online   bool
	contact  string // bound contact URI, "" if none
	status   string // contact status: NonQualified | Reachable | Unreachable | ""
	qualify  int    // AOR qualify_frequency, seconds; 0 = off
}

type queue struct {
	name   string
	online int // members online
}

func (q *queue) device() string { return "Queue:" + q.name + "_avail" }

func (q *queue) state() string {
	if q.online > 0 {
		return "NOT_INUSE"
	}
	return "INUSE"
}

// EndpointState is what State reads back.
type EndpointState struct {
	Resource         string
	State            string // "online" | "offline"
	Contact          string // bound contact URI, "" if none
	ContactStatus    string // NonQualified | Reachable | Unreachable | ""
	QualifyFrequency int
}

// ErrNoContact is returned by Reachable/Unreachable on an endpoint without
// a bound contact, or whose AOR does not qualify.
var ErrNoContact = errors.New("pbxsim: no qualified contact")

// State reads an endpoint back.
func (s *Server) State(resource string) (EndpointState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := s.eps[resource]
	if ep == nil {
		return EndpointState{}, false
	}
	return EndpointState{Resource: ep.resource, State: ep.stateName(), Contact: ep.contact,
		ContactStatus: ep.status, QualifyFrequency: ep.qualify}, true
}

func (ep *endpoint) stateName() string {
	if ep.online {
		return "online"
	}
	return "offline"
}

// SetEndpoints replaces the configured endpoints (a reload). Endpoints kept
// keep their state; new ones start offline without contact. No events.
func (s *Server) SetEndpoints(resources []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := make(map[string]*endpoint, len(resources))
	order := make([]string, 0, len(resources))
	for _, r := range resources {
		if _, dup := keep[r]; dup {
			continue
		}
		ep := s.eps[r]
		if ep == nil {
			ep = &endpoint{resource: r, qualify: s.opts.QualifyFrequency}
		}
		keep[r] = ep
		order = append(order, r)
	}
	for r, ep := range s.eps {
		if keep[r] == nil && ep.online {
			s.setOnlineLocked(ep, false)
		}
	}
	s.eps, s.order = keep, order
}

// addEndpointLocked configures an endpoint not known yet (Replay).
func (s *Server) addEndpointLocked(resource string) *endpoint {
	ep := &endpoint{resource: resource, qualify: s.opts.QualifyFrequency}
	s.eps[resource] = ep
	s.order = append(s.order, resource)
	return ep
}

// SetQualifyFrequency sets one AOR's qualify_frequency (0 disables qualify).
func (s *Server) SetQualifyFrequency(resource string, seconds int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, err := s.endpointLocked(resource)
	if err != nil {
		return err
	}
	ep.qualify = max(seconds, 0)
	return nil
}

func (s *Server) endpointLocked(resource string) (*endpoint, error) {
	ep := s.eps[resource]
	if ep == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownEndpoint, resource)
	}
	return ep, nil
}

// setOnlineLocked changes the endpoint state and returns the queues whose
// availability flipped.
func (s *Server) setOnlineLocked(ep *endpoint, online bool) []*queue {
	if ep.online == online {
		return nil
	}
	ep.online = online
	var flipped []*queue
	for _, q := range s.memberOf[ep.resource] {
		before := q.online > 0
		if online {
			q.online++
		} else {
			q.online--
		}
		if before != (q.online > 0) {
			flipped = append(flipped, q)
		}
	}
	return flipped
}

// batch collects the events of one script action, stamped by the clock.
type batch struct {
	s   *Server
	ep  *endpoint
	evs []event
}

func (s *Server) batch(ep *endpoint) *batch { return &batch{s: s, ep: ep} }

func (b *batch) endpointEvent(typ string) *event {
	b.evs = append(b.evs, event{typ: typ, at: b.s.clock(), tech: tech,
		resource: b.ep.resource, state: b.ep.stateName()})
	return &b.evs[len(b.evs)-1]
}

func (b *batch) contact(uri, status, rtt string) {
	ev := b.endpointEvent(ContactStatusChange)
	ev.uri, ev.status, ev.rtt = uri, status, rtt
}

func (b *batch) peer(status string) { b.endpointEvent(PeerStatusChange).status = status }

func (b *batch) device(name, state string) {
	b.evs = append(b.evs, event{typ: DeviceStateChanged, at: b.s.clock(), device: name, devState: state})
}

// online flips the endpoint state: EndpointStateChange now, the device
// states (PJSIP/x and its queues) returned for the caller to place.
func (b *batch) online(on bool) (devices func()) {
	flipped := b.s.setOnlineLocked(b.ep, on)
	b.endpointEvent(EndpointStateChange)
	return func() {
		st := "UNAVAILABLE"
		if on {
			st = "NOT_INUSE"
		}
		b.device(tech+"/"+b.ep.resource, st)
		for _, q := range flipped {
			b.device(q.device(), q.state())
		}
	}
}

func (b *batch) emit() { b.s.emitLocked(b.evs) }

// Register binds contactURI to the endpoint's AOR, as a REGISTER would.
// A new contact gives ContactStatusChange NonQualified (endpoint still
// offline), then EndpointStateChange online, PeerStatusChange Reachable,
// ContactStatusChange Reachable and the device states (ari-events.jsonl
// 1-5, run2 E1). Re-registering the same contact while Unreachable gives
// the Reachable sequence without NonQualified (run2 E4); while reachable,
// nothing. A different URI replaces the old contact (remove_existing):
// ContactStatusChange Removed for the old one first.
func (s *Server) Register(resource, contactURI string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, err := s.endpointLocked(resource)
	if err != nil {
		return err
	}
	b := s.batch(ep)
	switch {
	case ep.contact == contactURI && ep.status == StatusUnreachable:
		b.reachable()
		b.emit()
		return nil
	case ep.contact == contactURI:
		return nil // refresh
	case ep.contact != "":
		b.contact(ep.contact, StatusRemoved, "0")
	}
	ep.contact, ep.status = contactURI, StatusNonQualified
	b.contact(contactURI, StatusNonQualified, "0")
	var devices func()
	if !ep.online {
		devices = b.online(true)
		b.peer(StatusReachable)
	}
	if ep.qualify > 0 {
		ep.status = StatusReachable
		b.contact(contactURI, StatusReachable, roundtrip(resource))
	}
	if devices != nil {
		devices()
	}
	b.emit()
	return nil
}

// reachable: an Unreachable contact answers qualify again (run2 E4).
func (b *batch) reachable() {
	devices := b.online(true)
	b.peer(StatusReachable)
	b.ep.status = StatusReachable
	b.contact(b.ep.contact, StatusReachable, roundtrip(b.ep.resource))
	devices()
}

// Unregister removes the contact as a REGISTER with Expires: 0 does:
// EndpointStateChange offline, PeerStatusChange Unreachable,
// ContactStatusChange Removed, device states (run2 E3). If the contact was
// Unreachable, only ContactStatusChange Removed (run2 E6). No contact: no-op.
func (s *Server) Unregister(resource string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, err := s.endpointLocked(resource)
	if err != nil {
		return err
	}
	if ep.contact == "" {
		return nil
	}
	b := s.batch(ep)
	var devices func()
	if ep.online {
		devices = b.online(false)
		b.peer(StatusUnreachable)
	}
	b.contact(ep.contact, StatusRemoved, "0")
	ep.contact, ep.status = "", ""
	if devices != nil {
		devices()
	}
	b.emit()
	return nil
}

// Expire is the registration running out: the same events as Unregister
// (ari-events.jsonl 26-28).
func (s *Server) Expire(resource string) error { return s.Unregister(resource) }

// qualifiedLocked is an endpoint with a contact that Asterisk qualifies:
// only such a contact can turn (un)reachable.
func (s *Server) qualifiedLocked(resource string) (*endpoint, error) {
	ep, err := s.endpointLocked(resource)
	if err != nil {
		return nil, err
	}
	if ep.contact == "" || ep.qualify == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoContact, resource)
	}
	return ep, nil
}

// Unreachable makes the contact stop answering qualify (phone killed):
// EndpointStateChange offline, device states, PeerStatusChange Unreachable,
// ContactStatusChange Unreachable (ari-events.jsonl 18-21, run2 E5). The
// contact stays bound.
func (s *Server) Unreachable(resource string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, err := s.qualifiedLocked(resource)
	if err != nil {
		return err
	}
	if ep.status == StatusUnreachable {
		return nil
	}
	b := s.batch(ep)
	b.online(false)()
	b.peer(StatusUnreachable)
	ep.status = StatusUnreachable
	b.contact(ep.contact, StatusUnreachable, "0")
	b.emit()
	return nil
}

// Reachable makes an Unreachable contact answer qualify again.
func (s *Server) Reachable(resource string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, err := s.qualifiedLocked(resource)
	if err != nil {
		return err
	}
	if ep.status != StatusUnreachable {
		return nil
	}
	b := s.batch(ep)
	b.reachable()
	b.emit()
	return nil
}

// Flap makes a registered contact fail and recover qualify n times:
// Unreachable, wait every, Reachable, wait every, ... It blocks until done
// or ctx ends.
func (s *Server) Flap(ctx context.Context, resource string, n int, every time.Duration) error {
	wait := func() error {
		t := time.NewTimer(every)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i := range n {
		if err := s.Unreachable(resource); err != nil {
			return err
		}
		if err := wait(); err != nil {
			return err
		}
		if err := s.Reachable(resource); err != nil {
			return err
		}
		if i < n-1 {
			if err := wait(); err != nil {
				return err
			}
		}
	}
	return nil
}
