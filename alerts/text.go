package alerts

import (
	"fmt"
	"strings"
	"time"

	"deskwatch/health"
)

// summarize writes the one-line Russian and English summaries of ev. fine
// says whether the subject is positively well (a resolution by recovery
// rather than by the subject leaving the input).
func summarize(ev *Event, fine bool, loc *time.Location) (ru, en string) {
	at := func(t time.Time) string { return clock(t, ev.At, loc) }
	firing := ev.Kind == EventFiring
	switch ev.RuleKind {
	case KindHotlineShort:
		c := ev.Counts
		if firing {
			ru = fmt.Sprintf("Линия %s: доступно %d АРМ из %d (минимум %d) с %s", ev.Hotline, c.Up, c.Total, c.MinUp, at(ev.Since))
			en = fmt.Sprintf("Hotline %s: %d of %d %s up (minimum %d) since %s", ev.Hotline, c.Up, c.Total, plural(c.Total, "desk", "desks"), c.MinUp, at(ev.Since))
			if c.Unknown > 0 {
				ru += fmt.Sprintf("; состояние %d АРМ неизвестно", c.Unknown)
				en += fmt.Sprintf("; %d %s in unknown state", c.Unknown, plural(c.Unknown, "desk", "desks"))
			}
			if n := c.OffShift + c.Planned; n > 0 {
				ru += fmt.Sprintf("; не учтены %d АРМ вне смены или на плановых работах", n)
				en += fmt.Sprintf("; %d %s off shift or in planned maintenance not counted", n, plural(n, "desk", "desks"))
			}
			return ru, en
		}
		if c.Total == 0 && c.OffShift+c.Planned > 0 {
			ru = fmt.Sprintf("Линия %s: на смене нет АРМ (вне смены или плановые работы), нехватка с %s по %s снята", ev.Hotline, at(ev.Since), at(ev.Until))
			en = fmt.Sprintf("Hotline %s: no desk on shift (off shift or planned maintenance), shortage from %s to %s cleared", ev.Hotline, at(ev.Since), at(ev.Until))
			return ru, en
		}
		ru = fmt.Sprintf("Линия %s: доступно %d АРМ из %d (минимум %d), нехватка с %s по %s устранена", ev.Hotline, c.Up, c.Total, c.MinUp, at(ev.Since), at(ev.Until))
		en = fmt.Sprintf("Hotline %s: %d of %d %s up (minimum %d), shortage from %s to %s is over", ev.Hotline, c.Up, c.Total, plural(c.Total, "desk", "desks"), c.MinUp, at(ev.Since), at(ev.Until))
		return ru, en

	case KindDeskDown:
		var d DeskRef
		if len(ev.Desks) > 0 {
			d = ev.Desks[0]
		}
		labelRU, labelEN := "«"+d.Name+"»", `"`+d.Name+`"`
		if d.Name != d.ID {
			labelRU += " (" + d.ID + ")"
			labelEN += " (" + d.ID + ")"
		}
		switch {
		case firing:
			ru = fmt.Sprintf("АРМ %s недоступно с %s", labelRU, at(ev.Since))
			en = fmt.Sprintf("Desk %s down since %s", labelEN, at(ev.Since))
			if c, ok := causes[d.Cause]; ok {
				ru += ": " + c[0]
				en += ": " + c[1]
			}
		case fine:
			ru = fmt.Sprintf("АРМ %s снова доступно с %s (было недоступно с %s)", labelRU, at(ev.Until), at(ev.Since))
			en = fmt.Sprintf("Desk %s up again since %s (down since %s)", labelEN, at(ev.Until), at(ev.Since))
		case d.Quiet == QuietPlanned:
			ru = fmt.Sprintf("АРМ %s: тревога снята, начались плановые работы (было недоступно с %s)", labelRU, at(ev.Since))
			en = fmt.Sprintf("Desk %s: alert cleared, planned maintenance began (down since %s)", labelEN, at(ev.Since))
		case d.Quiet == QuietOffShift:
			ru = fmt.Sprintf("АРМ %s: тревога снята, смена АРМ закончилась (было недоступно с %s)", labelRU, at(ev.Since))
			en = fmt.Sprintf("Desk %s: alert cleared, the desk's shift is over (down since %s)", labelEN, at(ev.Since))
		default:
			ru = fmt.Sprintf("АРМ %s: тревога снята, АРМ больше не отслеживается (было недоступно с %s)", labelRU, at(ev.Since))
			en = fmt.Sprintf("Desk %s: alert cleared, the desk is no longer monitored (down since %s)", labelEN, at(ev.Since))
		}
		return ru, en

	case KindMonitorBlind:
		if firing {
			return fmt.Sprintf("Мониторинг не видит АРМ с %s: состояние линий неизвестно", at(ev.Since)),
				fmt.Sprintf("Monitoring blind since %s: desk states unknown", at(ev.Since))
		}
		return fmt.Sprintf("Мониторинг снова видит АРМ с %s (не видел с %s)", at(ev.Until), at(ev.Since)),
			fmt.Sprintf("Monitoring sees the desks again since %s (blind since %s)", at(ev.Until), at(ev.Since))

	case KindReportDue:
		qRU, qEN := quarterNames(ev.Quarter)
		last := ev.Due.Add(-time.Nanosecond).In(loc) // the last day to hand it in
		day := last.Format("02.01.2006")
		switch {
		case firing:
			// Days left counting today: 1 on the last day.
			left := daysBetween(ev.At.In(loc), ev.Due.In(loc))
			switch {
			case !ev.At.Before(ev.Due):
				ru = fmt.Sprintf("Отчёт за %s не готов: срок сдачи %s истёк", qRU, day)
				en = fmt.Sprintf("Report for %s not ready: it was due on %s (overdue)", qEN, day)
			case left <= 1:
				ru = fmt.Sprintf("Отчёт за %s не готов: срок сдачи сегодня, %s", qRU, day)
				en = fmt.Sprintf("Report for %s not ready: due today, %s", qEN, day)
			default:
				ru = fmt.Sprintf("Отчёт за %s не готов: срок сдачи %s, осталось %d дн.", qRU, day, left)
				en = fmt.Sprintf("Report for %s not ready: due %s, %d %s left", qEN, day, left, plural(left, "day", "days"))
			}
		case fine:
			ru = fmt.Sprintf("Отчёт за %s готов (срок сдачи %s)", qRU, day)
			en = fmt.Sprintf("Report for %s is ready (due %s)", qEN, day)
		default:
			ru = fmt.Sprintf("Отчёт за %s: напоминание снято (срок сдачи %s)", qRU, day)
			en = fmt.Sprintf("Report for %s: reminder withdrawn (due %s)", qEN, day)
		}
		return ru, en
	}
	return ev.Kind + " " + ev.ID, ev.Kind + " " + ev.ID
}

// causes names health.Cause values in Russian and English.
var causes = map[string][2]string{
	string(health.CauseUnregistered): {"телефон не зарегистрирован", "phone not registered"},
	string(health.CauseUnreachable):  {"телефон не отвечает", "phone not answering"},
	string(health.CauseOffline):      {"АТС считает телефон отключённым", "the PBX reports the phone offline"},
	string(health.CauseMissing):      {"телефон не настроен на АТС", "phone not configured on the PBX"},
	string(health.CausePBX):          {"АТС недоступна", "the PBX is down"},
	string(health.CauseManual):       {"введено вручную", "entered manually"},
	string(health.CauseComputer):     {"компьютер оператора не отвечает", "the operator's computer is not answering"},
}

// ruleKindNames describe rule kinds in e-mail bodies.
var ruleKindNames = map[string][2]string{
	KindHotlineShort: {"нехватка операторов на линии", "hotline short of operators"},
	KindDeskDown:     {"АРМ недоступно", "desk down"},
	KindMonitorBlind: {"мониторинг не видит АРМ", "monitoring blind"},
	KindReportDue:    {"срок сдачи отчёта", "report due"},
}

var stateNames = map[string][2]string{
	StateUp:      {"доступно", "up"},
	StateDown:    {"недоступно", "down"},
	StateUnknown: {"состояние неизвестно", "state unknown"},
}

// clock shows t in loc: "14:03" on the same local day as now, else
// "02.01.2006 14:03".
func clock(t, now time.Time, loc *time.Location) string {
	lt, ln := t.In(loc), now.In(loc)
	if y, m, d := lt.Date(); y == ln.Year() && m == ln.Month() && d == ln.Day() {
		return lt.Format("15:04")
	}
	return lt.Format("02.01.2006 15:04")
}

// daysBetween counts calendar days from a's date to b's date (same zone).
func daysBetween(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func quarterNames(s string) (ru, en string) {
	q, err := health.ParseQuarter(s)
	if err != nil {
		return s, s
	}
	return fmt.Sprintf("%d-й квартал %d г.", q.Q, q.Year), fmt.Sprintf("Q%d %d", q.Q, q.Year)
}

// mailSubject is Russian first, then English.
func mailSubject(ev Event) string {
	if ev.Kind == EventFiring {
		return "[deskwatch] Тревога: " + ev.SummaryRU + " / Alert: " + ev.SummaryEN
	}
	return "[deskwatch] Отбой: " + ev.SummaryRU + " / Resolved: " + ev.SummaryEN
}

// Languages of the texts: indexes into the [2]string tables.
const (
	langRU = 0
	langEN = 1
)

// langIndex maps a lang option ("ru", "en") to langRU or langEN; ok is
// false for another value.
func langIndex(lang string) (int, bool) {
	switch lang {
	case "ru", "":
		return langRU, true
	case "en":
		return langEN, true
	}
	return langRU, false
}

// statusWord says whether ev raises or clears an alert.
func statusWord(ev Event, lang int) string {
	if ev.Kind == EventResolved {
		return [2]string{"Отбой", "Resolved"}[lang]
	}
	return [2]string{"Тревога", "Alert"}[lang]
}

func summaryIn(ev Event, lang int) string {
	return [2]string{ev.SummaryRU, ev.SummaryEN}[lang]
}

var detailLabels = [2][7]string{
	{"Правило", "Идентификатор", "Начало", "Окончание", "АРМ", "с", "Время события"},
	{"Rule", "ID", "Started", "Ended", "Desks", "since", "Event time"},
}

// details are the lines under the summary: rule, id, times, desks.
func details(ev Event, loc *time.Location, lang int) string {
	var b strings.Builder
	labels := detailLabels[lang]
	full := func(t time.Time) string { return t.In(loc).Format("02.01.2006 15:04:05 MST") }
	fmt.Fprintf(&b, "%s: %s (%s)\n", labels[0], ev.Rule, ruleKindNames[ev.RuleKind][lang])
	fmt.Fprintf(&b, "%s: %s\n", labels[1], ev.ID)
	fmt.Fprintf(&b, "%s: %s\n", labels[2], full(ev.Since))
	if !ev.Until.IsZero() {
		fmt.Fprintf(&b, "%s: %s\n", labels[3], full(ev.Until))
	}
	if len(ev.Desks) > 0 {
		fmt.Fprintf(&b, "%s:\n", labels[4])
		for _, d := range ev.Desks {
			fmt.Fprintf(&b, "  - %s (%s): %s", d.Name, d.ID, stateNames[d.State][lang])
			if !d.Since.IsZero() {
				fmt.Fprintf(&b, " %s %s", labels[5], clock(d.Since, ev.At, loc))
			}
			if c, ok := causes[d.Cause]; ok && d.State == StateDown {
				fmt.Fprintf(&b, ", %s", c[lang])
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "%s: %s\n", labels[6], full(ev.At))
	return b.String()
}

// plainText is ev in one language: status and summary, a blank line, the
// details.
func plainText(ev Event, loc *time.Location, lang int) string {
	return statusWord(ev, lang) + ": " + summaryIn(ev, lang) + "\n\n" + details(ev, loc, lang)
}

// mailBody is the plain-text body: the Russian part, then the English one.
func mailBody(ev Event, loc *time.Location) string {
	return plainText(ev, loc, langRU) + "\n-- English --\n\n" + plainText(ev, loc, langEN)
}
