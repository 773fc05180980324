// Package schedule parses AWS schedule expressions (EventBridge Scheduler and
// EventBridge rule ScheduleExpression) and computes when they next fire, so the
// local emulation can invoke Lambda functions at the same times AWS would.
package schedule

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Expression is a parsed schedule expression.
type Expression struct {
	raw string

	interval time.Duration // rate()
	anchor   time.Time

	at *time.Time // at(), wall clock; its location is ignored

	cron *cron
}

const atLayout = "2006-01-02T15:04:05"

// Parse reads "rate(5 minutes)", "rate(1 day)", "cron(0 8 * * ? *)" or "at(2027-01-31T09:00:00)".
func Parse(expr string) (*Expression, error) {
	e := &Expression{raw: expr, anchor: time.Unix(0, 0).UTC()}
	s := strings.TrimSpace(expr)
	kind, body, ok := strings.Cut(s, "(")
	if !ok || !strings.HasSuffix(body, ")") {
		return nil, fmt.Errorf("schedule: %q is not of the form rate(...), cron(...) or at(...)", expr)
	}
	body = strings.TrimSuffix(body, ")")
	var err error
	switch kind {
	case "rate":
		e.interval, err = parseRate(body)
	case "cron":
		e.cron, err = parseCron(body)
	case "at":
		var t time.Time
		if t, err = time.Parse(atLayout, body); err == nil && len(body) != len(atLayout) {
			err = fmt.Errorf("at() takes yyyy-mm-ddThh:mm:ss, got %q", body)
		}
		e.at = &t
	default:
		err = fmt.Errorf("unknown expression type %q", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("schedule: %s: %w", expr, err)
	}
	return e, nil
}

// WithAnchor returns a copy of e whose rate() firings are anchored at t, the
// time the schedule was created; the anchor itself is the first firing.
func (e *Expression) WithAnchor(t time.Time) *Expression {
	c := *e
	c.anchor = t
	return &c
}

// String returns the expression as written.
func (e *Expression) String() string { return e.raw }

// Next returns the first time strictly after t at which the schedule fires, in loc
// (the schedule's time zone; UTC when nil); ok is false when it never fires again
// (an at() in the past, or a cron whose year list is exhausted).
func (e *Expression) Next(t time.Time, loc *time.Location) (next time.Time, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case e.cron != nil:
		return e.cron.next(t, loc)
	case e.at != nil:
		a := e.at
		n := time.Date(a.Year(), a.Month(), a.Day(), a.Hour(), a.Minute(), a.Second(), 0, loc)
		return n, n.After(t)
	}
	step := int64(e.interval / time.Second)
	k := max((t.Unix()-e.anchor.Unix())/step, 0)
	for ; ; k++ {
		n := time.Unix(e.anchor.Unix()+k*step, int64(e.anchor.Nanosecond()))
		if n.After(t) {
			return n.In(loc), true
		}
	}
}

func parseRate(body string) (time.Duration, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return 0, fmt.Errorf("rate needs exactly a value and a unit, got %q", body)
	}
	n, err := number(f[0])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("rate value %q is not a positive integer", f[0])
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit, plural := strings.CutSuffix(f[1], "s")
	d, ok := units[unit]
	switch {
	case !ok:
		return 0, fmt.Errorf("rate unit %q is not minute(s), hour(s) or day(s)", f[1])
	case n == 1 && plural:
		return 0, fmt.Errorf("rate unit must be singular %q for value 1", unit)
	case n != 1 && !plural:
		return 0, fmt.Errorf("rate unit must be plural %q for value %d", unit+"s", n)
	case time.Duration(n) > math.MaxInt64/d:
		return 0, fmt.Errorf("rate interval of %d %s is too large", n, f[1])
	}
	return time.Duration(n) * d, nil
}

// number accepts only plain decimal digits, unlike strconv.Atoi which allows a sign.
func number(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" || len(s) > 9 {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return strconv.Atoi(s)
}

type field struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}

var (
	minutes    = field{"minutes", 0, 59, nil}
	hours      = field{"hours", 0, 23, nil}
	dayOfMonth = field{"day-of-month", 1, 31, nil}
	month      = field{"month", 1, 12, strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")}
	dayOfWeek  = field{"day-of-week", 1, 7, strings.Fields("SUN MON TUE WED THU FRI SAT")}
	year       = field{"year", 1970, 2199, nil}
)

func (f field) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := number(s)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q", s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("value %d out of range %d-%d", v, f.min, f.max)
	}
	return v, nil
}

// span marks one list item of the form *, a, a-b, */n, a/n or a-b/n in bits.
func (f field) span(item string, bits []bool) error {
	if item == "?" {
		return fmt.Errorf("? is only allowed in day-of-month or day-of-week")
	}
	base, inc, hasInc := strings.Cut(item, "/")
	step := 1
	if hasInc {
		var err error
		if step, err = number(inc); err != nil || step < 1 {
			return fmt.Errorf("invalid increment %q", inc)
		}
	}
	lo, hi := f.min, f.max
	if base != "*" {
		a, b, isRange := strings.Cut(base, "-")
		var err error
		if lo, err = f.value(a); err != nil {
			return err
		}
		switch {
		case isRange:
			if hi, err = f.value(b); err != nil {
				return err
			}
			if hi < lo {
				return fmt.Errorf("range %q runs backwards", base)
			}
		case !hasInc:
			hi = lo
		}
	}
	for v := lo; v <= hi; v += step {
		bits[v] = true
	}
	return nil
}

// set parses a comma-separated list into a bitmap indexed by value; special
// handles items that only make sense in one field and reports whether it took them.
func (f field) set(s string, special func(string) (bool, error)) ([]bool, error) {
	bits := make([]bool, f.max+1)
	for item := range strings.SplitSeq(s, ",") {
		took := false
		var err error
		if special != nil {
			took, err = special(strings.ToUpper(item))
		}
		if !took && err == nil {
			err = f.span(item, bits)
		}
		if err != nil {
			return nil, fmt.Errorf("%s field %q: %w", f.name, s, err)
		}
	}
	return bits, nil
}

type cron struct {
	minute, hour, month, year []bool
	day                       func(date time.Time) bool // date is midnight UTC
}

func parseCron(body string) (*cron, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron needs 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, fmt.Errorf("exactly one of day-of-month and day-of-week must be ?")
	}
	c := &cron{}
	var err error
	for _, p := range []struct {
		dst *[]bool
		f   field
		s   string
	}{{&c.minute, minutes, f[0]}, {&c.hour, hours, f[1]}, {&c.month, month, f[3]}, {&c.year, year, f[5]}} {
		if *p.dst, err = p.f.set(p.s, nil); err != nil {
			return nil, err
		}
	}
	if f[2] != "?" {
		c.day, err = parseDayOfMonth(f[2])
	} else {
		c.day, err = parseDayOfWeek(f[4])
	}
	return c, err
}

func parseDayOfMonth(s string) (func(time.Time) bool, error) {
	var fns []func(time.Time) bool
	special := func(item string) (bool, error) {
		switch {
		case item == "L":
			fns = append(fns, func(d time.Time) bool { return d.Day() == lastDay(d) })
		case item == "LW":
			fns = append(fns, func(d time.Time) bool { return d.Day() == nearestWeekday(d, lastDay(d)) })
		case strings.HasSuffix(item, "W"):
			n, err := dayOfMonth.value(strings.TrimSuffix(item, "W"))
			if err != nil {
				return true, err
			}
			fns = append(fns, func(d time.Time) bool { return n <= lastDay(d) && d.Day() == nearestWeekday(d, n) })
		default:
			return false, nil
		}
		return true, nil
	}
	bits, err := dayOfMonth.set(s, special)
	if err != nil {
		return nil, err
	}
	fns = append(fns, func(d time.Time) bool { return bits[d.Day()] })
	return anyOf(fns), nil
}

func parseDayOfWeek(s string) (func(time.Time) bool, error) {
	var fns []func(time.Time) bool
	weekday := func(v string) (time.Weekday, error) {
		n, err := dayOfWeek.value(v)
		return time.Weekday(n - 1), err
	}
	special := func(item string) (bool, error) {
		if item == "L" {
			fns = append(fns, func(d time.Time) bool { return d.Weekday() == time.Saturday })
			return true, nil
		}
		if wd, ok := strings.CutSuffix(item, "L"); ok {
			w, err := weekday(wd)
			fns = append(fns, func(d time.Time) bool { return d.Weekday() == w && d.Day()+7 > lastDay(d) })
			return true, err
		}
		if wd, nth, ok := strings.Cut(item, "#"); ok {
			w, err := weekday(wd)
			if err != nil {
				return true, err
			}
			k, err := number(nth)
			if err != nil || k < 1 || k > 5 {
				return true, fmt.Errorf("occurrence %q after # must be 1-5", nth)
			}
			fns = append(fns, func(d time.Time) bool { return d.Weekday() == w && (d.Day()-1)/7+1 == k })
			return true, nil
		}
		return false, nil
	}
	bits, err := dayOfWeek.set(s, special)
	if err != nil {
		return nil, err
	}
	fns = append(fns, func(d time.Time) bool { return bits[int(d.Weekday())+1] })
	return anyOf(fns), nil
}

func anyOf(fns []func(time.Time) bool) func(time.Time) bool {
	return func(d time.Time) bool {
		for _, f := range fns {
			if f(d) {
				return true
			}
		}
		return false
	}
}

func lastDay(d time.Time) int {
	return time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nearestWeekday is the Monday-Friday day closest to day n of d's month,
// without leaving the month.
func nearestWeekday(d time.Time, n int) int {
	switch time.Date(d.Year(), d.Month(), n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == lastDay(d) {
			return n - 2
		}
		return n + 1
	}
	return n
}

// next walks year, month, day, hour and minute in turn, skipping whole units
// that the expression excludes. Following EventBridge Scheduler, wall times
// that DST skips never fire and repeated wall times fire once, at the first.
func (c *cron) next(t time.Time, loc *time.Location) (time.Time, bool) {
	w := t.In(loc)
	y, m, d := w.Date()
	if y < year.min {
		y, m, d = year.min, 1, 1
	}
	for ; y <= year.max; y, m, d = y+1, 1, 1 {
		if !c.year[y] {
			continue
		}
		for ; m <= 12; m, d = m+1, 1 {
			if !c.month[m] {
				continue
			}
			for ; d <= lastDay(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)); d++ {
				if !c.day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
					continue
				}
				first := y == w.Year() && m == w.Month() && d == w.Day()
				for h := 0; h < 24; h++ {
					if !c.hour[h] || first && h < w.Hour() {
						continue
					}
					for mi := 0; mi < 60; mi++ {
						if !c.minute[mi] || first && h == w.Hour() && mi < w.Minute() {
							continue
						}
						n := time.Date(y, m, d, h, mi, 0, 0, loc)
						if n.Day() != d || n.Hour() != h || n.Minute() != mi {
							continue
						}
						if n = earliest(n); n.After(t) {
							return n, true
						}
					}
				}
			}
		}
	}
	return time.Time{}, false
}

// earliest returns the first instant showing the same wall clock as n, which
// differs from n only inside a DST fall-back overlap.
func earliest(n time.Time) time.Time {
	_, off := n.Zone()
	for _, near := range []time.Time{n.Add(-24 * time.Hour), n.Add(24 * time.Hour)} {
		_, o := near.Zone()
		x := n.Add(time.Duration(off-o) * time.Second)
		if x.Before(n) && x.Hour() == n.Hour() && x.Minute() == n.Minute() && x.Day() == n.Day() {
			n = x
		}
	}
	return n
}
