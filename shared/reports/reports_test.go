package reports_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/reports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/tabular"
)

var exported = time.Date(2027, time.March, 4, 9, 30, 15, 0, time.FixedZone("CET", 3600))

// sample is a fiscal year 2027 of n requests, each approved and paid once, with an
// audit event for each, and one budget.
func sample(n int) *reports.MemorySource {
	src := &reports.MemorySource{Budget: []sponsorship.Budget{{FiscalYear: 2027, Category: sponsorship.KindProject, Currency: "EUR", Allocated: 100_000_00}}}
	for i := range n {
		at := time.Date(2027, time.January, 1+i, 10, 0, 0, 0, time.UTC)
		amount := money.Money{Currency: "EUR", Minor: 1000_00}
		src.Requests = append(src.Requests, &sponsorship.Request{
			ID: fmt.Sprintf("req-%03d", i), Reference: fmt.Sprintf("ST-AAAAA-%05d", i), Status: sponsorship.StatusPaid, FiscalYear: 2027,
			Content:     sponsorship.Content{Kind: sponsorship.KindProject, Title: "Project " + fmt.Sprint(i), Amount: amount},
			SubmittedAt: at, DecidedAt: at.Add(24 * time.Hour), Approved: &amount, Paid: amount, PaidOn: "2027-02-01",
		})
		src.Payments = append(src.Payments, sponsorship.Payment{ID: fmt.Sprintf("pay-%03d", i), RequestID: fmt.Sprintf("req-%03d", i),
			FiscalYear: 2027, Category: sponsorship.KindProject, Amount: amount, Date: "2027-02-01", Method: "bank_transfer", RecordedAt: at})
		src.Events = append(src.Events, sponsorship.AuditEvent{RequestID: fmt.Sprintf("req-%03d", i), Type: sponsorship.EventSubmitted, At: at,
			Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant}})
	}
	return src
}

func builder(src reports.Source) reports.Builder {
	return reports.Builder{Source: src, Calendar: sponsorship.FiscalCalendar{StartMonth: time.January}, Now: func() time.Time { return exported }}
}

// fieldErrors returns the field errors of a validation error as "field=code: message".
func fieldErrors(err error) []string {
	var v *sponsorship.ValidationError
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, fe := range v.Errors {
		out = append(out, fe.Field+"="+fe.Code+": "+fe.Message)
	}
	return out
}

func TestAuditPeriodIsAtMost366Days(t *testing.T) {
	july := reports.Builder{Calendar: sponsorship.FiscalCalendar{StartMonth: time.July}}
	for _, c := range []struct {
		name  string
		b     reports.Builder
		q     reports.Query
		field string // the field the error names; "" when the period is fine
	}{
		{"a leap year, 366 days", builder(nil), reports.Query{From: "2028-01-01", To: "2028-12-31"}, ""},
		{"367 days", builder(nil), reports.Query{From: "2027-01-01", To: "2028-01-02"}, "to"},
		{"seven years", builder(nil), reports.Query{From: "2026-01-01", To: "2032-12-31"}, "to"},
		{"a fiscal year", builder(nil), reports.Query{FiscalYear: 2028}, ""},
		{"a fiscal year from July", july, reports.Query{FiscalYear: 2028}, ""},
		{"a fiscal year moved back by from", builder(nil), reports.Query{FiscalYear: 2027, From: "2020-01-01"}, "from"},
		{"a fiscal year moved on by to", july, reports.Query{FiscalYear: 2027, To: "2027-12-31"}, "to"},
		{"a fiscal year narrowed by from", july, reports.Query{FiscalYear: 2027, From: "2027-01-01"}, ""},
		{"a fiscal year replaced by from and to", builder(nil), reports.Query{FiscalYear: 2027, From: "2026-06-01", To: "2027-06-01"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.q.Report, c.q.Format = "audit", "csv"
			got := fieldErrors(c.b.Validate(c.q))
			switch {
			case c.field == "" && len(got) > 0:
				t.Errorf("refused: %v", got)
			case c.field != "" && (len(got) != 1 || !strings.HasPrefix(got[0], c.field+"=too_long: ") || !strings.Contains(got[0], "at most 366 days")):
				t.Errorf("field errors %q, want one too_long error on %s naming the limit", got, c.field)
			}
		})
	}
	// The other reports read within a fiscal year; from and to only narrow it.
	if err := builder(nil).Validate(reports.Query{Report: "payments", Format: "csv", FiscalYear: 2027, From: "2020-01-01", To: "2030-01-01"}); err != nil {
		t.Errorf("payments with a wide period: %v", err)
	}
	// Every problem at once, the period's among them.
	got := fieldErrors(builder(nil).Validate(reports.Query{Report: "audit", Format: "pdf", From: "2020-01-01", To: "2027-01-01", Kind: "party"}))
	if len(got) != 2 {
		t.Errorf("want the format and kind errors (the period is checked once the rest is valid): %q", got)
	}
}

func TestReportsRefuseWorkOverTheirCeiling(t *testing.T) {
	for _, c := range []struct {
		report string
		q      reports.Query
		items  int // what the report reads: requests, payments, events, budgets
	}{
		{"requests", reports.Query{FiscalYear: 2027}, 10},
		{"payments", reports.Query{FiscalYear: 2027}, 10},
		{"summary", reports.Query{FiscalYear: 2027}, 21},
		{"audit", reports.Query{FiscalYear: 2027}, 10},
	} {
		for _, format := range tabular.Formats {
			t.Run(c.report+"/"+format, func(t *testing.T) {
				q := c.q
				q.Report, q.Format = c.report, format

				// At the ceiling: the whole report.
				src := sample(10)
				b := builder(src)
				b.Ceilings = map[string]int{c.report: c.items}
				var out bytes.Buffer
				w, _ := tabular.New(format, &out)
				if _, err := b.Write(context.Background(), q, w); err != nil {
					t.Fatalf("at the ceiling: %v", err)
				}

				// One under: refused, having read one item past the ceiling and no more.
				src = sample(10)
				b = builder(src)
				b.Ceilings = map[string]int{c.report: c.items - 1}
				out.Reset()
				w, _ = tabular.New(format, &out)
				rows, err := b.Write(context.Background(), q, w)
				var ce *reports.CeilingError
				if !errors.As(err, &ce) || ce.Report != c.report || ce.Limit != c.items-1 {
					t.Fatalf("over the ceiling: %v (%d rows), want a CeilingError of %d", err, rows, c.items-1)
				}
				if src.Read != c.items {
					t.Errorf("read %d items, want to stop at the first past the ceiling (%d)", src.Read, c.items)
				}
				if c.report == "summary" && rows != 0 {
					t.Errorf("the summary wrote %d rows before it was refused", rows)
				}
			})
		}
	}
	// Status, kind and currency filter after reading: they do not lower the work.
	src := sample(10)
	b := builder(src)
	b.Ceilings = map[string]int{"requests": 5}
	w, _ := tabular.New("csv", &bytes.Buffer{})
	if _, err := b.Write(context.Background(), reports.Query{Report: "requests", Format: "csv", FiscalYear: 2027, Currency: "JPY"}, w); !errors.As(err, new(*reports.CeilingError)) {
		t.Errorf("a filtered report over the ceiling: %v", err)
	}
	for name, n := range reports.DefaultCeilings {
		if n < 10_000 {
			t.Errorf("default ceiling of %s is %d", name, n)
		}
	}
}

// TestSpreadsheetSaysWhatItHolds opens an XLSX report: one sheet named after the
// report, a title naming the report, its filters and the export time in UTC, and the
// report's columns typed.
func TestSpreadsheetSaysWhatItHolds(t *testing.T) {
	for _, c := range []struct {
		q            reports.Query
		sheet, title string
		cells        map[string]string // cell: raw value
	}{
		{reports.Query{Report: "requests", FiscalYear: 2027, Status: "paid", Currency: "EUR", From: "2027-01-02"}, "Requests",
			"Requests report: fiscal year 2027, submitted from 2027-01-02, status paid, currency EUR. Exported 2027-03-04 08:30:15 UTC.",
			map[string]string{"I3": "2027", "K3": "1000.00", "P3": "46389", "A3": "ST-AAAAA-00001"}},
		{reports.Query{Report: "payments", FiscalYear: 2027, Kind: "project"}, "Payments",
			"Payments report: fiscal year 2027, times in UTC, kind project. Exported 2027-03-04 08:30:15 UTC.",
			map[string]string{"B3": "46419", "F3": "2027", "H3": "1000.00", "N3": "46388.416666666664"}},
		{reports.Query{Report: "summary", FiscalYear: 2027, To: "2027-01-31"}, "Summary",
			"Summary report: fiscal year 2027, submitted or paid up to 2027-01-31. Exported 2027-03-04 08:30:15 UTC.",
			map[string]string{"B3": "2027", "G3": "10"}},
		{reports.Query{Report: "audit", FiscalYear: 2027}, "Audit",
			"Audit report: events 2027-01-01 to 2027-12-31 (fiscal year 2027), times in UTC. Exported 2027-03-04 08:30:15 UTC.",
			map[string]string{"A3": "46388.416666666664"}},
	} {
		t.Run(c.q.Report, func(t *testing.T) {
			c.q.Format = "xlsx"
			var out bytes.Buffer
			w, _ := tabular.New("xlsx", &out)
			if _, err := builder(sample(10)).Write(context.Background(), c.q, w); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); len(got) != 1 || got[0] != c.sheet {
				t.Errorf("sheets %q, want [%s]", got, c.sheet)
			}
			if got, _ := f.GetCellValue(c.sheet, "A1"); got != c.title {
				t.Errorf("title %q\nwant  %q", got, c.title)
			}
			for cell, want := range c.cells {
				got, _ := f.GetCellValue(c.sheet, cell, excelize.Options{RawCellValue: true})
				if typ, _ := f.GetCellType(c.sheet, cell); got != want || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeInlineString) {
					t.Errorf("%s = %q (type %d), want %q", cell, got, typ, want)
				}
			}
		})
	}
}
