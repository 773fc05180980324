//go:build integration

package e2e

// The staff console in a real browser: a committee's week, from signing in through the
// local managed login (PKCE, TOTP) to a decision, its payments and a report, with a
// screenshot of every screen under artifacts/.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/managedlogin"
)

// person is one member of staff in a browser of their own.
type person struct {
	*tab
	email string
}

// signInConsole opens the console as a person would and signs in through the managed
// login: e-mail and password, then, as the pages ask, a new password, the set-up of an
// authenticator, and its code. It returns once the console shows its navigation.
func signInConsole(t *testing.T, email, password, newPassword string) *person {
	t.Helper()
	b := openTab(t)
	b.do(chromedp.Navigate(dev.URL() + "/console/"))
	b.waitFor("!!document.getElementById('email')")
	b.screenshotOnce("console-sign-in.png")
	b.do(chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button[type=submit]")))
	for range 4 {
		b.waitFor("!!document.querySelector('#nav a, #new_password, #code, .summary')")
		switch {
		case b.shown("#nav a"):
			return &person{tab: b, email: email}
		case b.shown(".summary"):
			b.t.Fatalf("sign-in of %s refused: %s", email, b.text(".summary"))
		case b.shown("#new_password"):
			b.do(chromedp.SendKeys(chromedp.ID("new_password"), newPassword), chromedp.SendKeys(chromedp.ID("confirm_password"), newPassword),
				chromedp.Click(chromedp.CSS("button[type=submit]")))
			b.waitFor("!document.getElementById('new_password')")
		case b.shown("#totp-secret"):
			b.screenshotOnce("console-authenticator-set-up.png")
			secret := eval[string](b, "document.getElementById('totp-secret').dataset.secret")
			b.submitCode(managedlogin.Code(secret, time.Now()))
		default:
			code, err := dev.TOTPCode(context.Background(), email)
			if err != nil {
				t.Fatal(err)
			}
			b.submitCode(code)
		}
	}
	b.waitFor("!!document.querySelector('#nav a')")
	return &person{tab: b, email: email}
}

func (b *tab) submitCode(code string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Click(chromedp.CSS("button[type=submit]")))
	b.waitFor("!document.getElementById('code')")
}

var shotsTaken = map[string]bool{}

// screenshotOnce saves a screen the first time it is reached.
func (b *tab) screenshotOnce(name string) {
	if !shotsTaken[name] {
		shotsTaken[name] = true
		b.screenshot(name)
	}
}

// open goes to a console screen and waits for its heading.
func (p *person) open(hash, shot string) {
	p.t.Helper()
	// A new address within the page changes only its hash; the same address again is a
	// reload, so the screen is always read afresh.
	target := dev.URL() + "/console/" + hash
	if eval[string](p.tab, "location.href") == target {
		p.do(chromedp.Reload())
	} else {
		p.do(chromedp.Navigate(target))
	}
	p.waitFor("document.querySelector('main').dataset.shown === location.hash")
	p.everyControlLabelled()
	p.noScriptValues()
	if shot != "" {
		p.screenshot(shot)
	}
}

// noScriptValues fails when the screen shows a script's value instead of text:
// "[object HTMLElement]", "undefined", or a line that says only "null".
func (p *person) noScriptValues() {
	p.t.Helper()
	text := eval[string](p.tab, "document.querySelector('main').innerText")
	if strings.Contains(text, "[object ") || strings.Contains(text, "undefined") || slices.Contains(strings.Split(text, "\n"), "null") {
		p.t.Errorf("%s shows a script's value instead of text: %.300s", eval[string](p.tab, "location.hash"), text)
	}
}

// everyControlLabelled fails when a visible control of the screen has no label.
func (p *person) everyControlLabelled() {
	p.t.Helper()
	unlabelled := eval[[]string](p.tab, `[...document.querySelectorAll("main input, main select, main textarea")]
		.filter((e) => e.getClientRects().length && e.type !== "hidden" && !(e.labels && e.labels.length) && !e.closest("label"))
		.map((e) => e.name || e.id)`)
	if len(unlabelled) > 0 {
		p.t.Errorf("controls without a label on %s: %v", eval[string](p.tab, "location.hash"), unlabelled)
	}
}

// submitForm fills a form's fields by name and submits it; choose picks a radio or a box.
func (p *person) submitForm(formLabel string, fields map[string]string, choose ...string) {
	p.t.Helper()
	sel := fmt.Sprintf("form[aria-label=%q]", formLabel)
	p.until(fmt.Sprintf("!!document.querySelector(%q)", sel), "the form "+formLabel)
	for name, v := range fields {
		p.do(chromedp.SetValue(chromedp.CSS(fmt.Sprintf("%s [name=%q]", sel, name)), v))
	}
	for _, c := range choose {
		p.do(chromedp.Click(chromedp.CSS(fmt.Sprintf("%s input[value=%q]", sel, c))))
	}
	p.do(chromedp.Click(chromedp.CSS(sel + " button[type=submit]")))
}

// click clicks the element a selector finds once it is there; failing, it says what
// the page showed instead of waiting forever for it.
func (p *person) click(sel string) {
	p.t.Helper()
	p.until(fmt.Sprintf("!!document.querySelector(%q)", sel), sel)
	p.do(chromedp.Click(chromedp.CSS(sel)))
}

// until waits for a condition on the console's page; failing, it saves a screenshot
// and says what the page showed.
func (p *person) until(cond, what string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(45*time.Second))); err != nil {
		p.screenshot("console-failure.png")
		p.t.Fatalf("waiting for %s: %v; the page: %s", what, err, eval[string](p.tab, "document.body.innerText.slice(0, 3000)"))
	}
}

// status waits for the console's status message and returns it.
func (p *person) status(contains string) string {
	p.t.Helper()
	cond := fmt.Sprintf("document.getElementById('status').textContent.includes(%q) || "+
		"[...document.querySelectorAll('main .summary')].some((e) => !e.hidden)", contains)
	p.until(cond, contains)
	got := p.text("#status")
	if !strings.Contains(got, contains) {
		p.t.Fatalf("waiting for %q, the console says %q: %s", contains, got,
			eval[string](p.tab, "[...document.querySelectorAll('main .summary')].filter((e) => !e.hidden).map((e) => e.textContent).join(' | ')"))
	}
	return got
}

func TestConsoleCommitteeWeek(t *testing.T) {
	ctx := context.Background()
	password := dev.Seed.Password
	shotsTaken = map[string]bool{}

	// Monday: an admin signs in, invites a reviewer for Delta Foundation and gives the
	// conference budget of 2034 in SGD its allocation.
	admin := signInConsole(t, "ada.admin@example.org", password, "")
	admin.open("#/staff", "console-staff.png")
	nia := fmt.Sprintf("nia-%d@committee.example", time.Now().UnixNano())
	admin.submitForm("Invite a member of staff", map[string]string{"name": "Nia Nu", "email": nia, "companyId": "delta-foundation"})
	admin.status("is invited")
	admin.waitFor(fmt.Sprintf("document.querySelector('main table')?.textContent.includes(%q)", nia))
	// The public fields: the screen lists the catalogue; saving them as they are changes
	// nothing.
	admin.open("#/settings", "console-settings.png")
	admin.submitForm("What is published", nil)
	admin.status("Public fields saved")
	admin.open("#/budgets", "console-budgets.png")
	admin.submitForm("Set an allocation", map[string]string{"fiscalYear": "2034", "category": "conference", "currency": "SGD", "allocated": "9000.00"})
	admin.status("Allocation saved")

	// An applicant from Example Labs asks for a sponsorship: Xena of Example Labs is
	// recused, and Dan of Delta sits out this week.
	body := application("conference", fmt.Sprintf("console-%d@examplelabs.example", time.Now().UnixNano()))
	body["title"] = "Gold tier at Lion City Compilers Conference 2034"
	body["applicant"].(map[string]any)["organization"] = "Example Labs GmbH"
	body["amount"] = map[string]any{"currency": "SGD", "value": "6000.00"}
	body["conference"].(map[string]any)["startDate"], body["conference"].(map[string]any)["endDate"] = "2034-02-10", "2034-02-12"
	id, ref, token := submitConfirmed(t, body)

	// The invited reviewer chooses a password, sets up an authenticator and votes.
	temporary, err := localaws.Invitations(ctx, dev.Endpoint(), nia)
	if err != nil || len(temporary) == 0 {
		t.Fatalf("no invitation mailed to %s: %v", nia, err)
	}
	niaTab := signInConsole(t, nia, temporary[len(temporary)-1], "Nia-chose-a-long-password-1")
	niaTab.open("#/queue", "console-queue.png")
	niaTab.click(fmt.Sprintf("a[href='#/review/%s']", id))
	niaTab.waitFor("!!document.querySelector('form[aria-label=Vote]')")
	niaTab.noScriptValues()
	niaTab.screenshot("console-dossier.png")
	niaTab.submitForm("Vote", map[string]string{"comment": "A good track for our community."}, "approve")
	niaTab.status("Your vote is recorded")

	// Xena, of the applicant's company, sees why she cannot vote.
	xena := signInConsole(t, "xena.reviewer@example.org", password, "")
	xena.open("#/queue", "")
	xena.do(chromedp.Navigate(dev.URL() + "/console/#/review/" + id))
	xena.waitFor("document.querySelector('main').textContent.includes('conflict of interest')")
	xena.screenshot("console-recused.png")
	// Rita and Gita approve: three companies, a decision.
	for _, who := range []string{"rita.reviewer@example.org", "gita.reviewer@example.org"} {
		r := signInConsole(t, who, password, "")
		r.open("#/review/"+id, "")
		r.submitForm("Vote", nil, "approve")
		r.status("Your vote")
	}
	if got := statusOf(t, id); got != "approved" {
		t.Fatalf("after three companies approved: %s", got)
	}
	// The decided dossier: seats name their members as people, and each roster entry
	// is recused once, under its own name.
	niaTab.open("#/review/"+id, "console-decided.png")
	cells := func(caption string) string {
		return fmt.Sprintf("[...document.querySelectorAll('main table')].filter((t) => t.caption?.textContent.startsWith(%q)).flatMap((t) => [...t.querySelectorAll('td')].map((c) => c.textContent))", caption)
	}
	seats, recused := eval[[]string](niaTab.tab, cells("Seats")), eval[[]string](niaTab.tab, cells("Recused"))
	if !slices.ContainsFunc(seats, func(c string) bool { return strings.Contains(c, "Nia Nu") }) {
		t.Errorf("the seats do not name Nia: %q", seats)
	}
	if n := slices.Index(recused, "Xena Example"); n < 0 || slices.Contains(recused[n+1:], "Xena Example") {
		t.Errorf("Xena is not recused exactly once under her name: %q", recused)
	}

	// The organiser's invoice comes to finance by mail and goes on file: what the
	// payment stands on.
	invoiceOnFile(t, id)
	// Finance pays it in two parts, reverses one, and downloads the requests report.
	fin := signInConsole(t, "felix.finance@example.org", password, "")
	fin.open("#/pay", "console-to-pay.png")
	fin.waitFor(fmt.Sprintf("document.querySelector('main')?.textContent.includes(%q)", ref))
	// The applicant gave their bank details after the approval: finance reads them on
	// the ledger, is refused a payment until it has checked them, and marks them so.
	if r := as(t, token).do("PUT", "/requests/"+id+"/payout", map[string]any{"method": "bank_transfer",
		"accountHolder": "Example Labs GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}); r.status != 200 {
		t.Fatalf("payout details: %d %s", r.status, r.body)
	}
	fin.open("#/pay/"+id, "")
	fin.until("document.querySelector('main')?.textContent.includes('DE89 3704 0044 0532 0130 00')", "the payout details on the ledger")
	fin.submitForm("Record a payment", map[string]string{"value": "2500.00", "externalReference": "SG-0"})
	fin.until("[...document.querySelectorAll('main .summary')].some((e) => !e.hidden && e.textContent.includes('payout details verified by finance'))",
		"the refusal naming what the payment waits for")
	fin.screenshot("console-ledger-payout.png")
	fin.click("#verify-payout")
	fin.until("document.getElementById('status').textContent.includes('Payout details verified.')", "the verification's confirmation")
	fin.until("document.querySelector('main')?.textContent.includes('Verified by Felix')", "the verification on the ledger")
	fin.submitForm("Record a payment", map[string]string{"value": "2500.00", "externalReference": "SG-1"})
	fin.status("Payment recorded; 3,500.00 SGD still owed.")
	fin.submitForm("Record a payment", map[string]string{"value": "1000.00", "externalReference": "SG-2"})
	fin.status("Payment recorded; 2,500.00 SGD still owed.")
	// Reversing the first payment asks once more, in place, before anything is written.
	fin.click("main button[aria-label='Reverse the payment of 2,500.00 SGD of " + time.Now().UTC().Format(time.DateOnly) + "']")
	fin.click("main button.danger")
	fin.status("The payment of 2,500.00 SGD is reversed.")
	fin.open("#/pay/"+id, "console-ledger.png")
	ledger := ledgerOf(t, id)
	if ledger["paid"] != "1000.00" || ledger["payments"] != 3 {
		t.Errorf("ledger after two payments and a reversal: %v", ledger)
	}

	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(fin.ctx, browser.SetDownloadBehavior,
		browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
			BrowserContextID: chromedp.FromContext(fin.ctx).BrowserContextID}); err != nil {
		t.Fatal(err)
	}
	fin.open("#/reports", "console-reports.png")
	fin.submitForm("Download a report", map[string]string{"report": "requests", "format": "xlsx", "fiscalYear": "2034"})
	// The stack answers reports over 1,000 bytes with a link, so this one comes from S3.
	fin.until("document.querySelector('main [role=status]').textContent.includes('requests-FY2034.xlsx is ready')", "the report's link")
	fin.screenshot("console-report-ready.png")
	if xlsx := waitForFile(t, filepath.Join(dir, "requests-FY2034.xlsx")); !strings.HasPrefix(string(xlsx), "PK\x03\x04") || !strings.Contains(string(xlsx), "xl/worksheets/") {
		t.Errorf("the downloaded report is no spreadsheet: %.40q", xlsx)
	}

	// Friday: the admin deactivates Nia, whose next sign-in fails.
	deactivate(t, admin, nia)
	again := openTab(t)
	again.do(chromedp.Navigate(dev.URL() + "/console/"))
	again.waitFor("!!document.getElementById('email')")
	again.do(chromedp.SendKeys(chromedp.ID("email"), nia), chromedp.SendKeys(chromedp.ID("password"), "Nia-chose-a-long-password-1"),
		chromedp.Click(chromedp.CSS("button[type=submit]")))
	again.waitFor("!!document.querySelector('.summary')")
	again.screenshot("console-deactivated-sign-in.png")
}

// deactivate presses Deactivate on a person's row of the staff screen.
func deactivate(t *testing.T, admin *person, email string) {
	t.Helper()
	admin.open("#/staff", "")
	pressed := eval[bool](admin.tab, fmt.Sprintf(`(() => {
		const row = [...document.querySelectorAll("main tbody tr")].find((r) => r.cells[1] && r.cells[1].textContent === %q);
		const b = row && [...row.querySelectorAll("button")].find((x) => x.textContent === "Deactivate");
		if (!b) return false; b.click(); return true; })()`, email))
	if !pressed {
		t.Fatalf("no Deactivate button on %s's row", email)
	}
	admin.status("can no longer sign in")
}

func statusOf(t *testing.T, id string) string {
	t.Helper()
	req, err := dev.Store().GetRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return string(req.Status)
}

func ledgerOf(t *testing.T, id string) map[string]any {
	t.Helper()
	req, payments, err := dev.Store().Payments(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"paid": req.Paid.Decimal(), "payments": len(payments)}
}

// waitForFile waits for a download to be complete and returns its bytes.
func waitForFile(t *testing.T, path string) []byte {
	t.Helper()
	for range 100 {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s was not downloaded", path)
	return nil
}
