// Command firstadmin creates the first admin of a freshly deployed stack, with the
// deployer's AWS credentials: nobody can sign in to a new stack, so nobody could
// onboard anyone through the API. It reads the stack's outputs (UserPoolId, TableName)
// and onboards the person exactly as POST /admin/staff does: a Cognito user invited by
// e-mail (Cognito mails a temporary password), in the admins group, on the roster with
// the role admin. Running it again completes what a failed run left undone and changes
// nothing once all is done. The audit event names the deployer's AWS identity.
//
//	go run ./infra/cmd/firstadmin -stack sponsorship-tracker -email ada@example.org -name "Ada Lovelace"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/identity"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "firstadmin:", err)
		os.Exit(1)
	}
}

// run parses the flags and onboards the admin, reporting to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("firstadmin", flag.ContinueOnError)
	fs.SetOutput(out)
	stack := fs.String("stack", "", "the CloudFormation stack's name (required)")
	email := fs.String("email", "", "the admin's e-mail address: their sign-in name, where Cognito mails the invitation (required)")
	name := fs.String("name", "", "the admin's name, as the record shows it (required)")
	company := fs.String("company", "", "the id of the admin's company, if they sit for one (it must exist)")
	region := fs.String("region", "", "the stack's region (default: AWS_REGION or the profile's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var missing []string
	for _, f := range []struct{ flag, value string }{{"-stack", *stack}, {"-email", *email}, {"-name", *name}} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.flag)
		}
	}
	switch {
	case len(missing) > 0:
		fs.Usage()
		return fmt.Errorf("give %s", strings.Join(missing, ", "))
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q: every value goes with its flag", fs.Args())
	}

	var opts []func(*awsconfig.LoadOptions) error
	if *region != "" {
		opts = append(opts, awsconfig.WithRegion(*region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("load AWS credentials: %w", err)
	}
	outputs, err := stackOutputs(ctx, cloudformation.NewFromConfig(cfg), *stack)
	if err != nil {
		return err
	}
	caller, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("who is deploying (sts get-caller-identity): %w", err)
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), outputs["TableName"])
	pool := identity.New(cip.NewFromConfig(cfg), outputs["UserPoolId"])
	svc := sponsorship.NewStaffService(store, pool, time.Now)
	// The deployer acts as an admin would, and the record names their AWS identity.
	deployer := sponsorship.Staff{ID: aws.ToString(caller.Arn), Groups: []string{sponsorship.GroupAdmins}}
	m, _, err := svc.Onboard(ctx, deployer, sponsorship.StaffInput{
		Name: *name, Email: *email, CompanyID: *company, Roles: []sponsorship.Role{sponsorship.RoleAdmin},
	})
	if err != nil {
		return explain(err)
	}
	fmt.Fprintf(out, "%s (%s) is an admin of %s: Cognito user %s, on the roster.\n", m.Name, m.Email, *stack, m.ID)
	if m.SignIn == sponsorship.SignInInvited {
		fmt.Fprintf(out, "Cognito mails %s a temporary password; they set their own at their first sign-in.\n", m.Email)
	}
	return nil
}

// stackOutputs reads the outputs the command needs from the stack.
func stackOutputs(ctx context.Context, cf *cloudformation.Client, stack string) (map[string]string, error) {
	desc, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &stack})
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", stack, err)
	}
	if len(desc.Stacks) != 1 {
		return nil, fmt.Errorf("describe stack %s: %d stacks", stack, len(desc.Stacks))
	}
	out := map[string]string{}
	for _, o := range desc.Stacks[0].Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	for _, k := range []string{"UserPoolId", "TableName"} {
		if out[k] == "" {
			return nil, fmt.Errorf("stack %s has no output %s: is it this project's stack, deployed completely?", stack, k)
		}
	}
	return out, nil
}

// explain turns the service's refusals into what the deployer can do.
func explain(err error) error {
	var invalid *sponsorship.ValidationError
	var state *sponsorship.StaffStateError
	var incomplete *sponsorship.IncompleteError
	switch {
	case errors.As(err, &invalid):
		flags := map[string]string{"name": "-name", "email": "-email", "companyId": "-company"}
		var lines []string
		for _, fe := range invalid.Errors {
			lines = append(lines, flags[fe.Field]+": "+fe.Message)
		}
		return fmt.Errorf("refused:\n  %s", strings.Join(lines, "\n  "))
	case errors.As(err, &state):
		return fmt.Errorf("%s", state.Reason)
	case errors.As(err, &incomplete):
		done := "nothing"
		if len(incomplete.Done) > 0 {
			done = strings.Join(incomplete.Done, ", ")
		}
		return fmt.Errorf("stopped part way (done: %s): %w\nRun the same command again to complete it", done, incomplete.Err)
	}
	return err
}
