package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/evidence"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/reports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// reportView is a report as the API shows it.
type reportView struct {
	Number         int                     `json:"number"`
	Milestone      *int                    `json:"milestone,omitempty"`
	State          sponsorship.ReportState `json:"state"`
	DueDate        string                  `json:"dueDate,omitempty"`
	Text           string                  `json:"text,omitempty"`
	Attendance     int                     `json:"attendance,omitempty"`
	DeliverableURL string                  `json:"deliverableUrl,omitempty"`
	Message        string                  `json:"message,omitempty"`
	SubmittedAt    *time.Time              `json:"submittedAt,omitempty"`
	DecidedAt      *time.Time              `json:"decidedAt,omitempty"`
}

// checklistView is one item of the evidence a request's kind asks for.
type checklistView struct {
	Key       string              `json:"key"`
	Label     string              `json:"label"`
	Purpose   sponsorship.Purpose `json:"purpose"`
	CostLine  *int                `json:"costLine,omitempty"`
	Milestone *int                `json:"milestone,omitempty"`
	Report    *int                `json:"report,omitempty"`
	Done      bool                `json:"done"`
	Files     []string            `json:"files"`
}

// progressView answers the evidence routes: where the request stands, its reports and
// its checklist.
type progressView struct {
	Status    sponsorship.Status `json:"status"`
	Version   int                `json:"version"`
	Reports   []reportView       `json:"reports"`
	Checklist []checklistView    `json:"checklist"`
}

func viewOfProgress(p sponsorship.Progress) progressView {
	v := progressView{Status: p.Request.Status, Version: p.Request.Version, Reports: []reportView{}, Checklist: []checklistView{}}
	when := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	for _, r := range p.Reports {
		rv := reportView{Number: r.Number, State: r.State, DueDate: r.DueDate, Text: r.Text, Attendance: r.Attendance,
			DeliverableURL: r.DeliverableURL, Message: r.Message, SubmittedAt: when(r.SubmittedAt), DecidedAt: when(r.DecidedAt)}
		if p.Request.Project != nil {
			rv.Milestone = &r.Number
		}
		v.Reports = append(v.Reports, rv)
	}
	for _, it := range p.Checklist {
		files := it.Files
		if files == nil {
			files = []string{}
		}
		v.Checklist = append(v.Checklist, checklistView{Key: it.Key, Label: it.Label, Purpose: it.Purpose, CostLine: it.CostLine,
			Milestone: it.Milestone, Report: it.Report, Done: it.Done, Files: files})
	}
	return v
}

// reportNumber reads the {report} path value: a report's number, from 0. Anything
// else names no report.
func reportNumber(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("report"))
	if err != nil || n < 0 || strconv.Itoa(n) != r.PathValue("report") {
		return 0, sponsorship.ErrNotFound
	}
	return n, nil
}

func (h applicantFiles) progress(w http.ResponseWriter, r *http.Request) error {
	p, err := h.evidence.ApplicantProgress(r.Context(), r.PathValue("id"), applicantToken(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewOfProgress(p))
	return nil
}

func (h applicantFiles) submitReport(w http.ResponseWriter, r *http.Request) error {
	if applicantToken(r) == "" {
		return sponsorship.ErrUnauthenticated
	}
	var in sponsorship.ReportInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	n, err := reportNumber(r)
	if err != nil {
		return err
	}
	p, err := h.evidence.SubmitReport(r.Context(), r.PathValue("id"), applicantToken(r), n, in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("report submitted", "id", r.PathValue("id"), "report", n)
	writeJSON(w, http.StatusOK, viewOfProgress(p))
	return nil
}

func (h staffFiles) progress(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.admit(r); err != nil {
		return err
	}
	p, err := h.evidence.StaffProgress(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewOfProgress(p))
	return nil
}

// judge answers a report's acceptance (accept) or a request for changes to it.
func (h staffFiles) judge(accept bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		admit := h.admit
		if h.admitJudge != nil {
			admit = h.admitJudge
		}
		who, err := admit(r)
		if err != nil {
			return err
		}
		var in sponsorship.ReportDecision
		if err := decodeJSON(r, &in, accept); err != nil {
			return err
		}
		in.Accept = accept
		n, err := reportNumber(r)
		if err != nil {
			return err
		}
		p, err := h.evidence.JudgeReport(r.Context(), r.PathValue("id"), n, who, in)
		if err != nil {
			return err
		}
		loggerFrom(r.Context()).Info("report judged", "id", r.PathValue("id"), "report", n, "accepted", accept, "staff", who.ID)
		writeJSON(w, http.StatusOK, viewOfProgress(p))
		return nil
	}
}

// Archiver publishes a ZIP of evidence files and returns a short-lived link to it.
type Archiver interface {
	Publish(ctx context.Context, name string, files []evidence.ArchiveFile) (string, time.Time, error)
}

// archiveView answers an evidence archive: where to download it, until when, and how
// many files it holds (with MANIFEST.csv beside them).
type archiveView struct {
	DownloadURL string    `json:"downloadUrl"`
	ExpiresAt   time.Time `json:"expiresAt"`
	Files       int       `json:"files"`
}

// archive answers finance's request for a request's evidence as one ZIP, written to
// the reports bucket as it streams, behind a link.
func (h staffFiles) archive(archiver Archiver) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := h.admit(r); err != nil {
			return err
		}
		req, files, err := h.evidence.ArchiveFiles(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		url, expires, err := archiver.Publish(r.Context(), req.Reference+"-evidence.zip", files)
		if err != nil {
			return err
		}
		loggerFrom(r.Context()).Info("evidence archived", "id", req.ID, "files", len(files))
		writeJSON(w, http.StatusOK, archiveView{DownloadURL: url, ExpiresAt: expires, Files: len(files)})
		return nil
	}
}

// MaxArchiveBytes bounds the files of a fiscal year's archive: it is written while the
// caller waits, within the finance function's 29 seconds. A request's archive holds at
// most 30 files of 10 MB and needs no bound.
const MaxArchiveBytes = 600 << 20

// yearArchive answers finance's request for the evidence of a fiscal year's payments
// as one ZIP: a folder per request paid that year.
func (h *financeAPI) yearArchive(w http.ResponseWriter, r *http.Request) error {
	if _, err := staffIn(r, sponsorship.GroupFinance); err != nil {
		return err
	}
	v, err := strictQuery(r, "fiscalYear")
	if err != nil {
		return err
	}
	year, err := strconv.Atoi(v.Get("fiscalYear"))
	if err != nil || year < 2000 || year > 2200 {
		return &sponsorship.ValidationError{Errors: []sponsorship.FieldError{{Field: "fiscalYear", Code: sponsorship.CodeInvalidFormat,
			Message: "Give the fiscal year, such as 2027."}}}
	}
	tooMany := func(message string) error {
		return &sponsorship.ValidationError{Errors: []sponsorship.FieldError{{Field: "fiscalYear", Code: sponsorship.CodeTooMany, Message: message}}}
	}
	ids, err := h.d.Reports.Builder.PaidRequests(r.Context(), year)
	var ceiling *reports.CeilingError
	switch {
	case errors.As(err, &ceiling) && ceiling.Report == "archive":
		return tooMany(fmt.Sprintf("The year's payments reach more than %d requests, the most one archive holds; download the requests' archives one by one.", ceiling.Limit))
	case errors.As(err, &ceiling):
		return tooMany(fmt.Sprintf("The year has more than %d payments, the most one call reads; download the requests' archives one by one.", ceiling.Limit))
	case err != nil:
		return err
	}
	var files []evidence.ArchiveFile
	var size int64
	for _, id := range ids {
		_, fs, err := h.d.Evidence.ArchiveFiles(r.Context(), id)
		if err != nil {
			return err
		}
		for _, f := range fs {
			size += f.Size
		}
		files = append(files, fs...)
	}
	if size > MaxArchiveBytes {
		return tooMany(fmt.Sprintf("The year's evidence is %d MB, more than the %d MB one archive is written in while you wait; download the requests' archives one by one.",
			size>>20, MaxArchiveBytes>>20))
	}
	url, expires, err := h.d.Archives.Publish(r.Context(), fmt.Sprintf("FY%d-evidence.zip", year), files)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("evidence archived", "fiscalYear", year, "requests", len(ids), "files", len(files))
	writeJSON(w, http.StatusOK, archiveView{DownloadURL: url, ExpiresAt: expires, Files: len(files)})
	return nil
}
