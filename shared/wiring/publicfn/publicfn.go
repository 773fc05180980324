// Package publicfn composes the public function: see New.
package publicfn

import (
	"context"
	"net/http"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
)

// New builds what the public reads without signing in: the verifiable log of the
// audit trail and the public register. Its role may only read the log's and the
// register's items, the public fields, and the log key's public half.
func New(ctx context.Context, getenv wiring.Getenv) (http.Handler, error) {
	b, key, err := wiring.LogKey(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return api.NewPublic(b.Store, key.VerifierKey(), b.Log,
		api.WithRegister(b.Store, b.Config.Service.Calendar, getenv(config.EnvPublicBaseURL), time.Now)), nil
}
