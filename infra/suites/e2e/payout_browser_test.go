//go:build integration

package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPayoutDetailsFromTheStatusPage: on an approved request's status page the
// applicant gives bank details (an IBAN with a wrong digit is shown beside its field,
// nothing stored), sees them in force by their last four characters only, asks for a
// change, and confirms it from the mailed link in the browser; the page then shows the
// new account, and never the details themselves.
func TestBrowserPayoutDetailsFromTheStatusPage(t *testing.T) {
	budgets(t, "NZD", []int{2033}, "conference")
	body := conferenceOf("browser-payout@northwind.example", "NZD", "900.00", "2033-05-01")
	id, token := approveAs(t, body)
	ref := as(t, token).do("GET", "/requests/"+id, nil).json(t)["reference"].(string)
	status := dev.URL() + "/status#id=" + url.QueryEscape(id) + "&token=" + url.QueryEscape(token)
	b := openTab(t)
	b.do(chromedp.Navigate(status), chromedp.WaitVisible(chromedp.ID("payout-form")))

	// A half-filled form is checked in the page; a wrong digit by the server, beside
	// its field.
	b.do(chromedp.Click(`#payout-form button[type="submit"]`))
	b.waitFor(`!document.getElementById("payout-iban-error").hidden && !document.getElementById("payout-accountHolder-error").hidden`)
	b.do(chromedp.SendKeys("#payout-accountHolder", "Northwind e.V."), chromedp.SendKeys("#payout-iban", "DE89 3704 0044 0532 0130 01"),
		chromedp.SendKeys("#payout-bic", "COBADEFFXXX"), chromedp.Click(`#payout-form button[type="submit"]`))
	b.waitFor(`document.getElementById("payout-iban-error").textContent.includes("not a valid IBAN")`)
	if r, _ := dev.Store().GetRequest(context.Background(), id); r.Payout != nil {
		t.Fatalf("refused details were stored: %+v", r.Payout)
	}
	setValue(b, "payout-iban", "DE89 3704 0044 0532 0130 00")
	b.do(chromedp.Click(`#payout-form button[type="submit"]`))
	b.waitFor(`document.getElementById("payout-current")?.textContent.includes("IBAN ending 3000")`)
	if got := b.text("#payout-current"); !strings.Contains(got, "Finance checks them before paying.") {
		t.Errorf("the details in force read %q", got)
	}

	// A change waits for the mailed link; the page says where it went.
	setValue(b, "payout-accountHolder", "Northwind e.V.")
	setValue(b, "payout-iban", "BE68 5390 0754 7034")
	setValue(b, "payout-bic", "GKCCBEBB")
	b.do(chromedp.Click(`#payout-form button[type="submit"]`))
	b.waitFor(`!!document.getElementById("payout-change")`)
	if got := b.text("#payout-change"); !strings.Contains(got, "IBAN ending 7034") || !strings.Contains(got, "browser-payout@northwind.example") {
		t.Errorf("the change reads %q", got)
	}
	b.screenshot("status-payout.png")
	for _, secret := range []string{"3704004405320130", "539007547034", "COBADEFF", "GKCCBEBB"} {
		// What the section holds: its markup, and what its controls still hold.
		shown := eval[string](b, `document.getElementById("s-payout").outerHTML + [...document.querySelectorAll("#s-payout input, #s-payout textarea")].map((e) => e.value).join(" ")`)
		if strings.Contains(strings.ReplaceAll(shown, " ", ""), secret) {
			t.Errorf("the status page shows %s after saving", secret)
		}
	}

	// The mailed link: the page asks, one press confirms.
	_, code := payoutConfirmation(t, ref)
	b.do(chromedp.Navigate(dev.URL()+"/confirm#id="+url.QueryEscape(id)+"&payout="+url.QueryEscape(code)),
		chromedp.WaitVisible(chromedp.ID("payout-ask")))
	if got := b.text("h1"); got != "Confirm the change of your payout details" {
		t.Errorf("the confirmation page's heading: %q", got)
	}
	b.screenshot("confirm-payout.png")
	b.do(chromedp.Click(chromedp.ID("confirm-payout")), chromedp.WaitVisible(chromedp.ID("payout-done")))
	if got := b.text("#payout-reference"); got != ref {
		t.Errorf("the page confirms %q, want %s", got, ref)
	}
	b.do(chromedp.Navigate(status), chromedp.WaitVisible(chromedp.ID("payout-form")))
	b.waitFor(`document.getElementById("payout-current")?.textContent.includes("IBAN ending 7034")`)
	if b.shown("#payout-change") {
		t.Error("the confirmed change still waits on the status page")
	}
	if !strings.Contains(b.text("#s-history"), "Change of payout details confirmed") {
		t.Errorf("history: %q", b.text("#s-history"))
	}
}

// setValue puts a value in the control with the given id, as typing would leave it.
func setValue(b *tab, id, value string) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf("(() => { document.getElementById(%q).value = %q; return true; })()", id, value))
}
