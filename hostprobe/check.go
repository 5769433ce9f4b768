package hostprobe

import (
	"context"
	"errors"
	"syscall"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

var errNoReply = errors.New("no echo reply")

// ping sends one ICMP echo unprivileged (a datagram socket: the kernel
// matches the reply to it, no raw socket or capability needed) and returns
// the round trip of the reply.
func ping(ctx context.Context, host string, timeout time.Duration) (time.Duration, error) {
	p, err := probing.NewPinger(host)
	if err != nil {
		return 0, err
	}
	p.SetPrivileged(false)
	p.Count = 1
	p.Timeout = timeout
	if err := p.RunWithContext(ctx); err != nil {
		return 0, err
	}
	st := p.Statistics()
	if st.PacketsRecv == 0 {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, errNoReply
	}
	return st.AvgRtt, nil
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// ICMPAllowed reports whether this process may send unprivileged ICMP echo
// (net.ipv4.ping_group_range includes one of its groups), by pinging
// 127.0.0.1 once.
func ICMPAllowed() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := ping(ctx, "127.0.0.1", time.Second)
	return err
}
