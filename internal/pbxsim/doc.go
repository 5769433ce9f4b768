// Package pbxsim is a scriptable fake Asterisk 22 ARI server for tests, the
// demo and benchmarks. It speaks real HTTP and WebSocket on a real socket so
// that an ARI client (deskwatch's, or github.com/CyCoreSystems/ari/v5) cannot
// tell it from Asterisk for the parts deskwatch uses: PJSIP endpoint state,
// contact status, the AOR dynamic config, applications and subscriptions,
// and the event WebSocket.
//
// Everything it says is modelled on the recordings in
// shared/fixtures/ari (Asterisk 22.10.1, AORs with max_contacts=1,
// remove_existing=yes, qualify_frequency=5):
//
//   - Authentication (res_ari.c): HTTP Basic first, else ?api_key=user:pass;
//     failure is 401 {"message":"Authentication required"} with
//     WWW-Authenticate: Basic realm="Asterisk REST Interface".
//   - GET /ari/endpoints[/PJSIP[/{resource}]]: ari-endpoints*.json and
//     ari-endpoint-PJSIP-*.json; lists come in reverse configuration order
//     (op117-10 … op122-01 in the recording); unknown endpoint 404
//     {"message":"Endpoint not found"}.
//   - GET /ari/asterisk/info: ari-asterisk-info.json, entity_id =
//     Options.AsteriskID, startup_time = last Start/Restart.
//   - GET /ari/asterisk/config/dynamic/res_pjsip/aor/{id}: the attribute list
//     of aor-*.json in the same order; contact is the bound URI or "";
//     unknown id 404 as aor-nope-404.json.
//   - /ari/applications[/{app}[/subscription]]: run2-applications.json,
//     run2-subscribe-probe-*.json; errors as resource_applications.c (404
//     Application not found, 400 Missing parameter eventSource, 422 Event
//     source does not exist / was not subscribed to, 400 Invalid event source
//     URI scheme).
//   - GET /ari/events?app=NAME[&subscribeAll=true]: an application exists
//     only while its socket is connected. A second socket with the same name
//     takes it over: the first gets ApplicationReplaced
//     (run3-application-replaced.jsonl) and nothing after it, and stays open;
//     subscriptions carry over.
//
// Events and who gets them (ari-events.jsonl, run2-*.jsonl):
//
//   - subscribeAll=true: ContactStatusChange, PeerStatusChange,
//     DeviceStateChanged; never EndpointStateChange.
//   - endpoint:PJSIP or endpoint:PJSIP/res: EndpointStateChange,
//     ContactStatusChange, PeerStatusChange; no DeviceStateChanged.
//   - no subscription: nothing.
//
// Script actions emit, per endpoint, the sequence Asterisk produced (one
// global order; each app sees the subsequence it routes):
//
//	Register (new contact)    CSC NonQualified (endpoint still offline), ESC online,
//	                          PSC Reachable, CSC Reachable (roundtrip), DSC PJSIP/x
//	                          NOT_INUSE, DSC Queue:q_avail if it flips
//	                          (ari-events 1-9, run2 E1)
//	Register (same contact,   ESC online, PSC Reachable, CSC Reachable, DSCs (run2 E4)
//	  while Unreachable) / Reachable
//	Unregister / Expire       ESC offline, PSC Unreachable, CSC Removed, DSCs
//	                          (run2 E3, ari-events 26-28)
//	  … while Unreachable     CSC Removed only (run2 E6)
//	Unreachable (dead phone)  ESC offline, DSC UNAVAILABLE, DSC queue, PSC
//	                          Unreachable, CSC Unreachable; contact kept
//	                          (ari-events 18-21, run2 E5)
//
// Timestamps are the Options.Clock in UTC, "2006-01-02T15:04:05.000+0000";
// roundtrip_usec is a string. Not recorded, hence guessed: a REGISTER with a
// different contact URI (CSC Removed for the old contact, then the new one's
// NonQualified/Reachable, the endpoint state untouched if it was online),
// AORs with qualify off (contact stays NonQualified, endpoint online), the
// order of the device-state events relative to Contact/Peer events in
// ari-events 10-17 (they vary between runs; pbxsim uses run2's order).
//
// Each socket has its own writer goroutine draining an unbounded queue, so
// script actions never block on a slow reader; the benchmark shows well
// over 50,000 events/s to one socket with 10,000 endpoints.
package pbxsim
