package money

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		currency, value string
		want            int64
		err             error
	}{
		{"EUR", "1500.00", 150000, nil},
		{"EUR", "1500", 150000, nil},
		{"EUR", "1500.5", 150050, nil},
		{"EUR", "0.01", 1, nil},
		{"EUR", "-20.00", -2000, nil},
		{"EUR", "007.10", 710, nil},
		{"JPY", "1200", 1200, nil},
		{"KWD", "1.234", 1234, nil},
		{"JPY", "1200.5", 0, ErrPrecision},
		{"EUR", "1.005", 0, ErrPrecision},
		{"EUR", "", 0, ErrSyntax},
		{"EUR", "-", 0, ErrSyntax},
		{"EUR", ".50", 0, ErrSyntax},
		{"EUR", "5.", 0, ErrSyntax},
		{"EUR", "1e3", 0, ErrSyntax},
		{"EUR", "1,500.00", 0, ErrSyntax},
		{"EUR", " 15", 0, ErrSyntax},
		{"EUR", "+15", 0, ErrSyntax},
		{"EUR", "١٥", 0, ErrSyntax},
		{"EUR", "99999999999999", 0, ErrRange},
		{"EUR", "9999999999999.99", 999999999999999, nil},
		{"XXX", "1", 0, ErrUnknownCurrency},
		{"eur", "1", 0, ErrUnknownCurrency},
	}
	for _, tt := range tests {
		got, err := Parse(tt.currency, tt.value)
		if !errors.Is(err, tt.err) {
			t.Errorf("Parse(%q, %q) error = %v, want %v", tt.currency, tt.value, err, tt.err)
			continue
		}
		if err == nil && (got.Minor != tt.want || got.Currency != tt.currency) {
			t.Errorf("Parse(%q, %q) = %+v, want %d minor units", tt.currency, tt.value, got, tt.want)
		}
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{Money{"EUR", 150000}, "1500.00"},
		{Money{"EUR", 5}, "0.05"},
		{Money{"EUR", -5}, "-0.05"},
		{Money{"EUR", 0}, "0.00"},
		{Money{"JPY", 1200}, "1200"},
		{Money{"BHD", 1}, "0.001"},
		{Money{"USD", -123456}, "-1234.56"},
	}
	for _, tt := range tests {
		if got := tt.m.Decimal(); got != tt.want {
			t.Errorf("%+v.Decimal() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestAddRefusesMixedCurrenciesAndOverflow(t *testing.T) {
	if _, err := (Money{"EUR", 1}).Add(Money{"USD", 1}); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("EUR+USD error = %v, want ErrCurrencyMismatch", err)
	}
	if _, err := (Money{"EUR", 1<<63 - 1}).Add(Money{"EUR", 1}); !errors.Is(err, ErrRange) {
		t.Errorf("overflow error = %v, want ErrRange", err)
	}
	got, err := Sum("EUR", Money{"EUR", 150}, Money{"EUR", 250})
	if err != nil || got != (Money{"EUR", 400}) {
		t.Errorf("Sum = %+v, %v; want 4.00 EUR", got, err)
	}
}

func TestMajor(t *testing.T) {
	for _, tt := range []struct {
		currency string
		units    int64
		want     int64
	}{{"EUR", 250000, 25000000}, {"JPY", 40000000, 40000000}, {"KWD", 10, 10000}} {
		got, err := Major(tt.currency, tt.units)
		if err != nil || got.Minor != tt.want {
			t.Errorf("Major(%s, %d) = %+v, %v; want %d", tt.currency, tt.units, got, err, tt.want)
		}
	}
}

// wellFormed is Parse's grammar, written independently of it: an optional minus sign,
// digits, and an optional dot followed by digits.
var wellFormed = regexp.MustCompile(`^-?([0-9]+)(?:\.([0-9]+))?$`)

// FuzzParse checks Parse against an independent reading of the grammar and of the value
// (math/big), and that formatting round-trips: every accepted value formats to the
// canonical string, which parses to the same amount; every amount in range formats to a
// string that parses back to it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1500.00", "0", "-0.01", "1e3", "9999999999999.99", "٣", ".", "--1", "-0", "0009999999999999.9", "1.", "+1", " 1"} {
		f.Add("EUR", s, int64(150000))
	}
	f.Add("JPY", "12", int64(-1))
	f.Add("KWD", "1.234", int64(math.MinInt64))
	f.Add("XXX", "1", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, currency, value string, minor int64) {
		digits, known := MinorUnits(currency)
		m, err := Parse(currency, value)
		if want := parseOracle(currency, value); !errors.Is(err, want) {
			t.Fatalf("Parse(%q, %q) error = %v, want %v", currency, value, err, want)
		}
		if err != nil {
			if m != (Money{}) {
				t.Fatalf("Parse(%q, %q) failed (%v) but returned %+v", currency, value, err, m)
			}
		} else {
			exact, _ := new(big.Rat).SetString(value)
			exact.Mul(exact, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)))
			if m.Currency != currency || !exact.IsInt() || exact.Num().Cmp(big.NewInt(m.Minor)) != 0 {
				t.Fatalf("Parse(%q, %q) = %+v, want %s minor units of %s", currency, value, m, exact.RatString(), currency)
			}
			if m.String() != m.Decimal()+" "+currency {
				t.Fatalf("String() = %q, want %q", m.String(), m.Decimal()+" "+currency)
			}
			checkFormatRoundTrip(t, m)
		}
		if known && minor > -maxMinor(digits) && minor < maxMinor(digits) {
			checkFormatRoundTrip(t, Money{Currency: currency, Minor: minor})
		}
	})
}

// parseOracle is the error Parse must return for a value: the currency first, then the
// grammar, then the number of decimals, then the size.
func parseOracle(currency, value string) error {
	digits, ok := MinorUnits(currency)
	if !ok {
		return ErrUnknownCurrency
	}
	g := wellFormed.FindStringSubmatch(value)
	switch {
	case g == nil:
		return ErrSyntax
	case len(g[2]) > digits:
		return ErrPrecision
	case len(strings.TrimLeft(g[1], "0")) > maxIntegerDigits:
		return ErrRange
	}
	return nil
}

// maxMinor is the first amount, in minor units, that Parse refuses as too large.
func maxMinor(digits int) int64 {
	n := int64(1)
	for range maxIntegerDigits + digits {
		n *= 10
	}
	return n
}

// checkFormatRoundTrip checks that m's decimal form is canonical (exactly the
// currency's decimals, no redundant zeros or signs) and parses back to m, also through
// the wire form.
func checkFormatRoundTrip(t *testing.T, m Money) {
	t.Helper()
	digits, _ := MinorUnits(m.Currency)
	d := m.Decimal()
	g := wellFormed.FindStringSubmatch(d)
	if g == nil || len(g[2]) != digits || (len(g[1]) > 1 && g[1][0] == '0') || strings.HasPrefix(d, "-") != (m.Minor < 0) {
		t.Fatalf("%+v.Decimal() = %q, not canonical with %d decimals", m, d, digits)
	}
	back, err := FromAmount(m.Amount())
	if err != nil || back != m {
		t.Fatalf("%+v formats as %q, which parses to %+v, %v", m, d, back, err)
	}
	if again := back.Decimal(); again != d {
		t.Fatalf("%q formats again as %q", d, again)
	}
}
