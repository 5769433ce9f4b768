// Package sipprobe asks operator phones (and the PBX) with SIP OPTIONS whether
// they are there, and reports the answers as health.Observations.
//
// # Why
//
// Asterisk's PJSIP qualify is off by default (qualify_frequency=0) and a
// registration lives 3600 s: a phone that lost power looks registered, and
// ARI says nothing, for up to an hour. deskwatch therefore sends its own
// OPTIONS to every registered contact and sees a dead desk within seconds.
// Probing the PBX too tells a desk's failure from the PBX's own.
//
// # Rules
//
//   - Any final response (200–699) to our OPTIONS proves the peer's SIP stack
//     alive. That includes 401/407 (Asterisk challenges every unauthenticated
//     OPTIONS, recorded in testdata/asterisk-401-options.sip), 404, 486 and
//     503 (do-not-disturb or maintenance on many phones): alive, with the code
//     kept in Observation.Code and Results. Provisional responses alone, a
//     timeout, and transport errors (refused, unreachable, TLS) are misses.
//   - A response counts only if it answers a probe in flight: the Via branch
//     finds the probe, sipua.Match requires its Call-ID, CSeq (number and
//     method) and From tag, and a well-formed answer to an OPTIONS (sipgo's
//     own client transactions match on branch and CSeq method alone, RFC
//     3261 17.1.3, and would take a foreign Call-ID as the answer: see
//     internal/sipua/sipgo_test.go). Everything else (garbled, truncated, forged, late, or
//     a request sent to us) is counted in Stats.Stray and changes nothing; a
//     forged response cannot end a probe, so the real answer still counts.
//   - Hysteresis per target: KindProbeLost after MissesBeforeDown consecutive
//     misses, At = the deadline of the last missed probe (or the moment of
//     its transport error, if earlier), Code 0; KindProbeOK after
//     AnswersBeforeUp consecutive answers, At = the arrival of the last one,
//     with its Code and RTT. The state starts unknown: the first answer
//     reports KindProbeOK at once, the first MissesBeforeDown misses report
//     KindProbeLost. Only state changes are emitted; every probe's outcome is
//     in Results.
//   - The PBX (Options.PBX) follows the same rules and schedule and emits
//     source-level KindPBXDown / KindPBXUp (Endpoint ""), KindPBXUp also
//     once at start when it first answers.
//   - RemoveTarget emits nothing (the endpoint is no longer watched); an
//     answer to a probe in flight for a removed target is discarded.
//     SetTarget on a known endpoint changes contact and options and keeps
//     the hysteresis state.
//
// # Schedule
//
// Every target has a fixed phase: FNV-1a of its endpoint name modulo its
// interval. Its probes leave at the absolute instants phase + k·interval, so
// 10,000 desks are spread evenly over the interval, never on one tick, and a
// desk keeps its slot across restarts.
//
// Run's goroutine owns the schedule (a heap of targets by due time) and a
// heap of probes in flight by their next resend or deadline. A UDP probe to
// an IP costs no goroutine: Run writes the datagram and registers the probe
// by its Via branch; the answer, read by sipgo, ends it from sipgo's
// response goroutine; Run resends it like RFC 3261 timer E (T1, doubling)
// and ends it at its deadline. Probes that must dial (TCP, TLS) or resolve
// a name run in goroutines bounded by MaxConnecting. A silent or slow peer
// holds nothing but its own probe; no goroutine idles per target, and there
// is no lock shared by all probes (with a goroutine per probe and sipgo's
// client transactions, one RWMutex for all, the prober collapsed above
// ~12,000 probes a second on two cores). A target is never probed twice at
// once (Timeout < Interval); a slot missed anyway counts in Stats.Skipped.
// Observations queue in order inside the Prober until the consumer takes
// them: a slow consumer delays no probe, and none is dropped.
//
// # Transports
//
// The contact URI decides: UDP by default, ;transport=tcp, ;transport=tls or
// sips: (TLS; sipgo alone would send a sips: URI without ;transport over
// UDP). UDP probes leave from one socket (Options.Listen), served by sipgo's
// UDP transport, with rport, so phones answer to where the probe came from;
// the Via and From carry Options.Host, the listen IP, or the local address
// routing to the target. TCP and TLS connections are dialed by sipgo's
// transport within the timeout and kept for the next probe. A UDP read
// filter drops datagrams that cannot be SIP before sipgo parses them, so a
// garbage flood costs little.
//
// # Logs
//
// sipgo logs through log/slog. A Prober hands its transport, transaction
// and client layers a handler writing into Options.Logger, counting the
// packets sipgo drops with a log line ("failed to parse", ...) as stray and
// demoting those lines to debug. The few package-level sipgo logs go to
// sip.DefaultLogger: call BridgeSIPLogs once at start-up, before any user
// agent exists (sip.SetDefaultLogger writes an unguarded global).
package sipprobe
