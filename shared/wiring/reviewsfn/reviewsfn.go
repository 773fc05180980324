// Package reviewsfn composes the reviews function: see New.
package reviewsfn

import (
	"context"
	"net/http"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
)

// New builds the committee's API: the queue, dossiers, votes, recusals, comments and
// attachments.
func New(ctx context.Context, getenv wiring.Getenv) (http.Handler, error) {
	b, err := wiring.Setup(ctx, getenv)
	if err != nil {
		return nil, err
	}
	evidence, err := wiring.Evidence(b, getenv)
	if err != nil {
		return nil, err
	}
	return api.NewReviews(sponsorship.NewReviewService(b.Store, time.Now), evidence, b.Log), nil
}
