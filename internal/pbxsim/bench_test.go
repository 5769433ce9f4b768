package pbxsim

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

// pump registers and unregisters endpoints of a 10,000-endpoint PBX in turn
// (4 and 3 events for an endpoint:PJSIP app) until at least n events went
// out, and returns how many one socket received and how long it took.
func pump(tb testing.TB, n int) (int, time.Duration) {
	tb.Helper()
	eps := make([]string, 10000)
	for i := range eps {
		eps[i] = fmt.Sprintf("op%05d", i)
	}
	srv := New(Options{Username: user, Password: secret, Endpoints: eps, Logger: zerolog.Nop()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	defer srv.Close()
	ws, _, err := websocket.Dial(ctx, "ws://"+srv.Addr()+"/ari/events?app=bench&api_key="+user+":"+secret, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer ws.CloseNow()
	if code, b := subscribe(tb, srv, http.MethodPost, "bench", "endpoint:PJSIP"); code != 200 {
		tb.Fatalf("%d %s", code, b)
	}
	got := make(chan int)
	want := make(chan int, 1)
	go func() {
		total, target := 0, -1
		for target < 0 || total < target {
			if target < 0 {
				select {
				case target = <-want:
					continue
				default:
				}
			}
			if _, _, err := ws.Read(context.Background()); err != nil {
				break
			}
			total++
		}
		got <- total
	}()

	start := time.Now()
	sent := 0
	for i := 0; sent < n; i++ {
		ep := eps[i%len(eps)]
		if i/len(eps)%2 == 0 {
			_ = srv.Register(ep, "sip:"+ep+"@10.0.0.1:5060")
			sent += 4
		} else {
			_ = srv.Unregister(ep)
			sent += 3
		}
	}
	want <- sent
	total := <-got
	elapsed := time.Since(start)
	if total != sent {
		tb.Fatalf("received %d of %d events", total, sent)
	}
	return total, elapsed
}

func BenchmarkEventsOneSocket(b *testing.B) {
	b.ReportAllocs()
	events, elapsed := pump(b, max(b.N, 1000))
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
}

// TestNoEventLostUnderLoad: with 10,000 endpoints, a burst of events to one
// socket arrives whole and in number (pump fails otherwise). Its speed is
// measured by BenchmarkEventsOneSocket, not here.
func TestNoEventLostUnderLoad(t *testing.T) {
	events, elapsed := pump(t, 20_000)
	t.Logf("%d events in %v", events, elapsed)
}
