// Package submissionsfn composes the submissions function: see New.
package submissionsfn

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
)

// New builds the applicant API: the form, submissions and their status, the
// confirmation, attachments, payout details, and the staff console's page and sign-in settings.
func New(ctx context.Context, getenv wiring.Getenv) (http.Handler, error) {
	b, err := wiring.Setup(ctx, getenv)
	console, cerr := config.LoadConsole(getenv)
	_, berr := config.LoadEvidenceBucket(getenv)
	_, kerr := config.LoadPayoutKey(getenv)
	if err := errors.Join(err, cerr, berr, kerr); err != nil {
		return nil, err
	}
	evidence, err := wiring.Evidence(b, getenv)
	if err != nil {
		return nil, err
	}
	payouts, err := wiring.Payouts(b, getenv)
	if err != nil {
		return nil, err
	}
	return api.NewSubmissions(sponsorship.NewService(b.Store, b.Config.Service, time.Now), b.Log,
		api.WithConsole(api.NewConsoleConfig(console.AuthBaseURL, console.ClientID, console.PublicBaseURL)),
		api.WithEvidence(evidence), api.WithPayouts(payouts)), nil
}
