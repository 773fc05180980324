// Command admin is the admins' Lambda function: staff onboarding (the staff user pool
// and the roster together), the roster and affiliations, budgets, and the governance
// settings.
package main

import (
	"context"
	"errors"
	"net/http"
	"os"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/identity"
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

// newHandler wires configuration, the store, the staff user pool (USER_POOL_ID) and the
// services into the handler.
func newHandler(ctx context.Context, getenv func(string) string) (http.Handler, error) {
	b, err := platform.Setup(ctx, getenv)
	poolID := getenv("USER_POOL_ID")
	if poolID == "" {
		err = errors.Join(err, errors.New("USER_POOL_ID is not set: the staff user pool's id, where onboarding creates users"))
	}
	if err != nil {
		return nil, err
	}
	pool := identity.New(cip.NewFromConfig(b.AWS), poolID)
	return api.NewAdmin(sponsorship.NewAdminService(b.Store, nil), sponsorship.NewStaffService(b.Store, pool, nil), b.Log), nil
}
