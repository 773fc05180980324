package money

import (
	"errors"
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

// FuzzParse checks that parsing never panics and that every accepted value formats back
// to a string that parses to the same amount.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1500.00", "0", "-0.01", "1e3", "9999999999999.99", "٣", ".", "--1"} {
		f.Add("EUR", s)
	}
	f.Add("JPY", "12")
	f.Add("KWD", "1.234")
	f.Fuzz(func(t *testing.T, currency, value string) {
		m, err := Parse(currency, value)
		if err != nil {
			return
		}
		back, err := Parse(currency, m.Decimal())
		if err != nil || back != m {
			t.Fatalf("Parse(%q) = %+v formats as %q, which parses to %+v, %v", value, m, m.Decimal(), back, err)
		}
	})
}
