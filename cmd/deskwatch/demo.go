package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/internal/pbxsim"
)

// cmdDemo runs deskwatch against the bundled simulated PBX: 20 desks (10 on
// 122, 10 on 117) whose phones drop and return now and then.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "API address")
	redisURL := fs.String("redis", "", "Redis URL; empty: start a private redis-server on a free loopback port")
	every := fs.Duration("chaos", 8*time.Second, "mean time between simulated phone failures (0: none)")
	desks := fs.Int("desks", 20, "number of simulated desks, half on 122 and half on 117")
	mkLog := logFlags(fs, stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	log, err := mkLog()
	if err != nil {
		return err
	}
	if *redisURL == "" {
		url, stop, err := startRedis(ctx, log)
		if err != nil {
			return err
		}
		defer stop()
		*redisURL = url
	}

	if *desks < 2 || *desks > 100_000 {
		return usageError{fmt.Errorf("-desks %d: want 2 to 100000", *desks)}
	}
	var phones []string
	for _, h := range []string{"122", "117"} {
		for i := 1; i <= *desks/2+*desks%2*btoi(h == "122"); i++ {
			phones = append(phones, fmt.Sprintf("op%s-%02d", h, i))
		}
	}
	ariPass := randomHex(12)
	pbx := pbxsim.New(pbxsim.Options{Username: "deskwatch", Password: ariPass, Endpoints: phones, Logger: log.With().Str("component", "pbxsim").Logger()})
	if err := pbx.Start(ctx); err != nil {
		return fmt.Errorf("demo PBX: %w", err)
	}
	defer pbx.Close()
	// Up to 200 desks, each phone is a real SIP user agent answering
	// deskwatch's OPTIONS probes, and so is the PBX; beyond that the
	// contacts are addresses nobody answers and probes stay off.
	sipPhones := map[string]*pbxsim.Phone{}
	var pbxSIP *pbxsim.Phone
	if len(phones) <= 200 {
		if pbxSIP, err = pbxsim.NewPhone(ctx, "asterisk"); err != nil {
			return err
		}
		for _, p := range phones {
			if sipPhones[p], err = pbxsim.NewPhone(ctx, p); err != nil {
				return err
			}
		}
	}
	contact := func(i int) string {
		if ph := sipPhones[phones[i]]; ph != nil {
			return ph.URI()
		}
		return contactOf(phones[i], i)
	}
	for i, p := range phones {
		if err := pbx.Register(p, contact(i)); err != nil {
			return err
		}
	}

	token := randomHex(20)
	sum := sha256.Sum256([]byte(token))
	if err := os.Setenv("DESKWATCH_DEMO_ARI_PASSWORD", ariPass); err != nil {
		return err
	}
	// The demo's spool is its own, gone with it (as its Redis data is).
	stateDir, err := os.MkdirTemp("", "deskwatch-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stateDir)
	text := demoConfig(pbx.URL(), *redisURL, *listen, hex.EncodeToString(sum[:]), phones) + fmt.Sprintf("state_dir: %q\n", stateDir)
	if pbxSIP != nil {
		text += fmt.Sprintf("sip: {enabled: true, listen: \"127.0.0.1:0\", interval: 2s, timeout: 1s, misses: 2, pbx: %q}\n", pbxSIP.URI())
	}
	cfg, err := config.Parse([]byte(text))
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	if *every > 0 {
		// Owned here: it stops, and is waited for, before the PBX closes.
		chaosCtx, stopChaos := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); chaos(chaosCtx, pbx, phones, contact, sipPhones, *every, log) }()
		defer wg.Wait()
		defer stopChaos()
	}
	return serve(ctx, cfg, log, func(addr string) {
		base := "http://" + addr
		fmt.Fprintf(stdout, `
deskwatch demo is running: %d desks on a simulated PBX at %s
API:   %s
Board: %s/   (open it in a browser and paste the token)
Token: %s   (role supervisor)

Try:
  curl -s -H 'Authorization: Bearer %s' %s/api/v1/workstations
  curl -s -H 'Authorization: Bearer %s' '%s/api/v1/outages?open=true'
  curl -s -H 'Authorization: Bearer %s' '%s/api/v1/availability?from=%s&to=%s'

Stop with Ctrl-C.
`, len(phones), pbx.URL(), base, base, token, token, base, token, base, token, base,
			time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339))
	})
}

func demoConfig(ariURL, redisURL, listen, sha string, phones []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `timezone: Asia/Irkutsk
ari:
  url: %s
  username: deskwatch
  password_env: DESKWATCH_DEMO_ARI_PASSWORD
  app: deskwatch-demo
  technology: PJSIP
  reconnect_min: 200ms
  reconnect_max: 5s
redis:
  url: %s
  prefix: "dwdemo:"
http:
  listen: %s
  tokens:
    - {name: demo, role: supervisor, sha256: "%s"}
workstations:
`, ariURL, redisURL, listen, sha)
	for _, p := range phones {
		h := p[2:5]
		fmt.Fprintf(&b, "  - {id: %s, name: \"АРМ %s, линия %s\", hotlines: [\"%s\"], endpoints: [\"PJSIP/%s\"]}\n", p, p[6:], h, h, p)
	}
	return b.String()
}

// chaos makes a random phone fail now and then: un-register, stop answering
// qualify, flap, or (with SIP phones) lose power where only deskwatch's own
// probes can see it; each comes back after a while.
func chaos(ctx context.Context, pbx *pbxsim.Server, phones []string, contact func(int) string, sipPhones map[string]*pbxsim.Phone, every time.Duration, log zerolog.Logger) {
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var flaps sync.WaitGroup // end with ctx; waited for on return
	defer flaps.Wait()
	for {
		wait := time.Duration(rng.Int64N(int64(2*every))) + time.Second
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		i := rng.IntN(len(phones))
		p := phones[i]
		back := time.Duration(5+rng.IntN(40)) * time.Second
		switch rng.IntN(4) {
		case 0:
			_ = pbx.Unregister(p)
			log.Info().Str("phone", p).Dur("for", back).Msg("demo: phone un-registers")
			time.AfterFunc(back, func() { _ = pbx.Register(p, contact(i)) })
		case 3:
			ph := sipPhones[p]
			if ph == nil {
				continue
			}
			ph.Silent(true)
			log.Info().Str("phone", p).Dur("for", back).Msg("demo: phone loses power (qualify does not see it; deskwatch's probes do)")
			time.AfterFunc(back, func() { ph.Silent(false) })
		case 1:
			_ = pbx.Unreachable(p)
			log.Info().Str("phone", p).Dur("for", back).Msg("demo: phone stops answering")
			time.AfterFunc(back, func() { _ = pbx.Reachable(p) })
		default:
			log.Info().Str("phone", p).Msg("demo: phone flaps")
			flaps.Add(1)
			go func() { defer flaps.Done(); _ = pbx.Flap(ctx, p, 3, 2*time.Second) }()
		}
	}
}

// startRedis runs a private redis-server on a free loopback port.
func startRedis(ctx context.Context, log zerolog.Logger) (string, func(), error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, errors.New("redis-server not found in PATH: install it (apt-get install redis-server) or pass -redis URL")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "deskwatch-demo-redis")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	opt, _ := redis.ParseURL(url)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	for i := 0; ; i++ {
		if err := rdb.Ping(ctx).Err(); err == nil {
			break
		} else if i > 100 || ctx.Err() != nil {
			stop()
			return "", nil, fmt.Errorf("redis-server on port %d did not answer: %w", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Info().Str("redis", url).Msg("demo: started a private redis-server")
	return url, stop, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// contactOf is a phone's simulated contact: a distinct port per phone.
func contactOf(phone string, i int) string {
	return fmt.Sprintf("sip:%s@127.0.%d.%d:5060", phone, 1+i/250, 1+i%250)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
