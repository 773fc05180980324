// Command reviews is the committee's Lambda function: the review queue, a request's
// dossier, votes under the decision rule with budget-aware approval, recusals, requests
// for changes and internal comments.
package main

import (
	"context"
	"net/http"
	"os"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/platform"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func main() {
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		platform.Exit("reviews function cannot start", err)
	}
	platform.StartHTTP(h)
}

// newHandler wires configuration, the store and the review service into the handler.
func newHandler(ctx context.Context, getenv func(string) string) (http.Handler, error) {
	b, err := platform.Setup(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return api.NewReviews(sponsorship.NewReviewService(b.Store, nil), b.Log), nil
}
