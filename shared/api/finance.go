package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/reports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// FinanceDeps are what the finance API needs.
type FinanceDeps struct {
	Payments *sponsorship.FinanceService
	Budgets  *sponsorship.AdminService
	// Reports delivers reports: inline when they fit a response, else as a link.
	Reports reports.Desk
	// Evidence, when set, serves the requests' attachments to finance.
	Evidence *sponsorship.Evidence
	// Archives, with Evidence, publishes a request's evidence as one ZIP.
	Archives Archiver
	// Payouts, when set, opens the applicants' payout details to finance.
	Payouts *sponsorship.Payouts
}

// NewFinance returns finance's API: payments against approved requests, budgets, and
// reports as CSV, JSON or XLSX. Finance may do everything; admins may read.
func NewFinance(d FinanceDeps, log *slog.Logger) http.Handler {
	rt := newRouter()
	financeRoutes(rt, &financeAPI{d: d})
	if d.Evidence != nil {
		files := financeFiles(d.Evidence, d.Payments)
		files.routes(rt)
		if d.Archives != nil {
			rt.handle("GET /finance/requests/{id}/archive", files.archive(d.Archives))
			rt.handle("GET /finance/archive", (&financeAPI{d: d}).yearArchive)
		}
	}
	if d.Payouts != nil {
		financePayoutRoutes(rt, d.Payouts, d.Payments)
	}
	return withBasics(log, rt)
}

func financeRoutes(rt *router, h *financeAPI) {
	rt.handle("GET /finance/requests", h.toPay)
	rt.handle("POST /finance/requests/{id}/payments", h.pay)
	rt.handle("GET /finance/requests/{id}/payments", h.payments)
	rt.handle("GET /finance/budgets", h.budgets)
	rt.handle("GET /finance/reports/{report}", h.report)
}

type financeAPI struct {
	d FinanceDeps
}

type paymentView struct {
	ID          string            `json:"id"`
	RequestID   string            `json:"requestId"`
	Reference   string            `json:"reference"`
	Amount      money.Amount      `json:"amount"`
	Date        string            `json:"date"`
	Method      string            `json:"method"`
	ExternalRef string            `json:"externalReference,omitempty"`
	Note        string            `json:"note,omitempty"`
	Reverses    string            `json:"reverses,omitempty"`
	Milestone   *int              `json:"milestone,omitempty"`
	Advance     bool              `json:"advance,omitempty"`
	RecordedBy  sponsorship.Actor `json:"recordedBy"`
	RecordedAt  time.Time         `json:"recordedAt"`
}

func toPaymentView(p sponsorship.Payment) paymentView {
	return paymentView{ID: p.ID, RequestID: p.RequestID, Reference: p.Reference, Amount: p.Amount.Amount(), Date: p.Date,
		Method: p.Method, ExternalRef: p.ExternalRef, Note: p.Note, Reverses: p.Reverses, Milestone: p.Milestone, Advance: p.Advance, RecordedBy: p.RecordedBy,
		RecordedAt: p.RecordedAt}
}

// ledgerView is a request's payments and where its money stands.
type ledgerView struct {
	RequestID    string             `json:"requestId"`
	Reference    string             `json:"reference"`
	Kind         sponsorship.Kind   `json:"kind"`
	Title        string             `json:"title"`
	Applicant    string             `json:"applicant"`
	Organization string             `json:"organization"`
	FiscalYear   int                `json:"fiscalYear"`
	DecidedAt    *time.Time         `json:"decidedAt,omitempty"`
	Status       sponsorship.Status `json:"status"`
	Approved     *money.Amount      `json:"approved,omitempty"`
	Paid         money.Amount       `json:"paid"`
	Outstanding  money.Amount       `json:"outstanding"`
	Payment      *paymentView       `json:"payment,omitempty"`
	Payments     []paymentView      `json:"payments,omitempty"`
}

func ledgerOf(req *sponsorship.Request) ledgerView {
	v := ledgerView{RequestID: req.ID, Reference: req.Reference, Kind: req.Kind, Title: req.Title, Applicant: req.Applicant.Name,
		Organization: req.Applicant.Organization, FiscalYear: req.FiscalYear, Status: req.Status, Paid: req.Paid.Amount(),
		Outstanding: req.Outstanding().Amount()}
	if !req.DecidedAt.IsZero() {
		v.DecidedAt = &req.DecidedAt
	}
	if req.Approved != nil {
		a := req.Approved.Amount()
		v.Approved = &a
	}
	return v
}

// toPayPage is a page of the requests of one payable status, each with what it owes.
type toPayPage struct {
	Items      []ledgerView `json:"items"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

func (h *financeAPI) toPay(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupFinance, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	q, err := strictQuery(r, "status", "limit", "cursor")
	if err != nil {
		return err
	}
	status := sponsorship.StatusApproved
	var fields []sponsorship.FieldError
	if s := q.Get("status"); s != "" {
		status = sponsorship.Status(s)
		if !slices.Contains(sponsorship.PayableStatuses, status) {
			fields = append(fields, sponsorship.FieldError{Field: "status", Code: sponsorship.CodeUnknownValue, Message: "Use approved, partially_paid, paid or closed."})
		}
	}
	limit := pageLimit(q, &fields)
	if err := invalidQuery(fields); err != nil {
		return err
	}
	page, err := h.d.Payments.ToPay(r.Context(), who, status, limit, q.Get("cursor"))
	if err != nil {
		return err
	}
	out := toPayPage{Items: []ledgerView{}, NextCursor: page.Next}
	for _, req := range page.Items {
		out.Items = append(out.Items, ledgerOf(req))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *financeAPI) pay(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupFinance)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var in sponsorship.PaymentInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	rec, err := h.d.Payments.RecordPayment(r.Context(), who, r.PathValue("id"), key, in)
	if err != nil {
		return err
	}
	if rec.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	v := ledgerOf(rec.Request)
	p := toPaymentView(rec.Payment)
	v.Payment = &p
	loggerFrom(r.Context()).Info("payment recorded", "request", rec.Request.ID, "payment", p.ID, "replayed", rec.Replayed)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (h *financeAPI) payments(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupFinance, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	req, payments, err := h.d.Payments.PaymentsOf(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := ledgerOf(req)
	v.Payments = []paymentView{}
	for _, p := range payments {
		v.Payments = append(v.Payments, toPaymentView(p))
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h *financeAPI) budgets(w http.ResponseWriter, r *http.Request) error {
	return listBudgets(w, r, h.d.Budgets)
}

// exportView answers a report too large for a response: where to download it.
type exportView struct {
	DownloadURL string    `json:"downloadUrl"`
	ExpiresAt   time.Time `json:"expiresAt"`
	Bytes       int64     `json:"bytes"`
	Rows        int       `json:"rows"`
}

func (h *financeAPI) report(w http.ResponseWriter, r *http.Request) error {
	if _, err := staffIn(r, sponsorship.GroupFinance, sponsorship.GroupAdmins); err != nil {
		return err
	}
	v, err := strictQuery(r, "format", "fiscalYear", "from", "to", "status", "kind", "currency")
	if err != nil {
		return err
	}
	q := reports.Query{Report: r.PathValue("report"), Format: v.Get("format"), From: v.Get("from"), To: v.Get("to"),
		Status: sponsorship.Status(v.Get("status")), Kind: sponsorship.Kind(v.Get("kind")), Currency: v.Get("currency")}
	if q.Format == "" {
		q.Format = "csv"
	}
	if y := v.Get("fiscalYear"); y != "" {
		if q.FiscalYear, err = strconv.Atoi(y); err != nil {
			q.FiscalYear = -1
		}
	}
	if err := h.d.Reports.Validate(q); err != nil {
		return err
	}
	d, err := h.d.Reports.Deliver(r.Context(), q)
	var ceiling *reports.CeilingError
	if errors.As(err, &ceiling) {
		return tooLarge(ceiling)
	}
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("report written", "report", q.Report, "format", q.Format, "rows", d.Rows, "bytes", d.Bytes)
	if d.Body == nil {
		writeJSON(w, http.StatusOK, exportView{DownloadURL: d.Link, ExpiresAt: d.Expires, Bytes: d.Bytes, Rows: d.Rows})
		return nil
	}
	defer d.Body.Close()
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, d.Name))
	w.Header().Set("X-Report-Rows", strconv.Itoa(d.Rows))
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, d.Body)
	return err
}

// tooLarge answers a report over its ceiling: what to change to get it.
func tooLarge(c *reports.CeilingError) error {
	n := fmt.Sprintf("%d", c.Limit)
	e := newHTTPError(http.StatusUnprocessableEntity, "report-too-large", "Report too large",
		"The "+c.Report+" report of this period would read more than "+n+" stored items, the most one report reads. "+
			"Nothing was exported. Ask for shorter periods with from and to (status, kind and currency filter after reading, so they do not help).")
	msg := "Narrow the period: it holds more than " + n + " items for this report."
	e.fields = []sponsorship.FieldError{{Field: "from", Code: sponsorship.CodeTooMany, Message: msg}, {Field: "to", Code: sponsorship.CodeTooMany, Message: msg}}
	return e
}
