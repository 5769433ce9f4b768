package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/sdnotify/sdnotifytest"
	"deskwatch/store"
)

// reloadRig is a harness whose daemon reads its configuration from a file
// and reloads it when the test says, with systemd's socket to hear it.
type reloadRig struct {
	*harness
	file    string
	hup     chan os.Signal
	systemd *net.UnixConn
	tokens  string // extra http.tokens lines
}

func newReloadRig(t *testing.T, phones ...string) *reloadRig {
	r := &reloadRig{harness: newHarness(t, phones...), file: filepath.Join(t.TempDir(), "deskwatch.yaml"), hup: make(chan os.Signal, 1)}
	r.systemd = sdnotifytest.Listen(t, 0)
	r.listen = freeAddr(t) // the file names the address: a reload must not see it change
	r.reload = reloader{path: r.file, signals: r.hup}
	r.write()
	return r
}

// text is the harness's configuration with the rig's extra tokens.
func (r *reloadRig) text() string {
	return strings.Replace(r.configText(), "  tokens:\n", "  tokens:\n"+r.tokens, 1)
}

func (r *reloadRig) write() { r.writeText(r.text()) }

func (r *reloadRig) writeText(s string) {
	if err := os.WriteFile(r.file, []byte(s), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// startd starts the daemon on the file and waits for systemd's READY.
func (r *reloadRig) startd() {
	r.t.Helper()
	r.start()
	r.notice("READY=1")
}

// sighup reloads and waits until systemd hears it done.
func (r *reloadRig) sighup() {
	r.t.Helper()
	r.hup <- syscall.SIGHUP
	r.notice("RELOADING=1")
	r.notice("READY=1")
}

func (r *reloadRig) notice(prefix string) {
	r.t.Helper()
	msg, err := sdnotifytest.Next(r.systemd, false)
	if err != nil || !strings.HasPrefix(msg, prefix) {
		r.t.Fatalf("systemd heard %q, %v; want %s", msg, err, prefix)
	}
}

func (r *reloadRig) store() *store.Store {
	rdb := redis.NewClient(&redis.Options{Addr: r.redis.Addr()})
	r.t.Cleanup(func() { rdb.Close() })
	return store.New(rdb, "dwtest:", zerolog.Nop())
}

func (r *reloadRig) blind(st *store.Store) []health.Interval {
	r.t.Helper()
	b, err := st.BlindOf(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *reloadRig) configHealth() map[string]any {
	var hz struct{ Config map[string]any }
	r.get("/healthz", &hz)
	return hz.Config
}

func tokenLine(name, role, token string) string {
	sum := sha256.Sum256([]byte(token))
	return "    - {name: " + name + ", role: " + role + ", sha256: \"" + hex.EncodeToString(sum[:]) + "\"}\n"
}

// A desk and a token added to the file and a SIGHUP: the desk is watched
// and listed, the token works, and the ARI socket stayed up: no reconnect,
// no blind time, the open outage of an unchanged desk untouched.
func TestReloadAddsDeskAndTokenOnTheOpenSocket(t *testing.T) {
	r := newReloadRig(t, "op122-01", "op122-02")
	r.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	r.startd()
	r.waitFor("op122-02's outage recorded", func() bool { return len(r.outagesOf("op122-02")) == 1 })
	r.waitFor("op122-01 up", func() bool { return r.desk("op122-01").State == "up" })
	st := r.store()
	spanBefore := r.outagesOf("op122-02")
	blindBefore := r.blind(st)
	conns := r.pbx.Connections()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := r.stream(ctx)
	if ev := next(t, events, 5*time.Second); ev.event != "snapshot" {
		t.Fatalf("stream began with %q", ev.event)
	}

	r.pbx.SetEndpoints([]string{"op122-01", "op122-02", "op117-01"})
	r.pbx.Register("op117-01", "sip:op117-01@127.0.0.1:5201")
	r.phones = append(r.phones, "op117-01")
	r.tokens = tokenLine("night", "viewer", "night-token")
	r.write()
	r.sighup()

	if c := r.configHealth(); c["reload"] != "ok" || c["at"] == nil {
		t.Fatalf("/healthz config after the reload: %v", c)
	}
	// The desks changed: the board's stream ends, to reconnect to the new API.
	streamEnds(t, events, "the reload")
	var ws struct{ Workstations []deskState }
	if code := r.do("GET", "/api/v1/workstations", "night-token", nil, &ws); code != 200 || len(ws.Workstations) != 3 {
		t.Fatalf("the new token: %d, %d desks", code, len(ws.Workstations))
	}
	r.waitFor("the new desk decided up", func() bool { return r.desk("op117-01").State == "up" })
	if c := r.pbx.Connections(); c != conns {
		t.Fatalf("ARI sockets %d, before the reload %d", c, conns)
	}
	m := r.metricsText()
	for _, line := range []string{"deskwatch_ari_reconnects_total 0", "deskwatch_ari_connected 1", "deskwatch_config_reload_success 1"} {
		if !strings.Contains(m, line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
	if b := r.blind(st); !reflect.DeepEqual(b, blindBefore) {
		t.Errorf("blind time recorded by the reload: %v, before %v", b, blindBefore)
	}
	if after := r.outagesOf("op122-02"); !reflect.DeepEqual(after, spanBefore) || len(after) != 1 || after[0].End != nil {
		t.Errorf("op122-02's outage %+v, before the reload %+v", after, spanBefore)
	}
	if d := r.desk("op122-02"); d.State != "down" || d.Since != spanBefore[0].Start {
		t.Errorf("op122-02 after the reload: %+v", d)
	}
}

// A file that fails config check is refused whole: the old configuration
// keeps serving, and /healthz and the metrics say so until a good file is
// reloaded. So is a change only a restart can make.
func TestReloadRefusesABrokenFile(t *testing.T) {
	r := newReloadRig(t, "op122-01")
	r.startd()
	good := r.text()
	for _, bad := range []struct{ text, says string }{
		// The bad desk is the file's last line.
		{good + "  - {id: op122-09, hotlines: [\"122\"], endpoints: [\"PJSIP/op122-09\"], colour: red}\n",
			fmt.Sprintf(`(line %d): unknown key "colour"`, strings.Count(good, "\n")+1)},
		{strings.Replace(good, "timezone: Asia/Irkutsk", "timezone: Europe/Moscow", 1), "timezone cannot change without a restart"},
	} {
		r.writeText(bad.text)
		r.sighup()
		c := r.configHealth()
		if c["reload"] != "failed" || !strings.Contains(c["error"].(string), bad.says) {
			t.Fatalf("/healthz config after a bad reload: %v; want %q", c, bad.says)
		}
		if !strings.Contains(r.metricsText(), "deskwatch_config_reload_success 0\n") {
			t.Error("the metric does not say the reload failed")
		}
		if n := len(r.desksListed()); n != 1 {
			t.Fatalf("%d desks after a refused reload", n)
		}
	}
	r.writeText(good)
	r.sighup()
	if c := r.configHealth(); c["reload"] != "ok" || c["error"] != nil {
		t.Fatalf("after a good reload: %v", c)
	}
}

func (r *reloadRig) desksListed() []deskState {
	var ws struct{ Workstations []deskState }
	if code := r.get("/api/v1/workstations", &ws); code != 200 {
		r.t.Fatalf("workstations: %d", code)
	}
	return ws.Workstations
}

// A desk removed while down leaves the API but its outage stays open (no
// end nobody saw); added back, it continues that outage.
func TestReloadRemovedDeskKeepsItsOpenOutage(t *testing.T) {
	r := newReloadRig(t, "op122-01", "op122-02")
	r.startd()
	r.waitFor("op122-02's outage recorded", func() bool { return len(r.outagesOf("op122-02")) == 1 })
	open := r.outagesOf("op122-02")
	r.phones = []string{"op122-01"}
	r.write()
	r.sighup()
	if n := len(r.desksListed()); n != 1 {
		t.Fatalf("%d desks listed after removing one", n)
	}
	r.phones = []string{"op122-01", "op122-02"}
	r.write()
	r.sighup()
	if after := r.outagesOf("op122-02"); !reflect.DeepEqual(after, open) || after[0].End != nil {
		t.Fatalf("outage after removing and adding back: %+v, before %+v", after, open)
	}
	r.waitFor("op122-02 down since its outage began", func() bool {
		d := r.desk("op122-02")
		return d.State == "down" && d.Since == open[0].Start
	})
}

// Changed ari.* settings reconnect ARI on reload: the old socket closes,
// the new client connects, and the time between is recorded as blind.
func TestReloadReconnectsARIWhenItsSettingsChange(t *testing.T) {
	r := newReloadRig(t, "op122-01")
	r.startd()
	st := r.store()
	r.waitFor("the start's blind time closed", func() bool { b := r.blind(st); return len(b) == 1 && !b[0].End.IsZero() })
	r.writeText(strings.Replace(r.text(), "reconnect_max: 200ms", "reconnect_max: 300ms", 1))
	r.sighup()
	r.waitFor("a second blind interval, closed", func() bool { b := r.blind(st); return len(b) == 2 && !b[1].End.IsZero() })
	r.waitFor("one ARI socket", func() bool { return r.pbx.Connections() == 1 })
	if !strings.Contains(r.metricsText(), "deskwatch_ari_connected 1\n") {
		t.Fatal("ARI not connected after the reload")
	}
}
