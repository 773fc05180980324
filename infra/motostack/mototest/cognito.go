package mototest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// UserPool is a Cognito user pool in moto for one test: users sign in by e-mail, the
// groups given exist, and its app client signs in with a password through the admin
// API, as the local stack's does.
type UserPool struct {
	Client   *cip.Client
	ID       string
	ClientID string
	t        testing.TB
}

// NewUserPool creates a user pool for one test and deletes it when the test ends.
func NewUserPool(t testing.TB, groups ...string) *UserPool {
	t.Helper()
	ctx := context.Background()
	c := cip.NewFromConfig(localaws.Config(Endpoint(t)))
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("test-" + hex.EncodeToString(b)), UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &UserPool{Client: c, ID: aws.ToString(out.UserPool.Id), t: t}
	t.Cleanup(func() { _, _ = c.DeleteUserPool(context.Background(), &cip.DeleteUserPoolInput{UserPoolId: &p.ID}) })
	for _, g := range groups {
		if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &p.ID, GroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &p.ID, ClientName: aws.String("test"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	p.ClientID = aws.ToString(client.UserPoolClient.ClientId)
	return p
}

// AddUser creates a user who has signed in before (a permanent password) in groups, and
// returns their subject.
func (p *UserPool) AddUser(email, name, password string, groups ...string) string {
	p.t.Helper()
	ctx := context.Background()
	out, err := p.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &p.ID, Username: &email,
		MessageAction: ciptypes.MessageActionTypeSuppress, UserAttributes: []ciptypes.AttributeType{
			{Name: aws.String("email"), Value: &email}, {Name: aws.String("email_verified"), Value: aws.String("true")},
			{Name: aws.String("name"), Value: &name}}})
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &p.ID, Username: &email,
		Password: &password, Permanent: true}); err != nil {
		p.t.Fatal(err)
	}
	for _, g := range groups {
		if _, err := p.Client.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &p.ID, Username: &email, GroupName: aws.String(g)}); err != nil {
			p.t.Fatal(err)
		}
	}
	for _, a := range out.User.Attributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value)
		}
	}
	p.t.Fatalf("user %s has no sub", email)
	return ""
}

// SignIn signs in with a password, as the managed login would: an invited user
// answers the new-password challenge with newPassword. It returns the tokens, or the
// sign-in service's refusal.
func (p *UserPool) SignIn(ctx context.Context, email, password, newPassword string) (*ciptypes.AuthenticationResultType, error) {
	return SignIn(ctx, p.Client, p.ID, p.ClientID, email, password, newPassword)
}

// SignIn signs a user in to a pool's client with ADMIN_USER_PASSWORD_AUTH, answering
// the NEW_PASSWORD_REQUIRED challenge of an invited user with newPassword.
func SignIn(ctx context.Context, c *cip.Client, pool, client, email, password, newPassword string) (*ciptypes.AuthenticationResultType, error) {
	out, err := c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: &pool, ClientId: &client,
		AuthFlow: ciptypes.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password}})
	if err != nil {
		return nil, fmt.Errorf("sign in %s: %w", email, err)
	}
	if out.ChallengeName == ciptypes.ChallengeNameTypeNewPasswordRequired {
		if newPassword == "" {
			return nil, fmt.Errorf("sign in %s: a new password is required", email)
		}
		answer, err := c.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: &pool, ClientId: &client,
			ChallengeName: out.ChallengeName, Session: out.Session,
			ChallengeResponses: map[string]string{"USERNAME": email, "NEW_PASSWORD": newPassword}})
		if err != nil {
			return nil, fmt.Errorf("set the password of %s: %w", email, err)
		}
		out.AuthenticationResult, out.ChallengeName = answer.AuthenticationResult, answer.ChallengeName
	}
	if out.AuthenticationResult == nil {
		return nil, fmt.Errorf("sign in %s: challenge %s", email, out.ChallengeName)
	}
	return out.AuthenticationResult, nil
}

// Refresh asks for new tokens with a refresh token: what a session does to go on.
func (p *UserPool) Refresh(ctx context.Context, refreshToken string) error {
	_, err := p.Client.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: &p.ID, ClientId: &p.ClientID,
		AuthFlow: ciptypes.AuthFlowTypeRefreshTokenAuth, AuthParameters: map[string]string{"REFRESH_TOKEN": refreshToken}})
	return err
}

// TemporaryPassword returns the temporary password of the last invitation the pool
// mailed to email; the test fails if none was.
func (p *UserPool) TemporaryPassword(email string) string {
	p.t.Helper()
	all, err := localaws.Invitations(context.Background(), Endpoint(p.t), email)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(all) == 0 {
		p.t.Fatalf("no invitation was mailed to %s", email)
	}
	return all[len(all)-1]
}
