// Package health is deskwatch's pure core: it turns evidence about operator
// phones into workstation states, transitions and failure spans, and computes
// the availability indicator of the regional quality standard (п.28):
//
//	D = ΣDi / N,  Di = (t_provided − t_unavailable) / t_provided
//
// It does no I/O and never reads the clock: "now" is always a parameter.
//
// # Evidence rules (ARI)
//
// Derived from real Asterisk 22 traffic (shared/fixtures/ari). Per endpoint:
//
//	evidence                                   effect on the endpoint
//	-----------------------------------------  --------------------------------------------
//	snapshot online  (GET /endpoints)          up; forget contacts seen before the snapshot
//	snapshot offline                           down, cause offline; forget contacts
//	configured but absent from the snapshot    down, cause missing
//	ContactStatusChange NonQualified|Reachable contact available → up (registered)
//	ContactStatusChange Unreachable            contact unreachable
//	ContactStatusChange Removed                contact gone (un-registered or expired)
//	  after any contact event:                 up if any contact available; else down,
//	                                           cause unreachable if a contact is still
//	                                           bound, cause unregistered if none is
//	EndpointStateChange online|offline         recorded, never decides: it is the aggregate
//	                                           of the contacts, arrives ms before the
//	                                           contact event that says why, and every PJSIP
//	                                           change comes with a contact event
//	PeerStatusChange, DeviceStateChanged       ignored (same facts as the contact event)
//	AOR contact (REST, after each snapshot)    recorded as the endpoint's contact, never
//	                                           decides: it says where the phone is, not
//	                                           whether it answers
//	an event that arrived while the snapshot   ignored as stale: the snapshot already
//	  was taken and is older than it           reflects it (an event received after the
//	                                           snapshot always applies, even if the PBX's
//	                                           clock is behind ours; its transition is
//	                                           then stamped no earlier than the snapshot)
//	an event dated more than max_skew (2 s)    dated by its receipt (Observation.Dated, by
//	  from its receipt                         the monitor): the PBX clock is off, and
//	                                           believing it would date outages years ahead
//	                                           or pin the desk's time ahead of the real one
//
// # Fusion with our SIP probes (sipprobe)
//
// The prober applies its own hysteresis (misses before down, answers before
// up) and reports only verdicts: probe ok or probe lost. It probes the
// contact Asterisk last said is bound (Observation.BoundContact). Per endpoint:
//
//	ARI (last evidence)   SIP probe      endpoint   why
//	--------------------  -------------  ---------  ---------------------------------------------
//	down (any cause)      any            down       Asterisk will not route calls there; an
//	                                                un-registered phone is down whatever it answers
//	up (registered)       lost           down       registered but dead (qualify off, or slower
//	                                                than ours): cause unreachable, source sip
//	up                    ok or none     up
//	unknown (no evidence) ok             up
//	unknown               lost           down       cause unreachable
//	unknown               none           unknown
//	ARI blind             ok or lost     as above   the desk keeps its state instead of showing
//	                                                unknown; the view marks it ProbeOnly
//
// The PBX's own liveness (OPTIONS to the PBX) overrides everything: while
// the PBX does not answer, every desk is down with cause pbx, all at the
// same instant, so the journal sees one incident, not N. When it answers
// again each desk is decided from its endpoints' evidence.
//
// # The operator's computer (hostprobe)
//
// A desk may name its computer (Workstation.Computer): our probes (ICMP echo
// or TCP connect, with their own hysteresis) report computer_up and
// computer_down for the desk (Observation.Workstation, source computer).
// The phones' verdict (below: any endpoint up) is fused with it:
//
//	phones                 computer       desk      why
//	---------------------  -------------  --------  ---------------------------------------------
//	any                    not watched    phones    as before
//	down (phone's cause)   any            down      the phone's cause: calls are not routed there
//	PBX down               any            down pbx  one incident for every desk, as before
//	up                     up             up        the operator can take the call and see the case
//	up                     down           down      cause computer, source computer: the phone
//	                                                rings, but the operator cannot work
//	up                     no verdict yet unknown   a phone alone is not enough once watched
//	unknown                down           down      cause computer
//	unknown                up or none     unknown
//
// A computer going down while the phone is already down changes nothing (one
// span, the phone's cause); its return alone brings no desk up.
//
// A workstation is up if any of its endpoints is up (an operator can take
// calls on any phone of the desk), down if all are down, unknown otherwise
// (no evidence yet). Its cause is that of its first endpoint.
//
// # Transitions and spans
//
// Observe returns a Transition whenever a desk's decided state changes. A
// failure span opens when a desk becomes down and closes when it becomes up.
// Transition times never run backwards for a desk.
//
// # Blindness
//
// When a source loses sight (the ARI socket is down, the daemon was not
// running) the time is unmonitored: desks show unknown, but their decided
// state and open spans are kept. After the reconnect the snapshot decides:
// a desk down before and after keeps one span; a desk that changed while
// blind changes at the snapshot's time. The blind intervals are stored apart
// and Availability takes them out of t_unavailable and reports them as
// unknown time: never silently up, never counted as a failure.
//
// # Availability
//
// Per desk: the window is the period (up to now) clipped to the desk's service
// window; t_provided is its length. t_unavailable is the measure of the union
// of the desk's non-excluded failure spans within the window, minus blind
// time. Excluded spans (failures not caused by the institution) leave the
// formula and are reported as excluded time. D is the mean of Di over the N
// desks whose window is not empty; per hotline likewise. Di and D are percent.
package health
