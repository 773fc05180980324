package schedule

import (
	"strings"
	"testing"
	"time"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestNext(t *testing.T) {
	anchor := time.Date(2024, 1, 1, 0, 0, 30, 0, time.UTC)
	tests := []struct {
		name, expr, loc, from, want string // want "" means ok=false
		anchored                    bool
	}{
		{"rate minutes", "rate(5 minutes)", "", "2024-01-01T00:02:00Z", "2024-01-01T00:05:00Z", false},
		{"rate strictly after", "rate(1 hour)", "", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", false},
		{"rate day", "rate(1 day)", "", "2024-03-05T13:00:00Z", "2024-03-06T00:00:00Z", false},
		{"rate before epoch", "rate(1 day)", "", "1969-12-31T13:00:00Z", "1970-01-01T00:00:00Z", false},
		{"rate anchored", "rate(10 minutes)", "", "2024-01-01T00:05:00Z", "2024-01-01T00:10:30Z", true},
		{"rate anchored on firing", "rate(10 minutes)", "", "2024-01-01T00:10:30Z", "2024-01-01T00:20:30Z", true},
		{"rate before anchor fires at anchor", "rate(10 minutes)", "", "2023-06-01T00:00:00Z", "2024-01-01T00:00:30Z", true},
		{"rate in zone", "rate(2 hours)", "Europe/Berlin", "2024-01-01T00:30:00Z", "2024-01-01T03:00:00+01:00", false},
		{"rate day before DST", "rate(1 day)", "Europe/Berlin", "2024-03-30T12:00:00Z", "2024-03-31T01:00:00+01:00", false},
		{"rate days are 24h across DST", "rate(1 day)", "Europe/Berlin", "2024-03-31T12:00:00Z", "2024-04-01T02:00:00+02:00", false},

		{"cron daily next day", "cron(0 8 * * ? *)", "", "2024-01-31T09:00:00Z", "2024-02-01T08:00:00Z", false},
		{"cron same day", "cron(0 8 * * ? *)", "", "2024-01-31T07:59:59Z", "2024-01-31T08:00:00Z", false},
		{"cron strictly after", "cron(0 8 * * ? *)", "", "2024-01-31T08:00:00Z", "2024-02-01T08:00:00Z", false},
		{"cron seconds ignored", "cron(* * * * ? *)", "", "2024-01-31T08:00:59.5Z", "2024-01-31T08:01:00Z", false},
		{"cron year boundary", "cron(0 0 1 1 ? *)", "", "2024-12-31T12:00:00Z", "2025-01-01T00:00:00Z", false},
		{"cron month boundary", "cron(15 0 1 * ? *)", "", "2024-04-30T23:59:00Z", "2024-05-01T00:15:00Z", false},
		{"cron every 15 minutes", "cron(*/15 * * * ? *)", "", "2024-01-01T10:07:00Z", "2024-01-01T10:15:00Z", false},
		{"cron increment from start", "cron(5/20 * * * ? *)", "", "2024-01-01T10:46:00Z", "2024-01-01T11:05:00Z", false},
		{"cron range increment", "cron(0 9-17/4 * * ? *)", "", "2024-01-01T13:30:00Z", "2024-01-01T17:00:00Z", false},
		{"cron lists", "cron(0,30 6,18 * * ? *)", "", "2024-01-01T18:31:00Z", "2024-01-02T06:00:00Z", false},
		{"leap day", "cron(0 0 29 2 ? *)", "", "2025-01-01T00:00:00Z", "2028-02-29T00:00:00Z", false},
		{"day 31 skips short months", "cron(0 0 31 * ? *)", "", "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z", false},
		{"never fires", "cron(0 0 30 2 ? *)", "", "2024-01-01T00:00:00Z", "", false},
		{"L in leap February", "cron(30 23 L * ? *)", "", "2024-02-10T00:00:00Z", "2024-02-29T23:30:00Z", false},
		{"L next month", "cron(0 12 L * ? *)", "", "2023-04-30T12:00:00Z", "2023-05-31T12:00:00Z", false},
		{"LW on Saturday 31st", "cron(0 9 LW * ? *)", "", "2024-08-01T00:00:00Z", "2024-08-30T09:00:00Z", false},
		{"15W on Saturday", "cron(0 9 15W * ? *)", "", "2024-06-01T00:00:00Z", "2024-06-14T09:00:00Z", false},
		{"15W on Sunday", "cron(0 9 15W * ? *)", "", "2024-09-01T00:00:00Z", "2024-09-16T09:00:00Z", false},
		{"1W stays in month", "cron(0 9 1W * ? *)", "", "2024-05-31T12:00:00Z", "2024-06-03T09:00:00Z", false},
		{"31W stays in month", "cron(0 9 31W * ? *)", "", "2024-03-20T00:00:00Z", "2024-03-29T09:00:00Z", false},
		{"first Monday", "cron(0 10 ? * 2#1 *)", "", "2024-07-02T00:00:00Z", "2024-08-05T10:00:00Z", false},
		{"fifth Friday", "cron(0 10 ? * FRI#5 *)", "", "2024-04-01T00:00:00Z", "2024-05-31T10:00:00Z", false},
		{"last Friday", "cron(0 17 ? * 6L *)", "", "2024-05-01T00:00:00Z", "2024-05-31T17:00:00Z", false},
		{"L alone is Saturday", "cron(0 0 ? * L *)", "", "2024-06-03T00:00:00Z", "2024-06-08T00:00:00Z", false},
		{"1 is Sunday", "cron(0 0 ? * 1 *)", "", "2024-06-03T00:00:00Z", "2024-06-09T00:00:00Z", false},
		{"weekdays by name", "cron(0 9 ? * MON-FRI *)", "", "2024-06-07T10:00:00Z", "2024-06-10T09:00:00Z", false},
		{"weekend by name", "cron(0 9 ? * sat,SUN *)", "", "2024-06-03T00:00:00Z", "2024-06-08T09:00:00Z", false},
		{"month names", "cron(0 0 1 JAN,JUL ? *)", "", "2024-02-01T00:00:00Z", "2024-07-01T00:00:00Z", false},
		{"year list", "cron(0 0 1 1 ? 2024,2025)", "", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z", false},
		{"year list runs out", "cron(0 0 1 1 ? 2024,2025)", "", "2025-06-01T00:00:00Z", "", false},
		{"before 1970", "cron(0 0 1 1 ? *)", "", "1900-06-01T00:00:00Z", "1970-01-01T00:00:00Z", false},
		{"after 2199", "cron(0 0 * * ? *)", "", "2199-12-31T00:00:00Z", "", false},

		{"Berlin spring DST", "cron(0 8 * * ? *)", "Europe/Berlin", "2024-03-30T08:00:00+01:00", "2024-03-31T08:00:00+02:00", false},
		{"Berlin autumn DST", "cron(0 8 * * ? *)", "Europe/Berlin", "2024-10-26T08:00:00+02:00", "2024-10-27T08:00:00+01:00", false},
		{"skipped wall time does not fire", "cron(30 2 * * ? *)", "Europe/Berlin", "2024-03-30T03:00:00+01:00", "2024-04-01T02:30:00+02:00", false},
		{"repeated wall time fires first", "cron(30 2 * * ? *)", "Europe/Berlin", "2024-10-27T00:00:00+02:00", "2024-10-27T02:30:00+02:00", false},
		{"repeated wall time fires once", "cron(30 2 * * ? *)", "Europe/Berlin", "2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00", false},
		{"zone ahead of UTC crosses date", "cron(0 1 * * ? *)", "Asia/Tokyo", "2024-01-01T15:00:00Z", "2024-01-02T01:00:00+09:00", false},

		{"at future", "at(2027-01-31T09:00:00)", "", "2026-05-01T00:00:00Z", "2027-01-31T09:00:00Z", false},
		{"at in zone", "at(2027-01-31T09:00:00)", "Europe/Berlin", "2026-05-01T00:00:00Z", "2027-01-31T09:00:00+01:00", false},
		{"at past", "at(2027-01-31T09:00:00)", "", "2027-01-31T09:00:00Z", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if tt.anchored {
				e = e.WithAnchor(anchor)
			}
			var loc *time.Location
			if tt.loc != "" {
				loc = mustLoc(t, tt.loc)
			}
			from, err := time.Parse(time.RFC3339Nano, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			next, ok := e.Next(from, loc)
			got := ""
			if ok {
				got = next.Format(time.RFC3339)
			}
			if got != tt.want {
				t.Errorf("%s.Next(%s) = %q, %v; want %q", tt.expr, tt.from, got, ok, tt.want)
			}
		})
	}
}

func TestNextSequence(t *testing.T) {
	e, err := Parse("cron(0 9 ? * MON#2,FRI#3 2025)")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for n, ok := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), true; ; {
		if n, ok = e.Next(n, nil); !ok {
			break
		}
		got = append(got, n.Format("01-02"))
	}
	want := "01-13 01-17 02-10 02-21 03-10 03-21 04-14 04-18 05-12 05-16 06-09 06-20 " +
		"07-14 07-18 08-11 08-15 09-08 09-19 10-13 10-17 11-10 11-21 12-08 12-19"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "not of the form"},
		{"rate(5 minutes", "not of the form"},
		{"every(5 minutes)", "unknown expression type"},
		{"rate(0 minutes)", "positive integer"},
		{"rate(-1 minutes)", "positive integer"},
		{"rate(+5 minutes)", "positive integer"},
		{"rate(1.5 hours)", "positive integer"},
		{"rate(99999999999 days)", "positive integer"},
		{"rate(200000 days)", "too large"},
		{"rate(200000000 minutes)", "too large"},
		{"rate(5)", "value and a unit"},
		{"rate(5 minutes now)", "value and a unit"},
		{"rate(1 minutes)", "singular"},
		{"rate(5 minute)", "plural"},
		{"rate(2 weeks)", "unit"},
		{"rate(2 Minutes)", "unit"},
		{"cron(0 8 * * ?)", "6 fields"},
		{"cron(0 8 * * ? * *)", "6 fields"},
		{"cron(0 8 ? * ? *)", "exactly one"},
		{"cron(0 8 * * * *)", "exactly one"},
		{"cron(60 8 * * ? *)", "minutes field"},
		{"cron(0 24 * * ? *)", "hours field"},
		{"cron(0 0 32 * ? *)", "day-of-month field"},
		{"cron(0 0 0 * ? *)", "day-of-month field"},
		{"cron(0 0 1 13 ? *)", "month field"},
		{"cron(0 0 1 FOO ? *)", "month field"},
		{"cron(0 0 ? * 8 *)", "day-of-week field"},
		{"cron(0 0 ? * 0 *)", "day-of-week field"},
		{"cron(0 0 1 1 ? 1969)", "year field"},
		{"cron(0 0 1 1 ? 2200)", "year field"},
		{"cron(0 ? * * ? *)", "hours field"},
		{"cron(*/0 * * * ? *)", "increment"},
		{"cron(10-5 * * * ? *)", "backwards"},
		{"cron(1,,2 * * * ? *)", "minutes field"},
		{"cron(0 0 32W * ? *)", "day-of-month field"},
		{"cron(0 0 L5 * ? *)", "day-of-month field"},
		{"cron(0 0 ? * 2#6 *)", "day-of-week field"},
		{"cron(0 0 ? * 9#1 *)", "day-of-week field"},
		{"cron(0 0 ? * 8L *)", "day-of-week field"},
		{"cron(0 0 ? * 2W *)", "day-of-week field"},
		{"cron(0 0 L * ? L)", "year field"},
		{"at(2027-13-01T00:00:00)", "month out of range"},
		{"at(2027-02-30T00:00:00)", "day out of range"},
		{"at(2027-01-31 09:00:00)", "cannot parse"},
		{"at(2027-01-31T09:00:00.5)", "yyyy-mm-ddThh:mm:ss"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tt.expr, e, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error %q, want it to contain %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	for _, s := range []string{"rate(5 minutes)", "cron(0 8 * * ? *)", " at(2027-01-31T09:00:00) "} {
		e, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if e.String() != s || e.WithAnchor(time.Now()).String() != s {
			t.Errorf("String() = %q, want %q", e.String(), s)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"rate(5 minutes)", "rate(1 day)", "cron(0 8 * * ? *)", "cron(0/5 1-3,9 LW JAN-MAR ? 2030)",
		"cron(0 0 ? * 6L,2#1,SUN *)", "cron(0 0 15W,L * ? 2024-2199/7)", "at(2027-01-31T09:00:00)",
		"cron(30 2 * * ? *)", "cron(0 0 30 2 ? *)",
	} {
		f.Add(s, int64(1_700_000_000))
	}
	berlin := mustLoc(f, "Europe/Berlin")
	f.Fuzz(func(t *testing.T, s string, sec int64) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		if e.String() != s {
			t.Fatalf("String() = %q, want %q", e.String(), s)
		}
		from := time.Unix(sec%(300*365*86400), sec%1e9)
		for _, loc := range []*time.Location{nil, berlin} {
			if next, ok := e.WithAnchor(from.Add(-time.Hour)).Next(from, loc); ok && !next.After(from) {
				t.Fatalf("%s.Next(%v, %v) = %v, not after", s, from, loc, next)
			}
		}
	})
}
