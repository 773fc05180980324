package sponsorship

import (
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// Budget is the money one fiscal year allots to one category in one currency, and what
// has become of it: committed by approvals, paid out, and what remains.
type Budget struct {
	FiscalYear int
	Category   Kind
	Currency   string
	Allocated  int64 // minor units
	Committed  int64 // approved, not yet paid
	Paid       int64
	Version    int
	UpdatedAt  time.Time
}

// Remaining is what the budget can still take: allocated minus committed minus paid.
func (b Budget) Remaining() money.Money {
	return money.Money{Currency: b.Currency, Minor: b.Allocated - b.Committed - b.Paid}
}

// Money wraps a minor-unit figure of the budget in its currency.
func (b Budget) Money(minor int64) money.Money {
	return money.Money{Currency: b.Currency, Minor: minor}
}
