//go:build integration

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/chromedp/chromedp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

// registerDecision submits a conference sponsorship of fiscal year 2033 through the
// gateway with the applicant's publication choice, and has three seats decide it.
func registerDecision(t *testing.T, title, name, email, publication, choice, status string) string {
	t.Helper()
	body := application("conference", email)
	body["title"], body["publication"] = title, publication
	body["summary"] = "Private notes for the committee of " + name + "."
	body["applicant"].(map[string]any)["name"] = name
	body["applicant"].(map[string]any)["organization"] = "Northwind Ltd"
	c := body["conference"].(map[string]any)
	c["eventName"], c["startDate"], c["endDate"] = "RustConf 2033", "2033-09-01", "2033-09-03"
	id, _, _ := submitConfirmed(t, body)
	decideBySeats(t, id, choice, status)
	return id
}

// TestBrowserReadsThePublicRegister opens the register as a member of the public
// would: the list of a fiscal year with its totals, a filter chosen from the keyboard,
// and a decision's page. The pages run no script; any CSP violation fails the test.
func TestBrowserReadsThePublicRegister(t *testing.T) {
	if r := staff(t, "admin").do("PUT", "/admin/budgets/2033/conference/EUR", map[string]any{"allocated": "10000.00"}); r.status != 200 {
		t.Fatalf("budget: %d %s", r.status, r.body)
	}
	named := registerDecision(t, "Sponsor the compilers track at RustConf", "Rosalind Register", "rosalind@northwind.example", "named", "approve", "approved")
	registerDecision(t, "Travel to RustConf to speak on borrow checking", "Quentin Quiet", "quentin@northwind.example", "anonymous", "reject", "rejected")
	registerDecision(t, "A hidden sponsorship", "Hidden Person", "hidden@northwind.example", "none", "approve", "approved")

	// The first decision of 2033 copied the public fields into the year's partition,
	// under the reviews function's own role, so its pages are one read.
	ctx := context.Background()
	copied, err := dev.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(dev.Physical("Table")), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "REGISTER#2033"}, "SK": &types.AttributeValueMemberS{Value: "CONTEXT"}}})
	if err != nil {
		t.Fatal(err)
	}
	if copied.Item["fields"] == nil {
		t.Errorf("2033's register context: %v; want the public fields copied", copied.Item)
	}
	if strings.Contains(stackLogs.String(), "register context not written") {
		t.Error("a decision could not write its year's register context: see the stack's log")
	}
	// The feed of the latest decisions, read by the public function's own role from the
	// feed's index, holds them though their year (their event's) is years ahead.
	feed := anonymous(t).do("GET", "/register/feed.json", nil)
	if feed.status != 200 || !strings.Contains(string(feed.body), "/register/2033/"+named) || strings.Contains(string(feed.body), "Hidden Person") {
		t.Errorf("the feed of the latest decisions: %d %.300s", feed.status, feed.body)
	}

	b := openTab(t)
	b.do(chromedp.Navigate(dev.URL()+"/register?fiscalYear=2033"), chromedp.WaitVisible(chromedp.CSS("table.register")))
	b.screenshot("register-list.png")
	page := b.text("main")
	for _, want := range []string{"Rosalind Register", "Northwind Ltd", "an individual", "Sponsor the compilers track at RustConf", "Decisions by kind"} {
		if !strings.Contains(page, want) {
			t.Errorf("the list does not show %q", want)
		}
	}
	for _, never := range []string{"Quentin Quiet", "Hidden Person", "A hidden sponsorship", "@northwind.example", "Private notes"} {
		if strings.Contains(page, never) {
			t.Errorf("the list shows %q", never)
		}
	}
	if got := b.text("caption"); got != "2 listed decisions of fiscal year 2033" {
		t.Errorf("caption %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("script").length`); n != 0 {
		t.Errorf("the page has %d scripts, want none", n)
	}
	unlabelled := eval[[]string](b, `[...document.querySelectorAll("select, button")]
		.filter((e) => !(e.labels && e.labels.length) && !(e.tagName === "BUTTON" && e.textContent.trim())).map((e) => e.outerHTML)`)
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %v", unlabelled)
	}
	// The filters are a plain GET form to this page: what it sends is this address.
	if got := eval[string](b, `(() => { const f = document.querySelector("form.filters"); f.querySelector("#f-outcome").value = "rejected";
		return f.method + " " + new URL(f.action).pathname + "?" + new URLSearchParams(new FormData(f)); })()`); got != "get /register?fiscalYear=2033&kind=&outcome=rejected" {
		t.Errorf("the filter form sends %q", got)
	}
	b.do(chromedp.Navigate(dev.URL()+"/register?fiscalYear=2033&kind=&outcome=rejected"), chromedp.WaitVisible(chromedp.CSS("table.register")))
	if rows := eval[int](b, `document.querySelectorAll("table.register tbody tr").length`); rows != 1 || strings.Contains(b.text("main"), "Rosalind") {
		t.Errorf("filtered to rejected: %d rows", rows)
	}

	b.do(chromedp.Navigate(dev.URL()+"/register/2033/"+named), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.screenshot("register-decision.png")
	if got := b.text("h1"); got != "Sponsor the compilers track at RustConf" {
		t.Errorf("the decision's heading is %q", got)
	}
	for _, want := range []string{"Rosalind Register", "Votes by seat", "verifiable log"} {
		if !strings.Contains(b.text("main"), want) {
			t.Errorf("the decision page does not show %q", want)
		}
	}
	// People look at the pages; keep a copy where the run's notes point.
	for _, name := range []string{"register-list.png", "register-decision.png"} {
		if png, err := os.ReadFile(filepath.Join(testenv.Root(), "artifacts", name)); err == nil {
			_ = os.WriteFile(filepath.Join(os.TempDir(), name), png, 0o644)
		}
	}
}
