package sponsorship

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/evidence"
)

// Purpose says what an attachment is evidence of.
type Purpose string

// The purposes. Before a decision an applicant attaches what supports the request (a
// quote, a sponsorship prospectus); after approval, the evidence payment needs
// (invoices, receipts per cost line, the trip or post-event report, a milestone's report
// and deliverable). Staff attach internal notes and files of any purpose.
const (
	PurposeQuote           Purpose = "quote"
	PurposeProspectus      Purpose = "prospectus"
	PurposeInvoice         Purpose = "invoice"
	PurposeReceipt         Purpose = "receipt"
	PurposeTripReport      Purpose = "trip_report"
	PurposeEventReport     Purpose = "event_report"
	PurposeMilestoneReport Purpose = "milestone_report"
	PurposeDeliverable     Purpose = "deliverable"
	PurposeOther           Purpose = "other"
)

// Purposes lists every purpose.
var Purposes = []Purpose{PurposeQuote, PurposeProspectus, PurposeInvoice, PurposeReceipt, PurposeTripReport,
	PurposeEventReport, PurposeMilestoneReport, PurposeDeliverable, PurposeOther}

// beforeDecision are the purposes an applicant may attach before the committee decides.
var beforeDecision = []Purpose{PurposeQuote, PurposeProspectus, PurposeOther}

// AttachmentStatus is where an uploaded file stands: waiting for its upload and its
// check, accepted, or quarantined because its content is not what may be served.
type AttachmentStatus string

// The attachment statuses. Nothing is served before it is accepted.
const (
	AttachmentPending     AttachmentStatus = "pending"
	AttachmentAccepted    AttachmentStatus = "accepted"
	AttachmentQuarantined AttachmentStatus = "quarantined"
)

// Attachment is a file on a request. Its bytes live in the evidence bucket under Key;
// the record says who uploaded it and when, what it is evidence of, and what the check
// of its content found.
type Attachment struct {
	ID        string
	RequestID string
	Key       string // the object's key in the evidence bucket
	Name      string // the file name the uploader gave, for display and downloads
	Purpose   Purpose
	// CostLine and Milestone, when set, are the index (from 0) of the budget item or
	// project milestone the file belongs to.
	CostLine  *int
	Milestone *int
	// Internal files are the committee's and finance's: the applicant never sees them.
	Internal     bool
	DeclaredType string // the Content-Type the uploader announced, pinned by the upload's policy
	Status       AttachmentStatus
	Type         string // the type the content check found
	Size         int64
	SHA256       string // hex, of the bytes checked
	Reason       string // why a quarantined file was refused, for its uploader
	UploadedBy   Actor
	// UploaderEmail is where a quarantine notice goes: the applicant's address, or the
	// member of staff's.
	UploaderEmail string
	CreatedAt     time.Time
	CheckedAt     time.Time
	// ExpiresAt is set while the file is pending: an upload slot nobody used lapses
	// (the table's TTL removes it) and stops counting against the request's limit.
	ExpiresAt time.Time
}

// Live reports whether the attachment counts against its request's limit at now: it is
// accepted, or pending and its upload slot has not lapsed.
func (a Attachment) Live(now time.Time) bool {
	switch a.Status {
	case AttachmentAccepted:
		return true
	case AttachmentPending:
		return a.ExpiresAt.IsZero() || now.Before(a.ExpiresAt)
	}
	return false
}

// Limits of attachments.
const (
	// MaxAttachmentBytes is the largest file accepted, 10 MB: what the content check
	// reads.
	MaxAttachmentBytes = evidence.MaxSize
	// MaxAttachments is how many files a request may hold, pending ones included.
	MaxAttachments = 30
	// UploadWindow is how long an upload slot (its presigned POST) stays open.
	UploadWindow = 15 * time.Minute
	// DownloadWindow is how long a download link works.
	DownloadWindow = 5 * time.Minute
	maxFileName    = 200
)

// AttachmentTypes are the content types an upload may declare, as the content check
// names them: it accepts nothing else.
var AttachmentTypes = func() []string {
	var out []string
	for _, t := range evidence.Types() {
		out = append(out, t.MIME)
	}
	return out
}()

// UploadInput is what a caller sends to attach a file: its name, declared type and
// size, what it is evidence of, and (staff only) whether it is internal.
type UploadInput struct {
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Size      int64   `json:"size"`
	Purpose   Purpose `json:"purpose"`
	CostLine  *int    `json:"costLine,omitempty"`
	Milestone *int    `json:"milestone,omitempty"`
	Internal  *bool   `json:"internal,omitempty"`
}

// UploadForm is a presigned POST: the URL to send the form to and the fields to send
// before the file, valid until Expires.
type UploadForm struct {
	URL     string            `json:"url"`
	Fields  map[string]string `json:"fields"`
	Expires time.Time         `json:"expires"`
}

// Link is a short-lived download link.
type Link struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// Files is where attachments' bytes live (the evidence bucket): it signs uploads whose
// policy pins the key, the declared type and the size, and downloads that arrive as a
// file, never rendered in the browser.
type Files interface {
	UploadForm(ctx context.Context, key, contentType string, maxBytes int64, window time.Duration) (UploadForm, error)
	DownloadLink(ctx context.Context, key, fileName, contentType string, window time.Duration) (Link, error)
}

// AttachmentStore is what attachments need from storage.
type AttachmentStore interface {
	GetRequest(ctx context.Context, id string) (*Request, error)
	// Attachments lists a request's attachments, oldest first, in one query.
	Attachments(ctx context.Context, requestID string) ([]Attachment, error)
	// Apply writes the change; PutAttachment is written with it (see Change).
	Apply(ctx context.Context, c Change) error
}

// Evidence keeps the files attached to requests: it opens upload slots, lists and
// serves what the caller may see, and records what the content check found.
type Evidence struct {
	store AttachmentStore
	files Files
	clock Clock
}

// NewEvidence returns an Evidence over store and files, reading the time from clock.
func NewEvidence(store AttachmentStore, files Files, clock Clock) *Evidence {
	if store == nil || files == nil {
		panic("sponsorship: NewEvidence needs a store and files")
	}
	return &Evidence{store: store, files: files, clock: mustClock("NewEvidence", clock)}
}

// Upload is an open upload slot: the pending attachment and the form that sends it.
type Upload struct {
	Attachment Attachment
	Form       UploadForm
}

// ApplicantUpload opens an upload slot for the holder of a request's applicant token.
// Before the decision an applicant attaches supporting files (a quote, a prospectus);
// after approval, evidence for payment. A rejected or withdrawn request takes no files.
func (e *Evidence) ApplicantUpload(ctx context.Context, id, token string, in UploadInput) (Upload, error) {
	req, err := e.applicantRequest(ctx, id, token)
	if err != nil {
		return Upload{}, err
	}
	if in.Internal != nil && *in.Internal {
		return Upload{}, &ValidationError{Errors: []FieldError{{Field: "internal", Code: CodeNotAllowed, Message: "Only staff attach internal files."}}}
	}
	if req.Status == StatusRejected || req.Status == StatusWithdrawn {
		return Upload{}, &TransitionError{From: req.Status, Action: "attach a file"}
	}
	if req.Status.Decided() {
		return e.open(ctx, req, in, Actor{Role: RoleApplicant}, req.Applicant.Email, false, nil)
	}
	return e.open(ctx, req, in, Actor{Role: RoleApplicant}, req.Applicant.Email, false, beforeDecision)
}

// StaffUpload opens an upload slot for a member of staff; their files are internal
// unless they say otherwise.
func (e *Evidence) StaffUpload(ctx context.Context, id string, by Actor, email string, in UploadInput) (Upload, error) {
	req, err := e.staffRequest(ctx, id)
	if err != nil {
		return Upload{}, err
	}
	internal := in.Internal == nil || *in.Internal
	return e.open(ctx, req, in, by, email, internal, nil)
}

// open validates an upload, counts the request's files and opens the slot; purposes,
// when set, are the only ones allowed now.
func (e *Evidence) open(ctx context.Context, req *Request, in UploadInput, by Actor, email string, internal bool, purposes []Purpose) (Upload, error) {
	now := e.clock.at()
	if err := validateUpload(in, req, purposes); err != nil {
		return Upload{}, err
	}
	existing, err := e.store.Attachments(ctx, req.ID)
	if err != nil {
		return Upload{}, fmt.Errorf("list attachments: %w", err)
	}
	live := 0
	for _, a := range existing {
		if a.Live(now) {
			live++
		}
	}
	if live >= MaxAttachments {
		return Upload{}, &LimitError{What: "attachments", Limit: MaxAttachments}
	}
	id := NewID(now)
	a := Attachment{
		ID: id, RequestID: req.ID, Key: "requests/" + req.ID + "/" + id, Name: cleanFileName(in.Name),
		Purpose: in.Purpose, CostLine: in.CostLine, Milestone: in.Milestone, Internal: internal,
		DeclaredType: in.Type, Status: AttachmentPending, UploadedBy: by, UploaderEmail: email,
		CreatedAt: now, ExpiresAt: now.Add(UploadWindow + time.Hour),
	}
	if a.Purpose == "" {
		a.Purpose = PurposeOther
	}
	form, err := e.files.UploadForm(ctx, a.Key, a.DeclaredType, MaxAttachmentBytes, UploadWindow)
	if err != nil {
		return Upload{}, fmt.Errorf("sign upload: %w", err)
	}
	// The slot is written with the request's version bumped, so two uploads at once
	// cannot both take the last place.
	next := *req
	next.Version++
	next.UpdatedAt = now
	if err := e.store.Apply(ctx, Change{Request: &next, Touch: true, PutAttachment: &a}); err != nil {
		return Upload{}, err
	}
	return Upload{Attachment: a, Form: form}, nil
}

// validateUpload checks an upload's input, with every field error at once; purposes,
// when set, are the only ones allowed (before the committee decides).
func validateUpload(in UploadInput, req *Request, purposes []Purpose) error {
	var errs []FieldError
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		errs = append(errs, FieldError{Field: "name", Code: CodeRequired, Message: "Give the file's name."})
	case utf8.RuneCountInString(name) > maxFileName:
		errs = append(errs, FieldError{Field: "name", Code: CodeTooLong, Message: fmt.Sprintf("At most %d characters.", maxFileName)})
	}
	if !slices.Contains(AttachmentTypes, in.Type) {
		errs = append(errs, FieldError{Field: "type", Code: CodeUnknownValue,
			Message: "Attach a PDF, PNG, JPEG, WebP, plain text, CSV, XLSX or ODS file."})
	}
	switch {
	case in.Size <= 0:
		errs = append(errs, FieldError{Field: "size", Code: CodeRequired, Message: "Give the file's size in bytes; an empty file is not evidence."})
	case in.Size > MaxAttachmentBytes:
		errs = append(errs, FieldError{Field: "size", Code: CodeAboveCeiling, Message: "At most 10 MB a file."})
	}
	switch {
	case in.Purpose != "" && !slices.Contains(Purposes, in.Purpose):
		errs = append(errs, FieldError{Field: "purpose", Code: CodeUnknownValue, Message: "Not a purpose this request knows."})
	case in.Purpose != "" && purposes != nil && !slices.Contains(purposes, in.Purpose):
		errs = append(errs, FieldError{Field: "purpose", Code: CodeNotAllowed,
			Message: fmt.Sprintf("Before the committee decides, files are a quote, a prospectus or other supporting material, not %s.", in.Purpose)})
	}
	if in.CostLine != nil && (*in.CostLine < 0 || *in.CostLine >= len(req.BudgetItems)) {
		errs = append(errs, FieldError{Field: "costLine", Code: CodeUnknownValue, Message: "The request has no such cost line."})
	}
	if in.Milestone != nil && (req.Project == nil || *in.Milestone < 0 || *in.Milestone >= len(req.Project.Milestones)) {
		errs = append(errs, FieldError{Field: "milestone", Code: CodeUnknownValue, Message: "The request has no such milestone."})
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs}
	}
	return nil
}

// cleanFileName keeps a file name displayable and safe in a Content-Disposition: no
// path, no control or format characters, no quotes.
func cleanFileName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

// ApplicantAttachments lists the files the applicant may see: their request's, not the
// committee's internal ones.
func (e *Evidence) ApplicantAttachments(ctx context.Context, id, token string) ([]Attachment, error) {
	if _, err := e.applicantRequest(ctx, id, token); err != nil {
		return nil, err
	}
	all, err := e.store.Attachments(ctx, id)
	if err != nil {
		return nil, err
	}
	now := e.clock.at()
	var out []Attachment
	for _, a := range all {
		if !a.Internal && (a.Status != AttachmentPending || a.Live(now)) {
			out = append(out, a)
		}
	}
	return out, nil
}

// StaffAttachments lists every file of a request but lapsed upload slots.
func (e *Evidence) StaffAttachments(ctx context.Context, id string) ([]Attachment, error) {
	if _, err := e.staffRequest(ctx, id); err != nil {
		return nil, err
	}
	all, err := e.store.Attachments(ctx, id)
	if err != nil {
		return nil, err
	}
	now := e.clock.at()
	return slices.DeleteFunc(all, func(a Attachment) bool { return a.Status == AttachmentPending && !a.Live(now) }), nil
}

// ApplicantDownload is a download link to one of the applicant's own accepted files.
func (e *Evidence) ApplicantDownload(ctx context.Context, id, token, attachmentID string) (Link, error) {
	files, err := e.ApplicantAttachments(ctx, id, token)
	if err != nil {
		return Link{}, err
	}
	return e.download(ctx, files, attachmentID)
}

// StaffDownload is a download link to an accepted file of a request.
func (e *Evidence) StaffDownload(ctx context.Context, id, attachmentID string) (Link, error) {
	files, err := e.StaffAttachments(ctx, id)
	if err != nil {
		return Link{}, err
	}
	return e.download(ctx, files, attachmentID)
}

// LimitError refuses what would go past a limit: the files a request may hold.
type LimitError struct {
	What  string
	Limit int
}

func (e *LimitError) Error() string { return fmt.Sprintf("at most %d %s", e.Limit, e.What) }

// ErrNotChecked refuses to serve a file whose content has not been accepted.
var ErrNotChecked = errors.New("the file has not passed its check")

func (e *Evidence) download(ctx context.Context, files []Attachment, attachmentID string) (Link, error) {
	i := slices.IndexFunc(files, func(a Attachment) bool { return a.ID == attachmentID })
	if i < 0 {
		return Link{}, ErrNotFound
	}
	a := files[i]
	if a.Status != AttachmentAccepted {
		return Link{}, ErrNotChecked
	}
	return e.files.DownloadLink(ctx, a.Key, a.Name, a.Type, DownloadWindow)
}

// Verdict is what the check of an uploaded object's content found (package evidence
// decides it).
type Verdict = evidence.Verdict

// Checked records the check of an uploaded object, found by its key: the attachment
// becomes accepted or quarantined, and the request's history says so (a quarantine is
// visible to its uploader; an internal file's record is internal). An object no slot
// was opened for, or one already checked, is refused with ErrNotFound or a conflict.
func (e *Evidence) Checked(ctx context.Context, key string, v Verdict) (Attachment, error) {
	requestID, attachmentID, ok := parseAttachmentKey(key)
	if !ok {
		return Attachment{}, ErrNotFound
	}
	for attempt := 0; ; attempt++ {
		req, err := e.store.GetRequest(ctx, requestID)
		if err != nil {
			return Attachment{}, err
		}
		all, err := e.store.Attachments(ctx, requestID)
		if err != nil {
			return Attachment{}, err
		}
		i := slices.IndexFunc(all, func(a Attachment) bool { return a.ID == attachmentID })
		if i < 0 {
			return Attachment{}, ErrNotFound
		}
		a := all[i]
		if a.Status != AttachmentPending {
			return a, nil // a redelivered notification: the first check stands
		}
		now := e.clock.at()
		a.CheckedAt, a.ExpiresAt = now, time.Time{}
		a.Type, a.Size, a.SHA256 = v.Type, v.Size, v.SHA256
		evType := EventAttachmentAdded
		if v.Accepted {
			a.Status = AttachmentAccepted
		} else {
			a.Status, a.Reason, evType = AttachmentQuarantined, v.Reason, EventAttachmentQuarantined
		}
		next := *req
		next.Version++
		next.UpdatedAt = now
		ev := AuditEvent{RequestID: req.ID, Version: next.Version, Type: evType, Actor: a.UploadedBy, At: now,
			FromStatus: req.Status, ToStatus: req.Status, Internal: a.Internal,
			Data: map[string]string{"attachment": a.ID, "name": a.Name, "purpose": string(a.Purpose), "sha256": a.SHA256,
				"size": fmt.Sprint(a.Size), "type": a.Type}}
		if !v.Accepted {
			ev.Data["reason"] = a.Reason
		}
		err = e.store.Apply(ctx, Change{Request: &next, Events: []AuditEvent{ev}, PutAttachment: &a})
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < 3 {
			continue // someone else changed the request meanwhile: read again
		}
		if err != nil {
			return Attachment{}, err
		}
		return a, nil
	}
}

// parseAttachmentKey reads "requests/<request id>/<attachment id>".
func parseAttachmentKey(key string) (requestID, attachmentID string, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] != "requests" || !ValidID(parts[1]) || !ValidID(parts[2]) {
		return "", "", false
	}
	return parts[1], parts[2], true
}

func (e *Evidence) applicantRequest(ctx context.Context, id, token string) (*Request, error) {
	return applicantRequest(ctx, e.store, id, token, e.clock.at())
}

func (e *Evidence) staffRequest(ctx context.Context, id string) (*Request, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	req, err := e.store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if req.Expired(e.clock.at()) || req.Status == StatusUnconfirmed {
		return nil, ErrNotFound
	}
	return req, nil
}

// ArchiveFiles lists a request's accepted files for finance's evidence archive, in
// upload order, each under a folder of its reference and what it is evidence of
// ("ST-…/receipt, cost line 2/flight.pdf"), with the size and SHA-256 its check
// recorded, which the archive verifies again.
func (e *Evidence) ArchiveFiles(ctx context.Context, id string) (*Request, []evidence.ArchiveFile, error) {
	req, err := e.staffRequest(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	all, err := e.store.Attachments(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var out []evidence.ArchiveFile
	for _, a := range all {
		if a.Status != AttachmentAccepted {
			continue
		}
		folder := strings.ReplaceAll(string(a.Purpose), "_", " ")
		switch {
		case a.CostLine != nil:
			folder += fmt.Sprintf(", cost line %d", *a.CostLine+1)
		case a.Milestone != nil:
			folder += fmt.Sprintf(", milestone %d", *a.Milestone+1)
		}
		if a.Internal {
			folder = "internal/" + folder
		}
		out = append(out, evidence.ArchiveFile{Path: req.Reference + "/" + folder + "/" + a.Name, Key: a.Key, Size: a.Size,
			SHA256: a.SHA256, Type: a.Type, UploadedBy: string(a.UploadedBy.Role), UploadedAt: a.CreatedAt})
	}
	return req, out, nil
}
