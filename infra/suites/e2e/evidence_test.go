//go:build integration

package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

// samplePDF is a small, well-formed PDF: what an applicant's quote might be.
func samplePDF(text string) []byte {
	body := fmt.Sprintf("%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"+
		"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >> endobj\n"+
		"4 0 obj << /Length %d >> stream\nBT /F1 12 Tf 20 100 Td (%s) Tj ET\nendstream endobj\n", 36+len(text), text)
	return []byte(body + "trailer << /Root 1 0 R >>\n%%EOF\n")
}

// elfBytes is the start of a Linux executable: what no one may pass off as a PDF.
var elfBytes = append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0}, bytes.Repeat([]byte{0x90}, 200)...)

// postForm uploads content with a presigned POST the API handed out, as a browser does:
// the fields, then the file. It returns S3's status and body.
func postForm(t *testing.T, upload map[string]any, name string, content []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range upload["fields"].(map[string]any) {
		if err := w.WriteField(k, v.(string)); err != nil {
			t.Fatal(err)
		}
	}
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(content)
	_ = w.Close()
	resp, err := http.Post(upload["url"].(string), w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// attach opens an upload slot through the API (path is the request's attachments
// route for the caller) and returns the pending attachment's id and the upload form.
func attach(t *testing.T, c client, path, name, contentType string, size int, purpose string) (string, map[string]any) {
	t.Helper()
	r := c.do("POST", path, map[string]any{"name": name, "type": contentType, "size": size, "purpose": purpose})
	if r.status != http.StatusCreated {
		t.Fatalf("open upload: %d %s", r.status, r.body)
	}
	m := r.json(t)
	return m["attachment"].(map[string]any)["id"].(string), m["upload"].(map[string]any)
}

// waitForCheck lists the request's files until the attachment's check is recorded.
func waitForCheck(t *testing.T, c client, path, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := c.do("GET", path, nil)
		if r.status != 200 {
			t.Fatalf("list files: %d %s", r.status, r.body)
		}
		for _, item := range r.json(t)["items"].([]any) {
			a := item.(map[string]any)
			if a["id"] == id && a["status"] != "pending" {
				return a
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the check of %s was never recorded", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// uploadAccepted attaches a PDF to a request as its applicant and waits until it is
// accepted; it returns the attachment's id and the file's bytes.
func uploadAccepted(t *testing.T, id, token string) (string, []byte) {
	t.Helper()
	content := samplePDF("quote " + id)
	path := "/requests/" + id + "/attachments"
	attID, form := attach(t, as(t, token), path, "quote.pdf", "application/pdf", len(content), "quote")
	if status, body := postForm(t, form, "quote.pdf", content); status/100 != 2 {
		t.Fatalf("upload: %d %s", status, body)
	}
	if a := waitForCheck(t, as(t, token), path, attID); a["status"] != "accepted" {
		t.Fatalf("the quote was not accepted: %v", a)
	}
	return attID, content
}

// invoiceOnFile has finance attach the organiser's invoice to an approved conference,
// as it would on receiving it by mail, and waits until the check accepts it: what the
// conference's payment needs.
func invoiceOnFile(t *testing.T, id string) {
	t.Helper()
	fin := staff(t, "finance")
	content := samplePDF("invoice " + id)
	path := "/finance/requests/" + id + "/attachments"
	attID, form := attach(t, fin, path, "invoice.pdf", "application/pdf", len(content), "invoice")
	if status, body := postForm(t, form, "invoice.pdf", content); status/100 != 2 {
		t.Fatalf("upload the invoice: %d %s", status, body)
	}
	if a := waitForCheck(t, fin, path, attID); a["status"] != "accepted" {
		t.Fatalf("the invoice was not accepted: %v", a)
	}
}

func fetchLink(t *testing.T, link string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// An applicant attaches a quote through the API and the bucket; the content check
// accepts it with its real type, size and sha256; the applicant, a reviewer and
// finance download exactly those bytes, as a download; another applicant cannot.
func TestAttachmentUploadCheckAndDownload(t *testing.T) {
	id, _, token := submitConfirmed(t, application("conference", "evidence-quote@example.org"))
	attID, content := uploadAccepted(t, id, token)
	sum := sha256.Sum256(content)

	files := as(t, token).do("GET", "/requests/"+id+"/attachments", nil).json(t)["items"].([]any)
	a := files[0].(map[string]any)
	if a["type"] != "application/pdf" || a["sha256"] != hex.EncodeToString(sum[:]) || a["size"] != float64(len(content)) || a["uploadedBy"] != "applicant" {
		t.Errorf("the accepted file: %v", a)
	}
	for who, c := range map[string]client{"applicant": as(t, token), "reviewer": staff(t, "reviewer"), "finance": staff(t, "finance")} {
		prefix := map[string]string{"applicant": "", "reviewer": "/review", "finance": "/finance"}[who]
		r := c.do("GET", prefix+"/requests/"+id+"/attachments/"+attID+"/download", nil)
		if r.status != 200 {
			t.Fatalf("%s: download link: %d %s", who, r.status, r.body)
		}
		resp, body := fetchLink(t, r.json(t)["url"].(string))
		if resp.StatusCode != 200 || !bytes.Equal(body, content) {
			t.Errorf("%s: downloaded %d, %d bytes", who, resp.StatusCode, len(body))
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "quote.pdf") {
			t.Errorf("%s: Content-Disposition %q, want a download named quote.pdf", who, cd)
		}
	}
	// Another applicant's token opens nothing of this request.
	_, _, other := submitConfirmed(t, application("travel", "evidence-other@example.org"))
	for _, path := range []string{"/requests/" + id + "/attachments", "/requests/" + id + "/attachments/" + attID + "/download"} {
		if r := as(t, other).do("GET", path, nil); r.status != 404 {
			t.Errorf("another applicant's token on %s: %d", path, r.status)
		}
	}
}

// A file whose content is not what it claims is quarantined: never served, moved out
// of what downloads read, and its uploader sees why.
func TestDisguisedExecutableIsQuarantined(t *testing.T) {
	id, _, token := submitConfirmed(t, application("travel", "evidence-elf@example.org"))
	path := "/requests/" + id + "/attachments"
	attID, form := attach(t, as(t, token), path, "receipt.pdf", "application/pdf", len(elfBytes), "quote")
	if status, body := postForm(t, form, "receipt.pdf", elfBytes); status/100 != 2 {
		t.Fatalf("upload: %d %s", status, body)
	}
	a := waitForCheck(t, as(t, token), path, attID)
	if a["status"] != "quarantined" || a["reason"] == "" || a["reason"] == nil {
		t.Fatalf("the disguised executable: %v", a)
	}
	r := as(t, token).do("GET", path+"/"+attID+"/download", nil)
	if r.status != http.StatusConflict || !strings.Contains(string(r.body), "not_checked") {
		t.Errorf("download of a quarantined file: %d %s", r.status, r.body)
	}
}

// The upload's policy holds what the API pinned: a file over the declared size range,
// a type other than the declared one, and a key other than the slot's are refused by
// the bucket before anything is stored; the API refuses what no form could carry.
func TestUploadPolicyRefusals(t *testing.T) {
	id, _, token := submitConfirmed(t, application("project", "evidence-policy@example.org"))
	c := as(t, token)
	path := "/requests/" + id + "/attachments"

	if r := c.do("POST", path, map[string]any{"name": "big.pdf", "type": "application/pdf", "size": 11 << 20, "purpose": "quote"}); r.status != 422 ||
		!strings.Contains(string(r.body), `"size"`) {
		t.Errorf("an 11 MB file: %d %s", r.status, r.body)
	}
	if r := c.do("POST", path, map[string]any{"name": "run.exe", "type": "application/x-msdownload", "size": 10, "purpose": "receipt"}); r.status != 422 ||
		!strings.Contains(string(r.body), `"type"`) || !strings.Contains(string(r.body), `"purpose"`) {
		t.Errorf("an executable, as a receipt before any decision: %d %s", r.status, r.body)
	}

	_, form := attach(t, c, path, "quote.pdf", "application/pdf", 100, "quote")
	big := append(samplePDF("big"), bytes.Repeat([]byte(" "), 10<<20)...)
	if status, body := postForm(t, form, "quote.pdf", big); status != 400 || !strings.Contains(body, "EntityTooLarge") {
		t.Errorf("a file over 10 MB through the form: %d %s", status, body)
	}
	wrongType := map[string]any{"url": form["url"], "fields": copyFields(form["fields"], "Content-Type", "text/html")}
	if status, body := postForm(t, wrongType, "quote.pdf", samplePDF("x")); status != 403 || !strings.Contains(body, "Policy Condition failed") {
		t.Errorf("another type than declared: %d %s", status, body)
	}
	otherKey := map[string]any{"url": form["url"], "fields": copyFields(form["fields"], "key", "requests/"+id+"/someone-else")}
	if status, body := postForm(t, otherKey, "quote.pdf", samplePDF("x")); status != 403 || !strings.Contains(body, "Policy Condition failed") {
		t.Errorf("another key than the slot's: %d %s", status, body)
	}
}

func copyFields(fields any, key, value string) map[string]any {
	out := map[string]any{}
	for k, v := range fields.(map[string]any) {
		out[k] = v
	}
	out[key] = value
	return out
}

// A request holds at most 30 files, pending slots included.
func TestAttachmentLimit(t *testing.T) {
	id, _, token := submitConfirmed(t, application("travel", "evidence-limit@example.org"))
	c := as(t, token)
	path := "/requests/" + id + "/attachments"
	for i := range 30 {
		attach(t, c, path, fmt.Sprintf("quote-%d.pdf", i), "application/pdf", 100, "quote")
	}
	if r := c.do("POST", path, map[string]any{"name": "one-more.pdf", "type": "application/pdf", "size": 100, "purpose": "quote"}); r.status != 409 ||
		!strings.Contains(string(r.body), "limit_reached") {
		t.Errorf("the 31st file: %d %s", r.status, r.body)
	}
}
