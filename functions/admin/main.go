// Command admin is the admins' Lambda function: the reviewer roster and affiliations,
// budgets, and the governance settings.
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
		platform.Exit("admin function cannot start", err)
	}
	platform.StartHTTP(h)
}

// newHandler wires configuration, the store and the admin service into the handler.
func newHandler(ctx context.Context, getenv func(string) string) (http.Handler, error) {
	b, err := platform.Setup(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return api.NewAdmin(sponsorship.NewAdminService(b.Store, nil), b.Log), nil
}
