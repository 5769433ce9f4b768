package sipprobe

import "time"

// SetSchedules replaces the schedule that targets inherit (Options.Interval,
// Timeout, MissesBeforeDown and AnswersBeforeUp; zero fields keep the
// current value, as for a target's own options) and each target's own
// options (own, by endpoint; absent: none), e.g. on a configuration
// reload. Every target and the PBX take theirs at once; a target whose
// interval changes moves to a new slot; hysteresis states are kept. It is
// all or nothing: if any schedule would be invalid, nothing changes.
func (p *Prober) SetSchedules(defaults TargetOptions, own map[string]*TargetOptions) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	base, err := p.cfg.with(&defaults)
	if err != nil {
		return err
	}
	cfgs := make(map[*target]config, len(p.targets))
	for ep, t := range p.targets {
		c, err := base.with(own[ep])
		if err != nil {
			return err
		}
		cfgs[t] = c
	}
	p.cfg = base
	for t, c := range cfgs {
		t.own = nil
		if o := own[t.key]; o != nil {
			cp := *o
			t.own = &cp
		}
		p.schedule(t, c)
	}
	if p.pbx != nil && p.pbx.cfg != base {
		if p.pbx.cfg.interval != base.interval {
			p.pbx.phase = phaseOf(p.pbx.key, base.interval)
			p.pbx.due = slotAfter(time.Now(), p.pbx.phase, base.interval)
		}
		p.pbx.cfg = base
	}
	p.nudge()
	return nil
}
