package pbxsim

import (
	"encoding/json"
	"strconv"
	"time"
)

// TimeFormat is the layout of ARI timestamps: milliseconds, offset without
// a colon, always emitted in UTC ("+0000").
const TimeFormat = "2006-01-02T15:04:05.000-0700"

// Event types this server emits (see the fixtures).
const (
	ContactStatusChange = "ContactStatusChange"
	PeerStatusChange    = "PeerStatusChange"
	EndpointStateChange = "EndpointStateChange"
	DeviceStateChanged  = "DeviceStateChanged"
	ApplicationReplaced = "ApplicationReplaced"
)

// Contact statuses as ARI names them.
const (
	StatusNonQualified = "NonQualified"
	StatusReachable    = "Reachable"
	StatusUnreachable  = "Unreachable"
	StatusRemoved      = "Removed"
)

const tech = "PJSIP"

// event is one ARI event before it is addressed to an application.
type event struct {
	typ      string
	at       time.Time
	tech     string
	resource string // endpoint events
	state    string // endpoint state: online | offline
	uri      string // ContactStatusChange
	status   string // contact_status or peer_status
	rtt      string // roundtrip_usec
	device   string // DeviceStateChanged
	devState string
}

// routes reports whether an application receives ev. The rules are the
// recordings': subscribeAll gets Contact/Peer status and device states but
// never EndpointStateChange; an endpoint subscription (technology or single
// endpoint) gets EndpointStateChange and Contact/Peer status but no device
// states; no subscription, nothing.
func (a *application) routes(ev *event) bool {
	switch ev.typ {
	case EndpointStateChange:
		return a.hasEndpoint(ev.tech, ev.resource)
	case ContactStatusChange, PeerStatusChange:
		return a.all || a.hasEndpoint(ev.tech, ev.resource)
	case DeviceStateChanged:
		return a.all || a.devices[ev.device]
	default:
		return true
	}
}

// encode renders ev for application app with Asterisk's field order.
func (ev *event) encode(b []byte, asteriskID, app string) []byte {
	b = append(b, `{"type":`...)
	b = appendStr(b, ev.typ)
	if ev.typ == DeviceStateChanged { // Asterisk puts application second here
		b = append(b, `,"application":`...)
		b = appendStr(b, app)
	}
	b = append(b, `,"timestamp":"`...)
	b = ev.at.UTC().AppendFormat(b, TimeFormat)
	b = append(b, '"')
	switch ev.typ {
	case ContactStatusChange, PeerStatusChange, EndpointStateChange:
		b = append(b, `,"endpoint":{"technology":`...)
		b = appendStr(b, ev.tech)
		b = append(b, `,"resource":`...)
		b = appendStr(b, ev.resource)
		b = append(b, `,"state":`...)
		b = appendStr(b, ev.state)
		b = append(b, `,"channel_ids":[]}`...)
	}
	switch ev.typ {
	case ContactStatusChange:
		b = append(b, `,"contact_info":{"uri":`...)
		b = appendStr(b, ev.uri)
		b = append(b, `,"contact_status":`...)
		b = appendStr(b, ev.status)
		b = append(b, `,"aor":`...)
		b = appendStr(b, ev.resource)
		b = append(b, `,"roundtrip_usec":`...)
		b = appendStr(b, ev.rtt)
		b = append(b, '}')
	case PeerStatusChange:
		b = append(b, `,"peer":{"peer_status":`...)
		b = appendStr(b, ev.status)
		b = append(b, '}')
	case DeviceStateChanged:
		b = append(b, `,"device_state":{"name":`...)
		b = appendStr(b, ev.device)
		b = append(b, `,"state":`...)
		b = appendStr(b, ev.devState)
		b = append(b, '}')
	case ApplicationReplaced:
		b = append(b, `,"application":`...)
		b = appendStr(b, app)
	}
	b = append(b, `,"asterisk_id":`...)
	b = appendStr(b, asteriskID)
	if ev.typ != DeviceStateChanged && ev.typ != ApplicationReplaced {
		b = append(b, `,"application":`...)
		b = appendStr(b, app)
	}
	return append(b, '}')
}

// appendStr appends s as a JSON string.
func appendStr(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// emitLocked delivers evs, in order, to every connected application that
// routes them. Callers hold s.mu, which keeps the order of concurrent
// script actions consistent with the state they produced.
func (s *Server) emitLocked(evs []event) {
	for _, a := range s.apps {
		if a.conn == nil {
			continue
		}
		for i := range evs {
			if a.routes(&evs[i]) {
				a.conn.enqueue(evs[i].encode(make([]byte, 0, 384), s.opts.AsteriskID, a.name))
			}
		}
	}
}

// roundtrip is a plausible, stable qualify round trip for a resource, in
// microseconds (the recordings show 1658..9239).
func roundtrip(resource string) string {
	h := uint32(2166136261)
	for i := 0; i < len(resource); i++ {
		h = (h ^ uint32(resource[i])) * 16777619
	}
	return strconv.Itoa(1500 + int(h%2000))
}
