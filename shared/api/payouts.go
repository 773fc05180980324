package api

import (
	"net/http"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// WithPayouts adds the applicant's payout-details routes: where the details stand,
// giving or changing them, and the confirmation of a change from its mailed link.
func WithPayouts(p *sponsorship.Payouts) SubmissionsOption {
	return func(s *submissions) { s.payouts = p }
}

func applicantPayoutRoutes(rt *router, p *sponsorship.Payouts) {
	rt.handle("GET /requests/{id}/payout", func(w http.ResponseWriter, r *http.Request) error {
		s, err := p.ForApplicant(r.Context(), r.PathValue("id"), applicantToken(r))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, viewOfPayout(s))
		return nil
	})
	rt.handle("PUT /requests/{id}/payout", func(w http.ResponseWriter, r *http.Request) error {
		if applicantToken(r) == "" {
			return sponsorship.ErrUnauthenticated
		}
		key, err := idempotencyKey(r)
		if err != nil {
			return err
		}
		var in sponsorship.PayoutDetails
		if err := decodeJSON(r, &in, false); err != nil {
			return err
		}
		s, err := p.Give(r.Context(), r.PathValue("id"), applicantToken(r), key, in)
		if err != nil {
			return err
		}
		if s.Replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		// The method only: the details never reach a log.
		loggerFrom(r.Context()).Info("payout details given", "id", r.PathValue("id"), "method", in.Method,
			"awaitingConfirmation", s.Payout.Pending != 0, "replayed", s.Replayed)
		status := http.StatusOK
		if s.Payout.Pending != 0 {
			status = http.StatusAccepted // in force once the mailed link is opened
		}
		writeJSON(w, status, viewOfPayout(s))
		return nil
	})
	rt.handle("POST /requests/{id}/payout/confirm", func(w http.ResponseWriter, r *http.Request) error {
		code, err := linkCode(r)
		if err != nil {
			return err
		}
		c, err := p.Confirm(r.Context(), r.PathValue("id"), code)
		if err != nil {
			return err
		}
		loggerFrom(r.Context()).Info("payout change confirmed", "id", c.ID, "already", c.Already)
		writeJSON(w, http.StatusOK, payoutConfirmedView{ID: c.ID, Reference: c.Reference, AlreadyConfirmed: c.Already})
		return nil
	})
}

// payoutConfirmedView answers a confirmation link: the request's reference only, since
// whoever opens the link is shown nothing of the details.
type payoutConfirmedView struct {
	ID               string `json:"id"`
	Reference        string `json:"reference"`
	AlreadyConfirmed bool   `json:"alreadyConfirmed"`
}

// payoutView is where a request's payout details stand, without them: the method and
// the last characters of the account of the details in force and of a change waiting
// for its confirmation, and what payments wait for.
type payoutView struct {
	Given      bool                     `json:"given"`
	Details    int                      `json:"details,omitempty"`
	Method     sponsorship.PayoutMethod `json:"method,omitempty"`
	Hint       string                   `json:"hint,omitempty"`
	Verified   bool                     `json:"verified"`
	VerifiedAt *time.Time               `json:"verifiedAt,omitempty"`
	Change     *payoutChangeView        `json:"change,omitempty"`
	// Blocking lists what payments wait for; empty when money may leave.
	Blocking []string `json:"blocking"`
}

// payoutChangeView is a change waiting for the applicant's confirmation.
type payoutChangeView struct {
	Method    sponsorship.PayoutMethod `json:"method"`
	Hint      string                   `json:"hint"`
	ConfirmBy time.Time                `json:"confirmBy"`
}

func viewOfPayout(s sponsorship.PayoutSummary) payoutView {
	p := s.Payout
	v := payoutView{Given: p.Current != 0, Details: p.Current, Method: p.Method, Hint: p.Hint, Verified: p.Verified,
		VerifiedAt: timeOrNil(p.VerifiedAt), Blocking: s.Missing}
	if v.Blocking == nil {
		v.Blocking = []string{}
	}
	if p.Pending != 0 {
		v.Change = &payoutChangeView{Method: p.PendingMethod, Hint: p.PendingHint, ConfirmBy: p.PendingUntil}
	}
	return v
}

// financePayoutView is what finance reads: the details in force, opened, beside
// where they stand.
type financePayoutView struct {
	payoutView
	AccountDetails *sponsorship.PayoutDetails `json:"accountDetails,omitempty"`
	VerifiedBy     *sponsorship.Actor         `json:"verifiedBy,omitempty"`
}

// financePayoutRoutes are finance's: read the details and mark them verified. Only a
// member of finance who may pay the request does either (FinanceService.AdmitJudge):
// not the applicant's colleagues, nor whoever voted on it or stood aside.
func financePayoutRoutes(rt *router, p *sponsorship.Payouts, payments *sponsorship.FinanceService) {
	admit := func(r *http.Request) (sponsorship.Actor, error) {
		who, err := staffIn(r, sponsorship.GroupFinance)
		if err != nil {
			return sponsorship.Actor{}, err
		}
		return payments.AdmitJudge(r.Context(), who, r.PathValue("id"))
	}
	rt.handle("GET /finance/requests/{id}/payout", func(w http.ResponseWriter, r *http.Request) error {
		who, err := admit(r)
		if err != nil {
			return err
		}
		read, err := p.ForFinance(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		loggerFrom(r.Context()).Info("payout details read", "id", r.PathValue("id"), "staff", who.ID)
		v := financePayoutView{payoutView: viewOfPayout(read.PayoutSummary), AccountDetails: read.Details}
		if by := read.Payout.VerifiedBy; by != (sponsorship.Actor{}) {
			v.VerifiedBy = &by
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, v)
		return nil
	})
	rt.handle("POST /finance/requests/{id}/payout/verify", func(w http.ResponseWriter, r *http.Request) error {
		who, err := admit(r)
		if err != nil {
			return err
		}
		var in sponsorship.PayoutVerification
		if err := decodeJSON(r, &in, false); err != nil {
			return err
		}
		s, err := p.Verify(r.Context(), r.PathValue("id"), who, in)
		if err != nil {
			return err
		}
		loggerFrom(r.Context()).Info("payout details verified", "id", r.PathValue("id"), "details", in.Details, "staff", who.ID)
		writeJSON(w, http.StatusOK, viewOfPayout(s))
		return nil
	})
}
