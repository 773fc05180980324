//go:build integration

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// deployedStack stands in for a freshly deployed stack: a user pool shaped like the
// template's and a table made from it, and a CloudFormation stack in moto whose outputs
// name them as the real stack's do (moto cannot expand the SAM template itself, so the
// stack's template passes the two names through as parameters).
func deployedStack(t *testing.T) (name string, pool *testenv.UserPool, table string) {
	t.Helper()
	pool = testenv.NewUserPool(t)
	_, table = testenv.Table(t)
	body, _ := json.Marshal(map[string]any{
		"Parameters": map[string]any{"Pool": map[string]any{"Type": "String"}, "Table": map[string]any{"Type": "String"}},
		"Resources":  map[string]any{"Marker": map[string]any{"Type": "AWS::CloudFormation::WaitConditionHandle"}},
		"Outputs": map[string]any{
			"UserPoolId": map[string]any{"Value": map[string]any{"Ref": "Pool"}},
			"TableName":  map[string]any{"Value": map[string]any{"Ref": "Table"}},
		},
	})
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name = "deployed-" + hex.EncodeToString(b)
	cf := cloudformation.NewFromConfig(localaws.Config(testenv.Endpoint(t)))
	if _, err := cf.CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: &name, TemplateBody: aws.String(string(body)),
		Parameters: []cftypes.Parameter{{ParameterKey: aws.String("Pool"), ParameterValue: &pool.ID},
			{ParameterKey: aws.String("Table"), ParameterValue: &table}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: &name})
	})
	return name, pool, table
}

// TestFirstAdminOfAFreshStack: with nothing but the stack's name, the command invites
// the first admin (Cognito mails the temporary password), puts them in admins and on the
// roster with the role admin; they can sign in. Running it again changes nothing.
func TestFirstAdminOfAFreshStack(t *testing.T) {
	ctx := context.Background()
	stack, pool, table := deployedStack(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	email := "ada." + hex.EncodeToString(b) + "@foundation.example"
	args := []string{"-stack", stack, "-email", email, "-name", "Ada Lovelace"}

	var out bytes.Buffer
	if err := run(ctx, args, &out); err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	u, err := pool.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &pool.ID, Username: &email})
	if err != nil {
		t.Fatal(err)
	}
	var sub string
	for _, a := range u.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			sub = aws.ToString(a.Value)
		}
	}
	groups, _ := pool.Client.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: &pool.ID, Username: &email})
	if len(groups.Groups) != 1 || aws.ToString(groups.Groups[0].GroupName) != "admins" {
		t.Errorf("groups: %v", groups.Groups)
	}
	store := dynamostore.New(testenv.DynamoDB(t), table)
	m, err := store.Member(ctx, sub)
	if err != nil || !m.Active || len(m.Roles) != 1 || m.Roles[0] != sponsorship.RoleAdmin || m.Name != "Ada Lovelace" {
		t.Errorf("roster entry: %+v %v", m, err)
	}
	if actor := auditActor(t, table, sub); !strings.HasPrefix(actor, "arn:aws:") {
		t.Errorf("the record names %q, not the deployer's AWS identity", actor)
	}
	if !strings.Contains(out.String(), sub) || !strings.Contains(out.String(), "temporary password") {
		t.Errorf("output: %s", out.String())
	}
	tokens, err := pool.SignIn(ctx, email, pool.TemporaryPassword(email), "Ada-Chose-This-1")
	if err != nil || aws.ToString(tokens.AccessToken) == "" {
		t.Errorf("the first admin cannot sign in: %v", err)
	}

	out.Reset()
	if err := run(ctx, args, &out); err != nil {
		t.Fatalf("second run: %v", err)
	}
	users, _ := pool.Client.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &pool.ID})
	mailed, _ := localaws.Invitations(ctx, testenv.Endpoint(t), email)
	again, _ := store.Member(ctx, sub)
	if len(users.Users) != 1 || len(mailed) != 1 || again.Version != m.Version {
		t.Errorf("second run: %d users, %d invitations, roster version %d then %d", len(users.Users), len(mailed), m.Version, again.Version)
	}
}

// TestFirstAdminRefusals: missing flags, a stack without the outputs, and input the
// API would refuse are reported, and nothing is created.
func TestFirstAdminRefusals(t *testing.T) {
	ctx := context.Background()
	stack, pool, _ := deployedStack(t)
	var out bytes.Buffer
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-stack", stack}, "give -email, -name"},
		{[]string{"-stack", "no-such-stack", "-email", "a@b.org", "-name", "A"}, "describe stack no-such-stack"},
		{[]string{"-stack", stack, "-email", "not an address", "-name", "A", "-company", "nowhere"}, "-email: Enter an e-mail address"},
	} {
		err := run(ctx, c.args, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	if users, _ := pool.Client.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &pool.ID}); len(users.Users) != 0 {
		t.Errorf("refused runs created %d users", len(users.Users))
	}
}

// auditActor is who the audit event about a roster entry names.
func auditActor(t *testing.T, table, sub string) string {
	t.Helper()
	out, err := testenv.DynamoDB(t).Query(context.Background(), &dynamodb.QueryInput{
		TableName: &table, KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "ADMIN"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		if s, ok := it["subject"].(*types.AttributeValueMemberS); ok && s.Value == "reviewer:"+sub {
			if actor, ok := it["actor"].(*types.AttributeValueMemberM); ok {
				if id, ok := actor.Value["id"].(*types.AttributeValueMemberS); ok {
					return id.Value
				}
			}
		}
	}
	t.Fatalf("no audit event about %s", sub)
	return ""
}
