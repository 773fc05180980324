package reports

import (
	"context"
	"sort"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// MemorySource is a Source over records held in memory, selecting as the store's
// indexes do (a fiscal year's requests by submission day, its payments by date, events
// by time). It lets tools and tests build real reports from sample data without a
// table; Read counts the items handed over, as a store's reads would.
type MemorySource struct {
	Requests []*sponsorship.Request
	Payments []sponsorship.Payment
	Events   []sponsorship.AuditEvent
	Budget   []sponsorship.Budget // every year's budgets
	Read     int                  // items handed to reports so far
}

var _ Source = (*MemorySource)(nil)

// inPeriod reports whether a day (YYYY-MM-DD) lies between from and to (inclusive;
// empty for no bound).
func inPeriod(d, from, to string) bool {
	return (from == "" || d >= from) && (to == "" || d <= to)
}

// EachRequest visits the requests of a fiscal year submitted between from and to, in
// submission order.
func (m *MemorySource) EachRequest(ctx context.Context, year int, from, to string, fn func(*sponsorship.Request) error) error {
	rs := append([]*sponsorship.Request(nil), m.Requests...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].SubmittedAt.Before(rs[j].SubmittedAt) })
	for _, r := range rs {
		if r.FiscalYear != year || !inPeriod(day(r.SubmittedAt), from, to) {
			continue
		}
		m.Read++
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// EachPayment visits the payments of a fiscal year dated between from and to, by date.
func (m *MemorySource) EachPayment(ctx context.Context, year int, from, to string, fn func(sponsorship.Payment) error) error {
	ps := append([]sponsorship.Payment(nil), m.Payments...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Date < ps[j].Date })
	for _, p := range ps {
		if p.FiscalYear != year || !inPeriod(p.Date, from, to) {
			continue
		}
		m.Read++
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// EachEvent visits the audit events between two times, oldest first.
func (m *MemorySource) EachEvent(ctx context.Context, from, to time.Time, fn func(sponsorship.AuditEvent) error) error {
	evs := append([]sponsorship.AuditEvent(nil), m.Events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	for _, ev := range evs {
		if ev.At.Before(from) || ev.At.After(to) {
			continue
		}
		m.Read++
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

// Budgets returns a fiscal year's budgets.
func (m *MemorySource) Budgets(ctx context.Context, year int) ([]sponsorship.Budget, error) {
	var out []sponsorship.Budget
	for _, b := range m.Budget {
		if b.FiscalYear == year {
			m.Read++
			out = append(out, b)
		}
	}
	return out, nil
}
