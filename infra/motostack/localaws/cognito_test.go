//go:build integration

package localaws_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

// The local Cognito invites and signs out as Cognito does (motoserver.py): a user
// created without a password is mailed a temporary one that signs them in; RESEND
// mails the same user a new one, and is refused once they set their own; a global
// sign-out by subject revokes a session signed in by e-mail; a disabled user cannot
// refresh.
func TestCognitoInvitesAndSignsOutAsCognitoDoes(t *testing.T) {
	ctx := context.Background()
	pool := mototest.NewUserPool(t, "reviewers", "finance", "admins")
	c := pool.Client
	email := "invited." + pool.ID + "@example.org"
	out, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &pool.ID, Username: &email,
		UserAttributes:         []ciptypes.AttributeType{{Name: aws.String("email"), Value: &email}},
		DesiredDeliveryMediums: []ciptypes.DeliveryMediumType{ciptypes.DeliveryMediumTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	sub := ""
	for _, a := range out.User.Attributes {
		if aws.ToString(a.Name) == "sub" {
			sub = aws.ToString(a.Value)
		}
	}
	first := pool.TemporaryPassword(email)

	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &pool.ID, Username: &email,
		MessageAction: ciptypes.MessageActionTypeResend}); err != nil {
		t.Fatal(err)
	}
	mailed, _ := localaws.Invitations(ctx, mototest.Endpoint(t), email)
	users, _ := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &pool.ID})
	if len(mailed) != 2 || mailed[1] == first || len(users.Users) != 1 {
		t.Fatalf("after RESEND: %d invitations (%v), %d users", len(mailed), mailed, len(users.Users))
	}
	var refused *ciptypes.NotAuthorizedException
	if _, err := pool.SignIn(ctx, email, first, "Chosen-Password-1"); !errors.As(err, &refused) {
		t.Errorf("the first temporary password still signs in: %v", err)
	}
	tokens, err := pool.SignIn(ctx, email, mailed[1], "Chosen-Password-1")
	if err != nil {
		t.Fatal(err)
	}
	var state *ciptypes.UnsupportedUserStateException
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &pool.ID, Username: &email,
		MessageAction: ciptypes.MessageActionTypeResend}); !errors.As(err, &state) {
		t.Errorf("RESEND to a user who set a password: %v", err)
	}

	if _, err := c.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &pool.ID, Username: &sub}); err != nil {
		t.Fatal(err)
	}
	if err := pool.Refresh(ctx, aws.ToString(tokens.RefreshToken)); !errors.As(err, &refused) {
		t.Errorf("refresh after a global sign-out by subject: %v", err)
	}
	again, err := pool.SignIn(ctx, email, "Chosen-Password-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: &pool.ID, Username: &sub}); err != nil {
		t.Fatal(err)
	}
	if err := pool.Refresh(ctx, aws.ToString(again.RefreshToken)); !errors.As(err, &refused) {
		t.Errorf("refresh by a disabled user: %v", err)
	}
}
