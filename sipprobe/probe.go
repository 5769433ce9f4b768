package sipprobe

import (
	"bytes"
	"container/heap"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"deskwatch/internal/sipua"
)

// A probe is one OPTIONS in flight. Probes do not use sipgo's client
// transactions: their store is one RWMutex that every request and response
// takes, and with a goroutine waiting per transaction, above ~12,000 probes
// a second on two cores the goroutines convoy on it and on the socket while
// sipgo's single UDP reader starves, so answers arrive after their timeout.
//
// Instead a probe registers its Via branch in Prober.waiting and, over UDP
// to an IP, is written by Run's goroutine itself to the listening socket;
// sipgo's transaction layer hands every response to onResponse (none
// matches a transaction of its own), and Run's timer heap resends UDP
// requests like RFC 3261 timer E (T1, doubling, at most T2) and ends
// probes at their deadline. Only probes that must dial (TCP, TLS) or
// resolve a name get a goroutine, for the dial.
type probe struct {
	j           job
	branch      string
	req         *sip.Request
	raw         []byte       // UDP: the datagram, resent as is
	addr        *net.UDPAddr // UDP: where to
	sent        time.Time    // Options.Now at the first send
	start       time.Time    // time.Now at the first send, for the RTT
	deadline    time.Time
	next        time.Time // next timer event: resend or deadline
	backoff     time.Duration
	provisional atomic.Pointer[sip.Response]
}

// newProbe builds the request of j. viaHost "" lets sipgo's transport write
// the connection's address (TCP, TLS).
func (p *Prober) newProbe(j job, viaHost string) (*probe, error) {
	req := sip.NewRequest(sip.OPTIONS, j.uri)
	req.SetTransport(j.transport)
	pr := &probe{j: j, req: req, branch: sip.GenerateBranchN(16), backoff: sip.T1}
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: j.transport, Host: viaHost}
	if j.transport == "UDP" {
		via.Port = p.port
	}
	via.Params.Add("branch", pr.branch)
	via.Params.Add("rport", "") // answer to where the probe came from (RFC 3581)
	req.AppendHeader(via)
	fromHost := viaHost
	if fromHost == "" {
		fromHost = "localhost"
	}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.opts.FromUser, Host: fromHost}}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(sip.NewHeader("User-Agent", p.opts.FromUser))
	// To, Call-ID, CSeq, Max-Forwards, Content-Length.
	if err := sipgo.ClientRequestBuild(p.client, req); err != nil {
		return nil, err
	}
	return pr, nil
}

func (p *Prober) viaHost(local string) string {
	if p.host != "" {
		return p.host
	}
	return local
}

// sendUDP registers pr and writes its first datagram; the timeout runs
// from begun.
func (p *Prober) sendUDP(pr *probe, begun time.Time) {
	var b bytes.Buffer
	pr.req.StringWrite(&b)
	pr.raw = b.Bytes()
	pr.sent, pr.start = p.now(), time.Now()
	pr.deadline = begun.Add(pr.j.cfg.timeout)
	p.waiting.put(pr.branch, pr) // after every field the answer's goroutine reads
	p.stats.sent.Add(1)
	if _, err := p.conn.WriteTo(pr.raw, pr.addr); err != nil {
		p.fail(pr, err)
		return
	}
	pr.next = earlier(pr.start.Add(pr.backoff), pr.deadline)
	p.timers.push(pr)
}

// startUDP runs on Run's goroutine for UDP targets with an IP address.
func (p *Prober) startUDP(j job) {
	pr, err := p.newProbe(j, p.viaHost(j.local))
	if err != nil {
		p.failEarly(j, err)
		return
	}
	pr.addr = j.addr
	p.sendUDP(pr, time.Now())
}

// startSlow runs in its own goroutine for probes that dial or resolve first.
func (p *Prober) startSlow(run context.Context, j job) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(run, j.cfg.timeout)
	defer cancel()
	if j.transport == "UDP" { // a host name
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, j.uri.Host)
		if run.Err() != nil {
			return // shutting down: not the peer's fault
		}
		if err != nil || len(ips) == 0 {
			p.failEarly(j, err)
			return
		}
		ip := ips[0]
		for _, a := range ips {
			if a.IP.To4() != nil {
				ip = a // IPv4 first, like sipgo
				break
			}
		}
		pr, err := p.newProbe(j, p.viaHost(sipua.LocalIPFor(ip.IP.String())))
		if err != nil {
			p.failEarly(j, err)
			return
		}
		pr.addr = &net.UDPAddr{IP: ip.IP, Zone: ip.Zone, Port: portOr(j.uri.Port, 5060)}
		p.sendUDP(pr, start)
		p.nudge()
		return
	}
	pr, err := p.newProbe(j, p.host)
	if err != nil {
		p.failEarly(j, err)
		return
	}
	pr.sent, pr.start = p.now(), start
	pr.deadline = start.Add(j.cfg.timeout)
	p.waiting.put(pr.branch, pr)
	p.stats.sent.Add(1)
	conn, err := p.ua.TransportLayer().ClientRequestConnection(ctx, pr.req) // dials within the timeout
	if run.Err() != nil {
		p.waiting.take(pr.branch)
		return // shutting down: not the peer's fault
	}
	if err != nil {
		p.fail(pr, err)
		return
	}
	if d, ok := conn.(interface{ SetWriteDeadline(time.Time) error }); ok {
		d.SetWriteDeadline(pr.deadline) // a dead peer with a full window must not block us
	}
	err = conn.WriteMsg(pr.req)
	conn.TryClose() // the reference ClientRequestConnection took; the pool keeps the connection
	if err != nil {
		p.fail(pr, err)
		return
	}
	pr.next = pr.deadline
	p.timers.push(pr)
	p.nudge()
}

// onResponse gets every response: sipgo's transaction layer passes on
// those that match none of its client transactions, and the prober has
// none. A response goes to the probe whose Via branch it carries if it
// answers that probe (Match) and is well formed; anything else (late,
// retransmitted, forged, garbled) is dropped as stray.
func (p *Prober) onResponse(res *sip.Response) {
	var pr *probe
	if via := res.Via(); via != nil {
		if b, ok := via.Params.Get("branch"); ok {
			pr = p.waiting.get(b)
		}
	}
	if pr == nil {
		p.stray("stray SIP response dropped", res, nil)
		return
	}
	if err := sipua.Match(pr.req, res); err != nil {
		p.stray("response to a probe does not match it: ignored", res, err)
		return
	}
	if bad := malformed(res); bad != "" {
		p.stray("malformed response to a probe: ignored", res, nil)
		return
	}
	if res.IsProvisional() {
		pr.provisional.Store(res)
		return
	}
	if p.waiting.take(pr.branch) != pr {
		return // its deadline came first, or a retransmitted answer did
	}
	p.finish(pr, res, nil)
}

func (p *Prober) stray(msg string, res *sip.Response, err error) {
	p.stats.stray.Add(1)
	p.log.Debug().Err(err).Str("response", res.StartLine()).Str("from", res.Source()).Msg(msg)
}

// expire resends UDP requests and ends probes whose deadline passed; it
// returns how long until the next timer event. Run's goroutine only.
func (p *Prober) expire(now time.Time) time.Duration {
	for {
		pr := p.timers.popDue(now)
		if pr == nil {
			break
		}
		if !now.Before(pr.deadline) {
			if p.waiting.take(pr.branch) == pr {
				p.finish(pr, pr.provisional.Load(), context.DeadlineExceeded)
			}
			continue
		}
		if p.waiting.get(pr.branch) != pr {
			continue // answered
		}
		if _, err := p.conn.WriteTo(pr.raw, pr.addr); err != nil {
			if p.waiting.take(pr.branch) == pr {
				p.finish(pr, nil, err)
			}
			continue
		}
		pr.backoff = min(2*pr.backoff, sip.T2)
		pr.next = earlier(now.Add(pr.backoff), pr.deadline)
		p.timers.push(pr)
	}
	return p.timers.wait(now)
}

// fail ends a registered probe with a transport error.
func (p *Prober) fail(pr *probe, err error) {
	if p.waiting.take(pr.branch) == pr {
		p.finish(pr, nil, err)
	}
}

// failEarly ends a probe that could not even be sent (resolution, build).
func (p *Prober) failEarly(j job, err error) {
	if err == nil {
		err = &net.DNSError{Err: "no address", Name: j.uri.Host}
	}
	p.stats.sent.Add(1)
	now := p.now()
	p.stats.errors.Add(1)
	p.record(j, now, Classify(nil, err, 0))
}

// finish classifies a probe that its answer, its deadline or an error
// ended, counts it and applies it to its target.
func (p *Prober) finish(pr *probe, res *sip.Response, err error) {
	r := Classify(res, err, time.Since(pr.start))
	switch {
	case r.Alive:
		p.stats.answers.Add(1)
		p.stats.observeRTT(r.RTT)
	case err == nil || IsTimeout(err):
		p.stats.timeouts.Add(1)
	default:
		p.stats.errors.Add(1)
	}
	p.record(pr.j, pr.sent, r)
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func portOr(port, def int) int {
	if port > 0 {
		return port
	}
	return def
}

// waitTable maps the Via branch of every probe in flight to it, sharded to
// keep thousands of probes a second off one lock.
type waitTable struct {
	n      atomic.Int64 // probes in the table
	shards [64]waitShard
}

type waitShard struct {
	mu sync.Mutex
	m  map[string]*probe
}

func (t *waitTable) shard(branch string) *waitShard {
	var h uint8
	for i := max(0, len(branch)-4); i < len(branch); i++ {
		h = h*31 + branch[i]
	}
	return &t.shards[h%uint8(len(t.shards))]
}

func (t *waitTable) put(branch string, pr *probe) {
	s := t.shard(branch)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[string]*probe)
	}
	s.m[branch] = pr
	s.mu.Unlock()
	t.n.Add(1)
}

func (t *waitTable) get(branch string) *probe {
	s := t.shard(branch)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[branch]
}

// take removes and returns the probe of branch: whoever takes it (its
// answer, its deadline, an error) ends it.
func (t *waitTable) take(branch string) *probe {
	s := t.shard(branch)
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.m[branch]
	if pr != nil {
		delete(s.m, branch)
		t.n.Add(-1)
	}
	return pr
}

// timerHeap orders probes by their next timer event. Answered probes stay
// until their event comes up and are skipped then.
type timerHeap struct {
	mu sync.Mutex
	h  probeHeap
}

type probeHeap []*probe

func (h probeHeap) Len() int           { return len(h) }
func (h probeHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h probeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *probeHeap) Push(x any)        { *h = append(*h, x.(*probe)) }
func (h *probeHeap) Pop() any {
	old := *h
	pr := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return pr
}

func (t *timerHeap) push(pr *probe) {
	t.mu.Lock()
	heap.Push(&t.h, pr)
	t.mu.Unlock()
}

func (t *timerHeap) popDue(now time.Time) *probe {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.h) == 0 || t.h[0].next.After(now) {
		return nil
	}
	return heap.Pop(&t.h).(*probe)
}

func (t *timerHeap) wait(now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.h) == 0 {
		return time.Hour
	}
	return t.h[0].next.Sub(now)
}
