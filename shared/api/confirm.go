package api

import (
	"net/http"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// confirmation is the body of POST /requests/{id}/confirm: the code of the link mailed
// to the applicant's address.
type confirmation struct {
	Code string `json:"code"`
}

// confirmedView answers a confirmation with the request's reference and status only:
// whoever opens the link is shown nothing the applicant typed.
type confirmedView struct {
	ID        string             `json:"id"`
	Reference string             `json:"reference"`
	Status    sponsorship.Status `json:"status"`
	// AlreadyConfirmed is true when the link had been opened before.
	AlreadyConfirmed bool `json:"alreadyConfirmed"`
}

// confirm confirms a request's e-mail address. It needs no token, only the code: the
// link reaches whoever reads the address's mail, not whoever submitted.
func (s *submissions) confirm(w http.ResponseWriter, r *http.Request) error {
	code, err := linkCode(r)
	if err != nil {
		return err
	}
	c, err := s.svc.Confirm(r.Context(), r.PathValue("id"), code)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("e-mail address confirmed", "id", c.ID, "already", c.Already)
	writeJSON(w, http.StatusOK, confirmedView{ID: c.ID, Reference: c.Reference, Status: c.Status, AlreadyConfirmed: c.Already})
	return nil
}

// linkCode reads the body of a confirmation: the code of a link mailed to the
// request's address.
func linkCode(r *http.Request) (string, error) {
	var in confirmation
	if err := decodeJSON(r, &in, false); err != nil {
		return "", err
	}
	if in.Code == "" {
		return "", &sponsorship.ValidationError{Errors: []sponsorship.FieldError{{Field: "code", Code: sponsorship.CodeRequired,
			Message: "Open the link from the e-mail we sent; it holds the code."}}}
	}
	return in.Code, nil
}

// timeOrNil leaves a zero time out of a JSON answer.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
