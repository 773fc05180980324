package sponsorship_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// files is the evidence bucket in memory: it remembers what it signed.
type files struct {
	uploads   []string // keys of the upload forms signed
	downloads []string // keys of the download links signed
}

func (f *files) UploadForm(_ context.Context, key, contentType string, maxBytes int64, window time.Duration) (sponsorship.UploadForm, error) {
	f.uploads = append(f.uploads, key)
	return sponsorship.UploadForm{URL: "https://bucket.example/", Fields: map[string]string{"key": key, "Content-Type": contentType}}, nil
}

func (f *files) DownloadLink(_ context.Context, key, name, contentType string, window time.Duration) (sponsorship.Link, error) {
	f.downloads = append(f.downloads, key)
	return sponsorship.Link{URL: "https://bucket.example/" + key + "?download=" + name}, nil
}

func pdf(purpose sponsorship.Purpose) sponsorship.UploadInput {
	return sponsorship.UploadInput{Name: "quote.pdf", Type: "application/pdf", Size: 1000, Purpose: purpose}
}

func accepted(key string) sponsorship.Verdict {
	return sponsorship.Verdict{Accepted: true, Type: "application/pdf", Size: 1000, SHA256: strings.Repeat("ab", 32)}
}

func TestAttachmentLogic(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, w *world, e *sponsorship.Evidence, f *files)
	}{
		{"an applicant's upload slot pins its key under the request, and the file is served once accepted", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id, token := w.submit()
			up, err := e.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeQuote))
			w.must(err)
			if up.Attachment.Key != "requests/"+id+"/"+up.Attachment.ID || up.Form.Fields["key"] != up.Attachment.Key || up.Attachment.Status != sponsorship.AttachmentPending {
				t.Fatalf("slot %+v form %+v", up.Attachment, up.Form)
			}
			if _, err := e.ApplicantDownload(ctx, id, token, up.Attachment.ID); !errors.Is(err, sponsorship.ErrNotChecked) {
				t.Errorf("download before the check: %v", err)
			}
			a, err := e.Checked(ctx, up.Attachment.Key, accepted(up.Attachment.Key))
			w.must(err)
			if a.Status != sponsorship.AttachmentAccepted || a.SHA256 == "" || !a.ExpiresAt.IsZero() {
				t.Errorf("after the check: %+v", a)
			}
			if _, err := e.ApplicantDownload(ctx, id, token, up.Attachment.ID); err != nil {
				t.Errorf("download after acceptance: %v", err)
			}
			if h := w.history(id); h[len(h)-1] != sponsorship.EventAttachmentAdded {
				t.Errorf("history %v", h)
			}
		}},
		{"a quarantined file is never served and says why", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id, token := w.submit()
			up, _ := e.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeQuote))
			_, err := e.Checked(ctx, up.Attachment.Key, sponsorship.Verdict{Type: "application/x-executable", Size: 200, Reason: "An executable is not evidence."})
			w.must(err)
			list, _ := e.ApplicantAttachments(ctx, id, token)
			if len(list) != 1 || list[0].Status != sponsorship.AttachmentQuarantined || list[0].Reason == "" {
				t.Errorf("list %+v", list)
			}
			if _, err := e.StaffDownload(ctx, id, up.Attachment.ID); !errors.Is(err, sponsorship.ErrNotChecked) {
				t.Errorf("staff download of a quarantined file: %v", err)
			}
		}},
		{"a redelivered notification keeps the first check", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id, token := w.submit()
			up, _ := e.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeQuote))
			_, _ = e.Checked(ctx, up.Attachment.Key, accepted(up.Attachment.Key))
			before := len(w.history(id))
			a, err := e.Checked(ctx, up.Attachment.Key, sponsorship.Verdict{Reason: "late"})
			if err != nil || a.Status != sponsorship.AttachmentAccepted || len(w.history(id)) != before {
				t.Errorf("second check: %+v %v, history %d → %d", a, err, before, len(w.history(id)))
			}
		}},
		{"an object no slot was opened for is unknown", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id, _ := w.submit()
			for _, key := range []string{"requests/" + id + "/01J0000000000000000000000", "elsewhere/x", "requests/../x/y"} {
				if _, err := e.Checked(ctx, key, accepted(key)); !errors.Is(err, sponsorship.ErrNotFound) {
					t.Errorf("%s: %v", key, err)
				}
			}
		}},
		{"every field error at once, and only supporting files before a decision", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id, token := w.submit()
			line := 5
			_, err := e.ApplicantUpload(ctx, id, token, sponsorship.UploadInput{Name: "", Type: "text/html", Size: 11 << 20, Purpose: "bribe", CostLine: &line})
			var v *sponsorship.ValidationError
			if !errors.As(err, &v) || len(v.Errors) != 5 {
				t.Fatalf("invalid upload: %v", err)
			}
			if _, err := e.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeReceipt)); !errors.As(err, &v) {
				t.Errorf("a receipt before the decision: %v", err)
			}
			internal := true
			in := pdf(sponsorship.PurposeQuote)
			in.Internal = &internal
			if _, err := e.ApplicantUpload(ctx, id, token, in); !errors.As(err, &v) {
				t.Errorf("an applicant's internal file: %v", err)
			}
			if len(f.uploads) != 0 {
				t.Errorf("forms signed for refused uploads: %v", f.uploads)
			}
		}},
		{"after approval the applicant attaches evidence; a rejected request takes none", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id := w.approved()
			if _, err := e.ApplicantUpload(ctx, id, w.tokens[id], pdf(sponsorship.PurposeInvoice)); err != nil {
				t.Errorf("an invoice after approval: %v", err)
			}
			other, token := w.submit()
			w.votes(other, "a1:reject", "b:reject", "c:reject")
			var tr *sponsorship.TransitionError
			if _, err := e.ApplicantUpload(ctx, other, token, pdf(sponsorship.PurposeQuote)); !errors.As(err, &tr) {
				t.Errorf("a file on a rejected request: %v", err)
			}
		}},
		{"a request holds 30 files; lapsed slots free their place", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id, token := w.submit()
			for range sponsorship.MaxAttachments {
				_, err := e.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeQuote))
				w.must(err)
			}
			var limit *sponsorship.LimitError
			if _, err := e.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeQuote)); !errors.As(err, &limit) {
				t.Fatalf("the 31st: %v", err)
			}
			w.clock.advance(sponsorship.UploadWindow + 2*time.Hour)
			if _, err := e.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeQuote)); err != nil {
				t.Errorf("after the slots lapsed: %v", err)
			}
		}},
		{"the applicant never sees staff's internal files; another token sees nothing", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id, token := w.submit()
			up, err := e.StaffUpload(ctx, id, sponsorship.Actor{Role: sponsorship.RoleReviewer, ID: "rita"}, "", pdf(sponsorship.PurposeOther))
			w.must(err)
			_, _ = e.Checked(ctx, up.Attachment.Key, accepted(up.Attachment.Key))
			if list, _ := e.ApplicantAttachments(ctx, id, token); len(list) != 0 {
				t.Errorf("the applicant sees %+v", list)
			}
			if _, err := e.ApplicantDownload(ctx, id, token, up.Attachment.ID); !errors.Is(err, sponsorship.ErrNotFound) {
				t.Errorf("the applicant downloads an internal file: %v", err)
			}
			if h := w.history(id); h[len(h)-1] != sponsorship.EventAttachmentAdded {
				t.Errorf("history %v", h)
			}
			_, otherToken := w.submit()
			if _, err := e.ApplicantAttachments(ctx, id, otherToken); !errors.Is(err, sponsorship.ErrNotFound) {
				t.Errorf("another applicant's token: %v", err)
			}
			if list, _ := e.StaffAttachments(ctx, id); len(list) != 1 || !list[0].Internal {
				t.Errorf("staff list %+v", list)
			}
		}},
		{"two uploads at once cannot both take the last place", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id, token := w.submit()
			for range sponsorship.MaxAttachments - 1 {
				_, err := e.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeQuote))
				w.must(err)
			}
			rivalEvidence := sponsorship.NewEvidence(w.store, f, w.clock.Now)
			w.racedBy(1, func() { _, _ = rivalEvidence.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeQuote)) })
			var conflict *sponsorship.ConflictError
			if _, err := e.ApplicantUpload(ctx, id, token, pdf(sponsorship.PurposeQuote)); !errors.As(err, &conflict) {
				t.Errorf("the loser of the race: %v", err)
			}
			if list, _ := e.StaffAttachments(ctx, id); len(list) != sponsorship.MaxAttachments {
				t.Errorf("%d files", len(list))
			}
		}},
		{"cleaned names", func(t *testing.T, w *world, e *sponsorship.Evidence, f *files) {
			id, token := w.submit()
			in := pdf(sponsorship.PurposeQuote)
			in.Name = `..\evil/"quo` + "\u202e" + `te".pdf`
			up, err := e.ApplicantUpload(ctx, id, token, in)
			w.must(err)
			if up.Attachment.Name != "quote.pdf" {
				t.Errorf("name %q", up.Attachment.Name)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			f := &files{}
			tt.check(t, w, sponsorship.NewEvidence(w.race, f, w.clock.Now), f)
		})
	}
}
