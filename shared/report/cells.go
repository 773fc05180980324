package report

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

var (
	decimal = regexp.MustCompile(`^-?[0-9]{1,18}(\.[0-9]{1,4})?$`)
	integer = regexp.MustCompile(`^-?[0-9]{1,15}$`)
	// dateTime is RFC 3339 as the API writes it; time.Parse alone also takes a comma
	// before the fraction, which would split a bare CSV field.
	dateTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$`)
)

// maxDecimals is the most decimal places a number cell shows: the most an amount or a
// decimal column carries (ISO 4217's largest minor unit is four, CLF's).
const maxDecimals = 4

// firstSerialDay is the first day whose spreadsheet day number is the same in Excel and
// LibreOffice: Excel counts a 29 February 1900 that never was (Lotus 1-2-3's error),
// so the day numbers of the two agree from 1 March 1900 on.
var firstSerialDay = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC)

// serialEpoch is day 0 of spreadsheet day numbers, counted so that days from 1 March
// 1900 come out right in both.
var serialEpoch = time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC)

// typed is a value as its column types it: a number or a day number with how a
// spreadsheet shows it, or, when the value does not fit the type, nothing (ok false:
// the value is text).
type typed struct {
	number   string // the cell's value: the decimal as given, or a day number
	decimals int    // Amount and Decimal: decimal places shown
	width    int    // characters the formatted value takes
}

// typeValue types v for column col of a row, whose currency (for an Amount column) is
// currency.
func typeValue(col Column, v, currency string) (typed, bool) {
	switch col.Type {
	case Integer:
		if integer.MatchString(v) {
			return typed{number: v, width: len(v)}, true
		}
	case Amount, Decimal:
		if !decimal.MatchString(v) {
			break
		}
		places := col.Decimals
		if col.Type == Amount {
			places = amountDecimals(currency, v)
		}
		places = min(max(places, 0, fraction(v)), maxDecimals)
		return typed{number: v, decimals: places, width: numberWidth(v, places)}, true
	case Date:
		d, err := time.Parse("2006-01-02", v)
		if err != nil || d.Before(firstSerialDay) {
			break
		}
		return typed{number: serial(d), width: len("2006-01-02")}, true
	case DateTime:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || !dateTime.MatchString(v) || t.Before(firstSerialDay) || t.Year() > 9999 {
			break
		}
		return typed{number: serial(t.UTC()), width: len("2006-01-02 15:04:05")}, true
	}
	return typed{}, false
}

// amountDecimals is how many decimal places an amount shows: its currency's ISO 4217
// minor units (money's table), or for a currency the table leaves out (fund codes such
// as CLF) as many as the value has.
func amountDecimals(currency, v string) int {
	if d, ok := money.MinorUnits(currency); ok {
		return d
	}
	return fraction(v)
}

// fraction is how many digits a decimal string has after its point.
func fraction(v string) int {
	if i := strings.IndexByte(v, '.'); i >= 0 {
		return len(v) - i - 1
	}
	return 0
}

// numberWidth is how many characters a decimal takes shown with thousands separators
// and places decimals: -1,234.50.
func numberWidth(v string, places int) int {
	w := 0
	if rest, neg := strings.CutPrefix(v, "-"); neg {
		v, w = rest, 1
	}
	digits := len(v)
	if i := strings.IndexByte(v, '.'); i >= 0 {
		digits = i
	}
	w += digits + (digits-1)/3
	if places > 0 {
		w += 1 + places
	}
	return w
}

// serial is a time's spreadsheet day number: whole days since the epoch, and the time
// of day as a fraction, to the second. Seconds are cut, not rounded: a spreadsheet
// rounds what it shows to the second, and an event at 23:59:59.7 must not show the
// next day.
func serial(t time.Time) string {
	s := int64(t.Sub(serialEpoch) / time.Second)
	days, rest := s/86_400, s%86_400
	if rest == 0 {
		return strconv.FormatInt(days, 10)
	}
	return strconv.FormatFloat(float64(days)+float64(rest)/86_400, 'f', -1, 64)
}
