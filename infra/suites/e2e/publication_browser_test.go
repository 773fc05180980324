//go:build integration

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// preview is the text of the form's preview of what would be published.
func (b *tab) preview() string { return b.text("#publication-preview-body") }

// TestBrowserFormPreviewsWhatIsPublished fills the form and checks that the preview
// shows, under each choice, exactly what the register would: the name and
// organization under named alone, the anonymous label otherwise, nothing under none;
// that it follows what is typed; and that the choice must be made before sending.
func TestBrowserFormPreviewsWhatIsPublished(t *testing.T) {
	email := "browser-publication@example.org"
	in := browserRequests(email)["travel"]
	in.Applicant.Organization = "Tracing Collective"
	in.Publication = sponsorship.PublishNamed
	b := openTab(t)
	b.do(chromedp.Navigate(dev.URL() + "/"))
	b.waitFor(`document.getElementById("publication-preview-body").textContent.includes("Choose one of the options")`)
	b.fill(in)
	named := b.preview()
	for _, want := range []string{"If the request is approved", "Ada Browser", "Tracing Collective", in.Title, "Travel grant",
		"At most 1450.50 USD", "The date of the decision", "Votes by seat", "Recusals by seat", "Payments", "Never published: summary;", "; e-mail address;", "; payout details."} {
		if !strings.Contains(named, want) {
			t.Errorf("named: the preview lacks %q: %q", want, named)
		}
	}
	if strings.Contains(named, email) || strings.Contains(named, in.Summary) || strings.Contains(named, in.Travel.Origin) {
		t.Errorf("named: the preview shows what is never published: %q", named)
	}
	b.screenshot("form-publication.png")
	b.screenshotOf("fieldset.publication", "form-publication-preview.png")

	b.do(chromedp.Click(chromedp.CSS("input[name=publication][value=anonymous]")))
	anonymous := b.preview()
	if !strings.Contains(anonymous, "An individual speaker") || strings.Contains(anonymous, "Ada Browser") || strings.Contains(anonymous, "Tracing Collective") {
		t.Errorf("anonymous: the preview reads %q", anonymous)
	}
	// The preview follows what is typed.
	b.enter("title", "Travel to LPC 2031 for a talk on tracing BPF")
	if got := b.preview(); !strings.Contains(got, "tracing BPF") {
		t.Errorf("after a new title the preview reads %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS("input[name=publication][value=none]")))
	if got := b.preview(); !strings.Contains(got, "Nothing of this request appears") || strings.Contains(got, "tracing BPF") {
		t.Errorf("none: the preview reads %q", got)
	}

	// The choice is required: without one nothing is sent and the error says so.
	eval[bool](b, "(() => { for (const r of document.querySelectorAll('input[name=publication]')) r.checked = false; return true; })()")
	before := postsTo("/requests")
	b.do(chromedp.Click(chromedp.ID("submit-request")), chromedp.WaitVisible(chromedp.ID("error-summary")))
	if got := b.text(`[data-error-for="publication"]`); !strings.Contains(got, "Choose what may be published") {
		t.Errorf("without a choice the error reads %q", got)
	}
	if n := postsTo("/requests") - before; n != 0 {
		t.Errorf("%d requests sent without a choice", n)
	}
	// From the keyboard: the choices are a radio group like the kind's.
	b.do(chromedp.Focus(chromedp.CSS("input[name=publication][value=named]")), chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.ArrowDown))
	if got := eval[string](b, "document.querySelector('input[name=publication]:checked').value"); got != "anonymous" {
		t.Errorf("Space then ArrowDown chose %q, want anonymous", got)
	}
	_, link := b.submitFromThePage()
	id, _ := linkParts(t, link)
	stored, err := dev.Store().GetRequest(context.Background(), id)
	if err != nil || stored.Publication != sponsorship.PublishAnonymous {
		t.Errorf("stored publication %q, %v; want anonymous", stored.Publication, err)
	}
}

// TestBrowserStatusPageNarrowsPublication opens a request published with its
// applicant's name and narrows it from the status page, first to anonymous, then to
// none: each step stored, on the history, and never offering a wider choice again.
func TestBrowserStatusPageNarrowsPublication(t *testing.T) {
	body := application("conference", "browser-narrow@example.org")
	body["publication"] = "named"
	id, _, token := submitConfirmed(t, body)
	b := openTab(t)
	b.do(chromedp.Navigate(fmt.Sprintf("%s/status#id=%s&token=%s", dev.URL(), id, token)), chromedp.WaitVisible(chromedp.ID("s-publication")))
	b.waitFor(`document.getElementById("s-publication-preview").textContent.includes("E2E Applicant")`)
	if got := b.text("#s-publication-choice"); got != "Published with your name and organization" {
		t.Errorf("the choice reads %q", got)
	}
	if got := eval[[]string](b, "[...document.querySelectorAll('input[name=narrow-publication]')].map((r) => r.value)"); strings.Join(got, ",") != "anonymous,none" {
		t.Errorf("the narrower choices offered: %v", got)
	}
	b.screenshot("status-publication.png")

	// Saving with nothing chosen says so, and sends nothing.
	b.do(chromedp.Click(chromedp.ID("narrow-publication")))
	if !b.shown("#publication-error") {
		t.Error("saving without a choice shows no error")
	}
	b.do(chromedp.Focus(chromedp.CSS("input[name=narrow-publication][value=anonymous]")), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.ID("narrow-publication")), chromedp.KeyEvent(kb.Enter))
	b.waitFor(`document.getElementById("s-publication-choice").textContent === "Published without your name or organization"`)
	preview := b.text("#s-publication-preview")
	if !strings.Contains(preview, "An individual") || strings.Contains(preview, "E2E Applicant") || strings.Contains(preview, "Example Org") {
		t.Errorf("after narrowing the preview reads %q", preview)
	}
	if got := eval[[]string](b, "[...document.querySelectorAll('input[name=narrow-publication]')].map((r) => r.value)"); strings.Join(got, ",") != "none" {
		t.Errorf("after narrowing to anonymous, offered: %v", got)
	}
	b.waitFor(`document.getElementById("s-history").textContent.includes("What may be published narrowed")`)
	if stored, err := dev.Store().GetRequest(context.Background(), id); err != nil || stored.Publication != sponsorship.PublishAnonymous {
		t.Errorf("stored %q, %v; want anonymous", stored.Publication, err)
	}
	b.screenshot("status-publication-narrowed.png")

	// A wider choice sent by hand is refused and changes nothing.
	if r := as(t, token).do("PUT", "/requests/"+id+"/publication", map[string]any{"publication": "named"}); r.status != 409 {
		t.Errorf("widening through the API: %d %s", r.status, r.body)
	}
	b.do(chromedp.Click(chromedp.CSS("input[name=narrow-publication][value=none]")), chromedp.Click(chromedp.ID("narrow-publication")))
	b.waitFor(`document.getElementById("s-publication-choice").textContent.startsWith("Not published")`)
	if b.shown("#publication-form") || !b.shown("#s-publication-narrowest") {
		t.Error("at none the page still offers a change")
	}
	if stored, err := dev.Store().GetRequest(context.Background(), id); err != nil || stored.Publication != sponsorship.PublishNone {
		t.Errorf("stored %q, %v; want none", stored.Publication, err)
	}
}
