package sipua

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// How sipgo v1.7.3's client transactions treat responses, which the
// prober's and the canary's designs rest on:
//   - a response matching no transaction (other Via branch or CSeq method)
//     never reaches the transaction; it goes to the unhandled-response
//     handler (by default: logged and dropped). The prober has no client
//     transactions, so every response reaches its onResponse this way;
//   - matching is by Via branch and CSeq method only (RFC 3261 17.1.3): a
//     response with our branch but a foreign Call-ID is delivered as the
//     answer (to the canary's REGISTER too). Hence Match.
func TestSipgoClientTransactionMatching(t *testing.T) {
	peer, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	var unhandled atomic.Int64
	ua, err := sipgo.NewUA(sipgo.WithUserAgentTransactionLayerOptions(
		sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) { unhandled.Add(1) })))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua)
	if err != nil {
		t.Fatal(err)
	}

	go func() { // the peer: a stray 200 first, then a 200 with our branch and a foreign Call-ID
		buf := make([]byte, 4096)
		n, from, err := peer.ReadFrom(buf)
		if err != nil {
			return
		}
		req, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			return
		}
		ok := sip.NewResponseFromRequest(req.(*sip.Request), 200, "OK", nil).String()
		branch, _ := req.Via().Params.Get("branch")
		peer.WriteTo([]byte(strings.Replace(ok, branch, sip.GenerateBranch(), 1)), from)
		time.Sleep(50 * time.Millisecond)
		cid := req.CallID().Value()
		peer.WriteTo([]byte(strings.Replace(ok, "Call-ID: "+cid, "Call-ID: not-"+cid, 1)), from)
	}()

	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", User: "op", Host: "127.0.0.1", Port: peer.LocalAddr().(*net.UDPAddr).Port})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := client.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := unhandled.Load(); got != 1 {
		t.Errorf("the response with an unknown branch reached the unhandled handler %d times, want 1", got)
	}
	if res.CallID().Value() == req.CallID().Value() {
		t.Fatal("expected sipgo to deliver the response with the foreign Call-ID")
	}
	if err := Match(req, res); !errors.Is(err, ErrMismatch) {
		t.Errorf("Match: %v", err)
	}
}
