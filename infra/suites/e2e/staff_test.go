//go:build integration

package e2e

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

// signIn signs a member of staff in to the stack's user pool as the managed login
// would: with the password, and for an invited member the new password they choose
// in answer to Cognito's NEW_PASSWORD_REQUIRED challenge.
func signIn(t *testing.T, email, password, newPassword string) (*ciptypes.AuthenticationResultType, error) {
	t.Helper()
	pool, client, err := dev.UserPool()
	if err != nil {
		t.Fatal(err)
	}
	c := cip.NewFromConfig(localaws.Config(dev.Endpoint()))
	return testenv.SignIn(context.Background(), c, dev.Physical(pool), dev.Physical(client), email, password, newPassword)
}

// TestInvitedReviewerSignsInUntilDeactivated: an admin onboards a reviewer through the
// gateway with one call; the reviewer signs in with the temporary password of the
// invitation Cognito mailed, sets their own, and reads the queue with their access
// token. Deactivated, they cannot sign in again, their session cannot be renewed, and
// the token they still hold is refused by the roster.
func TestInvitedReviewerSignsInUntilDeactivated(t *testing.T) {
	ctx := context.Background()
	adm := staff(t, "admin")
	email := fmt.Sprintf("nadia.%d@example.org", time.Now().UnixNano())
	const password = "Nadia-Chose-This-9"

	r := adm.do("POST", "/admin/staff", map[string]any{"name": "Nadia New", "email": email, "roles": []string{"reviewer"}, "companyId": "gamma-labs"})
	if r.status != 201 {
		t.Fatalf("onboard: %d %s", r.status, r.body)
	}
	member := r.json(t)
	sub := member["id"].(string)
	if member["signIn"] != "invited" || member["company"] != "Gamma Labs Ltd" {
		t.Errorf("onboarded: %v", member)
	}
	mailed, err := localaws.Invitations(ctx, dev.Endpoint(), email)
	if err != nil || len(mailed) != 1 {
		t.Fatalf("invitations mailed to %s: %v %v", email, mailed, err)
	}
	if _, err := signIn(t, email, mailed[0], ""); err == nil {
		t.Error("an invited member signed in without choosing a password")
	}
	tokens, err := signIn(t, email, mailed[0], password)
	if err != nil {
		t.Fatalf("first sign-in with the invitation's password: %v", err)
	}
	nadia := as(t, aws.ToString(tokens.AccessToken))
	if q := nadia.do("GET", "/review/requests", nil); q.status != 200 {
		t.Fatalf("queue as the new reviewer: %d %s", q.status, q.body)
	}

	if d := adm.do("POST", "/admin/staff/"+sub+"/deactivate", nil); d.status != 200 || d.json(t)["signIn"] != "disabled" {
		t.Fatalf("deactivate: %d %s", d.status, d.body)
	}
	_, err = signIn(t, email, password, "")
	var refused *ciptypes.NotAuthorizedException
	if !errors.As(err, &refused) {
		t.Errorf("sign-in after deactivation: %v", err)
	}
	_, err = cip.NewFromConfig(localaws.Config(dev.Endpoint())).AdminInitiateAuth(ctx, refreshInput(t, aws.ToString(tokens.RefreshToken)))
	if !errors.As(err, &refused) {
		t.Errorf("session renewed after deactivation: %v", err)
	}
	// The access token stays valid at the gateway until it expires; the roster refuses it.
	if q := nadia.do("GET", "/review/requests", nil); q.status != 403 {
		t.Errorf("queue with the old token after deactivation: %d %s", q.status, q.body)
	}
}

func refreshInput(t *testing.T, refreshToken string) *cip.AdminInitiateAuthInput {
	pool, client, err := dev.UserPool()
	if err != nil {
		t.Fatal(err)
	}
	return &cip.AdminInitiateAuthInput{UserPoolId: aws.String(dev.Physical(pool)), ClientId: aws.String(dev.Physical(client)),
		AuthFlow: ciptypes.AuthFlowTypeRefreshTokenAuth, AuthParameters: map[string]string{"REFRESH_TOKEN": refreshToken}}
}
