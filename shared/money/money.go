// Package money holds amounts as integer minor units of an ISO 4217 currency and
// converts them to and from the decimal strings the API speaks ("1500.00").
//
// Floating point never touches an amount: parsing, sums and formatting are exact.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Money is an exact amount: Minor units (cents, pence, yen) of Currency.
type Money struct {
	Currency string
	Minor    int64
}

// Amount is the wire form of Money: a currency code and a decimal string.
type Amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// maxIntegerDigits bounds the integer part so that any value, scaled by the largest
// minor unit exponent (3), fits in an int64 with room for sums of many amounts.
const maxIntegerDigits = 13

// Errors returned by Parse. They are sentinel values so callers can map each to a
// field error code.
var (
	ErrUnknownCurrency = errors.New("unknown currency")
	ErrSyntax          = errors.New("not a decimal number")
	ErrPrecision       = errors.New("more decimal places than the currency has")
	ErrRange           = errors.New("amount too large")
)

// Parse reads a decimal string such as "1500", "1500.5" or "-20.00" in the given
// currency. It accepts an optional leading minus sign, digits, and an optional
// fraction with no more digits than the currency's minor unit; no exponent, no
// thousands separators, no spaces.
func Parse(currency, value string) (Money, error) {
	digits, ok := minorUnits[currency]
	if !ok {
		return Money{}, ErrUnknownCurrency
	}
	s := value
	negative := false
	if strings.HasPrefix(s, "-") {
		negative = true
		s = s[1:]
	}
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && fracPart == "") || !allDigits(intPart) || !allDigits(fracPart) {
		return Money{}, ErrSyntax
	}
	if len(fracPart) > digits {
		return Money{}, ErrPrecision
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > maxIntegerDigits {
		return Money{}, ErrRange
	}
	frac := fracPart + strings.Repeat("0", digits-len(fracPart))
	n, err := strconv.ParseInt("0"+intPart+frac, 10, 64)
	if err != nil {
		return Money{}, ErrRange
	}
	if negative {
		n = -n
	}
	return Money{Currency: currency, Minor: n}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FromAmount parses the wire form.
func FromAmount(a Amount) (Money, error) { return Parse(a.Currency, a.Value) }

// Decimal formats the amount with exactly the currency's number of decimal places,
// e.g. "1500.00", "-0.05", "1200" (JPY).
func (m Money) Decimal() string {
	digits := minorUnits[m.Currency]
	n := m.Minor
	sign := ""
	if n < 0 {
		sign = "-"
	}
	u := uint64(n)
	if n < 0 {
		u = uint64(-(n + 1)) + 1 // safe for math.MinInt64
	}
	s := strconv.FormatUint(u, 10)
	if digits == 0 {
		return sign + s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}

// Amount returns the wire form.
func (m Money) Amount() Amount { return Amount{Currency: m.Currency, Value: m.Decimal()} }

// String is the amount followed by its currency, for logs and messages: "1500.00 EUR".
func (m Money) String() string { return m.Decimal() + " " + m.Currency }

// IsZero reports whether the amount is zero, whatever its currency.
func (m Money) IsZero() bool { return m.Minor == 0 }

// Add returns m+o. Both must be in the same currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("add %s to %s: %w", o.Currency, m.Currency, ErrCurrencyMismatch)
	}
	s := m.Minor + o.Minor
	if (s > m.Minor) != (o.Minor > 0) {
		return Money{}, ErrRange
	}
	return Money{Currency: m.Currency, Minor: s}, nil
}

// ErrCurrencyMismatch is returned when amounts in different currencies are combined.
var ErrCurrencyMismatch = errors.New("currencies differ")

// Sum adds amounts of one currency, starting from zero in that currency.
func Sum(currency string, amounts ...Money) (Money, error) {
	total := Money{Currency: currency}
	for _, a := range amounts {
		var err error
		if total, err = total.Add(a); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}

// Major returns a whole number of major units (e.g. 250000 EUR) as Money.
func Major(currency string, units int64) (Money, error) {
	digits, ok := minorUnits[currency]
	if !ok {
		return Money{}, ErrUnknownCurrency
	}
	n := units
	for range digits {
		if n > (1<<62)/10 {
			return Money{}, ErrRange
		}
		n *= 10
	}
	return Money{Currency: currency, Minor: n}, nil
}
