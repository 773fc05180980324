package templatetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// wantGrants is every permission each function's role holds, as "action resource" with
// the resource written as the template writes it, plus the AWS managed policies SAM
// attaches ("managed:NAME", see managedPolicies). Each line answers to code the
// function runs (its composition in shared/wiring and the packages that uses): a new
// permission is a change here, argued in review.
//
// DynamoDB authorises each item of a TransactWriteItems as its own PutItem, UpdateItem
// or DeleteItem; no transaction holds a ConditionCheck item, so no function needs
// dynamodb:ConditionCheckItem.
var wantGrants = map[string][]string{
	"SubmissionsFunction": {
		evidenceRequests("s3:GetObject"),       // the download link an applicant gets
		evidenceRequests("s3:PutObject"),       // the upload form an applicant gets
		"dynamodb:DeleteItem ${Table.Arn}",     // confirmation deletes the plain confirmation code
		"dynamodb:GetItem ${Table.Arn}",        // a request, an idempotency key
		"dynamodb:PutItem ${Table.Arn}",        // submit, resubmit, withdraw: transactions of puts
		"dynamodb:Query ${Table.Arn}",          // a request with its history
		"dynamodb:UpdateItem ${Table.Arn}",     // an address's daily count of unconfirmed requests; events kept on confirmation
		"kms:GenerateDataKey ${PayoutKey.Arn}", // seals payout details; never decrypts them
		"managed:AWSLambdaBasicExecutionRole",
	},
	"ReviewsFunction": {
		evidenceRequests("s3:GetObject"),           // a request's files, as download links
		evidenceRequests("s3:PutObject"),           // the committee's upload forms
		"dynamodb:ConditionCheckItem ${Table.Arn}", // a new year's register context: the public fields as copied
		"dynamodb:DeleteItem ${Table.Arn}",         // a recusal withdraws the reviewer's vote
		"dynamodb:GetItem ${Table.Arn}",            // governance settings, a request after a lost race
		"dynamodb:PutItem ${Table.Arn}",            // votes, recusals, comments, events
		"dynamodb:Query ${Table.Arn}",              // dossier, ballots, roster
		"dynamodb:Query ${Table.Arn}/index/GSI1",   // the review queue
		"dynamodb:UpdateItem ${Table.Arn}",         // an approval commits money to its budget
		"managed:AWSLambdaBasicExecutionRole",
	},
	"AdminFunction": {
		"dynamodb:ConditionCheckItem ${Table.Arn}", // the register's years as read, when the public fields change
		"dynamodb:DeleteItem ${Table.Arn}",         // a company's released claim on a name or domain
		"dynamodb:GetItem ${Table.Arn}",            // governance settings
		"dynamodb:PutItem ${Table.Arn}",            // roster entries, companies and claims, settings, new budgets, events
		"dynamodb:Query ${Table.Arn}",              // roster and companies, budgets
		"dynamodb:UpdateItem ${Table.Arn}",         // a budget's new allocation
		// Onboarding (shared/identity), on this stack's user pool only:
		"cognito-idp:AdminGetUser ${UserPool.Arn}",              // a user by e-mail (a retry reuses them) or subject
		"cognito-idp:ListUsers ${UserPool.Arn}",                 // every user's standing, for the staff list
		"cognito-idp:AdminCreateUser ${UserPool.Arn}",           // the invitation, and sending it again (RESEND)
		"cognito-idp:AdminUpdateUserAttributes ${UserPool.Arn}", // the name, kept the roster's
		"cognito-idp:AdminListGroupsForUser ${UserPool.Arn}",    // which groups to add or remove
		"cognito-idp:AdminAddUserToGroup ${UserPool.Arn}",       // the groups of a member's roles
		"cognito-idp:AdminRemoveUserFromGroup ${UserPool.Arn}",  // a role taken away
		"cognito-idp:AdminDisableUser ${UserPool.Arn}",          // deactivation
		"cognito-idp:AdminEnableUser ${UserPool.Arn}",           // reactivation
		"cognito-idp:AdminUserGlobalSignOut ${UserPool.Arn}",    // deactivation ends every session
		"managed:AWSLambdaBasicExecutionRole",
	},
	"FinanceFunction": {
		"dynamodb:GetItem ${Table.Arn}",                          // idempotency keys, a request after a lost race
		"dynamodb:PutItem ${Table.Arn}",                          // payments, events, idempotency keys
		"dynamodb:Query ${Table.Arn}",                            // a request's ledger and votes, the roster, budgets
		"dynamodb:Query ${Table.Arn}/index/GSI1",                 // approved requests still to pay, by status
		"dynamodb:Query ${Table.Arn}/index/GSI2",                 // reports by fiscal year and month
		"dynamodb:UpdateItem ${Table.Arn}",                       // a payment settles its budget
		evidenceRequests("s3:GetObject"),                         // a request's files: download links, and the archive reads them
		evidenceRequests("s3:PutObject"),                         // finance's upload forms
		"s3:GetObject ${ReportsBucket.Arn}/reports/*",            // what the presigned link downloads
		"s3:PutObject ${ReportsBucket.Arn}/reports/*",            // a large report, an evidence archive's parts
		"s3:AbortMultipartUpload ${ReportsBucket.Arn}/reports/*", // an evidence archive that failed part way
		"kms:Decrypt ${PayoutKey.Arn}",                           // opens payout details for finance
		"managed:AWSLambdaBasicExecutionRole",
	},
	"NotifyFunction": {
		"dynamodb:GetItem ${Table.Arn}",            // the request an event is about
		"dynamodb:Query ${Table.Arn}",              // the roster
		"dynamodb:UpdateItem ${Table.Arn}",         // claiming an event's messages in the outbox, marking each sent, releasing the claim
		"ses:SendEmail " + sesIdentities,           // as SenderEmail only: see beyondTheStack
		"sqs:SendMessage ${NotifyDeadLetters.Arn}", // the stream's on-failure destination
		"managed:AWSLambdaBasicExecutionRole",
		"managed:AWSLambdaDynamoDBExecutionRole", // reading the stream
	},
	"EvidenceFunction": {
		"dynamodb:GetItem ${Table.Arn}",                    // the request an upload belongs to
		"dynamodb:PutItem ${Table.Arn}",                    // the checked file, its event and the request's version: a transaction of puts
		"dynamodb:Query ${Table.Arn}",                      // the request's files
		evidenceRequests("s3:GetObject"),                   // the upload, to check
		evidenceRequests("s3:DeleteObject"),                // a quarantined upload leaves what is served
		"s3:PutObject " + evidenceBucket + "/quarantine/*", // and goes here
		"sqs:SendMessage ${NotifyDeadLetters.Arn}",         // its dead-letter queue
		"managed:AWSLambdaBasicExecutionRole",
	},
	"LedgerFunction": {
		"dynamodb:GetItem ${Table.Arn}",      // the log's head
		"dynamodb:BatchGetItem ${Table.Arn}", // its tiles, and which events it holds already
		"dynamodb:PutItem ${Table.Arn}",      // an append: tiles, leaves and head in one transaction; checkpoints
		"dynamodb:UpdateItem ${Table.Arn}",   // a published decision's register entry names its leaf
		"kms:GetPublicKey ${LogKey.Arn}",     // the verifier key, to name the signatures
		"kms:Sign ${LogKey.Arn}",             // checkpoints
		"managed:AWSLambdaBasicExecutionRole",
		"managed:AWSLambdaDynamoDBExecutionRole", // reading the stream
	},
	"PublicFunction": {
		"dynamodb:GetItem ${Table.Arn}",          // a tile, the checkpoint
		"dynamodb:BatchGetItem ${Table.Arn}",     // the tiles of a proof; a decision with the public fields
		"dynamodb:Query ${Table.Arn}",            // a fiscal year of the register
		"dynamodb:Query ${Table.Arn}/index/GSI4", // the feed of the latest decisions
		"kms:GetPublicKey ${LogKey.Arn}",         // the verifier key it publishes
		"managed:AWSLambdaBasicExecutionRole",
	},
	"RemindersFunction": {
		"dynamodb:Query ${Table.Arn}",              // the roster
		"dynamodb:Query ${Table.Arn}/index/GSI1",   // the requests waiting
		"dynamodb:UpdateItem ${Table.Arn}",         // claiming a reminder in the outbox, marking it sent, releasing the claim
		"ses:SendEmail " + sesIdentities,           // as SenderEmail only: see beyondTheStack
		"sqs:SendMessage ${NotifyDeadLetters.Arn}", // its dead-letter queue
		"managed:AWSLambdaBasicExecutionRole",
	},
}

// evidenceBucket is the evidence bucket by the name the template gives it: the
// functions cannot !GetAtt a bucket that notifies one of them (a cycle).
const evidenceBucket = "arn:${AWS::Partition}:s3:::${AWS::StackName}-evidence-${AWS::AccountId}"

// evidenceRequests is action on the uploads of requests, and nowhere else in the bucket.
func evidenceRequests(action string) string { return action + " " + evidenceBucket + "/requests/*" }

const sesIdentities = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"

// beyondTheStack are the only grants whose resource is not one the template creates,
// each with the condition that must hold it in and the reason.
var beyondTheStack = map[string]struct{ condition, reason string }{
	"ses:SendEmail " + sesIdentities: {
		condition: `{"StringEquals":{"ses:FromAddress":{"Ref":"SenderEmail"}}}`,
		reason: "SES authorises a send on the identity that covers the From address (the address " +
			"SenderIdentity verifies, or its domain if that is what the operator verified) and, in " +
			"the SES sandbox, on each recipient's identity too; the condition holds the function " +
			"to sending as SenderEmail",
	},
}

// managedPolicies are the AWS managed policies SAM attaches to the roles it generates,
// with what they grant. Both name Resource "*": narrowing them means writing each
// role out as an AWS::IAM::Role instead of letting SAM generate it.
var managedPolicies = map[string]string{
	"AWSLambdaBasicExecutionRole": "logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents " +
		"on *; SAM attaches it to every function's role",
	"AWSLambdaDynamoDBExecutionRole": "dynamodb:DescribeStream, GetRecords, GetShardIterator, " +
		"ListStreams and the logs actions on *; SAM attaches it for a DynamoDB stream event",
}

// TestFunctionPoliciesNameOnlyTheirOwnActionsAndResources holds every function's role to
// wantGrants: no wildcard action, no resource but one this template creates (or an
// ARN built from one) save those beyondTheStack names.
func TestFunctionPoliciesNameOnlyTheirOwnActionsAndResources(t *testing.T) {
	tmpl := loadTemplate(t)
	got, err := functionGrants(tmpl)
	if err != nil {
		t.Error(err)
	}
	want := sortedWant()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("function permissions differ from wantGrants (-want +got):\n%s", diff)
	}
}

// TestPolicyCheckCatchesWidening widens the real template in the ways a review should
// catch and checks that the test above would fail.
func TestPolicyCheckCatchesWidening(t *testing.T) {
	src := readTemplate(t)
	cases := []struct {
		name, old, new string
		rejected       bool // refused outright; otherwise it differs from wantGrants
	}{
		{"service wildcard action", "- dynamodb:DeleteItem", "- dynamodb:*", true},
		{"any resource", "Resource: !GetAtt Table.Arn", `Resource: "*"`, true},
		{"another stack's table", "Resource: !GetAtt Table.Arn",
			`Resource: !Sub "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/other"`, true},
		{"a table named by a parameter", "Resource: !GetAtt Table.Arn",
			`Resource: !Sub "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${LogLevel}"`, true},
		{"a literal ARN", "Resource: !GetAtt Table.Arn", "Resource: arn:aws:dynamodb:us-east-1:123456789012:table/t", true},
		{"NotAction", "Action: dynamodb:Query\n", "NotAction: dynamodb:Scan\n", true},
		{"SAM policy template", "      Policies:\n        - Version", "      Policies:\n        - DynamoDBCrudPolicy: {TableName: !Ref Table}\n        - Version", true},
		{"managed policy", "      Policies:\n        - Version", "      Policies:\n        - AmazonDynamoDBFullAccess\n        - Version", true},
		{"another stack's dead-letter queue", "TargetArn: !GetAtt NotifyDeadLetters.Arn", "TargetArn: arn:aws:sqs:us-east-1:123456789012:other", true},
		{"an unconditioned send", "              Condition:\n                StringEquals:\n                  ses:FromAddress: !Ref SenderEmail\n", "", true},
		{"any user pool", "Resource: !GetAtt UserPool.Arn",
			`Resource: !Sub "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*"`, true},
		{"a user pool action more", "- cognito-idp:AdminGetUser\n", "- cognito-idp:AdminGetUser\n                - cognito-idp:AdminDeleteUser\n", false},
		{"one more action", "- dynamodb:GetItem\n", "- dynamodb:GetItem\n                - dynamodb:Scan\n", false},
		{"every index", "${Table.Arn}/index/GSI1", "${Table.Arn}/index/*", false},
		{"the whole bucket", "${ReportsBucket.Arn}/reports/*", "${ReportsBucket.Arn}/*", false},
	}
	want := sortedWant()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(string(src), c.old) {
				t.Fatalf("template.yaml no longer holds %q", c.old)
			}
			tmpl, err := samtemplate.Parse([]byte(strings.Replace(string(src), c.old, c.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := functionGrants(tmpl)
			switch {
			case c.rejected && err == nil:
				t.Errorf("accepted; grants: %v", got)
			case !c.rejected && err != nil:
				t.Errorf("refused (%v); want it accepted and caught by wantGrants", err)
			case !c.rejected && cmp.Equal(want, got):
				t.Error("grants still equal wantGrants")
			case err != nil:
				t.Log(err)
			}
		})
	}
}

var checkID = regexp.MustCompile(`^CKV2?_AWS_\d+$`)

// TestCheckovSkipsGiveReasons holds every checkov suppression in the template to a
// reason of its own, next to the resource it excuses.
func TestCheckovSkipsGiveReasons(t *testing.T) {
	tmpl := loadTemplate(t)
	for id, r := range tmpl.Resources {
		ck, _ := r.Metadata["checkov"].(map[string]any)
		skips, _ := ck["skip"].([]any)
		for _, s := range skips {
			m, _ := s.(map[string]any)
			check, _ := m["id"].(string)
			reason, _ := m["comment"].(string)
			if !checkID.MatchString(check) {
				t.Errorf("%s: checkov skip with id %q", id, check)
			}
			if len(strings.Fields(reason)) < 8 {
				t.Errorf("%s: checkov skip of %s gives no reason worth the name: %q", id, check, reason)
			}
		}
	}
}

func loadTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	tmpl, err := samtemplate.Parse(readTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func readTemplate(t *testing.T) []byte {
	t.Helper()
	root, err := samtemplate.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// sortedWant is wantGrants with each function's grants sorted, as functionGrants gives them.
func sortedWant() map[string][]string {
	want := map[string][]string{}
	for fn, gs := range wantGrants {
		want[fn] = slices.Sorted(slices.Values(gs))
	}
	return want
}

// functionGrants returns the sorted grants of every AWS::Serverless::Function's role,
// and every way one of them reaches beyond its own actions and resources.
func functionGrants(tmpl *samtemplate.Template) (map[string][]string, error) {
	var errs []error
	for _, key := range []string{"Policies", "Role"} {
		if _, ok := tmpl.Globals["Function"][key]; ok {
			errs = append(errs, fmt.Errorf("Globals: Function.%s would reach every function; give each its own", key))
		}
	}
	out := map[string][]string{}
	for _, fn := range tmpl.OfType("AWS::Serverless::Function") {
		g := &grantSet{tmpl: tmpl, fn: fn}
		g.function(tmpl.Resources[fn].Properties)
		out[fn] = slices.Sorted(slices.Values(g.grants))
		errs = append(errs, g.errs...)
	}
	return out, errors.Join(errs...)
}

// grantSet gathers one function's grants and what is wrong with them.
type grantSet struct {
	tmpl   *samtemplate.Template
	fn     string
	grants []string
	errs   []error
}

func (g *grantSet) fail(format string, args ...any) {
	g.errs = append(g.errs, fmt.Errorf(g.fn+": "+format, args...))
}

func (g *grantSet) function(p map[string]any) {
	if _, ok := p["Role"]; ok {
		g.fail("an explicit Role: this test reads only Policies and what SAM derives; extend it")
	}
	g.managed("AWSLambdaBasicExecutionRole")
	switch pol := p["Policies"].(type) {
	case nil:
	case []any:
		for _, d := range pol {
			g.policy(d)
		}
	default:
		g.policy(pol)
	}
	// What SAM adds for a dead-letter queue and for event sources.
	if dlq, ok := p["DeadLetterQueue"].(map[string]any); ok {
		g.send(dlq["Type"], dlq["TargetArn"], "DeadLetterQueue")
	}
	events, _ := p["Events"].(map[string]any)
	for name, e := range events {
		ev, _ := e.(map[string]any)
		switch typ, _ := ev["Type"].(string); typ {
		case "HttpApi", "Api", "Schedule", "ScheduleV2", "S3":
			// A permission on the function, or a role of the scheduler's own: nothing on this role.
		case "DynamoDB":
			g.managed("AWSLambdaDynamoDBExecutionRole")
			props, _ := ev["Properties"].(map[string]any)
			dc, _ := props["DestinationConfig"].(map[string]any)
			if of, ok := dc["OnFailure"].(map[string]any); ok {
				g.send(of["Type"], of["Destination"], "event "+name+" on-failure destination")
			}
		default:
			g.fail("event %s of type %q: teach this test what SAM grants for it", name, typ)
		}
	}
}

// policy reads one entry of Policies: only a policy document of statements is
// accepted. A managed policy or a SAM policy template grants what AWS or SAM defines
// (DynamoDBCrudPolicy, for one, includes Scan on every index), out of this review's
// sight.
func (g *grantSet) policy(d any) {
	switch d := d.(type) {
	case string:
		g.fail("managed policy %q: write the statements it needs instead", d)
	case map[string]any:
		stmts, ok := d["Statement"].([]any)
		if !ok {
			g.fail("policy %v is not a document of statements (a SAM policy template?): write the statements instead", keys(d))
			return
		}
		for _, s := range stmts {
			st, _ := s.(map[string]any)
			g.statement(st)
		}
	default:
		g.fail("policy of unexpected form %T", d)
	}
}

var (
	actionPattern = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9]+$`)
	subVar        = regexp.MustCompile(`\$\{([^}]+)\}`)
	// What may stand before the first resource in an ARN built with !Sub, once the
	// pseudo parameters are taken out: arn:${AWS::Partition}:ses:${AWS::Region}:...
	arnPrefix = regexp.MustCompile(`^arn::[a-z0-9-]+:::([A-Za-z0-9-]+[/:])?$`)
)

func (g *grantSet) statement(st map[string]any) {
	for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
		if _, ok := st[k]; ok {
			g.fail("statement %v: %s grants everything it does not name", st["Sid"], k)
		}
	}
	if st["Effect"] != "Allow" {
		return // a Deny only narrows
	}
	cond, _ := json.Marshal(st["Condition"])
	for _, a := range list(st["Action"]) {
		action, _ := a.(string)
		if !actionPattern.MatchString(action) {
			g.fail("action %v: name each action, no wildcards", a)
			continue
		}
		for _, r := range list(st["Resource"]) {
			g.grant(action, r, string(cond))
		}
	}
}

// managed records an AWS managed policy SAM attaches; managedPolicies says what it grants.
func (g *grantSet) managed(name string) {
	if _, ok := managedPolicies[name]; !ok {
		g.fail("managed policy %s: say in managedPolicies what it grants", name)
	}
	g.grants = append(g.grants, "managed:"+name)
}

// send records the grant SAM adds for a queue or topic that receives failures.
func (g *grantSet) send(typ, target any, what string) {
	switch typ {
	case "SQS":
		g.grant("sqs:SendMessage", target, "null")
	case "SNS":
		g.grant("sns:Publish", target, "null")
	default:
		g.fail("%s of type %v: teach this test what SAM grants for it", what, typ)
	}
}

// grant records action on resource r, if r is a resource of this template (or an ARN
// built from one) or one beyondTheStack allows under the statement's condition.
func (g *grantSet) grant(action string, r any, cond string) {
	res, err := g.resource(r)
	if err != nil {
		g.fail("%s: %v", action, err)
		return
	}
	grant := action + " " + res
	g.grants = append(g.grants, grant)
	if ex, ok := beyondTheStack[grant]; ok {
		if cond != ex.condition {
			g.fail("%s: allowed beyond the stack only under %s (%s), has %s", grant, ex.condition, ex.reason, cond)
		}
		return
	}
	if err := g.ownResource(res); err != nil {
		g.fail("%s on %s: %v", action, res, err)
	}
}

// resource writes a Resource as !Sub would: ${Table.Arn}, ${Bucket}, or the !Sub string.
func (g *grantSet) resource(r any) (string, error) {
	switch r := r.(type) {
	case string:
		return r, nil
	case map[string]any:
		if v, ok := r["Fn::GetAtt"].([]any); ok && len(v) == 2 {
			return fmt.Sprintf("${%v.%v}", v[0], v[1]), nil
		}
		if v, ok := r["Ref"].(string); ok {
			return "${" + v + "}", nil
		}
		if v, ok := r["Fn::Sub"].(string); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("resource %v: a form this test does not read (use !GetAtt, !Ref or a one-string !Sub)", r)
}

// namedBucket reports whether an ARN is of a bucket of this template written by the
// name the template gives it (BucketName, a one-string !Sub of pseudo parameters), as
// a function must name a bucket that notifies it (a !GetAtt would be a cycle), with any
// wildcard after the bucket's name.
func (g *grantSet) namedBucket(arn string) bool {
	for _, r := range g.tmpl.Resources {
		if r.Type != "AWS::S3::Bucket" {
			continue
		}
		name, _ := r.Properties["BucketName"].(map[string]any)
		sub, _ := name["Fn::Sub"].(string)
		if sub == "" {
			continue
		}
		rest, ok := strings.CutPrefix(arn, "arn:${AWS::Partition}:s3:::"+sub)
		if ok && (rest == "" || strings.HasPrefix(rest, "/")) {
			return true
		}
	}
	return false
}

// ownResource reports whether an ARN names a resource of this template: it refers to
// one, nothing but pseudo parameters and the ARN's service and type come before it,
// and any wildcard comes after it.
func (g *grantSet) ownResource(arn string) error {
	first := []int(nil)
	for _, loc := range subVar.FindAllStringSubmatchIndex(arn, -1) {
		name := arn[loc[2]:loc[3]]
		if strings.HasPrefix(name, "AWS::") {
			continue
		}
		base, _, _ := strings.Cut(name, ".")
		if _, ok := g.tmpl.Resources[base]; !ok {
			return fmt.Errorf("refers to ${%s}, not a resource this template creates", name)
		}
		if first == nil {
			first = loc
		}
	}
	if first == nil {
		if g.namedBucket(arn) {
			return nil
		}
		return errors.New("names no resource this template creates")
	}
	if prefix := subVar.ReplaceAllString(arn[:first[0]], ""); prefix != "" && !arnPrefix.MatchString(prefix) {
		return fmt.Errorf("%q before the resource: an ARN of this stack's resource is built from pseudo parameters and the resource", prefix)
	}
	if strings.ContainsAny(arn[:first[1]], "*?") {
		return errors.New("a wildcard before the resource")
	}
	return nil
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
