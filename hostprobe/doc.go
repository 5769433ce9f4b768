// Package hostprobe asks the operators' computers whether they are there
// (ICMP echo, or TCP connect for hosts that drop ping) and reports the
// verdicts as health.Observations of source computer: computer_up and
// computer_down for the desk (Observation.Workstation). The tracker then
// takes a desk down while its computer is silent (health/doc.go).
//
// # Rules
//
//   - ICMP: one echo request per probe, through github.com/prometheus-
//     community/pro-bing unprivileged (SetPrivileged(false): a datagram ICMP
//     socket, which Linux allows to the groups in net.ipv4.ping_group_range;
//     see README). An echo reply within the timeout is an answer.
//   - TCP: a connect to host:port within the timeout is an answer, and the
//     connection is closed at once. A refused connection is a miss: the port
//     named is the one that must answer (an agent, RDP), so a computer whose
//     software is gone is not taken for one that works.
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
// interval and keep their slot across restarts. Run's goroutine owns the
// schedule; a probe waits in a goroutine of its own (ICMP and TCP both
// block), at most MaxInFlight at once, each ended by its timeout or by
// Run's context; Run waits for them before it returns. A desk is never
// probed twice at once; a slot missed that way counts in Stats.Skipped.
// Verdicts queue inside Run until the consumer takes them: a slow consumer
// delays no probe and loses nothing.
package hostprobe
