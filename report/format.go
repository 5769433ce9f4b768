package report

import (
	"strconv"
	"strings"
	"time"
)

// Display formatting. Figures are rounded only here; JSON, CSV and XLSX
// values are never rounded.

// fixed formats v with prec decimals and the label's decimal separator.
func (l *labels) fixed(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if l.dec != "." {
		s = strings.Replace(s, ".", l.dec, 1)
	}
	return s
}

// percent is a percentage for display: 4 decimals.
func (l *labels) percent(v float64) string { return l.fixed(v, 4) }

// integer groups the digits of n by thousands.
func (l *labels) integer(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if i > 0 {
			b.WriteString(l.thousands)
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// seconds is a duration in seconds for display: whole seconds grouped, a
// fraction (to the millisecond) only when there is one.
func (l *labels) seconds(d time.Duration) string {
	whole := d / time.Second
	s := l.integer(int64(whole))
	if ms := int64(d % time.Second / time.Millisecond); ms > 0 {
		s += l.dec + strings.TrimRight(strconv.FormatInt(1000+ms, 10)[1:], "0")
	}
	return s + " " + l.sec
}

// hoursMinutes is a duration as h:mm, hours unbounded, seconds cut off.
func hoursMinutes(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	h := int64(d / time.Hour)
	m := int64(d % time.Hour / time.Minute)
	s := strconv.FormatInt(h, 10) + ":" + strconv.FormatInt(100+m, 10)[1:]
	if neg {
		return "-" + s
	}
	return s
}

// duration is "h:mm" and the seconds on a second line (PDF cells).
func (l *labels) duration(d time.Duration) string {
	return hoursMinutes(d) + "\n" + l.seconds(d)
}

// at is a time in the report's zone for display; zero is ifZero.
func (l *labels) at(t time.Time, loc *time.Location, ifZero string) string {
	if t.IsZero() {
		return ifZero
	}
	return t.In(loc).Format(l.dateTime)
}

// zoneName is "Asia/Irkutsk (UTC+08:00)" for the zone at t.
func zoneName(loc *time.Location, t time.Time) string {
	off := t.In(loc).Format("-07:00")
	if loc.String() == "UTC" {
		return "UTC"
	}
	return loc.String() + " (UTC" + off + ")"
}

// dataFloat formats a figure for the data formats (CSV) with every digit
// needed to read it back exactly.
func dataFloat(v float64, dec byte) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if dec != '.' {
		if i := strings.IndexByte(s, '.'); i >= 0 {
			s = s[:i] + string(dec) + s[i+1:]
		}
	}
	return s
}
