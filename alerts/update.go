package alerts

import (
	"context"
	"slices"
	"sync"
	"time"
)

// update is one Update request.
type update struct {
	rules  []Rule
	notify *Notifier // nil: keep the running one
	done   chan struct{}
}

// Update replaces the rules and, if notify is not nil, the notifier while
// Run runs (a configuration reload), between two evaluations. A rule that
// keeps its name and condition keeps its state (a firing alert stays
// firing and is not sent again; changing only its channels is such a
// rule); the state of a changed or removed rule is dropped, logged, with
// no event. A replaced notifier delivers what it queued, then stops. It
// returns once applied, or with ctx's error.
//
// While Run is not running (a standby instance, whose leader sends the
// alerts) the rules and notifier are taken at once, for the next Run.
func (r *Runner) Update(ctx context.Context, rules []Rule, notify *Notifier) error {
	u := update{rules: rules, notify: notify, done: make(chan struct{})}
	for {
		r.mu.Lock()
		if !r.running {
			r.eval.setRules(rules)
			r.minUp = RuleMetrics(rules)
			if notify != nil {
				r.notify = notify
			}
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
		select {
		case r.updates <- u:
			<-u.done
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond): // Run may have stopped meanwhile
		}
	}
}

// apply runs in Run: it swaps the rules and the notifier and returns the
// channel that drains the running notifier.
func (r *Runner) apply(ctx context.Context, wg *sync.WaitGroup, u update, drain chan Event) chan Event {
	defer close(u.done)
	for _, id := range r.eval.setRules(u.rules) {
		r.log.Warn().Str("alert", id).Msg("alert rule changed or removed by a reload: its state is dropped, nothing sent")
	}
	r.mu.Lock()
	r.minUp = RuleMetrics(u.rules)
	r.mu.Unlock()
	if u.notify == nil {
		return drain
	}
	close(drain) // the old notifier delivers its queue and stops
	r.mu.Lock()
	r.notify = u.notify
	r.mu.Unlock()
	return r.runNotifier(ctx, wg, u.notify)
}

// ChannelStats are the current notifier's channel counters (none without
// one). Safe from any goroutine.
func (r *Runner) ChannelStats() []ChannelStats {
	if n := r.notifier(); n != nil {
		return n.Stats()
	}
	return nil
}

// setRules replaces the rules; instances of rules whose name and condition
// stay keep their state, the others are dropped and their ids returned.
func (e *Evaluator) setRules(rules []Rule) (dropped []string) {
	e.rules = slices.Clone(rules)
	byName := make(map[string]*Rule, len(e.rules))
	for i := range e.rules {
		byName[e.rules[i].Name] = &e.rules[i]
	}
	kept := e.order[:0]
	for _, it := range e.order {
		if nr, ok := byName[it.rule.Name]; ok && sameCondition(*nr, *it.rule) {
			it.rule = nr
			kept = append(kept, it)
			continue
		}
		delete(e.inst, it.id)
		if it.phase != phaseOK {
			dropped = append(dropped, it.id)
		}
	}
	clear(e.order[len(kept):])
	e.order = kept
	return dropped
}

// sameCondition: the rules watch the same thing the same way (channels
// aside).
func sameCondition(a, b Rule) bool {
	return a.Name == b.Name && a.Kind == b.Kind && a.Hotline == b.Hotline && a.MinUp == b.MinUp && a.For == b.For && a.Days == b.Days
}
