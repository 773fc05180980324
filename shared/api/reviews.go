package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// NewReviews returns the committee's API: the queue, a request's full dossier, votes,
// recusals, requests for changes and internal comments. Every route needs a staff JWT
// in the reviewers group.
func NewReviews(svc *sponsorship.ReviewService, log *slog.Logger) http.Handler {
	rt := newRouter()
	reviewRoutes(rt, &reviews{svc: svc})
	return withBasics(log, rt)
}

func reviewRoutes(rt *router, h *reviews) {
	rt.handle("GET /review/requests", h.queue)
	rt.handle("GET /review/requests/{id}", h.review)
	rt.handle("POST /review/requests/{id}/votes", h.vote)
	rt.handle("POST /review/requests/{id}/recusal", h.recuse)
	rt.handle("POST /review/requests/{id}/changes", h.changes)
	rt.handle("POST /review/requests/{id}/comments", h.comment)
}

type reviews struct {
	svc *sponsorship.ReviewService
}

// queueItem is one request in the review queue.
type queueItem struct {
	ID           string             `json:"id"`
	Reference    string             `json:"reference"`
	Kind         sponsorship.Kind   `json:"kind"`
	Title        string             `json:"title"`
	Status       sponsorship.Status `json:"status"`
	Organization string             `json:"organization"`
	Amount       money.Amount       `json:"amount"`
	FiscalYear   int                `json:"fiscalYear"`
	SubmittedAt  time.Time          `json:"submittedAt"`
	Round        int                `json:"round"`
	Votes        int                `json:"votes"`
	Voted        bool               `json:"voted"`
	Recused      bool               `json:"recused"` // by choice or by affiliation
}

type queuePage struct {
	Items      []queueItem `json:"items"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

func (h *reviews) queue(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupReviewers)
	if err != nil {
		return err
	}
	q, err := strictQuery(r, "status", "kind", "waiting", "order", "limit", "cursor")
	if err != nil {
		return err
	}
	query := sponsorship.QueueQuery{Status: sponsorship.StatusSubmitted, Limit: sponsorship.DefaultQueueLimit, Cursor: q.Get("cursor")}
	var fields []sponsorship.FieldError
	if s := q.Get("status"); s != "" {
		query.Status = sponsorship.Status(s)
		if !query.Status.Valid() {
			fields = append(fields, sponsorship.FieldError{Field: "status", Code: sponsorship.CodeUnknownValue, Message: "Use a status such as submitted or approved."})
		}
		if query.Status == sponsorship.StatusUnconfirmed {
			// Not the committee's business until its applicant confirms the address.
			fields = append(fields, sponsorship.FieldError{Field: "status", Code: sponsorship.CodeNotAllowed, Message: "Requests waiting for e-mail confirmation are not in the queue."})
		}
	}
	if k := q.Get("kind"); k != "" {
		query.Kind = sponsorship.Kind(k)
		if !query.Kind.Valid() {
			fields = append(fields, sponsorship.FieldError{Field: "kind", Code: sponsorship.CodeUnknownValue, Message: "Use conference, travel or project."})
		}
	}
	switch q.Get("waiting") {
	case "", "all":
	case "me":
		query.WaitingOnMe = true
	default:
		fields = append(fields, sponsorship.FieldError{Field: "waiting", Code: sponsorship.CodeUnknownValue, Message: "Use waiting=me for the requests waiting on your vote."})
	}
	switch q.Get("order") {
	case "", "oldest":
	case "newest":
		query.Newest = true
	default:
		fields = append(fields, sponsorship.FieldError{Field: "order", Code: sponsorship.CodeUnknownValue, Message: "Use oldest or newest."})
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > sponsorship.MaxQueueLimit {
			fields = append(fields, sponsorship.FieldError{Field: "limit", Code: sponsorship.CodeInvalidFormat, Message: "Use a page size from 1 to 100."})
		}
		query.Limit = n
	}
	if err := invalidQuery(fields); err != nil {
		return err
	}
	page, err := h.svc.Queue(r.Context(), who, query)
	if err != nil {
		return err
	}
	out := queuePage{Items: []queueItem{}, NextCursor: page.Next}
	me := page.Reviewer
	for _, req := range page.Items {
		out.Items = append(out.Items, queueItem{
			ID: req.ID, Reference: req.Reference, Kind: req.Kind, Title: req.Title, Status: req.Status,
			Organization: req.Applicant.Organization, Amount: req.Amount.Amount(), FiscalYear: req.FiscalYear,
			SubmittedAt: req.SubmittedAt, Round: req.Round, Votes: len(req.Voters),
			Voted:   contains(req.Voters, me.ID),
			Recused: contains(req.Recused, me.ID) || sponsorship.Conflicted(me.Company, req.Applicant.Organization),
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// staffEventView is a history entry as staff see it: with who acted and the internal
// events.
type staffEventView struct {
	eventView
	Internal bool              `json:"internal,omitempty"`
	Data     map[string]string `json:"data,omitempty"`
}

type voteView struct {
	ReviewerID   string             `json:"reviewerId"`
	ReviewerName string             `json:"reviewerName"`
	Company      string             `json:"company,omitempty"`
	Choice       sponsorship.Choice `json:"choice"`
	Amount       *money.Amount      `json:"amount,omitempty"`
	Comment      string             `json:"comment,omitempty"`
	At           time.Time          `json:"at"`
}

type recusalView struct {
	ReviewerID   string    `json:"reviewerId"`
	ReviewerName string    `json:"reviewerName"`
	Reason       string    `json:"reason"`
	Automatic    bool      `json:"automatic"`
	At           time.Time `json:"at,omitzero"`
}

type commentView struct {
	ID         string    `json:"id"`
	AuthorID   string    `json:"authorId"`
	AuthorName string    `json:"authorName"`
	Text       string    `json:"text"`
	At         time.Time `json:"at"`
}

type seatView struct {
	Company string             `json:"company"`
	Members []string           `json:"members"`
	Vote    sponsorship.Choice `json:"vote,omitempty"`
}

type tallyView struct {
	Seats         []seatView         `json:"seats"`
	Voted         int                `json:"voted"`
	Approving     int                `json:"approving"`
	Rejecting     int                `json:"rejecting"`
	Abstaining    int                `json:"abstaining"`
	QuorumReached bool               `json:"quorumReached"`
	Outcome       sponsorship.Status `json:"outcome"`
	Amount        *money.Amount      `json:"amount,omitempty"`
	Recused       []recusalView      `json:"recused"`
}

type standingView struct {
	ReviewerID string       `json:"reviewerId"`
	CanAct     bool         `json:"canAct"`
	Vote       *voteView    `json:"vote,omitempty"`
	Recusal    *recusalView `json:"recusal,omitempty"`
}

type reviewView struct {
	Request  requestView      `json:"request"`
	Tally    tallyView        `json:"tally"`
	Votes    []voteView       `json:"votes"`
	Recusals []recusalView    `json:"recusals"`
	Comments []commentView    `json:"comments"`
	History  []staffEventView `json:"history"`
	You      standingView     `json:"you"`
}

func toVoteView(v sponsorship.Vote) voteView {
	out := voteView{ReviewerID: v.ReviewerID, ReviewerName: v.ReviewerName, Company: v.Company, Choice: v.Choice, Comment: v.Comment, At: v.At}
	if v.Amount != nil {
		a := v.Amount.Amount()
		out.Amount = &a
	}
	return out
}

func toRecusalView(r sponsorship.Recusal) recusalView {
	return recusalView{ReviewerID: r.ReviewerID, ReviewerName: r.ReviewerName, Reason: r.Reason, Automatic: r.Automatic, At: r.At}
}

func toTallyView(t sponsorship.Tally) tallyView {
	out := tallyView{Seats: []seatView{}, Voted: t.Voted, Approving: t.Approving, Rejecting: t.Rejecting, Abstaining: t.Abstaining,
		QuorumReached: t.QuorumReached, Outcome: t.Outcome, Recused: []recusalView{}}
	for _, s := range t.Seats {
		out.Seats = append(out.Seats, seatView{Company: s.Company, Members: s.Members, Vote: s.Vote})
	}
	if t.Amount != nil {
		a := t.Amount.Amount()
		out.Amount = &a
	}
	for _, r := range t.Recused {
		out.Recused = append(out.Recused, toRecusalView(r))
	}
	return out
}

func (h *reviews) review(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupReviewers)
	if err != nil {
		return err
	}
	rv, err := h.svc.Review(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := reviewView{Request: applicantRequestView(rv.Request, nil), Tally: toTallyView(rv.Tally),
		Votes: []voteView{}, Recusals: []recusalView{}, Comments: []commentView{}, History: []staffEventView{},
		You: standingView{ReviewerID: rv.Standing.Reviewer.ID, CanAct: rv.Standing.CanAct()}}
	for _, v := range rv.Votes {
		out.Votes = append(out.Votes, toVoteView(v))
	}
	for _, rec := range rv.Recusals {
		out.Recusals = append(out.Recusals, toRecusalView(rec))
	}
	for _, c := range rv.Comments {
		out.Comments = append(out.Comments, commentView{ID: c.ID, AuthorID: c.AuthorID, AuthorName: c.AuthorName, Text: c.Text, At: c.At})
	}
	for _, ev := range rv.History {
		out.History = append(out.History, staffEventView{eventView: eventView{
			Version: ev.Version, Type: ev.Type, At: ev.At, Actor: ev.Actor, FromStatus: ev.FromStatus, ToStatus: ev.ToStatus,
			Message: ev.Message, Changed: ev.Changed}, Internal: ev.Internal, Data: ev.Data})
	}
	if v := rv.Standing.Vote; v != nil {
		vv := toVoteView(*v)
		out.You.Vote = &vv
	}
	if rec := rv.Standing.Recusal; rec != nil {
		rv := toRecusalView(*rec)
		out.You.Recusal = &rv
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// outcomeView answers a vote or a recusal: where the request stands now.
type outcomeView struct {
	Status         sponsorship.Status `json:"status"`
	Version        int                `json:"version"`
	Vote           *voteView          `json:"vote,omitempty"`
	Tally          tallyView          `json:"tally"`
	ApprovedAmount *money.Amount      `json:"approvedAmount,omitempty"`
}

func writeOutcome(w http.ResponseWriter, o sponsorship.Outcome) {
	out := outcomeView{Status: o.Request.Status, Version: o.Request.Version, Tally: toTallyView(o.Tally)}
	if o.Vote != nil {
		v := toVoteView(*o.Vote)
		out.Vote = &v
	}
	if o.Request.Approved != nil {
		a := o.Request.Approved.Amount()
		out.ApprovedAmount = &a
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *reviews) vote(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupReviewers)
	if err != nil {
		return err
	}
	var in sponsorship.VoteInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	o, err := h.svc.Vote(r.Context(), who, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("vote recorded", "id", r.PathValue("id"), "status", o.Request.Status)
	writeOutcome(w, o)
	return nil
}

// recusalInput is the body of a recusal.
type recusalInput struct {
	Reason string `json:"reason"`
}

func (h *reviews) recuse(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupReviewers)
	if err != nil {
		return err
	}
	var in recusalInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	o, err := h.svc.Recuse(r.Context(), who, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	writeOutcome(w, o)
	return nil
}

// changesInput is the body of a request for changes.
type changesInput struct {
	Message string `json:"message"`
}

func (h *reviews) changes(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupReviewers)
	if err != nil {
		return err
	}
	var in changesInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	req, err := h.svc.RequestChanges(r.Context(), who, r.PathValue("id"), in.Message)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, applicantRequestView(req, nil))
	return nil
}

// commentInput is the body of an internal comment.
type commentInput struct {
	Text string `json:"text"`
}

func (h *reviews) comment(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupReviewers)
	if err != nil {
		return err
	}
	var in commentInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	c, err := h.svc.AddComment(r.Context(), who, r.PathValue("id"), in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, commentView{ID: c.ID, AuthorID: c.AuthorID, AuthorName: c.AuthorName, Text: c.Text, At: c.At})
	return nil
}
