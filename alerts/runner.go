package alerts

import (
	"context"
	"deskwatch/metrics"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Runner evaluates the rules on a ticker and hands the events to the
// notifier. It owns the evaluator and runs the notifier.
type Runner struct {
	eval    *Evaluator
	input   func() Input
	every   time.Duration
	log     zerolog.Logger
	now     func() time.Time
	updates chan update // Update's requests, taken by Run between ticks

	mu      sync.Mutex // guards notify, minUp and running
	running bool       // Run is running: Update goes through it
	notify  *Notifier
	minUp   metrics.Collector // the rules' minimums, for /metrics
}

// NewRunner builds a runner that calls input every interval (default 1s; it
// must be fast and must not block: take a snapshot of the monitor). notify
// may be nil: events are then only logged.
func NewRunner(eval *Evaluator, notify *Notifier, input func() Input, every time.Duration, log zerolog.Logger) *Runner {
	if every <= 0 {
		every = time.Second
	}
	return &Runner{eval: eval, notify: notify, input: input, every: every, log: log, now: time.Now, updates: make(chan update),
		minUp: RuleMetrics(eval.rules)}
}

// Run evaluates at once and then on every tick, and runs the notifier,
// until ctx ends; it returns after the notifier has stopped.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	r.running = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	drain := r.runNotifier(ctx, &wg, r.notifier())
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		r.tick()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case u := <-r.updates:
			drain = r.apply(ctx, &wg, u, drain)
		}
	}
}

// runNotifier runs n in wg until ctx ends or the returned channel is
// closed (then n delivers what it queued and stops). Nil n: nothing runs.
func (r *Runner) runNotifier(ctx context.Context, wg *sync.WaitGroup, n *Notifier) chan Event {
	drain := make(chan Event)
	if n != nil {
		wg.Go(func() {
			if err := n.Run(ctx, drain); err != nil {
				r.log.Error().Err(err).Msg("notifier")
			}
		})
	}
	return drain
}

func (r *Runner) notifier() *Notifier {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.notify
}

func (r *Runner) tick() {
	for _, ev := range r.eval.Evaluate(r.now().UTC(), r.input()) {
		r.log.Info().Str("alert", ev.ID).Str("event", ev.Kind).Str("rule_kind", ev.RuleKind).
			Time("since", ev.Since).Str("summary", ev.SummaryEN).Msg("alert")
		if n := r.notifier(); n != nil {
			n.Send(ev)
		}
	}
}
