package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// NewSubmissions returns the applicant API: submit a request, read it back, edit and
// resubmit it, withdraw it, and the OpenAPI document; with WithConsole, the staff
// console's sign-in configuration too. The applicant routes other than submission need
// the applicant token as a bearer token.
func NewSubmissions(svc *sponsorship.Service, log *slog.Logger, opts ...SubmissionsOption) http.Handler {
	rt := newRouter()
	s := &submissions{svc: svc}
	for _, o := range opts {
		o(s)
	}
	submissionRoutes(rt, s)
	if s.files != nil {
		s.files.routes(rt)
	}
	if s.payouts != nil {
		applicantPayoutRoutes(rt, s.payouts)
	}
	// The gateway's $default route sends here what no route of the API matches: answer
	// 405 (with Allow) for a path the API has under another method, else 404.
	rt.api = everyRoute
	return withBasics(log, rt)
}

func submissionRoutes(rt *router, s *submissions) {
	rt.handle("POST /requests", s.submit)
	rt.handle("GET /requests/{id}", s.get)
	rt.handle("PUT /requests/{id}", s.edit)
	rt.handle("POST /requests/{id}/withdraw", s.withdraw)
	rt.handle("POST /requests/{id}/confirm", s.confirm)
	rt.handle("PUT /requests/{id}/publication", s.narrowPublication)
	rt.handle("GET /publication", s.publicFields)
	rt.handle("GET /openapi.yaml", serveOpenAPI)
	rt.handle("GET /{$}", s.uploadPage("index"))
	rt.handle("GET /status", s.uploadPage("status"))
	rt.handle("GET /confirm", servePage("confirm"))
	rt.handle("GET /assets/{file}", serveAsset)
	rt.handle("GET /console/config.json", s.consoleConfig)
	rt.handle("GET /console/{$}", s.consolePage)
	rt.handle("GET /console", consoleHome)
}

type submissions struct {
	svc     *sponsorship.Service
	console *ConsoleConfig       // nil: no console
	files   *applicantFiles      // nil: no attachments
	payouts *sponsorship.Payouts // nil: no payout details
	// uploadTo is the evidence bucket's upload URL the pages may send files to; "" for
	// none.
	uploadTo string
	// public reads the public fields (nil: the catalogue's defaults).
	public PublicFieldsReader
}

// IdempotencyKeyHeader names the header that makes a submission safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

// Idempotency keys must be hard to guess (a retry with the key returns the applicant
// token), so they are long: a UUID fits.
const (
	minIdempotencyKey = 16
	maxIdempotencyKey = 255
)

// receiptView is the answer to a submission. The applicant token appears here once and
// nowhere else.
type receiptView struct {
	ID             string             `json:"id"`
	Reference      string             `json:"reference"`
	Status         sponsorship.Status `json:"status"`
	SubmittedAt    time.Time          `json:"submittedAt"`
	ApplicantToken string             `json:"applicantToken"`
	Links          map[string]string  `json:"links"`
	// ExpiresAt: an unconfirmed request counts as absent from then on.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

func (s *submissions) submit(w http.ResponseWriter, r *http.Request) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var in sponsorship.RequestInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	receipt, err := s.svc.Submit(r.Context(), in, key)
	if err != nil {
		return err
	}
	self := "/requests/" + receipt.ID
	w.Header().Set("Location", self)
	if receipt.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	loggerFrom(r.Context()).Info("request submitted", "id", receipt.ID, "replayed", receipt.Replayed)
	writeJSON(w, http.StatusCreated, receiptView{
		ID: receipt.ID, Reference: receipt.Reference, Status: receipt.Status, SubmittedAt: receipt.SubmittedAt,
		ApplicantToken: receipt.Token, Links: map[string]string{"self": self}, ExpiresAt: timeOrNil(receipt.ExpiresAt),
	})
	return nil
}

func idempotencyKey(r *http.Request) (string, error) {
	values := r.Header.Values(IdempotencyKeyHeader)
	if len(values) == 0 {
		return "", nil
	}
	key := strings.Join(values, ",")
	ok := len(key) >= minIdempotencyKey && len(key) <= maxIdempotencyKey
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if !ok {
		e := newHTTPError(http.StatusBadRequest, "malformed", "Malformed request", "The Idempotency-Key header is not usable.")
		e.fields = []sponsorship.FieldError{{Field: IdempotencyKeyHeader, Code: sponsorship.CodeInvalidFormat,
			Message: "Use 16 to 255 visible ASCII characters, such as a random UUID."}}
		return "", e
	}
	return key, nil
}

// applicantToken reads "Authorization: Bearer <token>".
func applicantToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func (s *submissions) get(w http.ResponseWriter, r *http.Request) error {
	view, err := s.svc.ForApplicant(r.Context(), r.PathValue("id"), applicantToken(r))
	if err != nil {
		return err
	}
	v := applicantRequestView(view.Request, view.History)
	for _, p := range view.Payments {
		v.Payments = append(v.Payments, paidView{Date: p.Date, Amount: p.Amount.Amount()})
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *submissions) edit(w http.ResponseWriter, r *http.Request) error {
	if applicantToken(r) == "" {
		return sponsorship.ErrUnauthenticated
	}
	var in sponsorship.RequestInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	req, err := s.svc.Resubmit(r.Context(), r.PathValue("id"), applicantToken(r), in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("request resubmitted", "id", req.ID, "version", req.Version)
	writeJSON(w, http.StatusOK, applicantRequestView(req, nil))
	return nil
}

// withdrawal is the optional body of a withdrawal.
type withdrawal struct {
	Reason string `json:"reason"`
}

func (s *submissions) withdraw(w http.ResponseWriter, r *http.Request) error {
	if applicantToken(r) == "" {
		return sponsorship.ErrUnauthenticated
	}
	var in withdrawal
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	req, err := s.svc.Withdraw(r.Context(), r.PathValue("id"), applicantToken(r), in.Reason)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("request withdrawn", "id", req.ID, "version", req.Version)
	writeJSON(w, http.StatusOK, applicantRequestView(req, nil))
	return nil
}

// requestView is a request as the applicant sees it: everything they sent, where it
// stands, and its public history.
type requestView struct {
	ID          string             `json:"id"`
	Reference   string             `json:"reference"`
	Status      sponsorship.Status `json:"status"`
	Version     int                `json:"version"`
	FiscalYear  int                `json:"fiscalYear"`
	SubmittedAt time.Time          `json:"submittedAt"`
	UpdatedAt   time.Time          `json:"updatedAt"`
	DecidedAt   *time.Time         `json:"decidedAt,omitempty"`
	Approved    *money.Amount      `json:"approvedAmount,omitempty"`
	Paid        *money.Amount      `json:"paid,omitempty"`
	Payments    []paidView         `json:"payments,omitempty"`
	sponsorship.RequestInput
	History []eventView `json:"history,omitempty"`
	// ExpiresAt is set while the request waits for its e-mail address to be confirmed.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// paidView is a payment as the applicant sees it: when, and how much.
type paidView struct {
	Date   string       `json:"date"`
	Amount money.Amount `json:"amount"`
}

// eventView is one entry of a request's history. Reviewers appear by role only: the
// applicant sees what the committee decided, not who voted how.
type eventView struct {
	Version    int                   `json:"version"`
	Type       sponsorship.EventType `json:"type"`
	At         time.Time             `json:"at"`
	Actor      sponsorship.Actor     `json:"actor"`
	FromStatus sponsorship.Status    `json:"fromStatus,omitempty"`
	ToStatus   sponsorship.Status    `json:"toStatus,omitempty"`
	Message    string                `json:"message,omitempty"`
	Changed    []string              `json:"changed,omitempty"`
}

func applicantRequestView(req *sponsorship.Request, history []sponsorship.AuditEvent) requestView {
	v := requestView{
		ID: req.ID, Reference: req.Reference, Status: req.Status, Version: req.Version, FiscalYear: req.FiscalYear,
		SubmittedAt: req.SubmittedAt, UpdatedAt: req.UpdatedAt, RequestInput: req.Input(),
	}
	v.Publication = req.Publication.Or(sponsorship.PublishNone)
	if !req.DecidedAt.IsZero() {
		v.DecidedAt = &req.DecidedAt
	}
	v.ExpiresAt = timeOrNil(req.ExpiresAt)
	if req.Approved != nil {
		a, p := req.Approved.Amount(), req.Paid.Amount()
		v.Approved, v.Paid = &a, &p
	}
	for _, ev := range history {
		actor := sponsorship.Actor{Role: ev.Actor.Role}
		if ev.Actor.Role == sponsorship.RoleApplicant {
			actor.Name = ev.Actor.Name
		}
		v.History = append(v.History, eventView{
			Version: ev.Version, Type: ev.Type, At: ev.At, Actor: actor,
			FromStatus: ev.FromStatus, ToStatus: ev.ToStatus, Message: ev.Message, Changed: ev.Changed,
		})
	}
	return v
}
