//go:build integration

package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strings"
	"testing"
	"time"
)

// The walks from approval to the last payment, one per kind, as applicants, reviewers
// and finance take them through the local stack: files uploaded to the bucket and
// checked by the evidence function, reports submitted and judged, payments refused
// with what is missing until the evidence is accepted.

// approveAs submits body (its applicant from Northwind, which no demo reviewer works
// for) and has Rita, Bruno and Gita approve it; it returns the id and the token.
func approveAs(t *testing.T, body map[string]any) (string, string) {
	t.Helper()
	body["applicant"].(map[string]any)["organization"] = "Northwind Ltd"
	id, _, token := submitConfirmed(t, body)
	approveBySeats(t, id)
	return id, token
}

// approveBySeats has Rita, Bruno and Gita, of three companies, approve a request in
// review, in turn until the committee's rule approves it.
func approveBySeats(t *testing.T, id string) { decideBySeats(t, id, "approve", "approved") }

// decideBySeats has three seats cast the same vote until the request reaches status.
func decideBySeats(t *testing.T, id, choice, status string) {
	t.Helper()
	for _, who := range []string{"rita.reviewer@example.org", "bruno.reviewer@example.org", "gita.reviewer@example.org"} {
		tok, err := dev.Token(context.Background(), who)
		if err != nil {
			t.Fatal(err)
		}
		r := as(t, tok).do("POST", "/review/requests/"+id+"/votes", map[string]any{"choice": choice})
		if r.status != 200 {
			t.Fatalf("vote: %d %s", r.status, r.body)
		}
		if r.json(t)["status"] == status {
			break
		}
	}
}

// evidence uploads a PDF as the request's applicant, for purpose (and a cost line or
// milestone, -1 for none), and waits until the check accepts it; it returns the bytes.
func evidence(t *testing.T, id, token, purpose string, line, milestone int) []byte {
	t.Helper()
	content := samplePDF(fmt.Sprintf("%s %d %d %s", purpose, line, milestone, id))
	in := map[string]any{"name": purpose + ".pdf", "type": "application/pdf", "size": len(content), "purpose": purpose}
	if line >= 0 {
		in["costLine"] = line
	}
	if milestone >= 0 {
		in["milestone"] = milestone
	}
	path := "/requests/" + id + "/attachments"
	r := as(t, token).do("POST", path, in)
	if r.status != 201 {
		t.Fatalf("open upload: %d %s", r.status, r.body)
	}
	slot := r.json(t)
	attID := slot["attachment"].(map[string]any)["id"].(string)
	if status, body := postForm(t, slot["upload"].(map[string]any), purpose+".pdf", content); status/100 != 2 {
		t.Fatalf("upload: %d %s", status, body)
	}
	if a := waitForCheck(t, as(t, token), path, attID); a["status"] != "accepted" {
		t.Fatalf("%s not accepted: %v", purpose, a)
	}
	return content
}

// refusedFor checks a 409 evidence_missing and returns what it names as missing.
func refusedFor(t *testing.T, r reply) string {
	t.Helper()
	if r.status != 409 || r.json(t)["code"] != "evidence_missing" {
		t.Fatalf("want 409 evidence_missing, got %d %s", r.status, r.body)
	}
	var missing []string
	for _, m := range r.json(t)["missing"].([]any) {
		missing = append(missing, m.(string))
	}
	return strings.Join(missing, "; ")
}

// conferenceOf is a conference sponsorship of email's asking for value in currency, for
// a two-day event starting on start (YYYY-MM-DD), which sets its fiscal year.
func conferenceOf(email, currency, value, start string) map[string]any {
	body := application("conference", email)
	body["amount"] = map[string]any{"currency": currency, "value": value}
	day, err := time.Parse(time.DateOnly, start)
	if err != nil {
		panic(err)
	}
	c := body["conference"].(map[string]any)
	c["startDate"], c["endDate"] = start, day.AddDate(0, 0, 1).Format(time.DateOnly)
	return body
}

func budgets(t *testing.T, currency string, years []int, kinds ...string) {
	t.Helper()
	admin := staff(t, "admin")
	for _, y := range years {
		for _, k := range kinds {
			if r := admin.do("PUT", fmt.Sprintf("/admin/budgets/%d/%s/%s", y, k, currency), map[string]any{"allocated": "100000.00"}); r.status != 200 {
				t.Fatalf("budget: %d %s", r.status, r.body)
			}
		}
	}
}

func payOf(currency, value string, extra ...any) map[string]any {
	body := map[string]any{"amount": map[string]any{"currency": currency, "value": value}, "date": today(), "method": "bank_transfer"}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return body
}

// A travel grant is reimbursed only once a receipt for each cost line and the trip
// report are accepted; a report sent back for changes is submitted again.
func TestTravelGrantReimbursedAgainstReceiptsAndReport(t *testing.T) {
	budgets(t, "CZK", []int{2031}, "travel")
	body := application("travel", "e2e-travel-evidence@northwind.example")
	body["amount"] = map[string]any{"currency": "CZK", "value": "1200.00"}
	body["budgetItems"] = []any{
		map[string]any{"description": "Airfare", "amount": map[string]any{"currency": "CZK", "value": "900.00"}},
		map[string]any{"description": "Lodging", "amount": map[string]any{"currency": "CZK", "value": "300.00"}},
	}
	id, token := approveAs(t, body)
	fin, rita := staff(t, "finance"), staff(t, "rita.reviewer@example.org")
	applicant := as(t, token)

	if got := refusedFor(t, fin.do("POST", "/finance/requests/"+id+"/payments", payOf("CZK", "1200.00"))); got != "Receipt for Airfare; Receipt for Lodging; Trip report accepted" {
		t.Errorf("payment at approval: missing %q", got)
	}
	report := map[string]any{"text": "Gave the talk to a full room; the recording is online."}
	if got := refusedFor(t, applicant.do("POST", "/requests/"+id+"/reports/0", report)); got != "Receipt for Airfare; Receipt for Lodging" {
		t.Errorf("report before the receipts: missing %q", got)
	}
	airfare := evidence(t, id, token, "receipt", 0, -1)
	lodging := evidence(t, id, token, "receipt", 1, -1)
	// A disguised executable is quarantined: never in the evidence, never in the archive.
	attID, form := attach(t, applicant, "/requests/"+id+"/attachments", "receipt.pdf", "application/pdf", len(elfBytes), "receipt")
	if status, body := postForm(t, form, "receipt.pdf", elfBytes); status/100 != 2 {
		t.Fatalf("upload: %d %s", status, body)
	}
	if a := waitForCheck(t, applicant, "/requests/"+id+"/attachments", attID); a["status"] != "quarantined" {
		t.Fatalf("a disguised executable: %v", a)
	}
	if r := applicant.do("POST", "/requests/"+id+"/reports/0", report); r.status != 200 {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	if r := rita.do("POST", "/review/requests/"+id+"/reports/0/changes", map[string]any{"message": "Add the slides' link."}); r.status != 200 {
		t.Fatalf("changes: %d %s", r.status, r.body)
	}
	if got := refusedFor(t, fin.do("POST", "/finance/requests/"+id+"/payments", payOf("CZK", "1200.00"))); got != "Trip report accepted" {
		t.Errorf("payment with the report sent back: missing %q", got)
	}
	report["text"] = "Gave the talk to a full room; slides at https://example.org/slides and the recording is online."
	if r := applicant.do("POST", "/requests/"+id+"/reports/0", report); r.status != 200 {
		t.Fatalf("report again: %d %s", r.status, r.body)
	}
	if r := fin.do("POST", "/finance/requests/"+id+"/reports/0/accept", nil); r.status != 200 {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	r := fin.do("POST", "/finance/requests/"+id+"/payments", payOf("CZK", "1200.00"))
	if r.status != 201 || r.json(t)["status"] != "closed" {
		t.Fatalf("reimbursement: %d %s", r.status, r.body)
	}
	// Finance's archive holds exactly the two accepted receipts, as uploaded, and a
	// manifest with their SHA-256.
	archive := fin.do("GET", "/finance/requests/"+id+"/archive", nil)
	if archive.status != 200 || archive.json(t)["files"] != float64(2) {
		t.Fatalf("archive: %d %s", archive.status, archive.body)
	}
	resp, zipped := fetchLink(t, archive.json(t)["downloadUrl"].(string))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "evidence.zip") {
		t.Fatalf("archive download: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"receipt, cost line 1": airfare, "receipt, cost line 2": lodging}
	var manifest string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "MANIFEST.csv" {
			manifest = string(body)
			continue
		}
		folder := path.Base(path.Dir(f.Name))
		if content, ok := want[folder]; !ok || !bytes.Equal(body, content) {
			t.Errorf("archive entry %s: not an accepted file as uploaded", f.Name)
		}
		delete(want, folder)
		sum := sha256.Sum256(body)
		if !strings.Contains(manifest, hex.EncodeToString(sum[:])) {
			t.Errorf("the manifest lacks %s's sha256", f.Name)
		}
	}
	if len(want) != 0 || manifest == "" {
		t.Errorf("archive lacks %v (manifest %q)", want, manifest)
	}
	view := applicant.do("GET", "/requests/"+id+"/evidence", nil).json(t)
	for _, it := range view["checklist"].([]any) {
		if item := it.(map[string]any); item["done"] != true {
			t.Errorf("the applicant's checklist after payment: %v", item)
		}
	}
}

// A conference's invoice is paid once on file; the request closes when its post-event
// report is accepted.
func TestConferencePaidOnItsInvoiceAndClosedByItsReport(t *testing.T) {
	budgets(t, "PLN", []int{2032}, "conference")
	body := conferenceOf("e2e-conference-evidence@northwind.example", "PLN", "5000.00", "2032-03-01")
	id, token := approveAs(t, body)
	fin := staff(t, "finance")
	if got := refusedFor(t, fin.do("POST", "/finance/requests/"+id+"/payments", payOf("PLN", "5000.00"))); got != "The organiser's invoice" {
		t.Errorf("payment without the invoice: missing %q", got)
	}
	invoice := evidence(t, id, token, "invoice", -1, -1)
	if r := fin.do("POST", "/finance/requests/"+id+"/payments", payOf("PLN", "5000.00")); r.status != 201 || r.json(t)["status"] != "paid" {
		t.Fatalf("payment on the invoice: %d %s", r.status, r.body)
	}
	// The fiscal year's archive holds the invoice the payment stood on, in the
	// request's folder.
	ref := as(t, token).do("GET", "/requests/"+id, nil).json(t)["reference"].(string)
	year := fin.do("GET", "/finance/archive?fiscalYear=2032", nil)
	if year.status != 200 {
		t.Fatalf("year archive: %d %s", year.status, year.body)
	}
	_, zipped := fetchLink(t, year.json(t)["downloadUrl"].(string))
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, ref+"/invoice/") {
			rc, _ := f.Open()
			body, _ := io.ReadAll(rc)
			rc.Close()
			found = bytes.Equal(body, invoice)
		}
	}
	if !found {
		t.Errorf("the 2032 archive lacks %s's invoice as uploaded", ref)
	}
	if r := as(t, token).do("POST", "/requests/"+id+"/reports/0", map[string]any{
		"text": "The track ran all day; the sponsor's logo was on the banner.", "attendance": 380}); r.status != 200 {
		t.Fatalf("post-event report: %d %s", r.status, r.body)
	}
	if r := staff(t, "rita.reviewer@example.org").do("POST", "/review/requests/"+id+"/reports/0/accept", map[string]any{"message": "Thanks."}); r.status != 200 || r.json(t)["status"] != "closed" {
		t.Fatalf("accept the report: %d %s", r.status, r.body)
	}
}

// A project is paid milestone by milestone, each once its deliverable and invoice are
// on file and its report is accepted.
func TestProjectPaidMilestoneByMilestone(t *testing.T) {
	budgets(t, "RON", []int{2026, 2027}, "project")
	body := application("project", "e2e-project-evidence@northwind.example")
	body["amount"] = map[string]any{"currency": "RON", "value": "3000.00"}
	body["project"].(map[string]any)["milestones"] = []any{
		map[string]any{"title": "Design", "dueDate": "2031-03-31", "amount": map[string]any{"currency": "RON", "value": "1000.00"}},
		map[string]any{"title": "Release", "dueDate": "2031-06-30", "amount": map[string]any{"currency": "RON", "value": "2000.00"}},
	}
	id, token := approveAs(t, body)
	fin, applicant := staff(t, "finance"), as(t, token)
	if got := refusedFor(t, fin.do("POST", "/finance/requests/"+id+"/payments", payOf("RON", "1000.00", "milestone", 0))); got != "Milestone 1 (Design): report accepted; Milestone 1 (Design): deliverable, a link or a file; Milestone 1 (Design): invoice" {
		t.Errorf("first milestone at approval: missing %q", got)
	}
	for n, status := range []string{"partially_paid", "closed"} {
		evidence(t, id, token, "invoice", -1, n)
		report := map[string]any{"text": fmt.Sprintf("Milestone %d is done and merged upstream.", n+1)}
		if n == 0 {
			report["deliverableUrl"] = "https://example.org/e2e/pull/1"
		} else {
			evidence(t, id, token, "deliverable", -1, n)
		}
		if r := applicant.do("POST", fmt.Sprintf("/requests/%s/reports/%d", id, n), report); r.status != 200 {
			t.Fatalf("report %d: %d %s", n, r.status, r.body)
		}
		if r := fin.do("POST", fmt.Sprintf("/finance/requests/%s/reports/%d/accept", id, n), nil); r.status != 200 {
			t.Fatalf("accept %d: %d %s", n, r.status, r.body)
		}
		amount, over := []string{"1000.00", "2000.00"}[n], []string{"1000.01", "2000.01"}[n]
		if r := fin.do("POST", "/finance/requests/"+id+"/payments", payOf("RON", over, "milestone", n)); r.status != 422 {
			t.Errorf("more than milestone %d: %d %s", n, r.status, r.body)
		}
		if r := fin.do("POST", "/finance/requests/"+id+"/payments", payOf("RON", amount, "milestone", n)); r.status != 201 || r.json(t)["status"] != status {
			t.Fatalf("milestone %d: %d %s", n, r.status, r.body)
		}
	}
}
