package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Telegram Bot API defaults.
const (
	DefaultTelegramURL     = "https://api.telegram.org"
	DefaultTelegramTimeout = 10 * time.Second
	// telegramMaxText keeps a message under the Bot API's 4096 characters,
	// with room for the status line.
	telegramMaxText = 3500
)

// TelegramOptions are a chat that a bot writes to (sendMessage).
type TelegramOptions struct {
	Name string
	// BaseURL of the Bot API (default DefaultTelegramURL): tests and
	// proxies point it elsewhere.
	BaseURL string
	// Token of the bot. It is part of the request path, so neither the URL
	// nor the token ever goes into a log or an error.
	Token string
	// ChatID: a number (groups: -100...) or @channelname.
	ChatID  string
	Lang    string        // "ru" (default) or "en"
	Timeout time.Duration // per attempt; 0: DefaultTelegramTimeout
	Retries int           // after the first attempt
}

type telegram struct {
	cfg    TelegramOptions
	url    string
	chat   any // int64 or "@name", as the Bot API takes it
	lang   int
	loc    *time.Location
	client *http.Client
}

func newTelegram(cfg TelegramOptions, client *http.Client, loc *time.Location) (*telegram, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTelegramTimeout
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultTelegramURL
	}
	lang, ok := langIndex(cfg.Lang)
	if !ok {
		return nil, fmt.Errorf("lang %q: use ru or en", cfg.Lang)
	}
	if cfg.Token == "" || strings.ContainsAny(cfg.Token, "/?#% ") {
		return nil, errors.New("token: empty or not a bot token") // not echoed
	}
	t := &telegram{cfg: cfg, lang: lang, loc: loc, client: client, chat: cfg.ChatID,
		url: strings.TrimRight(cfg.BaseURL, "/") + "/bot" + cfg.Token + "/sendMessage"}
	if id, err := strconv.ParseInt(cfg.ChatID, 10, 64); err == nil {
		t.chat = id
	}
	return t, nil
}

// telegramAnswer is the Bot API's reply (only what we read).
type telegramAnswer struct {
	OK          bool   `json:"ok"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// deliver sends one message. 429 waits retry_after; 5xx and network
// errors are retried; other 4xx (400 bad chat or text, 401 bad token, 403
// bot blocked or not in the chat) are not, and say Telegram's description.
func (t *telegram) deliver(ctx context.Context, ev Event) (bool, time.Duration, error) {
	body, err := json.Marshal(map[string]any{"chat_id": t.chat, "text": telegramText(ev, t.loc, t.lang), "parse_mode": "HTML"})
	if err != nil {
		return false, 0, fmt.Errorf("encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return false, 0, errors.New("invalid Bot API URL") // not echoed: it holds the token
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "deskwatch")
	resp, err := t.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which holds the token
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", t.cfg.Timeout)
		}
		return true, 0, fmt.Errorf("sendMessage: %w", err)
	}
	defer resp.Body.Close()
	var a telegramAnswer
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&a)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	what := fmt.Sprintf("Telegram answered %d", code)
	if a.Description != "" {
		what += ": " + a.Description
	}
	switch {
	case code >= 200 && code < 300 && a.OK:
		return false, 0, nil
	case code == http.StatusTooManyRequests:
		after := time.Duration(a.Parameters.RetryAfter) * time.Second
		if after == 0 {
			after = retryAfter(resp.Header.Get("Retry-After"))
		}
		return true, after, errors.New(what)
	case code >= 500 || code < 300:
		return true, 0, errors.New(what)
	case a.Parameters.MigrateToChatID != 0:
		return false, 0, fmt.Errorf("%s (not retried; the group is now chat_id %d)", what, a.Parameters.MigrateToChatID)
	}
	return false, 0, fmt.Errorf("%s (not retried)", what)
}

// telegramText is ev in one language as Bot API HTML: the status in bold,
// the summary, then the details, cut to fit one message.
func telegramText(ev Event, loc *time.Location, lang int) string {
	mark := "🔴"
	if ev.Kind == EventResolved {
		mark = "✅"
	}
	d := details(ev, loc, lang)
	if r := []rune(d); len(r) > telegramMaxText {
		d = string(r[:telegramMaxText])
		d = d[:strings.LastIndexByte(d, '\n')+1] + "…\n"
	}
	return mark + " <b>" + html.EscapeString(statusWord(ev, lang)) + "</b>: " + html.EscapeString(summaryIn(ev, lang)) +
		"\n\n" + html.EscapeString(d)
}
