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
// confirmation, attachments (the pages upload straight to the evidence bucket), payout
// details, and the staff console's page and sign-in settings.
func New(ctx context.Context, getenv wiring.Getenv) (http.Handler, error) {
	b, err := wiring.Setup(ctx, getenv)
	console, cerr := config.LoadConsole(getenv)
	_, berr := config.LoadEvidenceBucket(getenv)
	_, kerr := config.LoadPayoutKey(getenv)
	if err := errors.Join(err, cerr, berr, kerr); err != nil {
		return nil, err
	}
	files, err := wiring.EvidenceBucket(b, getenv)
	if err != nil {
		return nil, err
	}
	endpoint, err := files.UploadEndpoint(ctx)
	if err != nil {
		return nil, err
	}
	uploads, err := api.WithUploads(endpoint)
	if err != nil {
		return nil, err
	}
	payouts, err := wiring.Payouts(b, getenv)
	if err != nil {
		return nil, err
	}
	return api.NewSubmissions(sponsorship.NewService(b.Store, b.Config.Service, time.Now), b.Log,
		api.WithConsole(api.NewConsoleConfig(console.AuthBaseURL, console.ClientID, console.PublicBaseURL)),
		api.WithEvidence(sponsorship.NewEvidence(b.Store, files, time.Now)), uploads, api.WithPayouts(payouts),
		api.WithPublicFields(b.Store)), nil
}
