//go:build integration

package e2e

// Browser tests of uploads from the applicant's pages: files checked in the page, sent
// to the evidence bucket (through the emulator's S3 with its CORS rules, under the
// pages' Content-Security-Policy), and shown as their check left them.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	evidencecheck "github.com/sponsorship-tracker/sponsorship-tracker/shared/evidence"
)

// fileOnDisk writes content to a file named name, for a file chooser to pick.
func fileOnDisk(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// samplePNG is a small, real PNG: a photo of a receipt, say.
func samplePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for x := range 24 {
		for y := range 16 {
			img.Set(x, y, color.RGBA{R: uint8(x * 10), G: uint8(y * 15), B: 120, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// choose picks files in a file chooser, as a person does in the system's dialog.
func (b *tab) choose(sel string, paths ...string) {
	b.t.Helper()
	b.do(chromedp.SetUploadFiles(chromedp.CSS(sel), paths))
}

// fileRow is a JavaScript expression for the row of a file, by its name, in a list.
func fileRow(list, name string) string {
	return fmt.Sprintf("[...document.querySelectorAll(%q)].find((li) => li.querySelector('.file-name').textContent === %q)", list+" li", name)
}

// applicantFiles lists a request's files through the API, as the applicant sees them.
func applicantFiles(t *testing.T, id, token string) []map[string]any {
	t.Helper()
	r := as(t, token).do("GET", "/requests/"+id+"/attachments", nil)
	if r.status != 200 {
		t.Fatalf("list files: %d %s", r.status, r.body)
	}
	var out []map[string]any
	for _, it := range r.json(t)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// TestBrowserStatusPageUploadsEvidence: on an approved travel grant's status page the
// applicant attaches receipts for its cost lines. A file the API would refuse (over
// 10 MB by one byte, empty, of a type the committee does not take) is refused beside
// the chooser and nothing is sent: no upload slot, no call. A real PNG goes to the
// bucket with its progress shown to the end, and is accepted; an executable named
// receipt.pdf goes too and is refused by the content check, with its reason shown as
// text; the list through the API agrees with the page.
func TestBrowserStatusPageUploadsEvidence(t *testing.T) {
	budgets(t, "SEK", []int{2033}, "travel")
	body := application("travel", "browser-upload@northwind.example")
	body["amount"] = map[string]any{"currency": "SEK", "value": "9000.00"}
	body["budgetItems"] = []any{
		map[string]any{"description": "Flights", "amount": map[string]any{"currency": "SEK", "value": "6000.00"}},
		map[string]any{"description": "Hotel", "amount": map[string]any{"currency": "SEK", "value": "3000.00"}},
	}
	travel := body["travel"].(map[string]any)
	travel["startDate"], travel["endDate"] = "2033-03-01", "2033-03-03"
	id, token := approveAs(t, body)
	b := openTab(t)
	b.do(chromedp.Navigate(dev.URL()+"/status#id="+url.QueryEscape(id)+"&token="+url.QueryEscape(token)),
		chromedp.WaitVisible(chromedp.ID("s-evidence")), chromedp.WaitVisible(chromedp.ID("upload-form")))
	b.waitFor(`[...document.querySelectorAll("#u-purpose option")].some((o) => o.textContent === "Receipt for Hotel")`)
	if got := b.text("#s-files-none"); !b.shown("#s-files-none") || got != "No files yet." {
		t.Errorf("before any upload the page says %q (shown %v)", got, b.shown("#s-files-none"))
	}
	pick := func(label string) {
		t.Helper()
		value := eval[string](b, fmt.Sprintf(`[...document.querySelectorAll("#u-purpose option")].find((o) => o.textContent === %q).value`, label))
		b.do(chromedp.SetValue(chromedp.ID("u-purpose"), value))
	}
	attachments := "/requests/" + id + "/attachments"

	// Refused in the page, beside the chooser, and nothing sent.
	before := postsTo(attachments)
	for _, c := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"flight-scan.pdf", bytes.Repeat([]byte("a"), evidencecheck.MaxSize+1), "“flight-scan.pdf” is larger than 10 MB, the most a file may be."},
		{"hotel.pdf", nil, "“hotel.pdf” is empty: choose the file itself."},
		{"setup.exe", elfBytes, "“setup.exe” is not a kind of file the committee takes: choose a PDF document, PNG image, JPEG image, WebP image, plain text file, CSV file, Excel workbook or OpenDocument spreadsheet."},
	} {
		b.choose("#u-file", fileOnDisk(t, c.name, c.content))
		b.waitFor(`!document.getElementById("err-u-file").hidden`)
		b.do(chromedp.Click(chromedp.ID("upload-file")))
		if got := b.text("#err-u-file"); got != c.want {
			t.Errorf("%s: beside the chooser %q, want %q", c.name, got, c.want)
		}
		if eval[string](b, `document.getElementById("u-file").getAttribute("aria-invalid")`) != "true" ||
			!strings.Contains(eval[string](b, `document.getElementById("u-file").getAttribute("aria-describedby")`), "err-u-file") {
			t.Errorf("%s: the chooser is not marked invalid with its message", c.name)
		}
		if got := eval[string](b, "document.activeElement.id"); got != "u-file" {
			t.Errorf("%s: focus on %q after a refusal, want the chooser", c.name, got)
		}
	}
	if n := postsTo(attachments) - before; n != 0 {
		t.Errorf("the page opened %d upload slots for files it refused", n)
	}
	if files := applicantFiles(t, id, token); len(files) != 0 {
		t.Errorf("files after the refusals: %v", files)
	}
	if b.shown("#s-files-list li") {
		t.Error("a refused file is listed")
	}

	// A real PNG as the flights' receipt: sent with its progress to the end, accepted.
	pick("Receipt for Flights")
	b.choose("#u-file", fileOnDisk(t, "boarding-pass.png", samplePNG(t)))
	b.waitFor(`document.getElementById("err-u-file").hidden`)
	b.do(chromedp.Click(chromedp.ID("upload-file")))
	row := fileRow("#s-files-list", "boarding-pass.png")
	b.waitFor(row + `?.querySelector(".file-state").textContent === "accepted"`)
	progress := eval[[]string](b, `(() => { const p = `+row+`.querySelector("progress"); return p ? [String(p.value), String(p.max), p.getAttribute("aria-label"), `+
		row+`.querySelector(".progress-text").textContent] : []; })()`)
	if fmt.Sprint(progress) != "[100 100 Sending boarding-pass.png 100 %]" {
		t.Errorf("the progress of an accepted upload: %q", progress)
	}
	if got := b.text(`#s-files-list li .file-what`); got != "A receipt, cost line 1 (Flights)" {
		t.Errorf("the file is listed as %q", got)
	}
	b.waitFor(`document.getElementById("s-checklist").textContent.includes("Receipt for Flights: done")`)
	if got := b.text("#u-status"); got != "boarding-pass.png: accepted" {
		t.Errorf("announced %q", got)
	}

	// An executable named receipt.pdf, sent as a PDF for the hotel: the check refuses it
	// and the page says why, as text.
	pick("Receipt for Hotel")
	b.choose("#u-file", fileOnDisk(t, "receipt.pdf", elfBytes))
	b.do(chromedp.Click(chromedp.ID("upload-file")))
	row = fileRow("#s-files-list", "receipt.pdf")
	b.waitFor(row + `?.dataset.state === "quarantined"`)
	shown := eval[string](b, row+`.querySelector(".file-state").textContent`)

	files := applicantFiles(t, id, token)
	if len(files) != 2 {
		t.Fatalf("files through the API: %v", files)
	}
	png, exe := files[0], files[1]
	if png["name"] != "boarding-pass.png" || png["status"] != "accepted" || png["type"] != "image/png" || png["purpose"] != "receipt" || png["costLine"] != float64(0) {
		t.Errorf("the PNG through the API: %v", png)
	}
	if exe["name"] != "receipt.pdf" || exe["status"] != "quarantined" || exe["purpose"] != "receipt" || exe["costLine"] != float64(1) {
		t.Errorf("the executable through the API: %v", exe)
	}
	if reason, _ := exe["reason"].(string); reason == "" || shown != "refused: "+reason {
		t.Errorf("the page shows %q; the check's reason is %q", shown, reason)
	}
	if n := eval[int](b, row+`.querySelector(".file-state").childElementCount`); n != 0 {
		t.Errorf("the reason became %d elements", n)
	}
	if got := b.text("#s-checklist"); !strings.Contains(got, "Receipt for Hotel: missing") {
		t.Errorf("a refused file counts in the checklist: %q", got)
	}
	// The page reads the request again once the check is done: its history says so.
	b.waitFor(`document.getElementById("s-history").textContent.includes("File refused by its check")`)
	if got := b.text("#s-history"); !strings.Contains(got, "File added") {
		t.Errorf("history: %q", got)
	}
	b.screenshotOf("#s-files", "status-upload.png")
	b.screenshot("status-upload-page.png")

	// Opened again, the page lists both files as the API does.
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("s-files")))
	b.waitFor(`document.querySelectorAll("#s-files-list li").length === 2`)
	if got := b.text(`#s-files-list li[data-state=accepted] .file-state`); got != "accepted" {
		t.Errorf("after a reload the PNG says %q", got)
	}
	if got := b.text(`#s-files-list li[data-state=quarantined] .file-state`); got != shown {
		t.Errorf("after a reload the executable says %q, want %q", got, shown)
	}
	noLogHolds(t, token)
}

// TestBrowserFormSendsChosenFiles: the form takes a quote and a prospectus with the
// request, checked when chosen (a file over 10 MB is refused beside the chooser and
// never sent), and sends them with the new request's token once it is submitted, while
// it still waits for its e-mail confirmation; the receipt says how each went.
func TestBrowserFormSendsChosenFiles(t *testing.T) {
	email := "browser-files@example.org"
	in := browserRequests(email)["conference"]
	b := openTab(t)
	b.do(chromedp.Navigate(dev.URL() + "/"))
	b.fill(in)
	b.choose("#f-files", fileOnDisk(t, "venue-quote.pdf", samplePDF("venue quote")), fileOnDisk(t, "recording.pdf", bytes.Repeat([]byte("a"), evidencecheck.MaxSize+1)))
	b.waitFor(`!document.getElementById("err-f-files").hidden`)
	if got := b.text("#err-f-files"); got != "Not added: “recording.pdf” is larger than 10 MB, the most a file may be." {
		t.Errorf("beside the chooser: %q", got)
	}
	b.screenshotOf("#form-files", "form-files-refused.png")
	b.choose("#f-files", fileOnDisk(t, "prospectus.png", samplePNG(t)))
	b.waitFor(`document.querySelectorAll("#chosen-files li").length === 2`)
	if !eval[bool](b, `document.getElementById("err-f-files").hidden`) {
		t.Error("the refusal stays after a file that fits was chosen")
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("#chosen-files .file-name")].map((e) => e.textContent)`); fmt.Sprint(got) != "[venue-quote.pdf prospectus.png]" {
		t.Errorf("chosen: %v", got)
	}
	b.do(chromedp.SetValue(chromedp.CSS(`#chosen-files li:last-child select`), "prospectus"))
	// Each chosen file's list and button are labelled.
	if got := eval[[]string](b, `[...document.querySelectorAll("#chosen-files select, #chosen-files button")].map((e) => e.labels && e.labels.length ? e.labels[0].textContent : e.getAttribute("aria-label"))`); fmt.Sprint(got) != "[What it is Remove venue-quote.pdf What it is Remove prospectus.png]" {
		t.Errorf("labels: %q", got)
	}
	b.screenshotOf("#form-files", "form-files.png")
	b.screenshot("form-with-files.png")

	ref, link := b.submitFromThePage()
	id, token := linkParts(t, link)
	for _, name := range []string{"venue-quote.pdf", "prospectus.png"} {
		b.waitFor(fileRow("#receipt-files-list", name) + `?.querySelector(".file-state").textContent === "accepted"`)
	}
	b.waitFor(`document.getElementById("receipt-files-status").textContent === "Done: all 2 files are accepted."`)
	files := applicantFiles(t, id, token)
	if len(files) != 2 || files[0]["name"] != "venue-quote.pdf" || files[0]["purpose"] != "quote" || files[0]["status"] != "accepted" ||
		files[1]["name"] != "prospectus.png" || files[1]["purpose"] != "prospectus" || files[1]["status"] != "accepted" {
		t.Errorf("files through the API: %v", files)
	}
	if r := as(t, token).do("GET", "/requests/"+id, nil); r.json(t)["status"] != "unconfirmed" || r.json(t)["reference"] != ref {
		t.Errorf("the request: %s", r.body)
	}
	b.screenshot("submitted-with-files.png")
	noLogHolds(t, token)
}
