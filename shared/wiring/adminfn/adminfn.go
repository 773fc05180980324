// Package adminfn composes the admin function: see New.
package adminfn

import (
	"context"
	"errors"
	"net/http"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/identity"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
)

// New builds the admins' API: staff onboarding through the user pool (USER_POOL_ID), the
// roster, companies, budgets and settings.
func New(ctx context.Context, getenv wiring.Getenv) (http.Handler, error) {
	b, err := wiring.Setup(ctx, getenv)
	poolID := getenv("USER_POOL_ID")
	if poolID == "" {
		err = errors.Join(err, errors.New("USER_POOL_ID is not set: the staff user pool's id, where onboarding creates users"))
	}
	if err != nil {
		return nil, err
	}
	pool := identity.New(cip.NewFromConfig(b.AWS), poolID)
	return api.NewAdmin(sponsorship.NewAdminService(b.Store, time.Now), sponsorship.NewStaffService(b.Store, pool, time.Now), b.Log), nil
}
