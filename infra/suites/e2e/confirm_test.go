//go:build integration

package e2e

// The confirmation of the applicant's e-mail address, end to end: what the address
// receives, when the committee hears of a request, and the daily limit per address.
// The helpers here are how the other tests get a request the committee may see.

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// confirmWithCode sends a confirmation code through the gateway, as the confirmation
// page does.
func confirmWithCode(t *testing.T, id, code string) reply {
	t.Helper()
	return anonymous(t).do("POST", "/requests/"+id+"/confirm", map[string]any{"code": code})
}

// confirmNow confirms a request's address with the code the confirmation mail carries,
// read where the notification function reads it (the table), without waiting for the
// mail: for tests about what happens after confirmation. Whether the confirmation mail
// itself then goes out depends on which comes first; tests that count the applicant's
// mail use confirmByMail.
func confirmNow(t *testing.T, id string) {
	t.Helper()
	code, err := dev.Store().ConfirmationCode(context.Background(), id)
	if err != nil {
		t.Fatalf("confirmation code of %s: %v", id, err)
	}
	mustConfirm(t, id, code)
}

// mustConfirm confirms with a code, failing the test unless it is accepted.
func mustConfirm(t *testing.T, id, code string) {
	t.Helper()
	if r := confirmWithCode(t, id, code); r.status != http.StatusOK {
		t.Fatalf("confirm %s: %d %s", id, r.status, r.body)
	}
}

// submitConfirmed submits a request and confirms its address at once: the request is
// submitted to the committee.
func submitConfirmed(t *testing.T, body map[string]any) (id, ref, token string) {
	t.Helper()
	id, ref, token = submit(t, body)
	confirmNow(t, id)
	return id, ref, token
}

var confirmLink = regexp.MustCompile(`https?://[^"<\s]*/confirm#id=([^&"<\s]+)&(?:amp;)?code=([^"&<\s]+)`)

// confirmationMail waits for the confirmation mail of a request, as its applicant
// would, and returns it with the id and code its link carries.
func confirmationMail(t *testing.T, ref string) (m mail, id, code string) {
	t.Helper()
	m, parts := linkMail(t, ref, "Confirm your e-mail address", confirmLink)
	return m, parts[0], parts[1]
}

// linkMail waits up to a minute for the mail about ref whose subject holds subject, as
// its recipient would, and returns it with the parts of its link (link's groups,
// unescaped).
func linkMail(t *testing.T, ref, subject string, link *regexp.Regexp) (mail, []string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		for _, m := range mailAbout(t, ref) {
			if !strings.Contains(m.Subject, subject) {
				continue
			}
			match := link.FindStringSubmatch(m.Body)
			if match == nil {
				t.Fatalf("the mail %q has no link: %s", m.Subject, m.Body)
			}
			var parts []string
			for _, p := range match[1:] {
				v, _ := url.QueryUnescape(html.UnescapeString(p))
				parts = append(parts, v)
			}
			return m, parts
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %q about %s", subject, ref)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// confirmByMail confirms a request the way its applicant does: with the link of the
// mail they received.
func confirmByMail(t *testing.T, ref string) {
	t.Helper()
	_, id, code := confirmationMail(t, ref)
	mustConfirm(t, id, code)
}

// submitConfirmedByMail submits a request and confirms it from its confirmation mail.
func submitConfirmedByMail(t *testing.T, body map[string]any) (id, ref, token string) {
	t.Helper()
	id, ref, token = submit(t, body)
	confirmByMail(t, ref)
	return id, ref, token
}

// hostile is a submission whose every free text is someone's attempt to use our mail
// to reach a stranger: markup, a phishing line, an injected header.
func hostile(email string) map[string]any {
	body := application("conference", email)
	body["title"] = `<a href="https://evil.example/reset">RESET-YOUR-PASSWORD</a> now`
	body["summary"] = "CLICK-HERE https://evil.example/ to claim your prize, then reply with your bank details."
	body["applicant"] = map[string]any{"name": `Mallory <b>PAY-NOW</b>`, "email": email, "organization": "WIN-A-PRIZE Ltd"}
	return body
}

var hostileText = []string{"evil.example", "RESET-YOUR-PASSWORD", "CLICK-HERE", "Mallory", "PAY-NOW", "WIN-A-PRIZE"}

// TestUnconfirmedRequestReachesOnlyItsAddress: a submission naming someone else's
// address sends that address one message, with nothing of the submitter's words in it,
// and tells nobody else; once confirmed, the request reaches the committee as before.
func TestUnconfirmedRequestReachesOnlyItsAddress(t *testing.T) {
	victim := "stranger@northwind.example"
	id, ref, token := submit(t, hostile(victim))
	drain(t)
	ms := mailAbout(t, ref)
	if len(ms) != 1 || ms[0].To() != victim {
		t.Fatalf("mail about an unconfirmed request: %v, want one message to %s", recipients(ms), victim)
	}
	for _, bad := range hostileText {
		if strings.Contains(ms[0].Subject, bad) || strings.Contains(ms[0].Body, bad) {
			t.Errorf("the confirmation mail carries %q, which the submitter typed:\n%s\n%s", bad, ms[0].Subject, ms[0].Body)
		}
	}
	if n := len(chatAbout(ref)); n != 0 {
		t.Errorf("the chat heard of an unconfirmed request %d times", n)
	}
	for _, r := range staff(t, "reviewer").do("GET", "/review/requests?limit=100&order=newest", nil).json(t)["items"].([]any) {
		if r.(map[string]any)["id"] == id {
			t.Error("the queue lists an unconfirmed request")
		}
	}
	if r := staff(t, "reviewer").do("GET", "/review/requests/"+id, nil); r.status != http.StatusNotFound {
		t.Errorf("a reviewer opens an unconfirmed request: %d", r.status)
	}
	if v := as(t, token).do("GET", "/requests/"+id, nil).json(t); v["status"] != "unconfirmed" {
		t.Errorf("status before confirmation: %v", v["status"])
	}

	// The address's owner opens the link: the committee hears of it, each once, and the
	// address gets the receipt.
	confirmByMail(t, ref)
	drain(t)
	got := recipients(mailAbout(t, ref))
	want := map[string]int{victim: 2}
	for _, e := range activeReviewerEmails(t) {
		want[e] = 1
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("messages per recipient after confirmation:\n got %v\nwant %v", got, want)
	}
	if n := len(chatAbout(ref)); n != 1 {
		t.Errorf("%d chat messages after confirmation, want 1", n)
	}
}

// Concurrent submissions for one address stop at the daily limit, exactly: the count
// is taken in the same transaction as each request.
func TestConcurrentSubmissionsForOneAddressStopAtTheLimit(t *testing.T) {
	const n = 12
	email := "one-address-many-requests@example.org"
	statuses := make([]int, n)
	parallel(n, func(i int) {
		body := application("travel", email)
		body["title"] = fmt.Sprintf("Request %d for one address", i)
		r := anonymous(t).do("POST", "/requests", body)
		statuses[i] = r.status
		if r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After: %s", r.body)
		}
	})
	created, refused := 0, 0
	for i, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Errorf("submission %d: %d", i, s)
		}
	}
	if created != 3 || refused != n-3 || countByApplicant(t, email) != 3 {
		t.Errorf("%d created, %d refused, %d stored; want 3, %d, 3", created, refused, countByApplicant(t, email), n-3)
	}
}
