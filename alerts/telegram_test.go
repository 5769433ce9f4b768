package alerts

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/rs/zerolog"

	"deskwatch/internal/logtest"
)

const botToken = "123456:AAE-secret_Token"

// fakeBotAPI is a local Bot API: it checks the method path (with the
// token), the JSON fields and the parse mode, keeps the messages, and
// answers the next queued replies (then 200 ok).
type fakeBotAPI struct {
	t       *testing.T
	chat    any
	mu      sync.Mutex
	texts   []string
	at      []time.Time
	replies []func(http.ResponseWriter)
}

func (f *fakeBotAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct {
		ChatID    any    `json:"chat_id"`
		Text      string `json:"text"`
		ParseMode string `json:"parse_mode"`
	}
	if r.Method != http.MethodPost || r.URL.Path != "/bot"+botToken+"/sendMessage" || r.Header.Get("Content-Type") != "application/json" {
		f.t.Errorf("request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.ChatID != f.chat || m.ParseMode != "HTML" || m.Text == "" {
		f.t.Errorf("message %+v (%T), %v", m, m.ChatID, err)
	}
	f.mu.Lock()
	f.texts, f.at = append(f.texts, m.Text), append(f.at, time.Now())
	var reply func(http.ResponseWriter)
	if len(f.replies) > 0 {
		reply, f.replies = f.replies[0], f.replies[1:]
	}
	f.mu.Unlock()
	if reply == nil {
		reply = botReply(200, `{"ok":true,"result":{"message_id":1}}`)
	}
	reply(w)
}

func botReply(code int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

func (f *fakeBotAPI) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.texts...)
}

func startBotAPI(t *testing.T, chat any, replies ...func(http.ResponseWriter)) (*fakeBotAPI, *httptest.Server) {
	f := &fakeBotAPI{t: t, chat: chat, replies: replies}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func telegramConfig(url, chat, lang string, retries int) Channels {
	return Channels{Telegram: []TelegramOptions{{Name: "tg", BaseURL: url, Token: botToken, ChatID: chat, Lang: lang, Retries: retries}}}
}

func TestTelegramDeliversRussianHTML(t *testing.T) {
	f, srv := startBotAPI(t, float64(-1001234567890))
	n, fire, res := deliverPair(t, telegramConfig(srv.URL+"/", "-1001234567890", "", 0))
	msgs := f.messages()
	want0 := "🔴 <b>Тревога</b>: " + strings.ReplaceAll(fire.SummaryRU, `"`, "&#34;") + "\n\nПравило: desk (АРМ недоступно)\n"
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], want0) || !strings.HasPrefix(msgs[1], "✅ <b>Отбой</b>: ") ||
		!strings.Contains(msgs[1], res.SummaryRU) || !strings.Contains(msgs[0], "  - АРМ 1 (op122-01): недоступно") {
		t.Fatalf("messages %q\nwant prefix %q", msgs, want0)
	}
	if s := stats(n, "tg"); s.Kind != "telegram" || s.Delivered != 2 || s.Failed+s.Dropped+s.Retried != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// lang: en, a channel name as chat id, and HTML-escaped desk names.
func TestTelegramEnglishEscaped(t *testing.T) {
	f, srv := startBotAPI(t, "@duty_channel")
	n := runNew(t, telegramConfig(srv.URL, "@duty_channel", "en", 0), zerolog.Nop(), fastOptions())
	ev := Event{ID: "desk/desk/x", Kind: EventFiring, Rule: "desk", RuleKind: KindDeskDown, Since: sec(0), At: sec(60),
		Desks: []DeskRef{{ID: "x", Name: "<b>A&B</b>", State: StateDown}}, SummaryRU: "АРМ <x>", SummaryEN: "Desk <x> & co",
		Channels: []string{"tg"}}
	n.Send(ev)
	waitFor(t, "delivery", func() bool { return stats(n, "tg").Delivered == 1 })
	m := f.messages()[0]
	if !strings.HasPrefix(m, "🔴 <b>Alert</b>: Desk &lt;x&gt; &amp; co\n\nRule: desk (desk down)") || !strings.Contains(m, "&lt;b&gt;A&amp;B&lt;/b&gt;") {
		t.Fatalf("message %q", m)
	}
}

// 429 waits retry_after (capped by BackoffMax), 5xx is retried, 400 and
// 403 are not and log Telegram's description; the token is in no log.
func TestTelegramErrors(t *testing.T) {
	tooMany := botReply(429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)
	for _, tc := range []struct {
		name      string
		replies   []func(http.ResponseWriter)
		delivered bool
		calls     int
		wantLog   string
	}{
		{"429 retry_after", []func(http.ResponseWriter){tooMany}, true, 2, "Too Many Requests"},
		{"502 retried", []func(http.ResponseWriter){botReply(502, "<html>Bad Gateway</html>")}, true, 2, "Telegram answered 502"},
		{"400 not retried", []func(http.ResponseWriter){botReply(400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`)},
			false, 1, "Bad Request: chat not found"},
		{"403 not retried", []func(http.ResponseWriter){botReply(403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)},
			false, 1, "Forbidden: bot was blocked by the user"},
		{"migrated group", []func(http.ResponseWriter){botReply(400, `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009876}}`)},
			false, 1, "chat_id -1009876"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := startBotAPI(t, float64(42), tc.replies...)
			var logs logtest.Buffer
			opt := fastOptions()
			opt.BackoffMax = 3 * time.Second // above retry_after
			n := runNew(t, telegramConfig(srv.URL, "42", "ru", 3), zerolog.New(&logs), opt)
			fire, _ := sampleEvents("tg")
			n.Send(fire)
			waitFor(t, "outcome", func() bool { s := stats(n, "tg"); return s.Delivered+s.Failed == 1 })
			s := stats(n, "tg")
			if got := len(f.messages()); got != tc.calls || (s.Delivered == 1) != tc.delivered || s.Retried != uint64(tc.calls-1) {
				t.Fatalf("%d calls, stats %+v", got, s)
			}
			if l := logs.String(); !strings.Contains(l, tc.wantLog) || strings.Contains(l, botToken) || strings.Contains(s.LastError, botToken) {
				t.Fatalf("logs:\n%s", l)
			}
			if tc.name == "429 retry_after" {
				f.mu.Lock()
				gap := f.at[1].Sub(f.at[0])
				f.mu.Unlock()
				if gap < 900*time.Millisecond {
					t.Fatalf("retried after %s, before retry_after", gap)
				}
			}
		})
	}
}

// A Bot API that cannot be reached is retried, and the error, which Go
// would write with the URL, does not show the token.
func TestTelegramUnreachableHidesToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var logs logtest.Buffer
	n := runNew(t, telegramConfig(url, "42", "", 1), zerolog.New(&logs), fastOptions())
	fire, _ := sampleEvents("tg")
	n.Send(fire)
	waitFor(t, "failure", func() bool { return stats(n, "tg").Failed == 1 })
	s := stats(n, "tg")
	if s.Retried != 1 || !strings.Contains(s.LastError, "sendMessage") || strings.Contains(s.LastError, botToken) || strings.Contains(logs.String(), botToken) {
		t.Fatalf("stats %+v\nlogs:\n%s", s, logs.String())
	}
	if _, err := NewNotifier(Channels{Telegram: []TelegramOptions{{Name: "tg", Token: "12/../x", ChatID: "1"}}}, zerolog.Nop(), fastOptions()); err == nil || strings.Contains(err.Error(), "12/../x") {
		t.Fatalf("bad token: %v", err)
	}
}

// 200 desks down do not make a message the Bot API refuses (4096
// characters): the list is cut at a line and says so.
func TestTelegramTextFitsOneMessage(t *testing.T) {
	ev := Event{ID: "short/hotline/122", Kind: EventFiring, Rule: "short", RuleKind: KindHotlineShort, Since: sec(0), At: sec(60),
		SummaryRU: "Линия 122: доступно 0 АРМ из 200", SummaryEN: "Hotline 122: 0 of 200 desks up"}
	for i := range 200 {
		ev.Desks = append(ev.Desks, DeskRef{ID: fmt.Sprintf("op122-%03d", i), Name: fmt.Sprintf("АРМ %d & <резерв>", i), State: StateDown, Since: sec(0)})
	}
	m := telegramText(ev, irkutsk, langRU)
	// The Bot API counts UTF-16 units of the text after entity parsing.
	shown := html.UnescapeString(strings.NewReplacer("<b>", "", "</b>", "").Replace(m))
	if n := len(utf16.Encode([]rune(shown))); n > 4096 || !strings.HasSuffix(m, "\n…\n") || !strings.Contains(m, "АРМ 0 &amp; &lt;резерв&gt;") {
		t.Fatalf("%d characters:\n%s", n, m)
	}
}
