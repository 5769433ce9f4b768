package monitor

import "time"

// Started is closed once Run has restored the state and its loop turns.
func (m *Monitor) Started() <-chan struct{} { return m.started }

// Alive reports whether the loop turned within three heartbeats: it turns
// on every observation and at least every Heartbeat, so a longer silence
// means it is wedged (the watchdog then stops telling systemd it lives).
// A frozen Redis does not count: the loop goes on deciding meanwhile.
func (m *Monitor) Alive() bool {
	return time.Since(time.Unix(0, m.turned.Load())) < 3*m.opt.Heartbeat
}
