package health

import "time"

// computerState is what our probes last said of a desk's computer.
type computerState struct {
	verdict probeState // none until the first verdict
	at      time.Time
	detail  string
}

// ComputerView is a desk's computer as the tracker knows it.
type ComputerView struct {
	Host  string
	State State // up, down, or unknown before the first verdict
	At    time.Time
	// Detail is the probe's own word ("icmp echo reply", "tcp connect refused").
	Detail string
}

// observeComputer applies a computer verdict to its desk.
func (t *Tracker) observeComputer(o Observation) []Transition {
	d, ok := t.desks[o.Workstation]
	if !ok || d.ws.Computer == "" {
		return nil
	}
	v := probeOK
	if o.Kind == KindComputerDown {
		v = probeLost
	}
	d.computer = computerState{verdict: v, at: o.At, detail: o.Detail}
	return d.decide(o)
}

// withComputer fuses the desk's phones (st, cause) with its computer (rules
// in doc.go): a desk whose computer is watched takes calls only while a
// phone and the computer are both up.
func (d *desk) withComputer(st State, cause Cause) (State, Cause) {
	if d.ws.Computer == "" || (st == StateDown && cause != "") {
		return st, cause // not watched, or down for the phones' (or the PBX's) cause
	}
	switch d.computer.verdict {
	case probeLost:
		return StateDown, CauseComputer
	case probeOK:
		return st, cause
	}
	return StateUnknown, "" // no verdict yet: a phone up is not enough
}

func (d *desk) computerView() *ComputerView {
	if d.ws.Computer == "" {
		return nil
	}
	v := &ComputerView{Host: d.ws.Computer, State: StateUnknown, At: d.computer.at, Detail: d.computer.detail}
	switch d.computer.verdict {
	case probeOK:
		v.State = StateUp
	case probeLost:
		v.State = StateDown
	}
	return v
}
