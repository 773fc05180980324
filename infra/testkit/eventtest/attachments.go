package eventtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// signer stands in for the evidence bucket where nothing is uploaded: it signs
// nothing, and the benchmarks never follow its links.
type signer struct{}

func (signer) UploadForm(context.Context, string, string, int64, time.Duration) (sponsorship.UploadForm, error) {
	return sponsorship.UploadForm{URL: "https://evidence.example/", Fields: map[string]string{}}, nil
}

func (signer) DownloadLink(_ context.Context, key, _, _ string, _ time.Duration) (sponsorship.Link, error) {
	return sponsorship.Link{URL: "https://evidence.example/" + key}, nil
}

// AcceptedFile puts an invoice on a request of the setup's table that passed its
// content check, as the evidence function records one, and returns its id: what
// downloads serve, and what a conference's payment needs.
func (s *Setup) AcceptedFile(tb testing.TB, requestID string) string {
	tb.Helper()
	ctx := context.Background()
	e := sponsorship.NewEvidence(s.Store, signer{}, time.Now)
	shown := false // not internal: the applicant's routes serve it too
	up, err := e.StaffUpload(ctx, requestID, sponsorship.Actor{Role: sponsorship.RoleFinance, ID: "bench"}, "",
		sponsorship.UploadInput{Name: "invoice.pdf", Type: "application/pdf", Size: 1000, Purpose: sponsorship.PurposeInvoice, Internal: &shown})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := e.Checked(ctx, up.Attachment.Key, sponsorship.Verdict{Accepted: true, Type: "application/pdf", Size: 1000,
		SHA256: strings.Repeat("0", 64)}); err != nil {
		tb.Fatal(err)
	}
	return up.Attachment.ID
}

// ToFile points a download event at an attachment.
func ToFile(ev *events.APIGatewayV2HTTPRequest, attachmentID string) {
	old := ev.PathParameters["attachment"]
	ev.RawPath = strings.Replace(ev.RawPath, old, attachmentID, 1)
	ev.RequestContext.HTTP.Path = strings.Replace(ev.RequestContext.HTTP.Path, old, attachmentID, 1)
	ev.PathParameters["attachment"] = attachmentID
}

// AttachmentRoutes benchmarks a function's three attachment routes on a seeded
// request: an upload slot on a copy of its own every iteration (a request holds at most
// 30 files), the list, and a download link to a file that passed its check. token says
// whether the events carry the applicant token, which a copy changes.
func AttachmentRoutes(seedID string, token bool) []Route {
	var file string
	return []Route{
		{Event: "post-attachment.json", Want: 201, Fresh: func(tb testing.TB, s *Setup, ev *events.APIGatewayV2HTTPRequest) {
			id, tok := s.Copy(tb, seedID)
			if !token {
				tok = ""
			}
			Retarget(ev, id, tok)
		}},
		{Event: "get-attachments.json", Want: 200},
		{Event: "get-attachment-download-unknown.json", Want: 200,
			Prepare: func(tb testing.TB, s *Setup) { file = s.AcceptedFile(tb, seedID) },
			Fresh:   func(_ testing.TB, _ *Setup, ev *events.APIGatewayV2HTTPRequest) { ToFile(ev, file) }},
	}
}

// ReportRoutes benchmarks a function's report routes on the demo's approved
// conference: the evidence it owes and, for its applicant (token), a report submitted
// on a copy of its own every iteration and one refused for its fields; for staff, an
// acceptance refused (the report is still due) and a request for changes refused (no
// message).
func ReportRoutes(token bool) []Route {
	const approved = "01KC0000000000000000000004"
	if !token {
		return []Route{
			{Event: "get-evidence.json", Want: 200},
			{Event: "post-report-accept-due.json", Want: 409},
			{Event: "post-report-changes-invalid.json", Want: 422},
		}
	}
	return []Route{
		{Event: "get-evidence.json", Want: 200},
		{Event: "post-report.json", Want: 200, Fresh: func(tb testing.TB, s *Setup, ev *events.APIGatewayV2HTTPRequest) {
			id, tok := s.Copy(tb, approved)
			Retarget(ev, id, tok)
		}},
		{Name: "POST_requests_id_reports_report_invalid", Event: "post-report-invalid.json", Want: 422},
	}
}
