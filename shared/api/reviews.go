package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// NewReviews returns the committee's API: the queue, a request's full dossier, votes,
// recusals, requests for changes and internal comments; with evidence, the request's
// attachments too. Every route needs a staff JWT in the reviewers group.
func NewReviews(svc *sponsorship.ReviewService, evidence *sponsorship.Evidence, log *slog.Logger) http.Handler {
	rt := newRouter()
	reviewRoutes(rt, &reviews{svc: svc})
	if evidence != nil {
		reviewerFiles(evidence, svc).routes(rt)
	}
	return withBasics(log, rt)
}

func reviewRoutes(rt *router, h *reviews) {
	rt.handle("GET /review/requests", h.queue)
	rt.handle("GET /review/requests/{id}", h.review)
	rt.handle("POST /review/requests/{id}/votes", h.vote)
	rt.handle("POST /review/requests/{id}/recusal", h.recuse)
	rt.handle("POST /review/requests/{id}/no-conflict", h.declare)
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
	Recused      bool               `json:"recused"` // by choice or by their company
	// PossibleConflict: the caller's company may be the applicant's; they must declare
	// no conflict or recuse before voting.
	PossibleConflict bool `json:"possibleConflict"`
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
	query.Limit = pageLimit(q, &fields)
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
		conflict := page.Directory.ConflictOf(me, req.Applicant).Level
		out.Items = append(out.Items, queueItem{
			ID: req.ID, Reference: req.Reference, Kind: req.Kind, Title: req.Title, Status: req.Status,
			Organization: req.Applicant.Organization, Amount: req.Amount.Amount(), FiscalYear: req.FiscalYear,
			SubmittedAt: req.SubmittedAt, Round: req.Round, Votes: len(req.Voters),
			Voted:            contains(req.Voters, me.ID),
			Recused:          contains(req.Recused, me.ID) || conflict == sponsorship.ExactConflict,
			PossibleConflict: conflict == sponsorship.PossibleConflict && !contains(req.Recused, me.ID),
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
	CompanyID string             `json:"companyId,omitempty"`
	Company   string             `json:"company"`
	Members   []string           `json:"members"`
	Names     []string           `json:"memberNames"`
	Vote      sponsorship.Choice `json:"vote,omitempty"`
}

// declarationView is a reviewer's declaration that a possible conflict is none.
type declarationView struct {
	ReviewerID   string    `json:"reviewerId"`
	ReviewerName string    `json:"reviewerName"`
	CompanyID    string    `json:"companyId"`
	Reason       string    `json:"reason"`
	At           time.Time `json:"at"`
}

func toDeclarationView(d *sponsorship.Declaration) *declarationView {
	if d == nil {
		return nil
	}
	return &declarationView{ReviewerID: d.ReviewerID, ReviewerName: d.ReviewerName, CompanyID: d.CompanyID, Reason: d.Reason, At: d.At}
}

// possibleConflictView is a possible conflict of a reviewer's company with the applicant.
type possibleConflictView struct {
	CompanyID string `json:"companyId"`
	Company   string `json:"company"`
	Reason    string `json:"reason"`
}

// conflictView is a company of the roster that is (exact) or may be (possible) the
// applicant's, and where each of its reviewers stands.
type conflictView struct {
	CompanyID string               `json:"companyId"`
	Company   string               `json:"company"`
	Level     string               `json:"level"`
	Reason    string               `json:"reason"`
	Reviewers []conflictedReviewer `json:"reviewers"`
}

type conflictedReviewer struct {
	ReviewerID   string `json:"reviewerId"`
	ReviewerName string `json:"reviewerName"`
	// Settled: "recused", "no_conflict", or "" while a possible conflict waits.
	Settled     string           `json:"settled,omitempty"`
	Declaration *declarationView `json:"declaration,omitempty"`
}

func toConflictView(cc sponsorship.CompanyConflict) conflictView {
	v := conflictView{CompanyID: cc.Conflict.Company.ID, Company: cc.Conflict.Company.Name, Level: string(cc.Conflict.Level),
		Reason: cc.Conflict.Reason, Reviewers: []conflictedReviewer{}}
	for _, st := range cc.Reviewers {
		r := conflictedReviewer{ReviewerID: st.Reviewer.ID, ReviewerName: st.Reviewer.Name, Declaration: toDeclarationView(st.Declaration)}
		switch {
		case st.Recusal != nil:
			r.Settled = "recused"
		case st.Declaration != nil:
			r.Settled = "no_conflict"
		}
		v.Reviewers = append(v.Reviewers, r)
	}
	return v
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
	// Unsettled lists reviewers with a possible conflict they have not settled; their
	// votes wait until they declare no conflict.
	Unsettled []string `json:"unsettled"`
}

type standingView struct {
	ReviewerID       string                `json:"reviewerId"`
	CanAct           bool                  `json:"canAct"`
	Vote             *voteView             `json:"vote,omitempty"`
	Recusal          *recusalView          `json:"recusal,omitempty"`
	PossibleConflict *possibleConflictView `json:"possibleConflict,omitempty"`
	Declaration      *declarationView      `json:"declaration,omitempty"`
}

func toStandingView(st sponsorship.Standing) standingView {
	v := standingView{ReviewerID: st.Reviewer.ID, CanAct: st.CanAct(), Declaration: toDeclarationView(st.Declaration)}
	if c := st.Conflict; c.Level == sponsorship.PossibleConflict {
		v.PossibleConflict = &possibleConflictView{CompanyID: c.Company.ID, Company: c.Company.Name, Reason: c.Reason}
	}
	if st.Vote != nil {
		vv := toVoteView(*st.Vote)
		v.Vote = &vv
	}
	if st.Recusal != nil {
		rv := toRecusalView(*st.Recusal)
		v.Recusal = &rv
	}
	return v
}

type reviewView struct {
	Request   requestView      `json:"request"`
	Round     int              `json:"round"` // the review round: votes of earlier rounds do not count
	Tally     tallyView        `json:"tally"`
	Conflicts []conflictView   `json:"conflicts"`
	Votes     []voteView       `json:"votes"`
	Recusals  []recusalView    `json:"recusals"`
	Comments  []commentView    `json:"comments"`
	History   []staffEventView `json:"history"`
	You       standingView     `json:"you"`
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
		QuorumReached: t.QuorumReached, Outcome: t.Outcome, Recused: []recusalView{}, Unsettled: []string{}}
	for _, s := range t.Seats {
		out.Seats = append(out.Seats, seatView{CompanyID: s.CompanyID, Company: s.Company, Members: s.Members, Names: s.Names, Vote: s.Vote})
	}
	for _, u := range t.Unsettled {
		out.Unsettled = append(out.Unsettled, u.Reviewer.ID)
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
	out := reviewView{Request: applicantRequestView(rv.Request, nil), Round: rv.Request.Round, Tally: toTallyView(rv.Tally), Conflicts: []conflictView{},
		Votes: []voteView{}, Recusals: []recusalView{}, Comments: []commentView{}, History: []staffEventView{},
		You: toStandingView(rv.Standing)}
	for _, cc := range rv.Conflicts {
		out.Conflicts = append(out.Conflicts, toConflictView(cc))
	}
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

// declarationInput is the body of a declaration of no conflict.
type declarationInput struct {
	Reason string `json:"reason"`
}

func (h *reviews) declare(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupReviewers)
	if err != nil {
		return err
	}
	var in declarationInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	o, err := h.svc.DeclareNoConflict(r.Context(), who, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("no conflict declared", "id", r.PathValue("id"), "status", o.Request.Status)
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
