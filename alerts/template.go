package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// DefaultWebhookContentType is the webhook body's type: the JSON Event,
// and a templated body unless the webhook says otherwise (chats take JSON).
const DefaultWebhookContentType = "application/json; charset=utf-8"

// TemplateError is a webhook body template that does not parse or does
// not execute, with the line in the template (1 = its first).
type TemplateError struct {
	Line int
	Msg  string
}

func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("template line %d: %s", e.Line, e.Msg)
	}
	return "template: " + e.Msg
}

// text/template says "template: body:3: msg" or "template: body:3:12:
// executing "body" at <.X>: msg".
var templateErr = regexp.MustCompile(`^template: body:(\d+):(?:\d+:)? (?:executing "body" at )?`)

func templateError(err error) *TemplateError {
	msg := err.Error()
	m := templateErr.FindStringSubmatch(msg)
	if m == nil {
		return &TemplateError{Msg: strings.TrimPrefix(msg, "template: ")}
	}
	line, _ := strconv.Atoi(m[1])
	return &TemplateError{Line: line, Msg: msg[len(m[0]):]}
}

// ParseBodyTemplate parses a webhook body template: Go text/template over
// the Event (its Go field names: .Kind, .SummaryRU, .Desks, ...), with
//
//	json   the value as JSON: {"text": {{json .SummaryRU}}}
//	time   a time in the daemon's zone, "02.01.2006 15:04" ("" if zero)
//	text   the plain text of the e-mail body in "ru" or "en"
//
// It refuses a template that fails on a sample event with every field
// set, so a misspelt field is a config error rather than a fallback at
// the first alert.
func ParseBodyTemplate(text string, loc *time.Location) (*template.Template, error) {
	if loc == nil {
		loc = time.UTC
	}
	funcs := template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(loc).Format("02.01.2006 15:04")
		},
		"text": func(lang string, ev Event) (string, error) {
			i, ok := langIndex(lang)
			if !ok {
				return "", fmt.Errorf("text: lang %q is not ru or en", lang)
			}
			return plainText(ev, loc, i), nil
		},
	}
	t, err := template.New("body").Option("missingkey=error").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, templateError(err)
	}
	if _, err := render(t, sampleEvent()); err != nil {
		return nil, err
	}
	return t, nil
}

func render(t *template.Template, ev Event) ([]byte, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, ev); err != nil {
		return nil, templateError(err)
	}
	return b.Bytes(), nil
}

// sampleEvent has every field set, for checking a template.
func sampleEvent() Event {
	at := time.Date(2026, 3, 2, 6, 3, 0, 0, time.UTC)
	ev := Event{ID: "short-122/hotline/122", Kind: EventResolved, Rule: "short-122", RuleKind: KindHotlineShort,
		Hotline: "122", Desks: []DeskRef{{ID: "op122-01", Name: "АРМ 1", State: StateDown, Cause: "unregistered", Since: at}},
		Counts: &Counts{Up: 4, Down: 1, Total: 5, MinUp: 5}, Quarter: "2026Q1", Due: at, Since: at, Until: at, At: at}
	ev.SummaryRU, ev.SummaryEN = summarize(&ev, true, time.UTC)
	return ev
}
