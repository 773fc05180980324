package motostack

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// User is someone to create in a template's user pool.
type User struct {
	Email string
	Name  string
	// Password is the user's password (CreateUser), or the temporary one of an
	// invitation (InviteUser).
	Password string
	Groups   []string
}

// Tokens are what signing in returns: the access token is what the API's authorizer
// checks; the id token carries the profile.
type Tokens struct {
	Access string
	ID     string
}

// UserPool returns the logical ids of the template's (single) user pool and of the
// client that scripts sign in with: the first without OAuth flows, else the first.
func (s *Stack) UserPool() (pool, client string, err error) {
	var oauth string
	for _, id := range sortedKeys(s.model.Resources) {
		switch r := s.model.Resources[id]; r.Type {
		case "AWS::Cognito::UserPool":
			if pool == "" {
				pool = id
			}
		case "AWS::Cognito::UserPoolClient":
			flag, _ := s.resolver.Resolve(r.Properties["AllowedOAuthFlowsUserPoolClient"])
			if oauthClient(map[string]any{"AllowedOAuthFlowsUserPoolClient": flag}) {
				if oauth == "" {
					oauth = id
				}
			} else if client == "" {
				client = id
			}
		}
	}
	if client == "" {
		client = oauth
	}
	if pool == "" || client == "" {
		return "", "", errors.New("the template has no Cognito user pool and client")
	}
	return pool, client, nil
}

// attributes are a user's attributes in the pool: the e-mail address, verified (an
// admin vouches for it), and the name when there is one.
func (u User) attributes() []ciptypes.AttributeType {
	attrs := []ciptypes.AttributeType{
		{Name: aws.String("email"), Value: &u.Email}, {Name: aws.String("email_verified"), Value: aws.String("true")},
	}
	if u.Name != "" {
		attrs = append(attrs, ciptypes.AttributeType{Name: aws.String("name"), Value: &u.Name})
	}
	return attrs
}

// CreateUser adds a confirmed user with a permanent password to the template's user
// pool and its groups, and returns the user's subject (the id tokens carry as sub).
// A user that exists already is updated instead.
func (s *Stack) CreateUser(ctx context.Context, u User) (string, error) {
	pool, _, err := s.UserPool()
	if err != nil {
		return "", err
	}
	poolID := s.resolver.Physical[pool]
	_, err = s.aws.cognito.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: &poolID, Username: &u.Email, UserAttributes: u.attributes(), MessageAction: ciptypes.MessageActionTypeSuppress,
	})
	var exists *ciptypes.UsernameExistsException
	if err != nil && !errors.As(err, &exists) {
		return "", fmt.Errorf("create user %s: %w", u.Email, err)
	}
	if _, err := s.aws.cognito.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: &poolID, Username: &u.Email, Password: &u.Password, Permanent: true,
	}); err != nil {
		return "", fmt.Errorf("set password of %s: %w", u.Email, err)
	}
	if err := s.addToGroups(ctx, poolID, u); err != nil {
		return "", err
	}
	out, err := s.aws.cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: &u.Email})
	if err != nil {
		return "", fmt.Errorf("read user %s: %w", u.Email, err)
	}
	for _, a := range out.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value), nil
		}
	}
	return aws.ToString(out.Username), nil
}

// InviteUser adds a user to the template's user pool and its groups as an admin's
// invitation does: with a temporary password (User.Password) to replace at the first
// sign-in. moto sends no mail. It returns the user's subject.
func (s *Stack) InviteUser(ctx context.Context, u User) (string, error) {
	pool, _, err := s.UserPool()
	if err != nil {
		return "", err
	}
	poolID := s.resolver.Physical[pool]
	out, err := s.aws.cognito.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: &poolID, Username: &u.Email, UserAttributes: u.attributes(), TemporaryPassword: &u.Password,
		MessageAction: ciptypes.MessageActionTypeSuppress,
	})
	if err != nil {
		return "", fmt.Errorf("invite %s: %w", u.Email, err)
	}
	if err := s.addToGroups(ctx, poolID, u); err != nil {
		return "", err
	}
	for _, a := range out.User.Attributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value), nil
		}
	}
	return aws.ToString(out.User.Username), nil
}

// SignIn signs a user in to the template's user pool client and returns fresh tokens.
func (s *Stack) SignIn(ctx context.Context, email, password string) (Tokens, error) {
	pool, client, err := s.UserPool()
	if err != nil {
		return Tokens{}, err
	}
	out, err := s.aws.cognito.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(s.resolver.Physical[pool]), ClientId: aws.String(s.resolver.Physical[client]),
		AuthFlow:       ciptypes.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("sign in %s: %w", email, err)
	}
	if out.AuthenticationResult == nil {
		return Tokens{}, fmt.Errorf("sign in %s: challenge %s", email, out.ChallengeName)
	}
	return Tokens{Access: aws.ToString(out.AuthenticationResult.AccessToken), ID: aws.ToString(out.AuthenticationResult.IdToken)}, nil
}

// addToGroups adds a user to their groups.
func (s *Stack) addToGroups(ctx context.Context, poolID string, u User) error {
	for _, g := range u.Groups {
		if _, err := s.aws.cognito.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: &poolID, Username: &u.Email, GroupName: aws.String(g),
		}); err != nil {
			return fmt.Errorf("add %s to %s: %w", u.Email, g, err)
		}
	}
	return nil
}

// DisableUser disables a user of the template's user pool, as an admin's deactivation
// does: their next sign-in and their refresh tokens are refused.
func (s *Stack) DisableUser(ctx context.Context, email string) error {
	pool, _, err := s.UserPool()
	if err != nil {
		return err
	}
	if _, err := s.aws.cognito.AdminDisableUser(ctx, &cip.AdminDisableUserInput{
		UserPoolId: aws.String(s.resolver.Physical[pool]), Username: &email,
	}); err != nil {
		return fmt.Errorf("disable %s: %w", email, err)
	}
	return nil
}
