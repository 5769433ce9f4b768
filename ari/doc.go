// Package ari follows operator phones through the Asterisk REST Interface and
// turns what it sees into health.Observations.
//
// It reads the events WebSocket itself (github.com/coder/websocket) and only
// borrows data types and ari.DecodeEvent from github.com/CyCoreSystems/ari/v5:
// that library's native client drops events when its bus buffer fills and
// panics on event types it does not know, and a monitor must do neither.
//
// Per connection the Client:
//
//  1. opens GET /ari/events?app=APP (Basic auth in a header, never in the URL);
//  2. subscribes the application to endpoint:TECH. Not subscribeAll: on a busy
//     PBX that carries every channel event, and (recorded on Asterisk 22) it
//     never delivers EndpointStateChange. An application lives only while its
//     socket is up, so this is repeated after every reconnect;
//  3. takes a GET /ari/endpoints/TECH snapshot (Snapshot observations, Missing
//     for configured endpoints the PBX does not know, then Sighted);
//  4. reads the configured endpoints' AORs and emits the contacts they list
//     (AORContact): the snapshot names none, and a phone registered before we
//     connected sends no event that would. Again every AORRefresh;
//  5. streams translated events; events that arrived during the snapshot are
//     emitted after it, the core discards the stale ones.
//
// Any failure emits one Blind per outage and reconnects with jittered
// exponential backoff. Observations are sent with backpressure: never dropped.
package ari
