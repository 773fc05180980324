//go:build integration

package e2e

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// approveThroughTheGateway submits a conference request of Northwind (fiscal year 2032,
// by its dates) in a currency, has three demo reviewers of three companies approve it,
// and puts the organiser's invoice on file, which its payment needs.
func approveThroughTheGateway(t *testing.T, currency, value, title string) string {
	t.Helper()
	body := application("conference", "finance-"+strings.ToLower(currency)+"@northwind.example")
	body["title"] = title
	body["applicant"].(map[string]any)["organization"] = "Northwind Ltd"
	body["amount"] = map[string]any{"currency": currency, "value": value}
	body["conference"].(map[string]any)["startDate"], body["conference"].(map[string]any)["endDate"] = "2032-03-01", "2032-03-02"
	id, _, _ := submitConfirmed(t, body)
	approveBySeats(t, id)
	invoiceOnFile(t, id)
	return id
}

func TestFinanceThroughTheGateway(t *testing.T) {
	admin, fin := staff(t, "admin"), staff(t, "finance")
	for _, b := range []struct{ currency, allocated string }{{"EUR", "10000.00"}, {"USD", "8000.00"}} {
		if r := admin.do("PUT", "/admin/budgets/2032/conference/"+b.currency, map[string]any{"allocated": b.allocated}); r.status != 200 {
			t.Fatalf("budget: %d %s", r.status, r.body)
		}
	}
	eur := approveThroughTheGateway(t, "EUR", "3000.00", "Sponsor the EUR track")
	usd := approveThroughTheGateway(t, "USD", "2000.00", `=HYPERLINK("https://evil.example","Click me")`)
	payment := func(value, currency string) map[string]any {
		return map[string]any{"amount": map[string]any{"currency": currency, "value": value}, "date": today(), "method": "bank_transfer"}
	}
	key := []string{"Idempotency-Key", "e2e-finance-payment-eur-0001"}
	if r := fin.do("POST", "/finance/requests/"+eur+"/payments", payment("1200.00", "EUR"), key...); r.status != 201 {
		t.Fatalf("payment: %d %s", r.status, r.body)
	}
	if r := fin.do("POST", "/finance/requests/"+eur+"/payments", payment("1200.00", "EUR"), key...); r.status != 201 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %v", r.status, r.header)
	}
	if r := fin.do("POST", "/finance/requests/"+usd+"/payments", payment("2000.00", "USD"), "Idempotency-Key", "e2e-finance-payment-usd-0001"); r.status != 201 || r.json(t)["status"] != "paid" {
		t.Fatalf("usd payment: %d %s", r.status, r.body)
	}
	if r := fin.do("POST", "/finance/requests/"+eur+"/payments", payment("1800.01", "EUR"), "Idempotency-Key", "e2e-finance-payment-eur-over"); r.status != 422 {
		t.Errorf("payment above the approved amount: %d %s", r.status, r.body)
	}

	// Budgets: remaining is allocation minus commitments and payments.
	budgets := fin.do("GET", "/finance/budgets?fiscalYear=2032", nil).json(t)["items"].([]any)
	remaining := map[string]string{}
	for _, b := range budgets {
		b := b.(map[string]any)
		remaining[b["currency"].(string)] = fmt.Sprintf("%v/%v/%v", b["committed"], b["paid"], b["remaining"])
	}
	if remaining["EUR"] != "1800.00/1200.00/7000.00" || remaining["USD"] != "0.00/2000.00/6000.00" {
		t.Errorf("budgets committed/paid/remaining: %v", remaining)
	}

	// The payments ledger in CSV adds up to what was paid, once each.
	rows, err := csv.NewReader(bytes.NewReader(download(t, fin.do("GET", "/finance/reports/payments?fiscalYear=2032&format=csv", nil)))).ReadAll()
	if err != nil {
		t.Fatalf("payments report: %v", err)
	}
	sum := map[string]string{}
	for _, row := range rows[1:] {
		sum[row[6]] += row[7] + ";"
	}
	if sum["EUR"] != "1200.00;" || sum["USD"] != "2000.00;" {
		t.Errorf("ledger: %v", sum)
	}

	// The requests report in XLSX: a sheet named after it, under a title row and the
	// header; the hostile title is a plain inline string, which no spreadsheet evaluates.
	f, err := excelize.OpenReader(bytes.NewReader(download(t, fin.do("GET", "/finance/reports/requests?fiscalYear=2032&format=xlsx", nil))))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	cells, _ := f.GetRows("Requests")
	if len(cells) < 3 || !strings.HasPrefix(cells[0][0], "Requests report: fiscal year 2032.") || cells[1][3] != "title" {
		t.Fatalf("xlsx title and header: %q", cells[:min(2, len(cells))])
	}
	found := false
	for i, row := range cells[2:] {
		if strings.Contains(row[3], "HYPERLINK") {
			found = true
			typ, _ := f.GetCellType("Requests", fmt.Sprintf("D%d", i+3))
			if row[3] != `=HYPERLINK("https://evil.example","Click me")` || typ != excelize.CellTypeInlineString {
				t.Errorf("hostile title in XLSX: %q (type %d)", row[3], typ)
			}
		}
	}
	if !found {
		t.Error("the hostile request is not in the XLSX report")
	}

	// The audit trail is larger than this stack's inline limit (1000 bytes): it comes
	// back as a download link, which works. The period (300 days back, 30 ahead) keeps
	// within the 366 days an audit report covers.
	today := time.Now().UTC()
	period := "from=" + today.AddDate(0, 0, -300).Format("2006-01-02") + "&to=" + today.AddDate(0, 0, 30).Format("2006-01-02")
	link := fin.do("GET", "/finance/reports/audit?"+period+"&format=csv", nil)
	if link.header.Get("Content-Type") != "application/json" {
		t.Fatalf("a large report came inline: %s", link.header.Get("Content-Type"))
	}
	if body := download(t, link); !bytes.HasPrefix(body, []byte("at,request_id,subject,version,type")) {
		t.Errorf("download: %.80s", body)
	}

	// Reviewers, applicants and anonymous callers are refused on every finance route.
	routes := [][2]string{{"POST", "/finance/requests/" + eur + "/payments"}, {"GET", "/finance/requests/" + eur + "/payments"},
		{"GET", "/finance/budgets"}, {"GET", "/finance/reports/requests?fiscalYear=2032"}}
	for _, rt := range routes {
		if r := staff(t, "reviewer").do(rt[0], rt[1], map[string]any{}); r.status != 403 {
			t.Errorf("%s %s as a reviewer: %d", rt[0], rt[1], r.status)
		}
		for name, c := range map[string]client{"applicant": as(t, dev.Seed.Requests[0].Token), "anonymous": anonymous(t)} {
			if r := c.do(rt[0], rt[1], map[string]any{}); r.status != 401 {
				t.Errorf("%s %s as %s: %d", rt[0], rt[1], name, r.status)
			}
		}
	}
}

// download returns a report's bytes: the response itself, or what its download link
// serves when the report was too large to answer inline.
func download(t *testing.T, r reply) []byte {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	if r.header.Get("Content-Type") != "application/json" || !bytes.Contains(r.body, []byte(`"downloadUrl"`)) {
		return r.body
	}
	url, _ := r.json(t)["downloadUrl"].(string)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("download link: %d %.200s", resp.StatusCode, body)
	}
	return body
}
