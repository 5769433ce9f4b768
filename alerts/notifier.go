package alerts

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Default timeouts of one delivery attempt, for a channel whose Timeout
// is 0.
const (
	DefaultWebhookTimeout = 5 * time.Second
	DefaultEmailTimeout   = 30 * time.Second
	// DefaultRetries is what the config package gives a channel that does
	// not set retries.
	DefaultRetries = 3
)

// Channels are the delivery targets, with their secrets already read (the
// config package builds them from the file). Names are unique across all
// lists.
type Channels struct {
	Webhook  []WebhookOptions
	Email    []EmailOptions
	Telegram []TelegramOptions
}

// NotifierOptions tune a Notifier; zero values take the defaults.
type NotifierOptions struct {
	// QueueSize bounds each channel's queue (default 64). When it is full,
	// Send drops the event for that channel, counts and logs it.
	QueueSize int
	// BackoffMin is the wait before the first retry (default 1s); it
	// doubles up to BackoffMax (default 30s). A Retry-After from a webhook
	// receiver, or Telegram's retry_after, is honoured up to BackoffMax.
	BackoffMin, BackoffMax time.Duration
	// Location shows times in e-mail, Telegram and template text (default UTC).
	Location *time.Location
	// TLSConfig is used for SMTP STARTTLS and implicit TLS (ServerName
	// defaults to the SMTP host; a channel's CACerts are added to its
	// roots). Nil: the system roots. Tests pass one trusting their server.
	TLSConfig *tls.Config
	// HTTPClient for webhooks and Telegram; nil: a client that does not
	// follow redirects. Timeouts come from each channel's timeout.
	HTTPClient *http.Client
	// Hostname is the EHLO name (default os.Hostname()).
	Hostname string
}

// Notifier delivers events to the channels of their rule, each channel in
// its own goroutine with its own bounded queue, so that a slow or failing
// receiver delays only itself and never the evaluator.
type Notifier struct {
	log     zerolog.Logger
	opt     NotifierOptions
	chans   map[string]*channel
	order   []*channel
	running atomic.Bool
}

// deliverer makes one delivery attempt. retry says whether another attempt
// may succeed; after is the receiver's requested wait (0: none).
type deliverer interface {
	deliver(ctx context.Context, ev Event) (retry bool, after time.Duration, err error)
}

type channel struct {
	name, kind string
	retries    int
	q          chan Event
	d          deliverer
	log        zerolog.Logger

	delivered, failed, retried, dropped, templateFailed atomic.Uint64
	lastErr                                             atomic.Pointer[string]
}

// ChannelStats are one channel's counters.
type ChannelStats struct {
	Name      string
	Kind      string // webhook | email | telegram
	Delivered uint64 // events delivered
	Failed    uint64 // events given up on (permanent error or retries spent)
	Retried   uint64 // attempts that were retried
	Dropped   uint64 // events dropped because the queue was full
	// TemplateFailed counts webhook events whose body template failed:
	// they went as the JSON Event, and count as delivered or failed by
	// the receiver's answer to that.
	TemplateFailed uint64
	Queued         int    // events waiting now
	LastError      string // of the last failed attempt ("" if none)
}

// NewNotifier builds the channels (which must be valid). It never puts a
// secret in an error or a log.
func NewNotifier(chans Channels, log zerolog.Logger, opt NotifierOptions) (*Notifier, error) {
	if opt.QueueSize <= 0 {
		opt.QueueSize = 64
	}
	if opt.BackoffMin <= 0 {
		opt.BackoffMin = time.Second
	}
	if opt.BackoffMax <= 0 {
		opt.BackoffMax = 30 * time.Second
	}
	opt.BackoffMax = max(opt.BackoffMax, opt.BackoffMin)
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opt.Hostname == "" {
		opt.Hostname, _ = os.Hostname()
		if opt.Hostname == "" {
			opt.Hostname = "localhost"
		}
	}
	n := &Notifier{log: log, opt: opt, chans: map[string]*channel{}}
	add := func(name, kind string, retries int, d deliverer) *channel {
		ch := &channel{name: name, kind: kind, retries: retries, q: make(chan Event, opt.QueueSize), d: d,
			log: log.With().Str("channel", name).Str("channel_kind", kind).Logger()}
		n.chans[name] = ch
		n.order = append(n.order, ch)
		return ch
	}
	for _, w := range chans.Webhook {
		ch := add(w.Name, "webhook", w.Retries, nil)
		d, err := newWebhook(w, opt.HTTPClient, opt.Location, func(ev Event, err error) {
			ch.templateFailed.Add(1)
			ch.log.Error().Err(err).Str("alert", ev.ID).Str("event", ev.Kind).
				Msg("webhook body template failed: sending the JSON event instead")
		})
		if err != nil {
			return nil, fmt.Errorf("alerts webhook %s: %w", w.Name, err)
		}
		ch.d = d
	}
	for _, e := range chans.Email {
		d, err := newMailer(e, opt)
		if err != nil {
			return nil, fmt.Errorf("alerts email %s: %w", e.Name, err)
		}
		add(e.Name, "email", e.Retries, d)
	}
	for _, tg := range chans.Telegram {
		d, err := newTelegram(tg, opt.HTTPClient, opt.Location)
		if err != nil {
			return nil, fmt.Errorf("alerts telegram %s: %w", tg.Name, err)
		}
		add(tg.Name, "telegram", tg.Retries, d)
	}
	return n, nil
}

// Send queues ev on each of its channels without blocking: where a queue is
// full the event is dropped for that channel, counted and logged. Safe for
// concurrent use; events queued before Run are delivered once it starts.
func (n *Notifier) Send(ev Event) {
	for _, name := range ev.Channels {
		ch, ok := n.chans[name]
		if !ok {
			n.log.Error().Str("channel", name).Str("alert", ev.ID).Msg("alert for an unknown channel: not delivered")
			continue
		}
		select {
		case ch.q <- ev:
		default:
			ch.dropped.Add(1)
			ch.log.Error().Str("alert", ev.ID).Str("event", ev.Kind).Int("queue", cap(ch.q)).
				Msg("alert queue full: event dropped")
		}
	}
}

// Run delivers until ctx ends (events still queued are then abandoned and
// logged) or, if events is not nil, until events is closed and every queue
// has drained. Events read from events are passed to Send. Run may run
// again once it has returned (an ha instance leading a second time), never
// twice at once.
func (n *Notifier) Run(ctx context.Context, events <-chan Event) error {
	if !n.running.CompareAndSwap(false, true) {
		return errors.New("alerts: Notifier.Run called twice")
	}
	defer n.running.Store(false)
	drain := make(chan struct{})
	var wg sync.WaitGroup
	for _, ch := range n.order {
		wg.Go(func() { n.work(ctx, ch, drain) })
	}
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events: // a nil events blocks forever: only Send feeds
			if !ok {
				close(drain)
				return nil
			}
			n.Send(ev)
		}
	}
}

func (n *Notifier) work(ctx context.Context, ch *channel, drain <-chan struct{}) {
	defer func() {
		if left := len(ch.q); left > 0 && ctx.Err() != nil {
			ch.log.Warn().Int("events", left).Msg("stopping with undelivered alerts")
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-ch.q:
			n.deliver(ctx, ch, ev)
		case <-drain:
			for {
				select {
				case ev := <-ch.q:
					n.deliver(ctx, ch, ev)
				default:
					return
				}
			}
		}
	}
}

// deliver makes the attempts for one event on one channel.
func (n *Notifier) deliver(ctx context.Context, ch *channel, ev Event) {
	log := ch.log.With().Str("alert", ev.ID).Str("event", ev.Kind).Logger()
	for attempt := 0; ; attempt++ {
		retry, after, err := ch.d.deliver(ctx, ev)
		if err == nil {
			ch.delivered.Add(1)
			log.Info().Int("attempt", attempt+1).Msg("alert delivered")
			return
		}
		msg := err.Error()
		ch.lastErr.Store(&msg)
		if ctx.Err() != nil {
			ch.failed.Add(1)
			log.Warn().Err(err).Msg("alert abandoned: shutting down")
			return
		}
		if !retry || attempt >= ch.retries {
			ch.failed.Add(1)
			log.Error().Err(err).Int("attempts", attempt+1).Bool("permanent", !retry).Msg("alert delivery failed")
			return
		}
		ch.retried.Add(1)
		wait := min(n.opt.BackoffMin<<attempt, n.opt.BackoffMax)
		if after > wait {
			wait = min(after, n.opt.BackoffMax)
		}
		log.Warn().Err(err).Int("attempt", attempt+1).Dur("retry_in", wait).Msg("alert delivery failed; will retry")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			ch.failed.Add(1)
			log.Warn().Msg("alert abandoned: shutting down")
			return
		case <-t.C:
		}
	}
}

// Stats returns each channel's counters in configuration order (webhooks,
// then e-mail, then Telegram). Safe from any goroutine.
func (n *Notifier) Stats() []ChannelStats {
	out := make([]ChannelStats, 0, len(n.order))
	for _, ch := range n.order {
		s := ChannelStats{Name: ch.name, Kind: ch.kind, Delivered: ch.delivered.Load(), Failed: ch.failed.Load(),
			Retried: ch.retried.Load(), Dropped: ch.dropped.Load(), TemplateFailed: ch.templateFailed.Load(), Queued: len(ch.q)}
		if p := ch.lastErr.Load(); p != nil {
			s.LastError = *p
		}
		out = append(out, s)
	}
	return out
}

// deliveryID identifies one event (not one attempt): retries repeat it, so a
// receiver can discard duplicates.
func deliveryID(ev Event, kind string) string {
	sum := sha256.Sum256([]byte(ev.ID + "|" + kind + "|" + strconv.FormatInt(ev.Since.UnixNano(), 10)))
	return hex.EncodeToString(sum[:16])
}
