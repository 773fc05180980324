// Package publicfn composes the public function: see New.
package publicfn

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
)

// New builds what the public reads without signing in: the verifiable log of the
// audit trail and the public register. Its role may only read the log's and the
// register's items, the public fields, and the log key's public half.
func New(ctx context.Context, getenv wiring.Getenv) (http.Handler, error) {
	b, err := wiring.Setup(ctx, getenv)
	lc, lerr := config.LoadLog(getenv)
	if err := errors.Join(err, lerr); err != nil {
		return nil, err
	}
	key, err := ledger.NewKMSKey(ctx, kms.NewFromConfig(b.AWS), lc.KeyID, lc.Origin)
	if err != nil {
		return nil, err
	}
	return api.NewPublic(b.Store, key.VerifierKey(), b.Log,
		api.WithRegister(b.Store, b.Config.Service.Calendar, getenv(config.EnvPublicBaseURL), time.Now)), nil
}
