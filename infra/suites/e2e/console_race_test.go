//go:build integration

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// A screen whose answer arrives after the person has moved on is dropped: a reviewer
// reloads the queue and, while its answer is still on the way, opens a request; when
// the queue's answer lands, the dossier stays.
func TestConsoleShowsTheLatestAddress(t *testing.T) {
	rita := signInConsole(t, "rita.reviewer@example.org", dev.Seed.Password, "")
	rita.open("#/queue", "")
	href := eval[string](rita.tab, "document.querySelector(\"main a[href^='#/review/']\")?.getAttribute('href') || ''")
	if href == "" {
		t.Fatal("Rita's queue links to no request")
	}

	// Hold the queue's answer in the browser until the dossier is on screen.
	ctx, cancel := context.WithCancel(rita.ctx)
	defer cancel()
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(rita.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: `*/review/requests\?*`}}}); err != nil {
		t.Fatal(err)
	}
	rita.do(chromedp.Evaluate[chromedp.Void](`dispatchEvent(new HashChangeEvent("hashchange"))`))
	var held fetch.RequestID
	for ev, err := range paused {
		if err != nil {
			t.Fatal(err)
		}
		held = ev.RequestID
		break
	}
	rita.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf("location.hash = %q", href)))
	rita.waitFor("document.querySelector('main').dataset.shown === location.hash")
	if _, err := chromedp.Call(rita.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: held}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(rita.ctx, fetch.Disable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	// The queue's answer has landed (or is about to); what is on screen is the dossier.
	rita.waitFor("performance.getEntriesByType('resource').some((e) => e.name.includes('/review/requests?') && e.responseEnd > 0)")
	time.Sleep(300 * time.Millisecond)
	heading := eval[string](rita.tab, "document.querySelector('main h1').textContent")
	if shown := eval[string](rita.tab, "document.querySelector('main').dataset.shown"); shown != href || strings.Contains(heading, "Requests to review") {
		t.Errorf("after the late queue answer the console shows %q (%s), not %s", heading, shown, href)
	}
}
