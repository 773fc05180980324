package motostack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// clients are the SDK clients pointed at moto.
type clients struct {
	dynamo  *dynamodb.Client
	sqs     *sqs.Client
	sns     *sns.Client
	s3      *s3.Client
	ses     *sesv2.Client
	cognito *cip.Client
	kms     *kms.Client
}

func newClients(endpoint string) *clients {
	cfg := localaws.Config(endpoint)
	return &clients{
		dynamo: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		ses: sesv2.NewFromConfig(cfg), cognito: cip.NewFromConfig(cfg), kms: kms.NewFromConfig(cfg),
	}
}

// created lists what the stack made, per resource type, for the README's table and the
// start-up summary.
type created struct {
	LogicalID string
	Type      string
	Physical  string
}

// errNotYet marks a resource whose properties refer to one not created yet.
var errNotYet = errors.New("depends on a resource not created yet")

// createResources names every resource, then creates in moto those it emulates, in as
// many passes as their references to each other need.
func (s *Stack) createResources(ctx context.Context) error {
	m, r := s.model, s.resolver
	s.names = map[string]string{}
	for id, res := range m.Resources {
		name := s.physicalName(id, res)
		s.names[id] = name
		r.Attrs[id] = map[string]string{"Arn": arnFor(res.Type, name), "Name": name}
		if !refAssignedAtCreation[res.Type] {
			r.Physical[id] = name
		}
		if res.Type == "AWS::Lambda::Function" {
			r.Attrs[id]["Arn"] = "arn:aws:lambda:us-east-1:" + accountID + ":function:" + name
		}
	}
	var pending []string
	for _, id := range sortedKeys(m.Resources) {
		exists, err := s.exists(id)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		if exists {
			pending = append(pending, id)
		}
	}
	for len(pending) > 0 {
		var next []string
		var lastErr error
		for _, id := range pending {
			err := s.createResource(ctx, id, m.Resources[id])
			if errors.Is(err, errNotYet) {
				next, lastErr = append(next, id), err
				continue
			}
			if err != nil {
				return fmt.Errorf("create %s: %w", id, err)
			}
		}
		if len(next) == len(pending) {
			return fmt.Errorf("create %s: %w", strings.Join(next, ", "), lastErr)
		}
		pending = next
	}
	return nil
}

// exists reports whether a resource is in the stack: it has no condition, or its
// condition holds for the stack's parameters.
func (s *Stack) exists(id string) (bool, error) {
	cond := s.model.Resources[id].Condition
	if cond == "" {
		return true, nil
	}
	return s.resolver.condition(cond)
}

// props resolves a resource's properties, or reports errNotYet.
func (s *Stack) props(res Resource) (map[string]any, error) {
	v, err := s.resolver.Resolve(res.Properties)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotYet, err)
	}
	out, _ := v.(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// refAssignedAtCreation are the types whose Ref (an id or URL) exists only once the
// resource does; anything referring to them waits for their creation.
var refAssignedAtCreation = map[string]bool{
	"AWS::Cognito::UserPool": true, "AWS::Cognito::UserPoolClient": true, "AWS::SQS::Queue": true,
	"AWS::Cognito::UserPoolDomain": true, "AWS::Cognito::UserPoolIdentityProvider": true,
	"AWS::KMS::Key": true,
}

func (s *Stack) createResource(ctx context.Context, id string, res Resource) error {
	r := s.resolver
	name := s.names[id]
	record := func(physical string) {
		r.Physical[id] = physical
		s.created = append(s.created, created{LogicalID: id, Type: res.Type, Physical: physical})
	}
	switch res.Type {
	case "AWS::DynamoDB::Table":
		p, err := s.props(res)
		if err != nil {
			return err
		}
		spec, err := samtemplate.ParseTableSpec(p)
		if err != nil {
			return err
		}
		out, err := s.aws.dynamo.CreateTable(ctx, spec.CreateTableInput(name))
		if err != nil {
			return err
		}
		if in := spec.TimeToLiveInput(name); in != nil {
			if _, err := s.aws.dynamo.UpdateTimeToLive(ctx, in); err != nil {
				return err
			}
		}
		r.Attrs[id]["Arn"] = aws.ToString(out.TableDescription.TableArn)
		r.Attrs[id]["StreamArn"] = aws.ToString(out.TableDescription.LatestStreamArn)
		record(name)
	case "AWS::SQS::Queue":
		p, err := s.props(res)
		if err != nil {
			return err
		}
		attrs := map[string]string{}
		for _, k := range []string{"VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "MaximumMessageSize"} {
			if v, ok := p[k]; ok {
				attrs[k] = scalarString(v)
			}
		}
		if rp, ok := p["RedrivePolicy"].(map[string]any); ok {
			if s.queuePending(scalarString(rp["deadLetterTargetArn"])) {
				return errNotYet // SQS refuses a dead-letter queue that does not exist yet
			}
			attrs["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"%s"}`,
				scalarString(rp["deadLetterTargetArn"]), scalarString(rp["maxReceiveCount"]))
		}
		if fifo, _ := p["FifoQueue"].(bool); fifo {
			attrs["FifoQueue"] = "true"
		}
		out, err := s.aws.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: attrs})
		if err != nil {
			return err
		}
		r.Attrs[id]["QueueUrl"] = aws.ToString(out.QueueUrl)
		r.Attrs[id]["QueueName"] = name
		record(aws.ToString(out.QueueUrl))
	case "AWS::SNS::Topic":
		out, err := s.aws.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: &name})
		if err != nil {
			return err
		}
		r.Attrs[id]["TopicArn"] = aws.ToString(out.TopicArn)
		r.Attrs[id]["TopicName"] = name
		record(aws.ToString(out.TopicArn))
	case "AWS::KMS::Key":
		// The template's KeySpec and KeyUsage, defaulting as CloudFormation does to a
		// symmetric key for encryption; Ref is its key id, Arn its ARN. moto keeps the key
		// policy but does not evaluate it: the gate's IAM check of the callers' roles is
		// what applies.
		p, err := s.props(res)
		if err != nil {
			return err
		}
		in := &kms.CreateKeyInput{Description: aws.String(fmt.Sprint(p["Description"])),
			KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt, KeySpec: kmstypes.KeySpecSymmetricDefault}
		if v := str(p["KeySpec"]); v != "" {
			in.KeySpec = kmstypes.KeySpec(v)
		}
		if v := str(p["KeyUsage"]); v != "" {
			in.KeyUsage = kmstypes.KeyUsageType(v)
		}
		rotate, _ := p["EnableKeyRotation"].(bool)
		if rotate && in.KeySpec != kmstypes.KeySpecSymmetricDefault {
			// KMS rotates symmetric encryption keys only and refuses EnableKeyRotation for
			// any other, so CloudFormation fails the stack: refuse before creating anything.
			return fmt.Errorf("EnableKeyRotation is for symmetric encryption keys only, not KeySpec %s", in.KeySpec)
		}
		if pol, ok := p["KeyPolicy"]; ok {
			b, err := json.Marshal(pol)
			if err != nil {
				return err
			}
			in.Policy = aws.String(string(b))
		}
		out, err := s.aws.kms.CreateKey(ctx, in)
		if err != nil {
			return err
		}
		keyID := aws.ToString(out.KeyMetadata.KeyId)
		if rotate {
			if _, err := s.aws.kms.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: &keyID}); err != nil {
				return err
			}
		}
		r.Attrs[id]["Arn"], r.Attrs[id]["KeyId"] = aws.ToString(out.KeyMetadata.Arn), keyID
		record(keyID)
	case "AWS::S3::Bucket":
		cors, err := s.bucketCORS(res)
		if err != nil {
			return err
		}
		if _, err := s.aws.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
			return err
		}
		if cors != nil {
			if _, err := s.aws.s3.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &name, CORSConfiguration: cors}); err != nil {
				return fmt.Errorf("CORS configuration of %s: %w", name, err)
			}
		}
		r.Attrs[id]["DomainName"] = name + ".s3.amazonaws.com"
		record(name)
	case "AWS::Cognito::UserPool":
		p, err := s.props(res)
		if err != nil {
			return err
		}
		// moto holds new passwords to the pool's policy, as Cognito does.
		out, err := s.aws.cognito.CreateUserPool(ctx, &cip.CreateUserPoolInput{
			PoolName: &name, UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail},
			Policies: &ciptypes.UserPoolPolicyType{PasswordPolicy: passwordPolicyOf(p)},
		})
		if err != nil {
			return err
		}
		poolID := aws.ToString(out.UserPool.Id)
		r.Attrs[id]["Arn"] = aws.ToString(out.UserPool.Arn)
		r.Attrs[id]["ProviderName"] = "cognito-idp.us-east-1.amazonaws.com/" + poolID
		r.Attrs[id]["ProviderURL"] = "https://cognito-idp.us-east-1.amazonaws.com/" + poolID
		record(poolID)
	case "AWS::Cognito::UserPoolClient":
		p, err := s.props(res)
		if err != nil {
			return err
		}
		// Locally, demo users and the managed login emulation sign in with a password
		// through the admin API, so that flow is added to whatever the template allows.
		// The OAuth settings go to moto as the template has them, so that reading the
		// client back tells the truth.
		flows := []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}
		in := &cip.CreateUserPoolClientInput{
			UserPoolId: aws.String(str(p["UserPoolId"])), ClientName: &name, ExplicitAuthFlows: flows,
			CallbackURLs: strs(p["CallbackURLs"]), LogoutURLs: strs(p["LogoutURLs"]),
			AllowedOAuthScopes: strs(p["AllowedOAuthScopes"]), SupportedIdentityProviders: strs(p["SupportedIdentityProviders"]),
			AllowedOAuthFlowsUserPoolClient: oauthClient(p),
		}
		for _, f := range strs(p["AllowedOAuthFlows"]) {
			in.AllowedOAuthFlows = append(in.AllowedOAuthFlows, ciptypes.OAuthFlowType(f))
		}
		out, err := s.aws.cognito.CreateUserPoolClient(ctx, in)
		if err != nil {
			return err
		}
		record(aws.ToString(out.UserPoolClient.ClientId))
	case "AWS::Cognito::UserPoolDomain":
		p, err := s.props(res)
		if err != nil {
			return err
		}
		domain := str(p["Domain"])
		if _, err := s.aws.cognito.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{
			Domain: &domain, UserPoolId: aws.String(str(p["UserPoolId"])),
		}); err != nil {
			return err
		}
		record(domain)
	case "AWS::Cognito::UserPoolIdentityProvider":
		p, err := s.props(res)
		if err != nil {
			return err
		}
		provider := str(p["ProviderName"])
		details, mapping := map[string]string{}, map[string]string{}
		for k, v := range mapOf(p["ProviderDetails"]) {
			details[k] = scalarString(v)
		}
		for k, v := range mapOf(p["AttributeMapping"]) {
			mapping[k] = scalarString(v)
		}
		if _, err := s.aws.cognito.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
			UserPoolId: aws.String(str(p["UserPoolId"])), ProviderName: &provider,
			ProviderType: ciptypes.IdentityProviderTypeType(str(p["ProviderType"])), ProviderDetails: details, AttributeMapping: mapping,
		}); err != nil {
			return err
		}
		record(provider)
	case "AWS::Cognito::UserPoolGroup":
		p, err := s.props(res)
		if err != nil {
			return err
		}
		group := str(p["GroupName"])
		if group == "" {
			group = id
		}
		if _, err := s.aws.cognito.CreateGroup(ctx, &cip.CreateGroupInput{GroupName: &group, UserPoolId: aws.String(str(p["UserPoolId"]))}); err != nil {
			return err
		}
		record(group)
	case "AWS::SES::EmailIdentity":
		p, err := s.props(res)
		if err != nil {
			return err
		}
		identity := str(p["EmailIdentity"])
		if _, err := s.aws.ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: &identity}); err != nil {
			return err
		}
		record(identity)
	}
	return nil
}

// bucketCORS reads a bucket's CorsConfiguration, resolved against the stack's
// parameters, as S3's PutBucketCors takes it (CloudFormation's ExposedHeaders, Id and
// MaxAge are its ExposeHeaders, ID and MaxAgeSeconds); nil when the bucket has none.
func (s *Stack) bucketCORS(res Resource) (*s3types.CORSConfiguration, error) {
	raw, ok := res.Properties["CorsConfiguration"]
	if !ok {
		return nil, nil
	}
	v, err := s.resolver.Resolve(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotYet, err)
	}
	rules, _ := mapOf(v)["CorsRules"].([]any)
	if len(rules) == 0 {
		return nil, fmt.Errorf("CorsConfiguration has no CorsRules")
	}
	out := &s3types.CORSConfiguration{}
	for _, r := range rules {
		m := mapOf(r)
		rule := s3types.CORSRule{AllowedHeaders: strs(m["AllowedHeaders"]), AllowedMethods: strs(m["AllowedMethods"]),
			AllowedOrigins: strs(m["AllowedOrigins"]), ExposeHeaders: strs(m["ExposedHeaders"])}
		if id := str(m["Id"]); id != "" {
			rule.ID = aws.String(id)
		}
		if age, ok := number(m["MaxAge"]); ok {
			rule.MaxAgeSeconds = aws.Int32(int32(age))
		}
		out.CORSRules = append(out.CORSRules, rule)
	}
	return out, nil
}

// physicalName is the name the stack gives a resource: the one its properties set, or
// <stack>-<LogicalId> as CloudFormation would (without the random suffix).
func (s *Stack) physicalName(id string, res Resource) string {
	for _, k := range []string{"TableName", "QueueName", "TopicName", "BucketName", "FunctionName", "UserPoolName", "ClientName", "LogGroupName", "Name"} {
		if v, ok := res.Properties[k]; ok {
			if name, err := s.resolver.String(v); err == nil && name != "" {
				return name
			}
		}
	}
	name := s.opts.StackName + "-" + id
	if res.Type == "AWS::S3::Bucket" {
		name = strings.ToLower(name)
	}
	if fifo, _ := res.Properties["FifoQueue"].(bool); fifo && res.Type == "AWS::SQS::Queue" {
		name += ".fifo"
	}
	return name
}

// arnFor builds the ARN a resource of type typ named name has in moto's account.
func arnFor(typ, name string) string {
	svc, kind, _ := strings.Cut(strings.TrimPrefix(typ, "AWS::"), "::")
	svc = strings.ToLower(svc)
	switch typ {
	case "AWS::SQS::Queue", "AWS::SNS::Topic":
		return fmt.Sprintf("arn:aws:%s:us-east-1:%s:%s", svc, accountID, name)
	case "AWS::S3::Bucket":
		return "arn:aws:s3:::" + name
	case "AWS::IAM::Role":
		return "arn:aws:iam::" + accountID + ":role/" + name
	case "AWS::Logs::LogGroup":
		return "arn:aws:logs:us-east-1:" + accountID + ":log-group:" + name + ":*"
	}
	return fmt.Sprintf("arn:aws:%s:us-east-1:%s:%s/%s", svc, accountID, strings.ToLower(kind), name)
}
