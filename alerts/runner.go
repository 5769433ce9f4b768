package alerts

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Runner evaluates the rules on a ticker and hands the events to the
// notifier. It owns the evaluator and runs the notifier.
type Runner struct {
	eval   *Evaluator
	notify *Notifier
	input  func() Input
	every  time.Duration
	log    zerolog.Logger
	now    func() time.Time
}

// NewRunner builds a runner that calls input every interval (default 1s; it
// must be fast and must not block: take a snapshot of the monitor). notify
// may be nil: events are then only logged.
func NewRunner(eval *Evaluator, notify *Notifier, input func() Input, every time.Duration, log zerolog.Logger) *Runner {
	if every <= 0 {
		every = time.Second
	}
	return &Runner{eval: eval, notify: notify, input: input, every: every, log: log, now: time.Now}
}

// Run evaluates at once and then on every tick, and runs the notifier,
// until ctx ends; it returns after the notifier has stopped.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	if r.notify != nil {
		wg.Go(func() {
			if err := r.notify.Run(ctx, nil); err != nil {
				r.log.Error().Err(err).Msg("notifier")
			}
		})
	}
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		r.tick()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (r *Runner) tick() {
	for _, ev := range r.eval.Evaluate(r.now().UTC(), r.input()) {
		r.log.Info().Str("alert", ev.ID).Str("event", ev.Kind).Str("rule_kind", ev.RuleKind).
			Time("since", ev.Since).Str("summary", ev.SummaryEN).Msg("alert")
		if r.notify != nil {
			r.notify.Send(ev)
		}
	}
}
