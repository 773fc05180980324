package sponsorship

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

// ReviewStore is what the committee's work needs from storage.
type ReviewStore interface {
	// Ballots reads a request with its votes (all rounds), recorded recusals and
	// declarations of no conflict, in one read; comments, history and payments are left
	// out.
	Ballots(ctx context.Context, id string) (*Dossier, error)
	// Dossier reads everything about a request: votes, recusals, comments and history.
	Dossier(ctx context.Context, id string) (*Dossier, error)
	// Queue lists requests by status, oldest or newest first, a page at a time.
	Queue(ctx context.Context, q QueueQuery) (QueuePage, error)
	// Directory reads the roster with the companies, in one read.
	Directory(ctx context.Context) (Directory, error)
	Governance(ctx context.Context) (Governance, error)
	Apply(ctx context.Context, c Change) error
}

// Staff is an authenticated member of staff, as the API's authorizer vouches for them:
// their sign-in subject and groups. Their name comes from the roster (Directory).
type Staff struct {
	ID     string // the JWT subject
	Groups []string
}

// In reports whether the member of staff belongs to a group.
func (s Staff) In(group string) bool { return slices.Contains(s.Groups, group) }

// Cognito groups that grant roles.
const (
	GroupReviewers = "reviewers"
	GroupFinance   = "finance"
	GroupAdmins    = "admins"
)

// Dossier is a request with everything the committee knows about it.
type Dossier struct {
	Request      *Request
	Votes        []Vote    // of the current round (all rounds from ReviewStore.Ballots)
	Recusals     []Recusal // recorded ones
	Declarations []Declaration
	Comments     []Comment
	Payments     []Payment
	History      []AuditEvent
}

// QueueQuery selects a page of the review queue.
type QueueQuery struct {
	Status Status
	Kind   Kind // "" for every kind
	// WaitingOnMe keeps the requests the calling reviewer has neither voted on in the
	// current round nor is recused from (explicitly or by affiliation).
	WaitingOnMe bool
	// WaitingOn is the calling reviewer, filled in by the service for the store.
	WaitingOn *Waiter
	Newest    bool
	Limit     int
	Cursor    string
}

// Waiter is what the store needs to leave out the requests not waiting on a reviewer:
// their id, and their company's name keys and e-mail domains (requests of that company
// recuse them).
type Waiter struct {
	ReviewerID string
	OrgKeys    []string
	Domains    []string
}

// QueuePage is one page of the queue; Next is the cursor of the following page, "" at
// the end.
type QueuePage struct {
	Items []*Request
	Next  string
	// Reviewer is the caller's roster entry and Directory the roster, so a page can
	// show what concerns the caller.
	Reviewer  Reviewer
	Directory Directory
}

// ReviewService applies the committee's rules: who may act, the decision rule, and
// budget-aware approval.
type ReviewService struct {
	store ReviewStore
	clock Clock
}

// NewReviewService returns a ReviewService over store, reading the time from clock.
func NewReviewService(store ReviewStore, clock Clock) *ReviewService {
	return &ReviewService{store: committeeStore{store}, clock: mustClock("NewReviewService", clock)}
}

// now is the current time as the service records it (see Clock).
func (s *ReviewService) now() time.Time { return s.clock.at() }

// Queue limits.
const (
	DefaultQueueLimit = 25
	MaxQueueLimit     = 100
	maxComment        = 5000
	maxReason         = 1000
)

// Queue returns a page of the review queue for a reviewer.
func (s *ReviewService) Queue(ctx context.Context, who Staff, q QueueQuery) (QueuePage, error) {
	me, dir, err := s.member(ctx, who)
	if err != nil {
		return QueuePage{}, err
	}
	q.WaitingOn = nil
	if q.WaitingOnMe {
		q.WaitingOn = &Waiter{ReviewerID: me.ID}
		if c, ok := dir.Affiliation(me); ok {
			q.WaitingOn.OrgKeys, q.WaitingOn.Domains = c.Keys(), c.Domains
		}
	}
	page, err := s.store.Queue(ctx, q)
	page.Reviewer, page.Directory = me, dir
	return page, err
}

// member finds the caller on the roster, which it reads once and returns for the
// decision rule.
func (s *ReviewService) member(ctx context.Context, who Staff) (Reviewer, Directory, error) {
	if !who.In(GroupReviewers) {
		return Reviewer{}, Directory{}, &ForbiddenError{Reason: "only members of the reviewers group review requests"}
	}
	dir, err := s.store.Directory(ctx)
	if err != nil {
		return Reviewer{}, Directory{}, fmt.Errorf("read roster: %w", err)
	}
	r, ok := dir.Member(who.ID)
	switch {
	case !ok:
		return Reviewer{}, Directory{}, &ForbiddenError{Reason: "you are not on the reviewer roster; an admin can add you"}
	case !r.Active:
		return Reviewer{}, Directory{}, &ForbiddenError{Reason: "your place on the reviewer roster is inactive"}
	case !r.Reviews():
		return Reviewer{}, Directory{}, &ForbiddenError{Reason: "you are on the roster, but not as a reviewer; an admin can change that"}
	}
	return r, dir, nil
}

// Standing is what the caller may do on a request.
type Standing struct {
	Reviewer Reviewer
	Vote     *Vote
	Recusal  *Recusal // explicit, or automatic for an exact conflict
	// Conflict is a possible conflict of the reviewer's company with the applicant
	// (Level possible), or none; Declaration is the reviewer's declaration that it is
	// none, when they made one about this applicant.
	Conflict    Conflict
	Declaration *Declaration
}

// Unsettled reports a possible conflict the reviewer has not declared "no conflict" on.
func (st Standing) Unsettled() bool {
	return st.Recusal == nil && st.Conflict.Level == PossibleConflict && st.Declaration == nil
}

// CanAct reports whether the reviewer may vote, comment or ask for changes: not
// recused, and any possible conflict settled.
func (st Standing) CanAct() bool { return st.Recusal == nil && !st.Unsettled() }

// CompanyConflict is a company of the roster that is, or may be, the applicant's, with
// where each of its reviewers stands: shown in the dossier to the whole committee.
type CompanyConflict struct {
	Conflict  Conflict
	Reviewers []Standing
}

// Review is a dossier as one reviewer sees it: the tally under the rule, the companies
// in conflict with the applicant, and their own standing.
type Review struct {
	Dossier
	Tally     Tally
	Conflicts []CompanyConflict
	Standing  Standing
}

// Review returns a request's dossier for a reviewer. A reviewer recused from the request,
// by choice or by affiliation, is kept out of the committee's deliberation on it.
func (s *ReviewService) Review(ctx context.Context, who Staff, id string) (Review, error) {
	me, dir, err := s.member(ctx, who)
	if err != nil {
		return Review{}, err
	}
	if !ValidID(id) {
		return Review{}, ErrNotFound
	}
	d, err := s.store.Dossier(ctx, id)
	if err != nil {
		return Review{}, fmt.Errorf("read %s: %w", id, err)
	}
	gov, err := s.governance(ctx)
	if err != nil {
		return Review{}, err
	}
	st := standing(dir, me, d)
	if st.Recusal != nil {
		return Review{}, &ForbiddenError{Reason: "you are recused from this request: " + st.Recusal.Reason}
	}
	return Review{Dossier: *d, Tally: decide(d, dir, gov), Conflicts: conflicts(dir, d), Standing: st}, nil
}

// Admit lets a reviewer at a request's files as at its dossier: a member of the roster
// who reviews, not recused from it. It returns them as the actor of what they do there.
func (s *ReviewService) Admit(ctx context.Context, who Staff, id string) (Actor, error) {
	me, dir, err := s.member(ctx, who)
	if err != nil {
		return Actor{}, err
	}
	if !ValidID(id) {
		return Actor{}, ErrNotFound
	}
	d, err := s.store.Ballots(ctx, id)
	if err != nil {
		return Actor{}, fmt.Errorf("read %s: %w", id, err)
	}
	if st := standing(dir, me, d); st.Recusal != nil {
		return Actor{}, &ForbiddenError{Reason: "you are recused from this request: " + st.Recusal.Reason}
	}
	return Actor{Role: RoleReviewer, ID: me.ID, Name: me.Name}, nil
}

// conflicts lists the companies of the roster that are or may be the applicant's, with
// their reviewers' standings.
func conflicts(dir Directory, d *Dossier) []CompanyConflict {
	var out []CompanyConflict
	for _, c := range dir.Companies {
		cc := CompanyConflict{Conflict: ConflictWith(c, d.Request.Applicant)}
		if cc.Conflict.Level == NoConflict {
			continue
		}
		for _, r := range dir.Reviewers {
			if r.CompanyID == c.ID && r.Reviews() {
				cc.Reviewers = append(cc.Reviewers, standing(dir, r, d))
			}
		}
		if len(cc.Reviewers) > 0 {
			out = append(out, cc)
		}
	}
	return out
}

func (s *ReviewService) governance(ctx context.Context) (Governance, error) {
	gov, err := s.store.Governance(ctx)
	if err != nil {
		return Governance{}, fmt.Errorf("read governance: %w", err)
	}
	return gov, nil
}

// currentVotes keeps the votes of the request's current round.
func currentVotes(req *Request, votes []Vote) []Vote {
	var out []Vote
	for _, v := range votes {
		if v.Round == req.Round {
			out = append(out, v)
		}
	}
	return out
}

func decide(d *Dossier, dir Directory, gov Governance) Tally {
	return Decide(DecisionInput{
		Directory: dir, Votes: currentVotes(d.Request, d.Votes), Recusals: explicitOnly(d.Recusals),
		Declarations: d.Declarations, Applicant: d.Request.Applicant, QuorumPercent: gov.QuorumPercent,
		Requested: d.Request.Amount,
	})
}

// explicitOnly drops recorded automatic recusals: the rule derives those from the
// roster as it is now.
func explicitOnly(recusals []Recusal) []Recusal {
	var out []Recusal
	for _, r := range recusals {
		if !r.Automatic {
			out = append(out, r)
		}
	}
	return out
}

// standing works out where a reviewer stands on a request: their vote of this round,
// an explicit recusal, an exact conflict (an automatic recusal) or a possible one, and
// their declaration of no conflict.
func standing(dir Directory, me Reviewer, d *Dossier) Standing {
	req := d.Request
	st := Standing{Reviewer: me}
	for _, v := range currentVotes(req, d.Votes) {
		if v.ReviewerID == me.ID {
			st.Vote = &v
		}
	}
	for _, r := range d.Recusals {
		if r.ReviewerID == me.ID && !r.Automatic {
			st.Recusal = &r
		}
	}
	c := dir.ConflictOf(me, req.Applicant)
	switch {
	case st.Recusal != nil:
	case c.Level == ExactConflict:
		st.Recusal = &Recusal{RequestID: req.ID, ReviewerID: me.ID, ReviewerName: me.Name, Automatic: true,
			Reason: "conflict of interest: " + c.Reason}
	case c.Level == PossibleConflict:
		st.Conflict = c
		for _, dc := range d.Declarations {
			if dc.clears(me.ID, c.Company.ID, req.Applicant) {
				st.Declaration = &dc
			}
		}
	}
	return st
}

// VoteInput is a reviewer's vote as they send it.
type VoteInput struct {
	Choice  Choice        `json:"choice"`
	Amount  *money.Amount `json:"amount,omitempty"`
	Comment string        `json:"comment,omitempty"`
}

// Outcome is where a request stands after a vote or recusal.
type Outcome struct {
	Request *Request
	Vote    *Vote
	Tally   Tally
}

// Vote records a reviewer's vote (replacing an earlier one of this round) and applies
// the decision rule: the vote that settles the request decides it at once, in the same
// transaction, committing the approved amount to the budget. An approval the budget
// cannot take is refused with *BudgetExceededError, records nothing but the refusal,
// and leaves the request in review. A reviewer with an unsettled possible conflict is
// refused with *PossibleConflictError.
func (s *ReviewService) Vote(ctx context.Context, who Staff, id string, in VoteInput) (Outcome, error) {
	return s.ballot(ctx, who, id, true, func(req *Request, me Reviewer, _ Standing, now time.Time, c *Change) error {
		v := Vote{RequestID: id, ReviewerID: me.ID, ReviewerName: me.Name, Choice: in.Choice, Round: req.Round, At: now}
		var fe validator
		if !in.Choice.Valid() {
			fe.add("choice", CodeUnknownValue, "Choose approve, reject or abstain.")
		}
		v.Comment = fe.free("comment", in.Comment, maxComment)
		if in.Amount != nil {
			a, err := money.FromAmount(*in.Amount)
			switch {
			case in.Choice != ChoiceApprove:
				fe.add("amount", CodeNotAllowed, "Only an approval proposes an amount.")
			case err != nil || a.Minor <= 0:
				fe.add("amount.value", CodeInvalidAmount, "Propose a positive amount such as 1500.00.")
			case a.Currency != req.Amount.Currency:
				fe.add("amount.currency", CodeCurrencyMismatch, "Propose the amount in the request's currency, %s.", req.Amount.Currency)
			case a.Minor > req.Amount.Minor:
				fe.add("amount.value", CodeAboveCeiling, "Propose at most the requested %s.", req.Amount)
			default:
				v.Amount = &a
			}
		}
		if err := fe.err(); err != nil {
			return err
		}
		c.PutVote = &v
		c.Events = append(c.Events, AuditEvent{Type: EventVoteCast, Internal: true, Message: v.Comment,
			Data: voteData(v)})
		c.Request.Voters = appendUnique(c.Request.Voters, me.ID)
		return nil
	})
}

// Recuse records that a reviewer stands aside on a request: their vote of this round,
// if any, no longer counts, and the rule is applied again (a recusal can complete a
// decision, since it shrinks the seats). It is one way to settle a possible conflict.
func (s *ReviewService) Recuse(ctx context.Context, who Staff, id, reason string) (_ Outcome, err error) {
	if reason, err = required("reason", reason, maxReason, "Say why you recuse yourself; it is on the record."); err != nil {
		return Outcome{}, err
	}
	return s.ballot(ctx, who, id, false, func(req *Request, me Reviewer, _ Standing, now time.Time, c *Change) error {
		rec := Recusal{RequestID: id, ReviewerID: me.ID, ReviewerName: me.Name, Reason: reason, At: now}
		c.PutRecusal = &rec
		c.DeleteVote = me.ID
		c.Request.Voters = slices.DeleteFunc(c.Request.Voters, func(x string) bool { return x == me.ID })
		c.Request.Recused = appendUnique(c.Request.Recused, me.ID)
		c.Events = append(c.Events, AuditEvent{Type: EventRecused, Internal: true, Message: reason})
		return nil
	})
}

// DeclareNoConflict records a reviewer's statement, with their reason, that the
// possible conflict between their company and the applicant is none. From then on they
// may vote; a vote they cast before the conflict showed counts again, so the rule is
// applied (and may decide the request). The other way to settle is to recuse. Without
// a possible conflict to settle it is refused with ErrNothingToDeclare.
func (s *ReviewService) DeclareNoConflict(ctx context.Context, who Staff, id, reason string) (_ Outcome, err error) {
	if reason, err = required("reason", reason, maxReason, "Say why your company is not the applicant's; it is on the record."); err != nil {
		return Outcome{}, err
	}
	return s.ballot(ctx, who, id, false, func(req *Request, me Reviewer, st Standing, now time.Time, c *Change) error {
		if st.Conflict.Level != PossibleConflict || st.Declaration != nil {
			return ErrNothingToDeclare
		}
		dc := Declaration{RequestID: id, ReviewerID: me.ID, ReviewerName: me.Name, CompanyID: st.Conflict.Company.ID,
			Against: DeclaredAgainst(req.Applicant), Reason: reason, At: now}
		c.PutDeclaration = &dc
		c.Events = append(c.Events, AuditEvent{Type: EventConflictDeclared, Internal: true, Message: reason,
			Data: map[string]string{"company": st.Conflict.Company.Name, "companyId": dc.CompanyID, "possibleConflict": st.Conflict.Reason}})
		return nil
	})
}

// ballot runs a vote, a recusal or a declaration: it loads the request, checks the
// reviewer may act (unsettled possible conflicts refuse a vote, but not the recusal or
// declaration that settles them), lets change describe the ballot, applies the
// decision rule to the result, and writes it all in one transaction, retrying when
// another reviewer's ballot got in first.
func (s *ReviewService) ballot(ctx context.Context, who Staff, id string, settled bool,
	change func(req *Request, me Reviewer, st Standing, now time.Time, c *Change) error) (Outcome, error) {
	me, dir, err := s.member(ctx, who)
	if err != nil {
		return Outcome{}, err
	}
	if !ValidID(id) {
		return Outcome{}, ErrNotFound
	}
	gov, err := s.governance(ctx)
	if err != nil {
		return Outcome{}, err
	}
	for attempt := 1; ; attempt++ {
		d, err := s.store.Ballots(ctx, id)
		if err != nil {
			return Outcome{}, fmt.Errorf("read %s: %w", id, err)
		}
		req := d.Request
		if req.Status != StatusSubmitted {
			return Outcome{}, &TransitionError{From: req.Status, By: RoleReviewer, Action: "vote or recuse"}
		}
		st := standing(dir, me, d)
		if st.Recusal != nil {
			return Outcome{}, s.refuseRecused(ctx, req, st)
		}
		if settled && st.Unsettled() {
			return Outcome{}, &PossibleConflictError{Conflict: st.Conflict}
		}
		now := s.now()
		next := *req
		next.Voters, next.Recused = slices.Clone(req.Voters), slices.Clone(req.Recused)
		c := Change{Request: &next}
		if err := change(req, me, st, now, &c); err != nil {
			return Outcome{}, err
		}
		// Withdraw only a vote that exists: a delete of nothing is still a billed write.
		// A vote cast meanwhile changes the request's version, so the write is retried.
		if c.DeleteVote != "" && !slices.ContainsFunc(d.Votes, func(v Vote) bool { return v.ReviewerID == c.DeleteVote }) {
			c.DeleteVote = ""
		}
		if c.PutVote != nil {
			if co, ok := dir.Affiliation(me); ok {
				c.PutVote.Company = co.Name
			}
		}
		// The tally with this ballot: a vote replaces this reviewer's earlier one, a
		// recusal withdraws it, a declaration lets it count.
		after := *d
		if c.PutVote != nil || c.PutRecusal != nil {
			after.Votes = slices.DeleteFunc(slices.Clone(d.Votes), func(v Vote) bool { return v.ReviewerID == me.ID })
			if c.PutVote != nil {
				after.Votes = append(after.Votes, *c.PutVote)
			}
		}
		if c.PutRecusal != nil {
			after.Recusals = append(slices.Clone(d.Recusals), *c.PutRecusal)
		}
		if c.PutDeclaration != nil {
			after.Declarations = append(slices.Clone(d.Declarations), *c.PutDeclaration)
		}
		tally := decide(&after, dir, gov)
		switch tally.Outcome {
		case StatusApproved:
			next.Status, next.Approved, next.DecidedAt = StatusApproved, tally.Amount, now
			c.Commit = &Commitment{FiscalYear: req.FiscalYear, Category: req.Kind, Amount: *tally.Amount}
			c.Events = append(c.Events, AuditEvent{Type: EventApproved, FromStatus: StatusSubmitted, ToStatus: StatusApproved,
				Message: "Approved for " + tally.Amount.String() + ".", Data: DecisionData(tally, req)})
		case StatusRejected:
			next.Status, next.DecidedAt = StatusRejected, now
			c.Events = append(c.Events, AuditEvent{Type: EventRejected, FromStatus: StatusSubmitted, ToStatus: StatusRejected,
				Data: DecisionData(tally, req)})
		}
		stamp(&c, req, me, now)
		if tally.Outcome == StatusApproved || tally.Outcome == StatusRejected {
			c.Register = RegisterDecision(&next, tally, dir, nil)
		}
		err = s.store.Apply(ctx, c)
		var conflict *ConflictError
		var exceeded *BudgetExceededError
		switch {
		case errors.As(err, &conflict) && attempt < maxBallotAttempts:
			continue
		case errors.As(err, &exceeded):
			return Outcome{}, s.recordRefusal(ctx, id, me, exceeded)
		case err != nil:
			return Outcome{}, fmt.Errorf("ballot on %s: %w", id, err)
		}
		return Outcome{Request: &next, Vote: c.PutVote, Tally: tally}, nil
	}
}

// maxBallotAttempts bounds the retries of a ballot that raced other reviewers' ballots:
// each retry re-reads and re-applies the rule, so every ballot is eventually recorded.
const maxBallotAttempts = 8

// stamp numbers a change's events after the request's version and fills in who and
// when.
func stamp(c *Change, req *Request, me Reviewer, now time.Time) {
	for i := range c.Events {
		ev := &c.Events[i]
		ev.RequestID, ev.Version, ev.At = req.ID, req.Version+i+1, now
		ev.Actor = Actor{Role: RoleReviewer, ID: me.ID, Name: me.Name}
		if ev.FromStatus == "" {
			ev.FromStatus, ev.ToStatus = req.Status, req.Status
		}
	}
	c.Request.Version = req.Version + len(c.Events)
	c.Request.UpdatedAt = now
}

// refuseRecused answers a recused reviewer's ballot with the reason, and records an
// automatic recusal the first time it shows.
func (s *ReviewService) refuseRecused(ctx context.Context, req *Request, st Standing) error {
	refusal := &ForbiddenError{Reason: "you are recused from this request: " + st.Recusal.Reason}
	if !st.Recusal.Automatic || slices.Contains(req.Recused, st.Reviewer.ID) {
		return refusal
	}
	now := s.now()
	next := *req
	next.Recused = appendUnique(slices.Clone(req.Recused), st.Reviewer.ID)
	rec := *st.Recusal
	rec.At = now
	c := Change{Request: &next, PutRecusal: &rec, Events: []AuditEvent{{Type: EventRecused, Internal: true, Message: rec.Reason,
		Data: map[string]string{"automatic": "true"}}}}
	stamp(&c, req, st.Reviewer, now)
	err := s.store.Apply(ctx, c)
	var conflict *ConflictError
	if err != nil && !errors.As(err, &conflict) {
		return fmt.Errorf("record automatic recusal on %s: %w", req.ID, err)
	}
	return refusal
}

// recordRefusal puts a refused approval on the record (for the history and to tell
// admins), changing nothing else, and returns the refusal.
func (s *ReviewService) recordRefusal(ctx context.Context, id string, me Reviewer, exceeded *BudgetExceededError) error {
	for attempt := 1; attempt <= maxBallotAttempts; attempt++ {
		d, err := s.store.Ballots(ctx, id)
		if err != nil {
			return fmt.Errorf("read %s: %w", id, err)
		}
		req := d.Request
		now := s.now()
		next := *req
		c := Change{Request: &next, Events: []AuditEvent{{Type: EventApprovalRefused, Internal: true, Message: exceeded.Error(),
			Data: map[string]string{"requested": exceeded.Requested.Decimal(), "remaining": exceeded.Remaining.Decimal(),
				"currency": exceeded.Requested.Currency, "fiscalYear": fmt.Sprint(exceeded.FiscalYear), "category": string(exceeded.Category)}}}}
		stamp(&c, req, me, now)
		err = s.store.Apply(ctx, c)
		var conflict *ConflictError
		if errors.As(err, &conflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("record refused approval of %s: %w", id, err)
		}
		break
	}
	return exceeded
}

// RequestChanges sends a request back to its applicant with the reviewers' message.
func (s *ReviewService) RequestChanges(ctx context.Context, who Staff, id, message string) (*Request, error) {
	message, err := required("message", message, maxMessage, "Tell the applicant what to change.")
	if err != nil {
		return nil, err
	}
	out, err := s.act(ctx, who, id, func(req *Request, c *Change) error {
		t, err := CheckTransition(req.Status, StatusChangesRequested, RoleReviewer)
		if err != nil {
			return err
		}
		c.Request.Status = StatusChangesRequested
		c.Events = append(c.Events, AuditEvent{Type: t.Event, FromStatus: req.Status, ToStatus: t.To, Message: message})
		return nil
	})
	return out, err
}

// AddComment adds an internal comment of the committee to a request.
func (s *ReviewService) AddComment(ctx context.Context, who Staff, id, text string) (Comment, error) {
	text, err := required("text", text, maxComment, "Write the comment.")
	if err != nil {
		return Comment{}, err
	}
	var comment Comment
	_, err = s.act(ctx, who, id, func(req *Request, c *Change) error {
		comment = Comment{RequestID: id, ID: ulid.Make().String(), Text: text}
		c.PutComment = &comment
		c.Events = append(c.Events, AuditEvent{Type: EventCommentAdded, Internal: true, Message: text})
		return nil
	})
	return comment, err
}

// act runs a reviewer's action other than a ballot: the reviewer must be able to act on
// the request (not recused, any possible conflict settled), and the change is written
// conditionally, retried after a lost race.
func (s *ReviewService) act(ctx context.Context, who Staff, id string, change func(req *Request, c *Change) error) (*Request, error) {
	me, dir, err := s.member(ctx, who)
	if err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	for attempt := 1; ; attempt++ {
		d, err := s.store.Ballots(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", id, err)
		}
		req := d.Request
		switch st := standing(dir, me, d); {
		case st.Recusal != nil:
			return nil, &ForbiddenError{Reason: "you are recused from this request: " + st.Recusal.Reason}
		case st.Unsettled():
			return nil, &PossibleConflictError{Conflict: st.Conflict}
		}
		now := s.now()
		next := *req
		c := Change{Request: &next}
		if err := change(req, &c); err != nil {
			return nil, err
		}
		if c.PutComment != nil {
			c.PutComment.AuthorID, c.PutComment.AuthorName, c.PutComment.At = me.ID, me.Name, now
		}
		stamp(&c, req, me, now)
		err = s.store.Apply(ctx, c)
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < maxBallotAttempts {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("change %s: %w", id, err)
		}
		return &next, nil
	}
}

func appendUnique(list []string, id string) []string {
	if slices.Contains(list, id) {
		return list
	}
	return append(list, id)
}

func voteData(v Vote) map[string]string {
	d := map[string]string{"choice": string(v.Choice), "round": fmt.Sprint(v.Round)}
	if v.Amount != nil {
		d["amount"], d["currency"] = v.Amount.Decimal(), v.Amount.Currency
	}
	return d
}

// DecisionData is a decision event's data: the tally, and the request's kind, fiscal
// year and publication choice as they stood at the decision, so that the event alone
// says whether, and what of it, the verifiable log may show in public.
func DecisionData(t Tally, req *Request) map[string]string {
	d := tallyData(t)
	d["kind"], d["fiscalYear"] = string(req.Kind), fmt.Sprint(req.FiscalYear)
	d["publication"] = string(req.Publication.Or(PublishNone))
	return d
}

func tallyData(t Tally) map[string]string {
	d := map[string]string{
		"seats": fmt.Sprint(len(t.Seats)), "voted": fmt.Sprint(t.Voted), "approving": fmt.Sprint(t.Approving),
		"rejecting": fmt.Sprint(t.Rejecting), "abstaining": fmt.Sprint(t.Abstaining),
	}
	if t.Amount != nil {
		d["amount"], d["currency"] = t.Amount.Decimal(), t.Amount.Currency
	}
	return d
}
