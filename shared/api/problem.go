package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/evidence"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Problem is an RFC 9457 problem document, with the extensions this API adds: the
// request id to quote to support, every field error, and for conflicts the request's
// current state.
type Problem struct {
	Type           string                   `json:"type"`
	Title          string                   `json:"title"`
	Status         int                      `json:"status"`
	Detail         string                   `json:"detail,omitempty"`
	Instance       string                   `json:"instance,omitempty"`
	RequestID      string                   `json:"requestId,omitempty"`
	Errors         []sponsorship.FieldError `json:"errors,omitempty"`
	CurrentStatus  sponsorship.Status       `json:"currentStatus,omitempty"`
	CurrentVersion int                      `json:"currentVersion,omitempty"`
	Code           string                   `json:"code,omitempty"`
	Remaining      *money.Amount            `json:"remaining,omitempty"`
	// Done lists, in order, what a change of several steps did before it stopped
	// (empty: nothing); the same call again completes it.
	Done []string `json:"done,omitzero"`
	// Missing lists the evidence a refused report or payment still needs, as the
	// request's checklist names it.
	Missing []string `json:"missing,omitempty"`
}

// problemTypeBase prefixes each problem's type; the OpenAPI document lists them all.
const problemTypeBase = "https://sponsorship-tracker.dev/problems/"

// httpError is an error the API answers as it is: a status, a problem type, and what to
// tell the caller.
type httpError struct {
	status  int
	kind    string
	title   string
	detail  string
	fields  []sponsorship.FieldError
	header  http.Header
	current sponsorship.Status // for conflicts: where the request stands now
	version int
	code    string
	remain  *money.Amount
	done    []string
	missing []string
}

func (e *httpError) Error() string { return e.title + ": " + e.detail }

func newHTTPError(status int, kind, title, detail string) *httpError {
	return &httpError{status: status, kind: kind, title: title, detail: detail}
}

// errInternal is what every unexpected failure becomes on the wire.
var errInternal = newHTTPError(http.StatusInternalServerError, "internal", "Internal error",
	"Something went wrong on our side. Quote the requestId if you contact us.")

// classify maps an error to what the caller sees: this is the one table from error to
// HTTP status. Anything it does not recognise is internal, and its text never leaves
// the server.
func classify(err error) *httpError {
	var (
		he          *httpError
		validation  *sponsorship.ValidationError
		conflict    *sponsorship.ConflictError
		transition  *sponsorship.TransitionError
		forbidden   *sponsorship.ForbiddenError
		exceeded    *sponsorship.BudgetExceededError
		allocation  *sponsorship.AllocationError
		possible    *sponsorship.PossibleConflictError
		unconfirmed *sponsorship.TooManyUnconfirmedError
		state       *sponsorship.StaffStateError
		incomplete  *sponsorship.IncompleteError
		limit       *sponsorship.LimitError
		missing     *sponsorship.EvidenceMissingError
		report      *sponsorship.ReportStateError
		widening    *sponsorship.PublicationWideningError
	)
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &state):
		e := newHTTPError(http.StatusConflict, "staff-state", "Not possible for this member of staff", sentence(state.Reason))
		e.code = state.Code
		if errors.As(err, &incomplete) {
			e.done = nonNil(incomplete.Done)
		}
		return e
	case errors.As(err, &incomplete):
		detail := "The change stopped part way; done lists what was done. Send the same request again to complete it."
		if len(incomplete.Done) == 0 {
			detail = "Nothing was changed. Send the same request again after the time in Retry-After."
		}
		e := newHTTPError(http.StatusServiceUnavailable, "incomplete", "Stopped part way", detail)
		e.header = http.Header{"Retry-After": {"1"}}
		e.done = nonNil(incomplete.Done)
		return e
	case errors.As(err, &validation):
		e := newHTTPError(http.StatusUnprocessableEntity, "validation", "Invalid request",
			"Some fields need attention; each is listed in errors.")
		e.fields = validation.Errors
		return e
	case errors.Is(err, sponsorship.ErrNotFound):
		return newHTTPError(http.StatusNotFound, "not-found", "Not found", "There is no such request, or this token does not open it.")
	case errors.Is(err, sponsorship.ErrUnauthenticated):
		e := newHTTPError(http.StatusUnauthorized, "unauthenticated", "Credentials required",
			"Send the applicant token you received at submission as: Authorization: Bearer <token>.")
		e.header = http.Header{"Www-Authenticate": {`Bearer realm="applicant"`}}
		return e
	case errors.As(err, &conflict):
		e := newHTTPError(http.StatusConflict, "conflict", "Changed meanwhile",
			"The request changed while this change was being made. Read it again and retry.")
		e.current, e.version = conflict.CurrentStatus, conflict.CurrentVersion
		return e
	case errors.As(err, &transition):
		detail := "A request that is " + string(transition.From) + " cannot become " + string(transition.To) + " this way."
		if transition.Action != "" {
			detail = "You cannot " + transition.Action + " on a request that is " + string(transition.From) + "."
		}
		e := newHTTPError(http.StatusConflict, "invalid-transition", "Not allowed in this status", detail)
		e.current = transition.From
		return e
	case errors.As(err, &forbidden):
		return newHTTPError(http.StatusForbidden, "forbidden", "Forbidden", sentence(forbidden.Reason))
	case errors.As(err, &possible):
		e := newHTTPError(http.StatusConflict, "possible-conflict", "Possible conflict of interest",
			sentence(possible.Error())+" Declare that there is no conflict, with your reason (POST …/no-conflict), or recuse yourself (POST …/recusal) first.")
		e.code = "possible_conflict"
		return e
	case errors.Is(err, sponsorship.ErrNothingToDeclare):
		return newHTTPError(http.StatusConflict, "nothing-to-declare", "Nothing to declare",
			"Your company is not a possible match for this applicant, so there is no conflict to declare; you may act on the request as it is.")
	case errors.As(err, &exceeded):
		e := newHTTPError(http.StatusConflict, "budget-exceeded", "Budget exceeded", sentence(exceeded.Error())+
			" The request stays in review; nothing was recorded but the refusal.")
		rem := exceeded.Remaining.Amount()
		e.code, e.remain, e.current = "budget_exceeded", &rem, sponsorship.StatusSubmitted
		return e
	case errors.As(err, &allocation):
		return newHTTPError(http.StatusConflict, "allocation-below-spent", "Allocation too small",
			"The budget has already committed and paid "+allocation.Spent.String()+"; the allocation cannot go below that.")
	case errors.As(err, &limit):
		e := newHTTPError(http.StatusConflict, "limit-reached", "Limit reached",
			fmt.Sprintf("A request holds at most %d %s; this one has them all.", limit.Limit, limit.What))
		e.code = "limit_reached"
		return e
	case errors.As(err, &missing):
		e := newHTTPError(http.StatusConflict, "evidence-missing", "Evidence missing",
			"You cannot "+missing.Action+" yet. It waits for what is listed in missing (evidence not yet on file or accepted, or payout details not yet confirmed or verified).")
		e.code, e.missing = "evidence_missing", missing.Missing
		return e
	case errors.As(err, &widening):
		e := newHTTPError(http.StatusConflict, "publication-widening", "Publication can only be narrowed",
			sentence(widening.Error())+" What may be published can be narrowed at any time, never widened.")
		e.code = "publication_widening"
		e.fields = []sponsorship.FieldError{{Field: "publication", Code: sponsorship.CodeNotAllowed,
			Message: "You agreed to " + string(widening.Current) + "; choose it or a narrower one."}}
		return e
	case errors.As(err, &report):
		e := newHTTPError(http.StatusConflict, "invalid-report-state", "Not allowed in this report state", sentence(report.Error()))
		e.code = "invalid_report_state"
		return e
	case errors.Is(err, evidence.ErrChanged):
		e := newHTTPError(http.StatusConflict, "file-changed", "A file changed since its check",
			"A file of this request no longer has the size and SHA-256 its content check recorded, so no archive was made. Tell the admins: the evidence bucket was written behind the system's back.")
		e.code = "file_changed"
		return e
	case errors.Is(err, sponsorship.ErrNotChecked):
		e := newHTTPError(http.StatusConflict, "not-checked", "Not available",
			"This file has not passed its content check (it is still being checked, or it was quarantined), so it is not served.")
		e.code = "not_checked"
		return e
	case errors.Is(err, sponsorship.ErrBadCursor):
		e := newHTTPError(http.StatusBadRequest, "malformed", "Malformed request", "The cursor is not one this API handed out for this query.")
		e.fields = []sponsorship.FieldError{{Field: "cursor", Code: sponsorship.CodeInvalidFormat, Message: "Use the nextCursor of the previous page, with the same filters."}}
		return e
	case errors.Is(err, sponsorship.ErrIdempotencyKeyReused):
		return newHTTPError(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency-Key reused",
			"This Idempotency-Key was already used with a different request body. Use a new key for a new request.")
	case errors.As(err, &unconfirmed):
		e := newHTTPError(http.StatusTooManyRequests, "too-many-unconfirmed", "Too many unconfirmed requests",
			fmt.Sprintf("This e-mail address already has %d requests waiting for confirmation today. Open the link we sent "+
				"to confirm one of them, or try again after midnight UTC.", unconfirmed.Limit))
		e.header = http.Header{"Retry-After": {strconv.Itoa(int(math.Ceil(unconfirmed.RetryAfter.Seconds())))}}
		return e
	case errors.Is(err, sponsorship.ErrUnavailable):
		e := newHTTPError(http.StatusServiceUnavailable, "unavailable", "Temporarily unavailable",
			"The service is busy. Nothing was changed; retry after the time in Retry-After.")
		e.header = http.Header{"Retry-After": {"1"}}
		return e
	case errors.Is(err, context.DeadlineExceeded):
		return newHTTPError(http.StatusGatewayTimeout, "timeout", "Timed out", "The request took too long. Read before retrying a change.")
	}
	return errInternal
}

// nonNil keeps an empty list a list: "done": [] says that nothing was done.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// sentence capitalises a reason and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// writeProblem answers with the problem document for err, logging internal failures
// with their real cause.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	e := classify(err)
	log := loggerFrom(r.Context())
	if e.status >= 500 {
		log.Error("request failed", "status", e.status, "error", err.Error())
	} else {
		log.Info("request refused", "status", e.status, "problem", e.kind)
	}
	p := Problem{
		Type: problemTypeBase + e.kind, Title: e.title, Status: e.status, Detail: e.detail,
		Instance: r.URL.Path, RequestID: requestIDFrom(r.Context()), Errors: e.fields,
		CurrentStatus: e.current, CurrentVersion: e.version, Code: e.code, Remaining: e.remain, Done: e.done, Missing: e.missing,
	}
	for k, v := range e.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		slog.Error("encode response", "error", err.Error())
	}
}
