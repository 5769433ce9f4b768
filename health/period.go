package health

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Quarter identifies a calendar quarter, e.g. 2026Q3.
type Quarter struct {
	Year int
	Q    int // 1..4
}

func (q Quarter) String() string { return fmt.Sprintf("%dQ%d", q.Year, q.Q) }

// ParseQuarter reads "2026Q3" (case-insensitive q).
func ParseQuarter(s string) (Quarter, error) {
	i := strings.IndexAny(s, "Qq")
	if i != 4 || len(s) != 6 {
		return Quarter{}, fmt.Errorf("period %q: want a quarter like 2026Q3", s)
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 1970 || y > 9999 {
		return Quarter{}, fmt.Errorf("period %q: bad year", s)
	}
	q := int(s[5] - '0')
	if q < 1 || q > 4 {
		return Quarter{}, fmt.Errorf("period %q: quarter must be 1 to 4", s)
	}
	return Quarter{y, q}, nil
}

// QuarterOf returns the quarter containing t in loc.
func QuarterOf(t time.Time, loc *time.Location) Quarter {
	lt := t.In(loc)
	return Quarter{lt.Year(), (int(lt.Month())-1)/3 + 1}
}

// Range is [first day of the quarter 00:00, first day of the next 00:00) in loc, as UTC instants.
func (q Quarter) Range(loc *time.Location) Interval {
	start := time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, loc)
	return Interval{start.UTC(), start.AddDate(0, 3, 0).UTC()}
}

// Next returns the following quarter.
func (q Quarter) Next() Quarter {
	if q.Q == 4 {
		return Quarter{q.Year + 1, 1}
	}
	return Quarter{q.Year, q.Q + 1}
}

// Due is the end of the day the quarter's report is due: the report goes to
// the ministry no later than the 15th of the month after the quarter (п.31).
// It returns the start of the 16th in loc, i.e. the deadline instant.
func (q Quarter) Due(loc *time.Location) time.Time {
	n := q.Next()
	return time.Date(n.Year, time.Month(3*(n.Q-1)+1), 16, 0, 0, 0, 0, loc).UTC()
}

// Prev returns the quarter before.
func (q Quarter) Prev() Quarter {
	if q.Q == 1 {
		return Quarter{q.Year - 1, 4}
	}
	return Quarter{q.Year, q.Q - 1}
}
