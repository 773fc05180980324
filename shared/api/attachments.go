package api

import (
	"net/http"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// attachmentView is an attachment as the API shows it. Internal is the staff's view
// only; an applicant never receives internal files.
type attachmentView struct {
	ID        string                       `json:"id"`
	Name      string                       `json:"name"`
	Purpose   sponsorship.Purpose          `json:"purpose"`
	CostLine  *int                         `json:"costLine,omitempty"`
	Milestone *int                         `json:"milestone,omitempty"`
	Internal  bool                         `json:"internal"`
	Status    sponsorship.AttachmentStatus `json:"status"`
	// Type, Size and SHA256 are what the content check found; Reason says why a file
	// was quarantined.
	Type       string     `json:"type,omitempty"`
	Size       int64      `json:"size,omitempty"`
	SHA256     string     `json:"sha256,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	UploadedBy string     `json:"uploadedBy"` // the uploader's role
	CreatedAt  time.Time  `json:"createdAt"`
	CheckedAt  *time.Time `json:"checkedAt,omitempty"`
}

func viewOfAttachment(a sponsorship.Attachment) attachmentView {
	v := attachmentView{ID: a.ID, Name: a.Name, Purpose: a.Purpose, CostLine: a.CostLine, Milestone: a.Milestone,
		Internal: a.Internal, Status: a.Status, Type: a.Type, Size: a.Size, SHA256: a.SHA256, Reason: a.Reason,
		UploadedBy: string(a.UploadedBy.Role), CreatedAt: a.CreatedAt}
	if !a.CheckedAt.IsZero() {
		v.CheckedAt = &a.CheckedAt
	}
	return v
}

// uploadView answers an upload: the pending attachment and the form that sends the
// file (POST to url as multipart/form-data: every field, then the file as "file").
type uploadView struct {
	Attachment attachmentView         `json:"attachment"`
	Upload     sponsorship.UploadForm `json:"upload"`
}

type attachmentList struct {
	Items []attachmentView `json:"items"`
}

func listOf(as []sponsorship.Attachment) attachmentList {
	out := attachmentList{Items: []attachmentView{}}
	for _, a := range as {
		out.Items = append(out.Items, viewOfAttachment(a))
	}
	return out
}

// WithEvidence adds the applicant's attachment routes: upload slots, their list and
// download links.
func WithEvidence(e *sponsorship.Evidence) SubmissionsOption {
	return func(s *submissions) { s.files = &applicantFiles{evidence: e} }
}

// applicantFiles are the applicant's attachment routes on their request.
type applicantFiles struct {
	evidence *sponsorship.Evidence
}

func (h applicantFiles) routes(rt *router) {
	rt.handle("POST /requests/{id}/attachments", h.upload)
	rt.handle("GET /requests/{id}/attachments", h.list)
	rt.handle("GET /requests/{id}/attachments/{attachment}/download", h.download)
	rt.handle("GET /requests/{id}/evidence", h.progress)
	rt.handle("POST /requests/{id}/reports/{report}", h.submitReport)
}

func (h applicantFiles) upload(w http.ResponseWriter, r *http.Request) error {
	if applicantToken(r) == "" {
		return sponsorship.ErrUnauthenticated
	}
	var in sponsorship.UploadInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	up, err := h.evidence.ApplicantUpload(r.Context(), r.PathValue("id"), applicantToken(r), in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("upload opened", "id", r.PathValue("id"), "attachment", up.Attachment.ID)
	writeJSON(w, http.StatusCreated, uploadView{Attachment: viewOfAttachment(up.Attachment), Upload: up.Form})
	return nil
}

func (h applicantFiles) list(w http.ResponseWriter, r *http.Request) error {
	files, err := h.evidence.ApplicantAttachments(r.Context(), r.PathValue("id"), applicantToken(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(files))
	return nil
}

func (h applicantFiles) download(w http.ResponseWriter, r *http.Request) error {
	link, err := h.evidence.ApplicantDownload(r.Context(), r.PathValue("id"), applicantToken(r), r.PathValue("attachment"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, link)
	return nil
}

// staffFiles are the attachment routes of the committee (under /review) or finance
// (under /finance): every file of a request, internal ones included.
type staffFiles struct {
	evidence *sponsorship.Evidence
	prefix   string // "/review" or "/finance"
	// admit resolves the caller and decides whether they may act on the request's
	// files: a reviewer as on its dossier (not recused), finance by group.
	admit func(r *http.Request) (sponsorship.Actor, error)
	// admitJudge, when set, admits the caller to accept or send back a report instead.
	admitJudge func(r *http.Request) (sponsorship.Actor, error)
}

// reviewerFiles admits reviewers as the dossier does.
func reviewerFiles(e *sponsorship.Evidence, svc *sponsorship.ReviewService) staffFiles {
	return staffFiles{evidence: e, prefix: "/review", admit: func(r *http.Request) (sponsorship.Actor, error) {
		who, err := staffFrom(r)
		if err != nil {
			return sponsorship.Actor{}, err
		}
		return svc.Admit(r.Context(), who, r.PathValue("id"))
	}}
}

// financeFiles admits the finance group; a report is judged only by finance who may
// pay the request (payments.AdmitJudge).
func financeFiles(e *sponsorship.Evidence, payments *sponsorship.FinanceService) staffFiles {
	return staffFiles{evidence: e, prefix: "/finance", admit: func(r *http.Request) (sponsorship.Actor, error) {
		who, err := staffIn(r, sponsorship.GroupFinance)
		if err != nil {
			return sponsorship.Actor{}, err
		}
		return sponsorship.Actor{Role: sponsorship.RoleFinance, ID: who.ID}, nil
	}, admitJudge: func(r *http.Request) (sponsorship.Actor, error) {
		who, err := staffIn(r, sponsorship.GroupFinance)
		if err != nil {
			return sponsorship.Actor{}, err
		}
		return payments.AdmitJudge(r.Context(), who, r.PathValue("id"))
	}}
}

func (h staffFiles) routes(rt *router) {
	rt.handle("POST "+h.prefix+"/requests/{id}/attachments", h.upload)
	rt.handle("GET "+h.prefix+"/requests/{id}/attachments", h.list)
	rt.handle("GET "+h.prefix+"/requests/{id}/attachments/{attachment}/download", h.download)
	rt.handle("GET "+h.prefix+"/requests/{id}/evidence", h.progress)
	rt.handle("POST "+h.prefix+"/requests/{id}/reports/{report}/accept", h.judge(true))
	rt.handle("POST "+h.prefix+"/requests/{id}/reports/{report}/changes", h.judge(false))
}

func (h staffFiles) upload(w http.ResponseWriter, r *http.Request) error {
	who, err := h.admit(r)
	if err != nil {
		return err
	}
	var in sponsorship.UploadInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	up, err := h.evidence.StaffUpload(r.Context(), r.PathValue("id"), who, "", in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("upload opened", "id", r.PathValue("id"), "attachment", up.Attachment.ID, "staff", who.ID)
	writeJSON(w, http.StatusCreated, uploadView{Attachment: viewOfAttachment(up.Attachment), Upload: up.Form})
	return nil
}

func (h staffFiles) list(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.admit(r); err != nil {
		return err
	}
	files, err := h.evidence.StaffAttachments(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(files))
	return nil
}

func (h staffFiles) download(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.admit(r); err != nil {
		return err
	}
	link, err := h.evidence.StaffDownload(r.Context(), r.PathValue("id"), r.PathValue("attachment"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, link)
	return nil
}
