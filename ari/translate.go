package ari

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"deskwatch/health"

	ariv5 "github.com/CyCoreSystems/ari/v5"
)

// Errors returned by Translate. Callers count them and keep reading, except
// for ErrReplaced.
var (
	// ErrMalformed: not JSON, no type, a bad timestamp, or a payload that does
	// not decode into the library's type.
	ErrMalformed = errors.New("malformed ARI event")
	// ErrUnknownType: a well-formed event of a type deskwatch does not use.
	ErrUnknownType = errors.New("unknown ARI event type")
	// ErrUnknownStatus: a contact_status or endpoint state outside the known set.
	ErrUnknownStatus = errors.New("unknown ARI status")
	// ErrReplaced: another WebSocket took over the application name. Asterisk
	// sends nothing more on this socket (and does not close it).
	ErrReplaced = errors.New("ARI application replaced by another WebSocket")
)

// Event types deskwatch reads.
const (
	typeContactStatus = "ContactStatusChange"
	typeEndpointState = "EndpointStateChange"
	typePeerStatus    = "PeerStatusChange"
	typeDeviceState   = "DeviceStateChanged"
	typeAppReplaced   = "ApplicationReplaced"
)

// contactKinds maps ContactInfo.contact_status. NonQualified is what a
// registration starts with (and stays at when qualify is off): registered.
var contactKinds = map[string]health.Kind{
	"NonQualified": health.KindContactAvailable,
	"Reachable":    health.KindContactAvailable,
	"Unreachable":  health.KindContactUnreachable,
	"Removed":      health.KindContactRemoved,
}

// endpointKinds maps Endpoint.state, in events and in snapshots.
var endpointKinds = map[string]health.Kind{
	"online":  health.KindOnline,
	"offline": health.KindOffline,
}

// envelope is the part every ARI message shares.
type envelope struct {
	Type      string          `json:"type"`
	Timestamp json.RawMessage `json:"timestamp"`
}

// Translate turns one WebSocket message into observations. It is pure: the
// same bytes always give the same result.
//
// PeerStatusChange and DeviceStateChanged give (nil, nil): ContactStatusChange
// carries the same facts a few milliseconds apart and names the contact, and
// DeviceStateChanged (only sent with subscribeAll) also reports queues and call
// activity, which say nothing about registration.
func Translate(raw []byte) ([]health.Observation, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.Type == "" {
		return nil, fmt.Errorf("%w: missing type", ErrMalformed)
	}
	// Checked before anything else can fail: missing it would leave us
	// reading a socket that will stay silent forever.
	if env.Type == typeAppReplaced {
		return nil, ErrReplaced
	}
	if len(env.Timestamp) > 0 {
		var ts ariv5.DateTime
		if err := json.Unmarshal(env.Timestamp, &ts); err != nil {
			return nil, fmt.Errorf("%w: bad timestamp %s: %v", ErrMalformed, env.Timestamp, err)
		}
	}

	switch env.Type {
	case typePeerStatus, typeDeviceState:
		return nil, nil
	case typeContactStatus, typeEndpointState:
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, env.Type)
	}
	if len(env.Timestamp) == 0 {
		return nil, fmt.Errorf("%w: %s without timestamp", ErrMalformed, env.Type)
	}
	ev, err := ariv5.DecodeEvent(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, env.Type, err)
	}
	switch e := ev.(type) {
	case *ariv5.ContactStatusChange:
		return contactStatus(e)
	case *ariv5.EndpointStateChange:
		return endpointState(e)
	}
	return nil, fmt.Errorf("%w: %s decoded as %T", ErrMalformed, env.Type, ev)
}

func contactStatus(e *ariv5.ContactStatusChange) ([]health.Observation, error) {
	ep, err := endpointID(e.Endpoint)
	if err != nil {
		return nil, err
	}
	status := e.ContactInfo.ContactStatus
	kind, ok := contactKinds[status]
	if !ok {
		return nil, fmt.Errorf("%w: contact_status %q on %s", ErrUnknownStatus, status, ep)
	}
	detail := typeContactStatus + " " + status
	// roundtrip_usec is a string; "0" means no qualify round trip yet.
	if rt := e.ContactInfo.RoundtripUsec; rt != "" && rt != "0" {
		detail += " roundtrip_usec=" + rt
	}
	return []health.Observation{{
		Endpoint: ep,
		Source:   health.SourceARI,
		Kind:     kind,
		At:       utc(e.Timestamp),
		Contact:  e.ContactInfo.Uri,
		Detail:   detail,
	}}, nil
}

func endpointState(e *ariv5.EndpointStateChange) ([]health.Observation, error) {
	ep, err := endpointID(e.Endpoint)
	if err != nil {
		return nil, err
	}
	kind, ok := endpointKinds[e.Endpoint.State]
	if !ok {
		return nil, fmt.Errorf("%w: endpoint state %q on %s", ErrUnknownStatus, e.Endpoint.State, ep)
	}
	return []health.Observation{{
		Endpoint: ep,
		Source:   health.SourceARI,
		Kind:     kind,
		At:       utc(e.Timestamp),
		Detail:   typeEndpointState + " " + e.Endpoint.State,
	}}, nil
}

// endpointID names an endpoint the way Asterisk and the config do:
// "PJSIP/op122-01". (ari.EndpointData.ID() joins with "|", so it is not used.)
func endpointID(d ariv5.EndpointData) (string, error) {
	if d.Technology == "" || d.Resource == "" {
		return "", fmt.Errorf("%w: missing endpoint technology or resource", ErrMalformed)
	}
	return d.Technology + "/" + d.Resource, nil
}

func utc(t ariv5.DateTime) time.Time { return time.Time(t).UTC() }
