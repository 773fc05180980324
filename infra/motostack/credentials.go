package motostack

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// functionAWS is the SDK configuration the stack uses when it acts for a function, as
// Lambda does with the function's execution role: reading its event sources (streams,
// queues) and sending to its on-failure destinations. The gate holds those calls to
// the role, as AWS does.
func (s *Stack) functionAWS(functionID string) aws.Config {
	cfg := localaws.Config(s.endpoint)
	if p := s.gate.byFn[functionID]; p != nil {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(p.key, p.secret, "")
	}
	return cfg
}

// functionSenders send to destinations as a function's execution role.
type functionSenders struct {
	sqs *sqs.Client
	sns *sns.Client
}

// sendAs sends a message to a destination (an SQS queue or SNS topic ARN) as the
// function's execution role, as Lambda sends invocation records, dead letters and
// event source failures, with message attributes given as name → {type, value}.
func (s *Stack) sendAs(ctx context.Context, functionID, target string, body []byte, attrs map[string][2]string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c := s.senders(functionID)
	if strings.HasPrefix(target, "arn:aws:sqs:") {
		in := &sqs.SendMessageInput{QueueUrl: aws.String(s.anyQueueURL(target)), MessageBody: aws.String(string(body))}
		if len(attrs) > 0 {
			in.MessageAttributes = map[string]sqstypes.MessageAttributeValue{}
			for k, v := range attrs {
				in.MessageAttributes[k] = sqstypes.MessageAttributeValue{DataType: aws.String(v[0]), StringValue: aws.String(v[1])}
			}
		}
		_, err := c.sqs.SendMessage(ctx, in)
		return err
	}
	in := &sns.PublishInput{TopicArn: aws.String(target), Message: aws.String(string(body))}
	if len(attrs) > 0 {
		in.MessageAttributes = map[string]snstypes.MessageAttributeValue{}
		for k, v := range attrs {
			in.MessageAttributes[k] = snstypes.MessageAttributeValue{DataType: aws.String(v[0]), StringValue: aws.String(v[1])}
		}
	}
	_, err := c.sns.Publish(ctx, in)
	return err
}

func (s *Stack) senders(functionID string) *functionSenders {
	if c, ok := s.sendersByFn.Load(functionID); ok {
		return c.(*functionSenders)
	}
	cfg := s.functionAWS(functionID)
	c, _ := s.sendersByFn.LoadOrStore(functionID, &functionSenders{sqs: sqs.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg)})
	return c.(*functionSenders)
}

// anyQueueURL is a queue's URL from its ARN: the template's, else the one moto gives a
// queue of that name.
func (s *Stack) anyQueueURL(arn string) string {
	if u := s.queueURL(arn); u != "" {
		return u
	}
	parts := strings.Split(arn, ":")
	return s.endpoint + "/" + parts[len(parts)-2] + "/" + parts[len(parts)-1]
}
