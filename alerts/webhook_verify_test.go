package alerts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var errSeen = errors.New("delivery already seen")

// verifyDelivery checks one deskwatch webhook request; body is as read.
// errSeen: a valid delivery already handled (answer 200, do nothing).
func verifyDelivery(secret []byte, h http.Header, body []byte, now time.Time, seen map[string]time.Time) error {
	ts, id := h.Get("X-Deskwatch-Timestamp"), h.Get("X-Deskwatch-Delivery")
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "." + id + "."))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(h.Get("X-Deskwatch-Signature"))) {
		return errors.New("bad signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return errors.New("timestamp too old or in the future")
	}
	for old, at := range seen { // forget what the window already refuses
		if now.Sub(at) > 5*time.Minute {
			delete(seen, old)
		}
	}
	if _, dup := seen[id]; dup {
		return errSeen
	}
	seen[id] = now
	return nil
}

type capturedRequest struct {
	h    http.Header
	body []byte
}

// signedDeliveries are the requests of a firing and its resolution as
// the notifier sends them with key.
func signedDeliveries(t *testing.T, key string) []capturedRequest {
	t.Helper()
	var mu sync.Mutex
	var got []capturedRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, capturedRequest{r.Header.Clone(), body})
		mu.Unlock()
	}))
	defer srv.Close()
	cfg := hookConfig(srv.URL, 0, 0)
	cfg.Webhook[0].Secret = []byte(key)
	deliverPair(t, cfg)
	mu.Lock()
	defer mu.Unlock()
	return got
}

func TestWebhookSignatureRefusesReplayAndTampering(t *testing.T) {
	key := []byte("hmac-key")
	reqs := signedDeliveries(t, string(key))
	fire, res := reqs[0], reqs[1]
	now := time.Now()
	seen := map[string]time.Time{}
	if err := verifyDelivery(key, fire.h, fire.body, now, seen); err != nil {
		t.Fatalf("fresh delivery refused: %v", err)
	}
	if err := verifyDelivery(key, res.h, res.body, now, seen); err != nil {
		t.Fatalf("fresh resolution refused: %v", err)
	}
	if err := verifyDelivery(key, fire.h, fire.body, now.Add(time.Minute), seen); !errors.Is(err, errSeen) {
		t.Fatalf("replay within the window: %v", err)
	}
	// Later the id is forgotten, and the timestamp refuses the replay.
	if err := verifyDelivery(key, fire.h, fire.body, now.Add(6*time.Minute), seen); err == nil || errors.Is(err, errSeen) {
		t.Fatalf("replay after the window: %v", err)
	}

	tamper := map[string]func(h http.Header, body []byte) []byte{
		"body": func(_ http.Header, b []byte) []byte {
			return []byte(strings.Replace(string(b), "firing", "resolved", 1))
		},
		"fresh timestamp": func(h http.Header, b []byte) []byte {
			h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10))
			return b
		},
		"delivery id":         func(h http.Header, b []byte) []byte { h.Set(HeaderDelivery, res.h.Get(HeaderDelivery)); return b },
		"another's signature": func(h http.Header, b []byte) []byte { h.Set(HeaderSignature, res.h.Get(HeaderSignature)); return b },
		"no signature":        func(h http.Header, b []byte) []byte { h.Del(HeaderSignature); return b },
	}
	for name, f := range tamper {
		h := fire.h.Clone()
		body := f(h, append([]byte(nil), fire.body...))
		if err := verifyDelivery(key, h, body, now, map[string]time.Time{}); err == nil || err.Error() != "bad signature" {
			t.Errorf("tampered %s: %v", name, err)
		}
	}
	if err := verifyDelivery([]byte("other key"), fire.h, fire.body, now, map[string]time.Time{}); err == nil {
		t.Error("accepted with another key")
	}
}

// readmeBlock returns the code block of README.md that starts with first.
func readmeBlock(t *testing.T, lang, first string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "```"+lang+"\n"+first)
	block, _, closed := strings.Cut(block, "```\n")
	if !ok || !closed {
		t.Fatalf("README.md has no %s block starting %q", lang, first)
	}
	return first + block
}

// The README's Go verifier is the one tested above.
func TestREADMEVerifierIsTheTestedOne(t *testing.T) {
	src, err := os.ReadFile("webhook_verify_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, fn, _ := strings.Cut(string(src), "\n// verifyDelivery checks")
	fn, _, _ = strings.Cut(fn, "\n}\n")
	fn = "// verifyDelivery checks" + fn + "\n}\n"
	if got := readmeBlock(t, "go", "// verifyDelivery checks"); got != fn {
		t.Fatalf("README.md's verifier differs from the tested one:\n%s\nwant:\n%s", got, fn)
	}
}

// The README's shell check accepts a fresh delivery once and refuses a
// replay, a tampered body and an old timestamp.
func TestREADMEShellVerifier(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	script := readmeBlock(t, "sh", `want="sha256=`)
	key := "hmac-key"
	fire := signedDeliveries(t, key)[0]
	dir := t.TempDir()
	run := func(ts, sig string, body []byte) (string, int) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "body.json"), body, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TS="+ts, "ID="+fire.h.Get(HeaderDelivery), "SIG="+sig, "SECRET="+key)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out)), code
	}
	ts, sig := fire.h.Get(HeaderTimestamp), fire.h.Get(HeaderSignature)
	if out, code := run(ts, sig, []byte(strings.Replace(string(fire.body), "firing", "resolved", 1))); out != "bad signature" || code != 1 {
		t.Errorf("tampered body: %q, exit %d", out, code)
	}
	if out, code := run(ts, sig, fire.body); out != "" || code != 0 {
		t.Errorf("fresh delivery: %q, exit %d", out, code)
	}
	if out, code := run(ts, sig, fire.body); out != "already seen" || code != 0 {
		t.Errorf("replay: %q, exit %d", out, code)
	}
	old := strconv.FormatInt(time.Now().Unix()-600, 10)
	if out, code := run(old, Sign([]byte(key), old, fire.h.Get(HeaderDelivery), fire.body), fire.body); out != "too old" || code != 1 {
		t.Errorf("old timestamp: %q, exit %d", out, code)
	}
}
