package sponsorship

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ReportState is where an approved request's report stands: the applicant's account of
// what the money did, which the committee or finance accepts before money that depends
// on it is paid.
type ReportState string

// The report states:
//
//	due ──► submitted ──► accepted
//	           │   ▲
//	           ▼   │
//	    changes_requested
const (
	ReportDue              ReportState = "due"
	ReportSubmitted        ReportState = "submitted"
	ReportChangesRequested ReportState = "changes_requested"
	ReportAccepted         ReportState = "accepted"
)

// ReportStates lists every report state, in order.
var ReportStates = []ReportState{ReportDue, ReportSubmitted, ReportChangesRequested, ReportAccepted}

// ReportTransition is one allowed move of a report, made by a caller in role By and
// recorded as an audit event of type Event.
type ReportTransition struct {
	From  ReportState
	To    ReportState
	By    Role
	Event EventType
}

// ReportTransitions are every move a report can make; any other is refused. Reviewers
// and finance both judge reports: the committee knows what it approved, finance what
// it pays against.
var ReportTransitions = []ReportTransition{
	{From: ReportDue, To: ReportSubmitted, By: RoleApplicant, Event: EventReportSubmitted},
	{From: ReportChangesRequested, To: ReportSubmitted, By: RoleApplicant, Event: EventReportSubmitted},
	{From: ReportSubmitted, To: ReportChangesRequested, By: RoleReviewer, Event: EventReportChangesRequested},
	{From: ReportSubmitted, To: ReportChangesRequested, By: RoleFinance, Event: EventReportChangesRequested},
	{From: ReportSubmitted, To: ReportAccepted, By: RoleReviewer, Event: EventReportAccepted},
	{From: ReportSubmitted, To: ReportAccepted, By: RoleFinance, Event: EventReportAccepted},
}

// CheckReportTransition returns the allowed move of a report, or a *ReportStateError.
func CheckReportTransition(from, to ReportState, by Role) (ReportTransition, error) {
	for _, t := range ReportTransitions {
		if t.From == from && t.To == to && t.By == by {
			return t, nil
		}
	}
	return ReportTransition{}, &ReportStateError{State: from, To: to, By: by}
}

// ReportStateError refuses a move a report cannot make from where it stands.
type ReportStateError struct {
	State ReportState
	To    ReportState
	By    Role
}

func (e *ReportStateError) Error() string {
	action := map[ReportState]string{ReportSubmitted: "submit", ReportChangesRequested: "ask for changes to",
		ReportAccepted: "accept"}[e.To]
	if action == "" {
		action = "move"
	}
	return fmt.Sprintf("a %s cannot %s a report that is %s", e.By, action, strings.ReplaceAll(string(e.State), "_", " "))
}

// Report is the account an approved request owes: one for a travel grant (the trip
// report) or a conference sponsorship (the post-event report), one per milestone for a
// project. Number is the milestone's index (from 0); 0 for the other kinds.
type Report struct {
	Number int
	State  ReportState
	// DueDate (YYYY-MM-DD) is when the report is expected: a milestone's due date, or
	// thirty days after the event.
	DueDate string
	// What the applicant wrote: the account itself, a conference's attendance and a
	// project's deliverable when it is a link rather than a file.
	Text           string
	Attendance     int
	DeliverableURL string
	// Message is the last request for changes, for the applicant to act on.
	Message     string
	SubmittedAt time.Time
	DecidedAt   time.Time
	DecidedBy   Actor
}

// ReportGrace is how long after its event a travel or conference report is due.
const ReportGrace = 30 * 24 * time.Hour

// Reports is where each report a request owes stands. An approved request that has
// not yet recorded any report owes them all, due; a request that was not approved owes
// none.
func (r *Request) ReportsOwed() []Report {
	if r.Approved == nil {
		return nil
	}
	due := r.dueReports()
	for i := range due {
		if i < len(r.Reports) {
			due[i] = r.Reports[i]
		}
	}
	return due
}

// dueReports are the reports a request owes before any is written.
func (r *Request) dueReports() []Report {
	after := func(date string) string {
		d, err := time.Parse(dateLayout, date)
		if err != nil {
			return ""
		}
		return d.Add(ReportGrace).Format(dateLayout)
	}
	switch {
	case r.Project != nil:
		out := make([]Report, len(r.Project.Milestones))
		for i, m := range r.Project.Milestones {
			out[i] = Report{Number: i, State: ReportDue, DueDate: m.DueDate}
		}
		return out
	case r.Travel != nil:
		return []Report{{State: ReportDue, DueDate: after(r.Travel.EndDate)}}
	case r.Conference != nil:
		return []Report{{State: ReportDue, DueDate: after(r.Conference.EndDate)}}
	}
	return nil
}

// AllReportsAccepted reports whether every report the request owes is accepted.
func (r *Request) AllReportsAccepted() bool {
	owed := r.ReportsOwed()
	for _, rep := range owed {
		if rep.State != ReportAccepted {
			return false
		}
	}
	return len(owed) > 0
}

// ChecklistItem is one piece of evidence a request's kind asks for after approval, and
// whether it is there.
type ChecklistItem struct {
	// Key names the item: receipt:<line>, receipts, trip_report, invoice, event_report,
	// milestone:<n>:report, milestone:<n>:deliverable, milestone:<n>:invoice.
	Key       string
	Label     string
	Purpose   Purpose // the purpose of the files that satisfy it
	CostLine  *int
	Milestone *int
	// Report is the number of the report the item belongs to, when it is one.
	Report *int
	Done   bool
	// Files are the accepted attachments that satisfy it.
	Files []string
}

// Checklist is the evidence a request's kind asks for, item by item, given its files:
//
//   - travel: a receipt for each cost line (or receipts, when the request has no cost
//     lines) and a short trip report;
//   - conference: the organiser's invoice, then a post-event report (attendance, how
//     the sponsorship showed);
//   - project: for each milestone a report, its deliverable (a link or a file) and an
//     invoice.
//
// Only accepted files count. A report item is done when the report is accepted.
func Checklist(r *Request, files []Attachment) []ChecklistItem {
	if r.Approved == nil {
		return nil // evidence is owed after approval only
	}
	reports := r.ReportsOwed()
	accepted := func(p Purpose, costLine, milestone *int) []string {
		var ids []string
		for _, a := range files {
			if a.Status == AttachmentAccepted && a.Purpose == p && sameIndex(a.CostLine, costLine) && sameIndex(a.Milestone, milestone) {
				ids = append(ids, a.ID)
			}
		}
		return ids
	}
	fileItem := func(key, label string, p Purpose, costLine, milestone *int) ChecklistItem {
		ids := accepted(p, costLine, milestone)
		return ChecklistItem{Key: key, Label: label, Purpose: p, CostLine: costLine, Milestone: milestone, Done: len(ids) > 0, Files: ids}
	}
	reportItem := func(key, label string, p Purpose, n int) ChecklistItem {
		var milestone *int
		if r.Project != nil {
			milestone = &n
		}
		done := n < len(reports) && reports[n].State == ReportAccepted
		return ChecklistItem{Key: key, Label: label, Purpose: p, Milestone: milestone, Report: &n, Done: done,
			Files: accepted(p, nil, milestone)}
	}
	var out []ChecklistItem
	switch r.Kind {
	case KindTravel:
		if len(r.BudgetItems) == 0 {
			ids := accepted(PurposeReceipt, anyIndex, nil)
			out = append(out, ChecklistItem{Key: "receipts", Label: "Receipts for the costs", Purpose: PurposeReceipt,
				Done: len(ids) > 0, Files: ids})
		}
		for i, b := range r.BudgetItems {
			out = append(out, fileItem(fmt.Sprintf("receipt:%d", i), "Receipt for "+b.Description, PurposeReceipt, &i, nil))
		}
		out = append(out, reportItem("trip_report", "Trip report", PurposeTripReport, 0))
	case KindConference:
		out = append(out, fileItem("invoice", "The organiser's invoice", PurposeInvoice, anyIndex, nil),
			reportItem("event_report", "Post-event report: attendance and how the sponsorship showed", PurposeEventReport, 0))
	case KindProject:
		if r.Project == nil {
			break
		}
		for i, m := range r.Project.Milestones {
			name := fmt.Sprintf("Milestone %d (%s)", i+1, m.Title)
			out = append(out, reportItem(fmt.Sprintf("milestone:%d:report", i), name+": report", PurposeMilestoneReport, i))
			d := fileItem(fmt.Sprintf("milestone:%d:deliverable", i), name+": deliverable, a link or a file", PurposeDeliverable, nil, &i)
			if i < len(reports) && reports[i].DeliverableURL != "" {
				d.Done = true
			}
			out = append(out, d, fileItem(fmt.Sprintf("milestone:%d:invoice", i), name+": invoice", PurposeInvoice, nil, &i))
		}
	}
	return out
}

// anyIndex matches a file whatever cost line or milestone it names.
var anyIndex = new(int)

// sameIndex compares a file's cost line or milestone with the one an item asks for:
// nil asks for a file that names none, anyIndex for any.
func sameIndex(have, want *int) bool {
	switch {
	case want == anyIndex:
		return true
	case want == nil || have == nil:
		return want == nil && have == nil
	}
	return *have == *want
}

// EvidenceMissingError refuses what needs evidence that is not there yet: a report
// submitted without its receipts or invoice, a payment before its report is accepted.
type EvidenceMissingError struct {
	Action  string   // what was refused: "submit this report", "record this payment"
	Missing []string // what is missing, as the checklist names it
}

func (e *EvidenceMissingError) Error() string {
	return fmt.Sprintf("cannot %s before: %s", e.Action, strings.Join(e.Missing, "; "))
}

// missing lists the labels of the items of a checklist that are not done and that
// keep names.
func missing(items []ChecklistItem, keep func(ChecklistItem) bool) []string {
	var out []string
	for _, it := range items {
		switch {
		case it.Done || !keep(it):
		case it.Report != nil:
			out = append(out, it.Label+" accepted")
		default:
			out = append(out, it.Label)
		}
	}
	return out
}

// reportEvidence is what must be on file before report n is submitted: a travel
// grant's receipts; a milestone's deliverable and invoice. A conference's report needs
// nothing on file (its invoice gates the payment, not the report).
func reportEvidence(r *Request, items []ChecklistItem, n int) []string {
	return missing(items, func(it ChecklistItem) bool {
		if it.Report != nil {
			return false
		}
		switch r.Kind {
		case KindTravel:
			return it.Purpose == PurposeReceipt
		case KindProject:
			return it.Milestone != nil && *it.Milestone == n
		}
		return false
	})
}

// ReportInput is what an applicant sends to submit a report.
type ReportInput struct {
	Text           string `json:"text"`
	Attendance     int    `json:"attendance,omitempty"`
	DeliverableURL string `json:"deliverableUrl,omitempty"`
}

// ReportDecision is what a reviewer or finance sends to judge a submitted report:
// accept it, or ask for changes with a message.
type ReportDecision struct {
	Accept  bool   `json:"-"`
	Message string `json:"message"`
}

// Limits of a report's text.
const (
	minReportText = 20
	maxReportText = 10000
)

// validateReport checks a report's input for a request's kind, every field error at
// once.
func validateReport(r *Request, in ReportInput) (Report, error) {
	var v validator
	rep := Report{Text: v.text("text", in.Text, minReportText, maxReportText, multiLine)}
	switch r.Kind {
	case KindConference:
		switch {
		case in.Attendance <= 0:
			v.add("attendance", CodeRequired, "Give how many people attended.")
		default:
			rep.Attendance = in.Attendance
		}
	default:
		if in.Attendance != 0 {
			v.add("attendance", CodeNotAllowed, "Attendance is asked of a conference's report only.")
		}
	}
	if in.DeliverableURL != "" {
		if r.Kind != KindProject {
			v.add("deliverableUrl", CodeNotAllowed, "A deliverable is asked of a project's milestone only.")
		} else {
			rep.DeliverableURL = v.link("deliverableUrl", in.DeliverableURL, false)
		}
	}
	return rep, v.err()
}

// reportIndex checks that n names a report the request owes.
func reportIndex(r *Request, n int) error {
	if n < 0 || n >= len(r.ReportsOwed()) {
		return ErrNotFound
	}
	return nil
}

// reportable are the statuses in which reports are written and judged: after approval,
// until the request is closed.
var reportable = []Status{StatusApproved, StatusPartiallyPaid, StatusPaid}

func canReport(s Status) bool { return slices.Contains(reportable, s) }

// Progress is what a request owes after approval and where it stands: its reports and
// its checklist.
type Progress struct {
	Request   *Request
	Reports   []Report
	Checklist []ChecklistItem
}

// progressOf builds a request's Progress from its files; visible keeps the files the
// caller may see in each item's list (the checklist counts every accepted file).
func progressOf(req *Request, files []Attachment, visible func(Attachment) bool) Progress {
	items := Checklist(req, files)
	shown := map[string]bool{}
	for _, a := range files {
		shown[a.ID] = visible(a)
	}
	for i := range items {
		items[i].Files = slices.DeleteFunc(items[i].Files, func(id string) bool { return !shown[id] })
	}
	return Progress{Request: req, Reports: req.ReportsOwed(), Checklist: items}
}

// ApplicantProgress is the checklist and reports of the applicant's own request,
// listing only files the applicant may see.
func (e *Evidence) ApplicantProgress(ctx context.Context, id, token string) (Progress, error) {
	req, err := e.applicantRequest(ctx, id, token)
	if err != nil {
		return Progress{}, err
	}
	files, err := e.store.Attachments(ctx, id)
	if err != nil {
		return Progress{}, err
	}
	return progressOf(req, files, func(a Attachment) bool { return !a.Internal }), nil
}

// StaffProgress is the checklist and reports of a request, for the committee and
// finance.
func (e *Evidence) StaffProgress(ctx context.Context, id string) (Progress, error) {
	req, err := e.staffRequest(ctx, id)
	if err != nil {
		return Progress{}, err
	}
	files, err := e.store.Attachments(ctx, id)
	if err != nil {
		return Progress{}, err
	}
	return progressOf(req, files, func(Attachment) bool { return true }), nil
}

// SubmitReport submits report n of the applicant's approved request: the text (with a
// conference's attendance, or a milestone's deliverable link), once the evidence the
// report stands on is on file (a travel grant's receipts; a milestone's deliverable and
// invoice). A report sent back for changes is submitted again the same way.
func (e *Evidence) SubmitReport(ctx context.Context, id, token string, n int, in ReportInput) (Progress, error) {
	for attempt := 1; ; attempt++ {
		req, err := e.applicantRequest(ctx, id, token)
		if err != nil {
			return Progress{}, err
		}
		if !canReport(req.Status) {
			return Progress{}, &TransitionError{From: req.Status, Action: "submit a report"}
		}
		if err := reportIndex(req, n); err != nil {
			return Progress{}, err
		}
		reports := req.ReportsOwed()
		t, err := CheckReportTransition(reports[n].State, ReportSubmitted, RoleApplicant)
		if err != nil {
			return Progress{}, err
		}
		rep, err := validateReport(req, in)
		if err != nil {
			return Progress{}, err
		}
		files, err := e.store.Attachments(ctx, id)
		if err != nil {
			return Progress{}, err
		}
		// The evidence is checked against this submission: a link it gives stands for
		// the deliverable's file, a link an earlier one gave does not.
		reports[n].DeliverableURL = rep.DeliverableURL
		probe := *req
		probe.Reports = reports
		if miss := reportEvidence(req, Checklist(&probe, files), n); len(miss) > 0 {
			return Progress{}, &EvidenceMissingError{Action: "submit this report", Missing: miss}
		}
		now := e.clock.at()
		rep.Number, rep.State, rep.DueDate, rep.SubmittedAt = n, ReportSubmitted, reports[n].DueDate, now
		reports[n] = rep
		next := *req
		next.Reports, next.Version, next.UpdatedAt = reports, req.Version+1, now
		ev := AuditEvent{RequestID: id, Version: next.Version, Type: t.Event, At: now, FromStatus: req.Status,
			ToStatus: req.Status, Actor: Actor{Role: RoleApplicant}, Message: rep.Text,
			Data: reportData(req, rep)}
		err = e.store.Apply(ctx, Change{Request: &next, Events: []AuditEvent{ev}})
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < maxUpdateAttempts {
			continue
		}
		if err != nil {
			return Progress{}, fmt.Errorf("submit report %d of %s: %w", n, id, err)
		}
		return progressOf(&next, files, func(a Attachment) bool { return !a.Internal }), nil
	}
}

// JudgeReport accepts report n of a request, or sends it back for changes with a
// message, as a reviewer or finance (by.Role). Accepting the last report owed closes a
// request that is paid in full.
func (e *Evidence) JudgeReport(ctx context.Context, id string, n int, by Actor, d ReportDecision) (Progress, error) {
	to := ReportChangesRequested
	message, err := d.Message, error(nil)
	if d.Accept {
		to = ReportAccepted
		var v validator
		message = v.free("message", d.Message, maxMessage)
		err = v.err()
	} else {
		message, err = required("message", d.Message, maxMessage, "Say what the report needs.")
	}
	if err != nil {
		return Progress{}, err
	}
	for attempt := 1; ; attempt++ {
		req, err := e.staffRequest(ctx, id)
		if err != nil {
			return Progress{}, err
		}
		if !canReport(req.Status) {
			action := map[ReportState]string{ReportAccepted: "accept a report", ReportChangesRequested: "ask for changes to a report"}[to]
			return Progress{}, &TransitionError{From: req.Status, Action: action}
		}
		if err := reportIndex(req, n); err != nil {
			return Progress{}, err
		}
		reports := req.ReportsOwed()
		t, err := CheckReportTransition(reports[n].State, to, by.Role)
		if err != nil {
			return Progress{}, err
		}
		now := e.clock.at()
		rep := reports[n]
		rep.State, rep.DecidedAt, rep.DecidedBy = to, now, by
		if to == ReportChangesRequested {
			rep.Message = message
		}
		reports[n] = rep
		next := *req
		next.Reports, next.Version, next.UpdatedAt = reports, req.Version+1, now
		ev := AuditEvent{RequestID: id, Version: next.Version, Type: t.Event, At: now, FromStatus: req.Status,
			ToStatus: req.Status, Actor: by, Message: message, Data: reportData(req, rep)}
		if req.Status == StatusPaid && next.AllReportsAccepted() {
			if _, err := CheckTransition(StatusPaid, StatusClosed, by.Role); err != nil {
				return Progress{}, err
			}
			next.Status, ev.ToStatus = StatusClosed, StatusClosed
		}
		err = e.store.Apply(ctx, Change{Request: &next, Events: []AuditEvent{ev}})
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < maxUpdateAttempts {
			continue
		}
		if err != nil {
			return Progress{}, fmt.Errorf("judge report %d of %s: %w", n, id, err)
		}
		files, err := e.store.Attachments(ctx, id)
		if err != nil {
			return Progress{}, err
		}
		return progressOf(&next, files, func(Attachment) bool { return true }), nil
	}
}

// reportData is what a report's audit event records besides its text.
func reportData(req *Request, rep Report) map[string]string {
	data := map[string]string{"report": fmt.Sprint(rep.Number), "state": string(rep.State)}
	if req.Project != nil && rep.Number < len(req.Project.Milestones) {
		data["milestone"] = req.Project.Milestones[rep.Number].Title
	}
	if rep.Attendance > 0 {
		data["attendance"] = fmt.Sprint(rep.Attendance)
	}
	if rep.DeliverableURL != "" {
		data["deliverableUrl"] = rep.DeliverableURL
	}
	return data
}
