package tabular

import (
	"strconv"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// digits reports whether s is between least and most ASCII digits.
func digits(s string, least, most int) bool {
	if len(s) < least || len(s) > most {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isInteger reports whether s is -?[0-9]{1,15}: whole numbers a spreadsheet's double
// holds exactly.
func isInteger(s string) bool {
	return digits(strings.TrimPrefix(s, "-"), 1, 15)
}

// isDecimal reports whether s is -?[0-9]{1,18}(\.[0-9]{1,4})?, the decimals amounts are
// written as.
func isDecimal(s string) bool {
	whole, frac, point := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	return digits(whole, 1, 18) && (!point || digits(frac, 1, maxDecimals))
}

// isDateTime reports whether s has the shape of RFC 3339 as the API writes it,
// YYYY-MM-DDTHH:MM:SS, a fraction of up to nine digits, and Z or an offset; time.Parse
// alone also takes a comma before the fraction, which would split a bare CSV field.
func isDateTime(s string) bool {
	if len(s) < 20 || s[10] != 'T' || !isDay(s[:10]) || !digits(s[11:13], 2, 2) || s[13] != ':' ||
		!digits(s[14:16], 2, 2) || s[16] != ':' || !digits(s[17:19], 2, 2) {
		return false
	}
	rest := s[19:]
	if strings.HasPrefix(rest, ".") {
		end := 1
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		if end == 1 || end > 10 {
			return false
		}
		rest = rest[end:]
	}
	return rest == "Z" || (len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:3], 2, 2) && rest[3] == ':' && digits(rest[4:], 2, 2))
}

// isDay reports whether s has the shape YYYY-MM-DD.
func isDay(s string) bool {
	return len(s) == 10 && digits(s[:4], 4, 4) && s[4] == '-' && digits(s[5:7], 2, 2) && s[7] == '-' && digits(s[8:], 2, 2)
}

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
		if isInteger(v) {
			return typed{number: v, width: len(v)}, true
		}
	case Amount, Decimal:
		if !isDecimal(v) {
			break
		}
		places := col.Decimals
		if col.Type == Amount {
			places = amountDecimals(currency, v)
		}
		places = min(max(places, 0, fraction(v)), maxDecimals)
		return typed{number: v, decimals: places, width: numberWidth(v, places)}, true
	case Date:
		if !isDay(v) {
			break
		}
		d, err := time.Parse("2006-01-02", v)
		if err != nil || d.Before(firstSerialDay) {
			break
		}
		return typed{number: serial(d), width: len("2006-01-02")}, true
	case DateTime:
		if !isDateTime(v) {
			break
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || t.Before(firstSerialDay) || t.Year() > 9999 {
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
