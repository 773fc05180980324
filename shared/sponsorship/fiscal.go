package sponsorship

import (
	"fmt"
	"time"
)

// FiscalCalendar knows when the foundation's fiscal year starts. A fiscal year is named
// by the calendar year in which it ends: with StartMonth = July, FY2027 runs from
// 2026-07-01 to 2027-06-30. With StartMonth = January it is the calendar year.
type FiscalCalendar struct {
	StartMonth time.Month
}

// Validate checks the start month.
func (f FiscalCalendar) Validate() error {
	if f.StartMonth < time.January || f.StartMonth > time.December {
		return fmt.Errorf("fiscal year start month %d is not 1-12", f.StartMonth)
	}
	return nil
}

// Year returns the fiscal year that contains the date.
func (f FiscalCalendar) Year(t time.Time) int {
	if f.StartMonth <= time.January || t.Month() < f.StartMonth {
		return t.Year()
	}
	return t.Year() + 1
}

// YearOf returns the fiscal year a request belongs to: that of its event's start date
// for conference and travel requests, that of its submission for projects.
func (f FiscalCalendar) YearOf(c Content, submitted time.Time) int {
	if start := c.EventStart(); start != "" {
		if d, err := time.Parse(dateLayout, start); err == nil {
			return f.Year(d)
		}
	}
	return f.Year(submitted)
}

// Span returns the first and last instant of a fiscal year (UTC).
func (f FiscalCalendar) Span(year int) (time.Time, time.Time) {
	start := time.Date(year, f.StartMonth, 1, 0, 0, 0, 0, time.UTC)
	if f.StartMonth > time.January {
		start = start.AddDate(-1, 0, 0)
	}
	return start, start.AddDate(1, 0, 0).Add(-time.Nanosecond)
}

// Quarter returns the fiscal quarter (1-4) a date falls in.
func (f FiscalCalendar) Quarter(t time.Time) int {
	months := (int(t.Month()) - int(f.StartMonth) + 12) % 12
	return months/3 + 1
}
