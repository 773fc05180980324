package reports

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// totals add up one group of the summary, in minor units of its currency.
type totals struct {
	count                                  int
	requested, approved, paid, outstanding int64
}

type statusKey struct {
	category sponsorship.Kind
	status   sponsorship.Status
	currency string
}

type quarterKey struct {
	quarter  int
	category sponsorship.Kind
	currency string
}

// summary writes three sections in one table: totals per category, status and
// currency; each budget's utilisation; and approvals and payments per fiscal quarter.
// Only the groups are held in memory, never the rows; and every item is read before
// the first row is written, so a summary over its ceiling writes no row at all.
func (b Builder) summary(ctx context.Context, q Query, read *ceiling, row func(...string) error) error {
	byStatus := map[statusKey]*totals{}
	byQuarter := map[quarterKey]*totals{}
	group := func(m map[quarterKey]*totals, k quarterKey) *totals {
		if m[k] == nil {
			m[k] = &totals{}
		}
		return m[k]
	}
	err := b.Source.EachRequest(ctx, q.FiscalYear, q.From, q.To, func(r *sponsorship.Request) error {
		if err := read.items(1); err != nil {
			return err
		}
		if !q.keeps(r) {
			return nil
		}
		k := statusKey{r.Kind, r.Status, r.Amount.Currency}
		if byStatus[k] == nil {
			byStatus[k] = &totals{}
		}
		t := byStatus[k]
		t.count++
		t.requested += r.Amount.Minor
		if r.Approved != nil {
			t.approved += r.Approved.Minor
			t.paid += r.Paid.Minor
			t.outstanding += r.Outstanding().Minor
			g := group(byQuarter, quarterKey{b.Calendar.Quarter(r.DecidedAt), r.Kind, r.Amount.Currency})
			g.count++
			g.approved += r.Approved.Minor
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = b.Source.EachPayment(ctx, q.FiscalYear, q.From, q.To, func(p sponsorship.Payment) error {
		if err := read.items(1); err != nil {
			return err
		}
		if (q.Kind != "" && p.Category != q.Kind) || (q.Currency != "" && p.Amount.Currency != q.Currency) {
			return nil
		}
		date, err := parseDay(p.Date)
		if err != nil {
			return err
		}
		group(byQuarter, quarterKey{b.Calendar.Quarter(date), p.Category, p.Amount.Currency}).paid += p.Amount.Minor
		return nil
	})
	if err != nil {
		return err
	}
	budgets, err := b.Source.Budgets(ctx, q.FiscalYear)
	if err != nil {
		return err
	}
	if err := read.items(len(budgets)); err != nil {
		return err
	}
	year := strconv.Itoa(q.FiscalYear)
	dec := func(currency string, minor int64) string {
		return money.Money{Currency: currency, Minor: minor}.Decimal()
	}

	keys := make([]statusKey, 0, len(byStatus))
	for k := range byStatus {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return fmt.Sprint(a.category, a.status, a.currency) < fmt.Sprint(b.category, b.status, b.currency)
	})
	for _, k := range keys {
		t := byStatus[k]
		if err := row("by_status", year, string(k.category), string(k.status), "", k.currency, strconv.Itoa(t.count),
			dec(k.currency, t.requested), dec(k.currency, t.approved), dec(k.currency, t.paid), dec(k.currency, t.outstanding),
			"", "", "", ""); err != nil {
			return err
		}
	}

	sort.Slice(budgets, func(i, j int) bool {
		return fmt.Sprint(budgets[i].Category, budgets[i].Currency) < fmt.Sprint(budgets[j].Category, budgets[j].Currency)
	})
	for _, bu := range budgets {
		if (q.Kind != "" && bu.Category != q.Kind) || (q.Currency != "" && bu.Currency != q.Currency) {
			continue
		}
		used := ""
		if bu.Allocated > 0 {
			used = strconv.FormatFloat(float64(bu.Committed+bu.Paid)*100/float64(bu.Allocated), 'f', 1, 64)
		}
		if err := row("budget", year, string(bu.Category), "", "", bu.Currency, "", "", "", dec(bu.Currency, bu.Paid), "",
			dec(bu.Currency, bu.Allocated), dec(bu.Currency, bu.Committed), bu.Remaining().Decimal(), used); err != nil {
			return err
		}
	}

	qkeys := make([]quarterKey, 0, len(byQuarter))
	for k := range byQuarter {
		qkeys = append(qkeys, k)
	}
	sort.Slice(qkeys, func(i, j int) bool {
		a, b := qkeys[i], qkeys[j]
		return fmt.Sprint(a.quarter, a.category, a.currency) < fmt.Sprint(b.quarter, b.category, b.currency)
	})
	for _, k := range qkeys {
		t := byQuarter[k]
		if err := row("quarter", year, string(k.category), "", "Q"+strconv.Itoa(k.quarter), k.currency, strconv.Itoa(t.count), "",
			dec(k.currency, t.approved), dec(k.currency, t.paid), "", "", "", "", ""); err != nil {
			return err
		}
	}
	return nil
}
