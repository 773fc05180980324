//go:build integration

package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/xuri/excelize/v2"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/exports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/reports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// financeAPI adds the finance handler to a staffAPI, with S3 on moto for large
// reports; inline is the largest report answered inline.
func (s *staffAPI) financeAPI(inline int64) http.Handler {
	s.t.Helper()
	return s.financeAPIWith(inline, nil)
}

// financeAPIWith is financeAPI with the reports' ceilings lowered.
func (s *staffAPI) financeAPIWith(inline int64, ceilings map[string]int) http.Handler {
	s.t.Helper()
	client := s3.NewFromConfig(testenv.AWSConfig(s.t), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("reports-%d", time.Now().UnixNano())
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		s.t.Fatal(err)
	}
	clock := func() time.Time { return now }
	var archives api.Archiver
	if s.evidenceBucket != "" {
		archives = exports.Archive{Evidence: exports.Evidence{Client: client, Bucket: s.evidenceBucket}, Reports: exports.S3{Client: client, Bucket: bucket}}
	}
	return api.NewFinance(api.FinanceDeps{
		Payments: sponsorship.NewFinanceService(s.store, clock), Budgets: sponsorship.NewAdminService(s.store, clock),
		Reports: reports.Desk{
			Builder:  reports.Builder{Source: s.store, Calendar: sponsorship.FiscalCalendar{StartMonth: time.January}, Now: clock, Ceilings: ceilings},
			Exporter: exports.S3{Client: client, Bucket: bucket}, InlineLimit: inline,
		},
		Evidence: s.evidence,
		Archives: archives,
		Payouts:  s.payouts,
	}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

// approved submits a project of amount EUR (or another currency) in one milestone, has
// the committee approve it, and readies its payment: the milestone's deliverable and
// invoice on file and its report accepted.
func (s *staffAPI) approved(amount, currency string) (string, string) {
	s.t.Helper()
	id, token := s.approvedOnly(amount, currency)
	s.evidenced(id, token)
	return id, token
}

// unsigned stands in for the evidence bucket where no file is uploaded or fetched.
type unsigned struct{}

func (unsigned) UploadForm(context.Context, string, string, int64, time.Duration) (sponsorship.UploadForm, error) {
	return sponsorship.UploadForm{URL: "https://evidence.example/"}, nil
}

func (unsigned) DownloadLink(_ context.Context, key, _, _ string, _ time.Duration) (sponsorship.Link, error) {
	return sponsorship.Link{URL: "https://evidence.example/" + key}, nil
}

// evidenced gives an approved one-milestone project what its payment needs, as its
// applicant and the committee would: the deliverable and the invoice (checked and
// accepted) and the milestone's report, accepted.
func (s *staffAPI) evidenced(id, token string) {
	s.t.Helper()
	ctx := context.Background()
	e := s.milestoneFiles(id, token)
	if _, err := e.SubmitReport(ctx, id, token, 0, sponsorship.ReportInput{Text: "The milestone is done and released."}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := e.JudgeReport(ctx, id, 0, sponsorship.Actor{Role: sponsorship.RoleReviewer, ID: "a1"}, sponsorship.ReportDecision{Accept: true}); err != nil {
		s.t.Fatal(err)
	}
}

// milestoneFiles puts the first milestone's deliverable and invoice on an approved
// project, checked and accepted, as its applicant and the evidence function would; it
// returns the evidence service it used.
func (s *staffAPI) milestoneFiles(id, token string) *sponsorship.Evidence {
	s.t.Helper()
	ctx := context.Background()
	e := sponsorship.NewEvidence(s.store, unsigned{}, func() time.Time { return now })
	milestone := 0
	for _, p := range []sponsorship.Purpose{sponsorship.PurposeDeliverable, sponsorship.PurposeInvoice} {
		up, err := e.ApplicantUpload(ctx, id, token, sponsorship.UploadInput{Name: string(p) + ".pdf", Type: "application/pdf",
			Size: 1000, Purpose: p, Milestone: &milestone})
		if err != nil {
			s.t.Fatal(err)
		}
		if _, err := e.Checked(ctx, up.Attachment.Key, sponsorship.Verdict{Accepted: true, Type: "application/pdf", Size: 1000,
			SHA256: strings.Repeat("0", 64)}); err != nil {
			s.t.Fatal(err)
		}
	}
	return e
}

// approvedOnly is approved without the evidence: payments on it are refused.
func (s *staffAPI) approvedOnly(amount, currency string) (string, string) {
	s.t.Helper()
	body := project()
	body["amount"] = map[string]any{"currency": currency, "value": amount}
	body["project"].(map[string]any)["milestones"] = []any{map[string]any{"title": "All", "dueDate": "2027-06-30",
		"amount": map[string]any{"currency": currency, "value": amount}}}
	m := s.must(s.call(s.applic, nobody, "POST", "/requests", body), 201)
	id := m["id"].(string)
	s.confirm(id)
	for _, who := range []string{"a1", "b", "c"} {
		s.must(s.vote(who, id, approve()), 200)
	}
	return id, m["applicantToken"].(string)
}

func pay(amount, currency string) map[string]any {
	return map[string]any{"amount": map[string]any{"currency": currency, "value": amount}, "date": "2026-11-25",
		"method": "bank_transfer", "externalReference": "SEPA-1", "milestone": 0}
}

func (s *staffAPI) payWithKey(h http.Handler, id, key string, body map[string]any) response {
	s.t.Helper()
	return s.callHeader(h, financeP, "POST", "/finance/requests/"+id+"/payments", body, "idempotency-key", key)
}

func TestPaymentsNeverExceedTheApprovedAmount(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "50000.00")
	fin := s.financeAPI(0)
	id, token := s.approved("30000.00", "EUR")

	key := "9f0e1d2c-3b4a-4958-8776-655443322110"
	out := s.must(s.payWithKey(fin, id, key, pay("10000.00", "EUR")), 201)
	first := out["payment"].(map[string]any)["id"]
	if out["status"] != "partially_paid" || fmt.Sprint(out["outstanding"]) != "map[currency:EUR value:20000.00]" {
		t.Fatalf("after a first payment: %v", out)
	}
	// A replay records nothing; the same key with another body is refused.
	r := s.payWithKey(fin, id, key, pay("10000.00", "EUR"))
	if r.status != 201 || r.header.Get("Idempotent-Replayed") != "true" || r.json(t)["payment"].(map[string]any)["id"] != first {
		t.Errorf("replay: %d %s", r.status, r.body)
	}
	if r := s.payWithKey(fin, id, key, pay("5.00", "EUR")); r.status != 422 {
		t.Errorf("key reused with another body: %d", r.status)
	}
	// Refused: more than remains, another currency, a future date, an unknown method and
	// no milestone — all at once.
	bad := pay("20000.01", "EUR")
	if r := s.payWithKey(fin, id, "k-over-the-approved-amount-1", bad); r.status != 422 || !strings.Contains(strings.Join(r.fieldCodes(t), " "), "amount.value=above_ceiling") {
		t.Errorf("over the approved amount: %d %s", r.status, r.body)
	}
	bad = map[string]any{"amount": map[string]any{"currency": "USD", "value": "1.00"}, "date": "2027-01-01", "method": "gold"} // and no milestone
	if r := s.payWithKey(fin, id, "k-all-wrong-at-once-000001", bad); r.status != 422 || len(r.fieldCodes(t)) != 4 {
		t.Errorf("every field error at once: %d %s", r.status, r.body)
	}
	out = s.must(s.payWithKey(fin, id, "k-second-payment-00000001", pay("20000.00", "EUR")), 201)
	if out["status"] != "closed" { // paid in full, and its report was accepted first
		t.Errorf("after the last payment: %v", out["status"])
	}
	// A correction is a reversing entry.
	out = s.must(s.payWithKey(fin, id, "k-reversal-000000000000001", map[string]any{"reverses": first, "date": "2026-11-25", "method": "other", "note": "Sent twice by the bank."}), 201)
	if out["status"] != "partially_paid" || fmt.Sprint(out["paid"]) != "map[currency:EUR value:20000.00]" ||
		fmt.Sprint(out["payment"].(map[string]any)["amount"]) != "map[currency:EUR value:-10000.00]" {
		t.Errorf("after the reversal: %v", out)
	}
	if r := s.payWithKey(fin, id, "k-reversal-000000000000002", map[string]any{"reverses": first, "date": "2026-11-25", "method": "other"}); r.status != 422 {
		t.Errorf("second reversal of one payment: %d", r.status)
	}
	// The ledger, the budget and the applicant's view agree.
	ledger := s.must(s.call(fin, adminUser, "GET", "/finance/requests/"+id+"/payments", nil), 200)
	if n := len(ledger["payments"].([]any)); n != 3 {
		t.Errorf("%d ledger entries, want 3", n)
	}
	b := s.must(s.call(fin, financeP, "GET", "/finance/budgets?fiscalYear=2026", nil), 200)["items"].([]any)[0].(map[string]any)
	if b["committed"] != "10000.00" || b["paid"] != "20000.00" || b["remaining"] != "20000.00" {
		t.Errorf("budget: %v", b)
	}
	view := s.must(s.callApplicant("GET", "/requests/"+id, token), 200)
	if fmt.Sprint(view["paid"]) != "map[currency:EUR value:20000.00]" || len(view["payments"].([]any)) != 3 {
		t.Errorf("applicant's view: paid %v payments %v", view["paid"], view["payments"])
	}
	// Nothing is paid on a request that is not approved.
	sub := s.must(s.call(s.applic, nobody, "POST", "/requests", conference()), 201)["id"].(string)
	s.confirm(sub)
	if r := s.payWithKey(fin, sub, "k-not-approved-0000000001", pay("1.00", "EUR")); r.status != 409 {
		t.Errorf("payment on a submitted request: %d %s", r.status, r.body)
	}
}

// TestMoneyLeavesOnlyAgainstAcceptedEvidence walks a milestone through the API as its
// applicant, a reviewer and finance would: the payment is refused (409, naming what is
// missing) until the deliverable and invoice are on file and the report is accepted;
// the report sent back for changes is submitted again; every answer is held to the
// OpenAPI document.
func TestMoneyLeavesOnlyAgainstAcceptedEvidence(t *testing.T) {
	s, _ := newCountedAPI(t) // the one with the evidence routes wired
	s.committee()
	s.budget(2026, "project", "EUR", "50000.00")
	fin := s.financeAPI(0)
	id, token := s.approvedOnly("1000.00", "EUR")
	missing := func(r response) []any {
		t.Helper()
		if r.status != 409 || r.json(t)["code"] != "evidence_missing" {
			t.Fatalf("want 409 evidence_missing, got %d %s", r.status, r.body)
		}
		return r.json(t)["missing"].([]any)
	}
	if m := missing(s.payWithKey(fin, id, "k-evidence-first-000001", pay("1000.00", "EUR"))); fmt.Sprint(m) != "[Milestone 1 (All): report accepted Milestone 1 (All): deliverable, a link or a file Milestone 1 (All): invoice]" {
		t.Errorf("payment before the report: missing %v", m)
	}
	report := map[string]any{"text": "The milestone is done and released."}
	if m := missing(s.callApplicantBody("POST", "/requests/"+id+"/reports/0", token, report)); len(m) != 2 {
		t.Errorf("report before its files: missing %v", m)
	}
	s.milestoneFiles(id, token)
	progress := s.must(s.callApplicantBody("POST", "/requests/"+id+"/reports/0", token, report), 200)
	if r := progress["reports"].([]any)[0].(map[string]any); r["state"] != "submitted" {
		t.Errorf("after submission: %v", r)
	}
	if r := s.call(s.reviews, reviewerP("a2"), "POST", "/review/requests/"+id+"/reports/0/changes", map[string]any{}); r.status != 422 {
		t.Errorf("changes without a message: %d %s", r.status, r.body)
	}
	s.must(s.call(s.reviews, reviewerP("a2"), "POST", "/review/requests/"+id+"/reports/0/changes", map[string]any{"message": "Link the release."}), 200)
	view := s.must(s.callApplicant("GET", "/requests/"+id+"/evidence", token), 200)
	if r := view["reports"].([]any)[0].(map[string]any); r["state"] != "changes_requested" || r["message"] != "Link the release." {
		t.Errorf("the applicant sees: %v", r)
	}
	if r := s.call(fin, financeP, "POST", "/finance/requests/"+id+"/reports/0/accept", nil); r.status != 409 || r.json(t)["code"] != "invalid_report_state" {
		t.Errorf("accepting a report sent back: %d %s", r.status, r.body)
	}
	report["deliverableUrl"] = "https://example.org/release/1"
	s.must(s.callApplicantBody("POST", "/requests/"+id+"/reports/0", token, report), 200)
	s.must(s.call(fin, financeP, "POST", "/finance/requests/"+id+"/reports/0/accept", nil), 200)
	out := s.must(s.payWithKey(fin, id, "k-evidence-first-000002", pay("1000.00", "EUR")), 201)
	if out["status"] != "closed" || out["payment"].(map[string]any)["milestone"] != float64(0) {
		t.Errorf("after the payment: %v", out)
	}
	for _, it := range s.must(s.call(fin, financeP, "GET", "/finance/requests/"+id+"/evidence", nil), 200)["checklist"].([]any) {
		if item := it.(map[string]any); item["done"] != true {
			t.Errorf("checklist item not done on a closed request: %v", item)
		}
	}
}

func TestFinanceRoutesCheckWhoIsCalling(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	fin := s.financeAPI(0)
	id := s.must(s.call(s.applic, nobody, "POST", "/requests", conference()), 201)["id"].(string)
	s.confirm(id)
	routes := []struct {
		method, path string
		body         any
		ok           map[person]int
	}{
		{"POST", "/finance/requests/" + id + "/payments", pay("1.00", "EUR"), map[person]int{financeP: 409}},
		{"GET", "/finance/requests/" + id + "/payments", nil, map[person]int{financeP: 200, adminUser: 200}},
		{"GET", "/finance/budgets", nil, map[person]int{financeP: 200, adminUser: 200}},
		{"GET", "/finance/reports/requests?fiscalYear=2027", nil, map[person]int{financeP: 200, adminUser: 200}},
	}
	for _, rt := range routes {
		for _, who := range []person{nobody, reviewerP("a1"), adminUser, financeP} {
			want, ok := rt.ok[who]
			if !ok {
				want = 403
				if who == nobody {
					want = 401
				}
			}
			if r := s.call(fin, who, rt.method, rt.path, rt.body); r.status != want {
				t.Errorf("%s %s as %q: %d, want %d", rt.method, rt.path, who.sub, r.status, want)
			}
		}
	}
}

func (s *staffAPI) report(h http.Handler, query string) response {
	s.t.Helper()
	r := s.call(h, financeP, "GET", "/finance/reports/"+query, nil)
	if r.status != 200 {
		s.t.Fatalf("report %s: %d %s", query, r.status, r.body)
	}
	return r
}

func TestReportsMatchThePaymentsAndStayInert(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "50000.00")
	s.budget(2026, "project", "JPY", "5000000")
	fin := s.financeAPI(0)
	eur, _ := s.approved("3000.00", "EUR")
	jpy, _ := s.approved("200000", "JPY")
	s.must(s.payWithKey(fin, eur, "k-eur-payment-0000000001", pay("1000.50", "EUR")), 201)
	s.must(s.payWithKey(fin, jpy, "k-jpy-payment-0000000001", pay("200000", "JPY")), 201)
	hostile := project()
	hostile["title"] = `=HYPERLINK("https://evil.example","Click me")`
	s.confirm(s.must(s.call(s.applic, nobody, "POST", "/requests", hostile), 201)["id"].(string))

	// CSV: per-currency totals of the requests report match the payments made.
	r := s.report(fin, "requests?fiscalYear=2026&format=csv")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "requests-FY2026.csv") {
		t.Errorf("csv headers: %v", r.header)
	}
	records, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	paid := map[string]string{}
	for _, rec := range records[1:] {
		if rec[col["paid"]] != "0.00" && rec[col["paid"]] != "0" {
			paid[rec[col["currency"]]] = rec[col["paid"]]
		}
		if strings.Contains(rec[col["title"]], "HYPERLINK") && !strings.HasPrefix(rec[col["title"]], "'=") {
			t.Errorf("hostile title not neutralised in CSV: %q", rec[col["title"]])
		}
	}
	if fmt.Sprint(paid) != "map[EUR:1000.50 JPY:200000]" {
		t.Errorf("paid per currency in the requests report: %v", paid)
	}

	// XLSX opens in excelize: a sheet named after the report under a title row, numbers
	// are numbers, the hostile title is plain text (inline strings are never evaluated,
	// so it needs no apostrophe).
	x := s.report(fin, "requests?fiscalYear=2026&format=xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(x.body))
	if err != nil {
		t.Fatalf("xlsx does not open: %v", err)
	}
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "Requests" {
		t.Fatalf("sheets %q", got)
	}
	if title, _ := f.GetCellValue("Requests", "A1"); title != "Requests report: fiscal year 2026. Exported 2026-11-25 10:00:00 UTC." {
		t.Errorf("title %q", title)
	}
	rows, _ := f.GetRows("Requests")
	if len(rows) != len(records)+1 {
		t.Errorf("xlsx has %d rows, csv %d and a title", len(rows), len(records))
	}
	hostileSeen := false
	for i, row := range rows[2:] {
		cell, _ := excelize.CoordinatesToCellName(col["title"]+1, i+3)
		if formula, _ := f.GetCellFormula("Requests", cell); formula != "" {
			t.Errorf("%s holds a formula", cell)
		}
		if strings.Contains(row[col["title"]], "HYPERLINK") {
			hostileSeen = true
			if typ, _ := f.GetCellType("Requests", cell); row[col["title"]] != hostile["title"] || typ != excelize.CellTypeInlineString {
				t.Errorf("hostile title in XLSX: %q (type %d), want the plain text", row[col["title"]], typ)
			}
		}
		amount, _ := excelize.CoordinatesToCellName(col["requested"]+1, i+3)
		if typ, _ := f.GetCellType("Requests", amount); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
			t.Errorf("%s (requested) is text", amount)
		}
	}
	if !hostileSeen {
		t.Error("the hostile request is not in the XLSX report")
	}

	// The payments ledger and the summary agree with the payments; JSON is an array.
	var ledger []map[string]string
	if err := json.Unmarshal(s.report(fin, "payments?fiscalYear=2026&format=json").body, &ledger); err != nil || len(ledger) != 2 {
		t.Fatalf("payments ledger: %v %v", ledger, err)
	}
	var summary []map[string]string
	if err := json.Unmarshal(s.report(fin, "summary?fiscalYear=2026&format=json").body, &summary); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, row := range summary {
		switch row["section"] {
		case "by_status":
			if row["paid"] != "0.00" && row["paid"] != "0" {
				got["paid "+row["currency"]] = row["paid"]
			}
		case "budget":
			got["remaining "+row["currency"]] = row["remaining"]
		}
	}
	want := map[string]string{"paid EUR": "1000.50", "paid JPY": "200000", "remaining EUR": "47000.00", "remaining JPY": "4800000"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary: %v, want %v", got, want)
	}

	// The audit trail of the period lists every event with actor and time.
	audit := s.report(fin, "audit?from=2026-11-01&to=2026-11-30&format=csv")
	trail, _ := csv.NewReader(bytes.NewReader(audit.body)).ReadAll()
	types := map[string]int{}
	column := map[string]int{}
	for i, name := range trail[0] {
		column[name] = i
	}
	for _, rec := range trail[1:] {
		types[rec[column["type"]]]++
		if rec[column["at"]] == "" || rec[column["actor_role"]] == "" {
			t.Errorf("audit row without time or actor: %v", rec)
		}
		if len(rec[column["salt"]]) != 64 { // 32 bytes, hex
			t.Errorf("audit row without the salt of its commitment in the log: %v", rec)
		}
	}
	if types["payment_recorded"] != 2 || types["approved"] != 2 || types["budget_changed"] != 2 {
		t.Errorf("audit trail: %v", types)
	}

	// Bad parameters: every problem at once.
	if r := s.call(fin, financeP, "GET", "/finance/reports/requests?format=pdf&kind=party&from=2026-13-01", nil); r.status != 422 || len(r.fieldCodes(t)) != 4 {
		t.Errorf("bad report query: %d %s", r.status, r.body)
	}
	if r := s.call(fin, financeP, "GET", "/finance/reports/nonsense?fiscalYear=2026", nil); r.status != 422 && r.status != 404 {
		t.Errorf("unknown report: %d", r.status)
	}
}

// TestReportReadsAreBounded: an audit period is at most 366 days, however it is given,
// and a report that would read more than its ceiling is refused whole, with what to
// change, before anything is sent.
func TestReportReadsAreBounded(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "50000.00")
	fin := s.financeAPIWith(0, map[string]int{"requests": 2, "summary": 3})
	for range 3 {
		s.approved("10.00", "EUR")
	}

	for query, field := range map[string]string{
		"audit?from=2026-01-01&to=2032-12-31":             "to",
		"audit?fiscalYear=2026&from=2020-01-01":           "from",
		"audit?fiscalYear=2026&to=2027-06-30&format=xlsx": "to",
		"audit?from=2025-11-24&to=2026-11-25&format=json": "to",
	} {
		r := s.call(fin, financeP, "GET", "/finance/reports/"+query, nil)
		var p api.Problem
		_ = json.Unmarshal(r.body, &p)
		if r.status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != field || p.Errors[0].Code != "too_long" ||
			!strings.Contains(p.Errors[0].Message, "at most 366 days") {
			t.Errorf("%s: %d %s, want 422 with a too_long error on %s naming the limit", query, r.status, r.body, field)
		}
	}
	if r := s.call(fin, financeP, "GET", "/finance/reports/audit?from=2025-11-25&to=2026-11-25", nil); r.status != 200 {
		t.Errorf("an audit period of 366 days: %d %s", r.status, r.body)
	}

	// Three requests, a ceiling of two: refused in every format, nothing exported.
	for _, format := range []string{"csv", "json", "xlsx"} {
		r := s.call(fin, financeP, "GET", "/finance/reports/requests?fiscalYear=2026&format="+format, nil)
		var p api.Problem
		_ = json.Unmarshal(r.body, &p)
		if r.status != 422 || p.Type != "https://sponsorship-tracker.dev/problems/report-too-large" ||
			fmt.Sprint(r.fieldCodes(t)) != "[from=too_many to=too_many]" || !strings.Contains(p.Detail, "more than 2 stored items") ||
			!strings.Contains(p.Detail, "from and to") || r.header.Get("Content-Disposition") != "" {
			t.Errorf("%s report over its ceiling: %d %v %s", format, r.status, r.header, r.body)
		}
	}
	// The summary reads three requests and a budget: over its ceiling of three too.
	if r := s.call(fin, financeP, "GET", "/finance/reports/summary?fiscalYear=2026", nil); r.status != 422 {
		t.Errorf("summary over its ceiling: %d %s", r.status, r.body)
	}
	// Within the ceiling, the same report comes back.
	if r := s.report(s.financeAPIWith(0, map[string]int{"requests": 3}), "requests?fiscalYear=2026"); r.header.Get("X-Report-Rows") != "3" {
		t.Errorf("at the ceiling: %v", r.header)
	}
}

func TestLargeReportComesBackAsADownloadLink(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "50000.00")
	fin := s.financeAPI(200) // bytes: anything but a tiny report goes to S3
	s.approved("10.00", "EUR")
	r := s.report(fin, "requests?fiscalYear=2026&format=csv")
	link := r.json(t)
	url, _ := link["downloadUrl"].(string)
	if url == "" || link["rows"] != 1.0 {
		t.Fatalf("no download link: %s", r.body)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("reference,request_id,kind")) {
		t.Errorf("download: %d %.100s", resp.StatusCode, body)
	}
}

// TestFinanceListsWhatIsOwed: finance sees the approved requests by status, each with
// what it still owes, and a request moves from approved to partially_paid as it is paid.
func TestFinanceListsWhatIsOwed(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "50000.00")
	fin := s.financeAPI(0)
	paid, _ := s.approved("300.00", "EUR")
	waiting, _ := s.approved("200.00", "EUR")
	s.must(s.call(fin, financeP, "POST", "/finance/requests/"+paid+"/payments", pay("100.00", "EUR")), 201)
	list := func(status string) map[string]map[string]any {
		out := map[string]map[string]any{}
		page := s.must(s.call(fin, financeP, "GET", "/finance/requests?status="+status, nil), 200)
		for _, it := range page["items"].([]any) {
			it := it.(map[string]any)
			out[it["requestId"].(string)] = it
		}
		return out
	}
	approved, partly := list("approved"), list("partially_paid")
	if _, ok := approved[waiting]; !ok || len(approved) != 1 {
		t.Errorf("approved: %v", approved)
	}
	if got := partly[paid]; got == nil || fmt.Sprint(got["outstanding"]) != "map[currency:EUR value:200.00]" || got["reference"] == "" || got["title"] == "" {
		t.Errorf("partially paid: %v", partly)
	}
	if r := s.call(fin, financeP, "GET", "/finance/requests?status=submitted", nil); r.status != 422 {
		t.Errorf("unpayable status: %d", r.status)
	}
	if r := s.call(fin, reviewerP("a1"), "GET", "/finance/requests", nil); r.status != 403 {
		t.Errorf("a reviewer lists what is owed: %d", r.status)
	}
	if r := s.call(fin, adminUser, "GET", "/finance/requests", nil); r.status != 200 {
		t.Errorf("an admin reads what is owed: %d", r.status)
	}
}
