// Package hostprobe asks the operators' computers whether they are there
// (ICMP echo, or TCP connect for hosts that drop ping) and reports the
// verdicts as health.Observations of source computer: computer_up and
// computer_down for the desk (Observation.Workstation). The tracker then
// takes a desk down while its computer is silent (health/doc.go).
//
// # Rules
//
//   - ICMP: one echo request per probe, from an unprivileged datagram ICMP
//     socket (which Linux allows to the groups in net.ipv4.ping_group_range;
//     see README). An echo reply from the host, to this probe, within the
//     timeout is an answer; any other reply is ignored (Stats.Ignored).
//   - TCP: a connect to host:port within the timeout is an answer, and the
//     connection is closed at once with a reset (SO_LINGER 0): the
//     computer's service sees a connection accepted and reset, and neither
//     end keeps a TIME_WAIT. A reset after the handshake is an answer too
//     (the port accepted). A refused connection is a miss: the port named
//     is the one that must answer (an agent, RDP), so a computer whose
//     software is gone is not taken for one that works. An error sending
//     (no route, a broadcast address) is a miss at once.
//   - Hysteresis per desk, like sipprobe's: computer_down after Misses
//     consecutive misses, At the deadline of the last (or its error's
//     instant, if earlier); computer_up after Answers consecutive answers
//     (the first answer at once while the state is unknown), At its
//     arrival, with its RTT. Only changes are emitted; every probe's outcome
//     is in Result. A silent computer is down within Interval × Misses +
//     Timeout.
//
// # Schedule
//
// Each desk's probes leave at phase + k·Interval (absolute time; phase from
// the FNV-1a of the desk id), so 10,000 computers are spread evenly over the
// interval and keep their slot across restarts. Probes due within 100 ms of
// a wake-up (a tenth of the shortest interval, if less) leave with it: early,
// never late. Run's goroutine owns the schedule and every probe in flight.
//
// # How a probe is made
//
// A host given as an IP address is probed by the poller (poller.go,
// flights.go): a non-blocking connect, or an echo request on one ICMP
// socket shared by all hosts of an address family, watched by one epoll
// instance that the runtime's netpoller watches in turn. One goroutine
// wakes when sockets are ready and hands Run all of them at once; Run
// matches them to their probes (a socket's number and the probe's own; an
// echo's sequence, payload and source) and ends the probes whose deadline
// passed, dated at the deadline. No goroutine, timer or net.Conn per probe:
// 10,000 computers every 10 s cost under 5 % of a core (bench/README.md).
// A host given by name is resolved at each probe, which blocks: it goes
// through net.Dialer (TCP) or pro-bing (ICMP, a socket per probe) in a
// goroutine of its own, at most MaxInFlight at once. So do all probes when
// Options.Dial or Options.Ping replace the checks (tests). A desk is never
// probed twice at once; a slot missed that way counts in Stats.Skipped.
// Verdicts queue inside Run until the consumer takes them: a slow consumer
// delays no probe and loses nothing. Linux only (epoll, ICMP datagram
// sockets).
package hostprobe
