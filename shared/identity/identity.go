// Package identity is the staff user pool as onboarding uses it: Amazon Cognito's admin
// API behind the sponsorship.Identities interface the domain declares. Every call names
// the user by e-mail address or subject (the pool signs users in by e-mail, so both
// work as a username) and is safe to repeat, as Cognito's admin calls are.
package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Client is the part of Cognito's API the pool calls: exactly the actions the admin
// function's role is granted. *cognitoidentityprovider.Client satisfies it; tests wrap
// it to fail a call.
type Client interface {
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, opts ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	ListUsers(ctx context.Context, in *cip.ListUsersInput, opts ...func(*cip.Options)) (*cip.ListUsersOutput, error)
	AdminCreateUser(ctx context.Context, in *cip.AdminCreateUserInput, opts ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error)
	AdminUpdateUserAttributes(ctx context.Context, in *cip.AdminUpdateUserAttributesInput, opts ...func(*cip.Options)) (*cip.AdminUpdateUserAttributesOutput, error)
	AdminListGroupsForUser(ctx context.Context, in *cip.AdminListGroupsForUserInput, opts ...func(*cip.Options)) (*cip.AdminListGroupsForUserOutput, error)
	AdminAddUserToGroup(ctx context.Context, in *cip.AdminAddUserToGroupInput, opts ...func(*cip.Options)) (*cip.AdminAddUserToGroupOutput, error)
	AdminRemoveUserFromGroup(ctx context.Context, in *cip.AdminRemoveUserFromGroupInput, opts ...func(*cip.Options)) (*cip.AdminRemoveUserFromGroupOutput, error)
	AdminDisableUser(ctx context.Context, in *cip.AdminDisableUserInput, opts ...func(*cip.Options)) (*cip.AdminDisableUserOutput, error)
	AdminEnableUser(ctx context.Context, in *cip.AdminEnableUserInput, opts ...func(*cip.Options)) (*cip.AdminEnableUserOutput, error)
	AdminUserGlobalSignOut(ctx context.Context, in *cip.AdminUserGlobalSignOutInput, opts ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error)
}

// Pool is one Cognito user pool.
type Pool struct {
	client Client
	id     string
}

var _ sponsorship.Identities = (*Pool)(nil)

// New returns the user pool userPoolID reached through client.
func New(client Client, userPoolID string) *Pool {
	return &Pool{client: client, id: userPoolID}
}

// translate turns Cognito's errors into the domain's: an unknown user is ErrNotFound,
// throttling, Cognito's own failures and a connection that failed are ErrUnavailable
// (the SDK has already retried them).
func translate(err error) error {
	var notFound *types.UserNotFoundException
	var apiErr smithy.APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &notFound):
		return fmt.Errorf("%w: %w", sponsorship.ErrNotFound, err)
	case errors.As(err, &apiErr):
		switch apiErr.ErrorCode() {
		case "TooManyRequestsException", "LimitExceededException", "InternalErrorException", "ThrottlingException":
			return fmt.Errorf("%w: %w", sponsorship.ErrUnavailable, err)
		}
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: %w", sponsorship.ErrUnavailable, err)
}

// identityOf reads a user as Cognito describes it.
func identityOf(username *string, attrs []types.AttributeType, enabled bool, status types.UserStatusType) sponsorship.Identity {
	id := sponsorship.Identity{Subject: aws.ToString(username), Enabled: enabled, Invited: status == types.UserStatusTypeForceChangePassword}
	for _, a := range attrs {
		switch aws.ToString(a.Name) {
		case "sub":
			id.Subject = aws.ToString(a.Value)
		case "email":
			id.Email = aws.ToString(a.Value)
		case "name":
			id.Name = aws.ToString(a.Value)
		}
	}
	return id
}

// Lookup returns the user with this e-mail address or subject: AdminGetUser.
func (p *Pool) Lookup(ctx context.Context, username string) (sponsorship.Identity, error) {
	out, err := p.client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &p.id, Username: &username})
	if err != nil {
		return sponsorship.Identity{}, fmt.Errorf("look up user: %w", translate(err))
	}
	return identityOf(out.Username, out.UserAttributes, out.Enabled, out.UserStatus), nil
}

// List returns every user of the pool: ListUsers, 60 a page (Cognito's most).
func (p *Pool) List(ctx context.Context) ([]sponsorship.Identity, error) {
	var out []sponsorship.Identity
	pages := cip.NewListUsersPaginator(p.client, &cip.ListUsersInput{UserPoolId: &p.id, Limit: aws.Int32(60)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", translate(err))
		}
		for _, u := range page.Users {
			out = append(out, identityOf(u.Username, u.Attributes, u.Enabled, u.UserStatus))
		}
	}
	return out, nil
}

// Invite creates a user whose e-mail address is their sign-in name, verified (Cognito
// mails the invitation there, and the user can reset a forgotten password), with their
// name; Cognito generates the temporary password and mails it: AdminCreateUser.
func (p *Pool) Invite(ctx context.Context, email, name string) (sponsorship.Identity, error) {
	out, err := p.client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: &p.id, Username: &email,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: &email},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
			{Name: aws.String("name"), Value: &name},
		},
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
	})
	var exists *types.UsernameExistsException
	var invalid *types.InvalidParameterException
	switch {
	case errors.As(err, &exists):
		return sponsorship.Identity{}, fmt.Errorf("invite %s: %w", email, sponsorship.ErrIdentityExists)
	case errors.As(err, &invalid):
		return sponsorship.Identity{}, &sponsorship.ValidationError{Errors: []sponsorship.FieldError{{
			Field: "email", Code: sponsorship.CodeInvalidEmail,
			Message: "The sign-in service does not accept this e-mail address; use a plain address such as ada@example.org.",
		}}}
	case err != nil:
		return sponsorship.Identity{}, fmt.Errorf("invite user: %w", translate(err))
	}
	u := out.User
	return identityOf(u.Username, u.Attributes, u.Enabled, u.UserStatus), nil
}

// Reinvite mails the invitation again with a new temporary password: AdminCreateUser
// with MessageAction RESEND. Cognito refuses it for a user who has set a password.
func (p *Pool) Reinvite(ctx context.Context, username string) error {
	_, err := p.client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: &p.id, Username: &username, MessageAction: types.MessageActionTypeResend,
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
	})
	var state *types.UnsupportedUserStateException
	if errors.As(err, &state) {
		return fmt.Errorf("resend invitation: %w", sponsorship.ErrSignedIn)
	}
	if err != nil {
		return fmt.Errorf("resend invitation: %w", translate(err))
	}
	return nil
}

// SetName changes the user's name attribute: AdminUpdateUserAttributes.
func (p *Pool) SetName(ctx context.Context, subject, name string) error {
	_, err := p.client.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
		UserPoolId: &p.id, Username: &subject, UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: &name}},
	})
	if err != nil {
		return fmt.Errorf("set name: %w", translate(err))
	}
	return nil
}

// Groups lists the user's groups: AdminListGroupsForUser.
func (p *Pool) Groups(ctx context.Context, subject string) ([]string, error) {
	var out []string
	pages := cip.NewAdminListGroupsForUserPaginator(p.client, &cip.AdminListGroupsForUserInput{UserPoolId: &p.id, Username: &subject})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", translate(err))
		}
		for _, g := range page.Groups {
			out = append(out, aws.ToString(g.GroupName))
		}
	}
	return out, nil
}

// AddToGroup adds the user to a group: AdminAddUserToGroup.
func (p *Pool) AddToGroup(ctx context.Context, subject, group string) error {
	_, err := p.client.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &p.id, Username: &subject, GroupName: &group})
	if err != nil {
		return fmt.Errorf("add to %s: %w", group, translate(err))
	}
	return nil
}

// RemoveFromGroup takes the user out of a group: AdminRemoveUserFromGroup.
func (p *Pool) RemoveFromGroup(ctx context.Context, subject, group string) error {
	_, err := p.client.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: &p.id, Username: &subject, GroupName: &group})
	if err != nil {
		return fmt.Errorf("remove from %s: %w", group, translate(err))
	}
	return nil
}

// Disable stops the user from signing in: AdminDisableUser.
func (p *Pool) Disable(ctx context.Context, subject string) error {
	if _, err := p.client.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: &p.id, Username: &subject}); err != nil {
		return fmt.Errorf("disable user: %w", translate(err))
	}
	return nil
}

// Enable lets the user sign in again: AdminEnableUser.
func (p *Pool) Enable(ctx context.Context, subject string) error {
	if _, err := p.client.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: &p.id, Username: &subject}); err != nil {
		return fmt.Errorf("enable user: %w", translate(err))
	}
	return nil
}

// SignOut revokes every refresh token of the user, so no session of theirs can renew
// its access token: AdminUserGlobalSignOut.
func (p *Pool) SignOut(ctx context.Context, subject string) error {
	if _, err := p.client.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &p.id, Username: &subject}); err != nil {
		return fmt.Errorf("sign out user: %w", translate(err))
	}
	return nil
}
