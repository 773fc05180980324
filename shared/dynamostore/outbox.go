package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/notify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

var _ notify.Outbox = (*Store)(nil)
var _ notify.Reader = (*Store)(nil)

// outboxTTL is how long notification records are kept: long past any retry.
const outboxTTL = 30 * 24 * time.Hour

// maxKeysInCondition is the most keys a claim's condition names (DynamoDB allows an
// expression 4 KB); a larger group is claimed without the all-sent check, and a replay
// of it then takes and releases a claim instead.
const maxKeysInCondition = 64

func outboxKey(group string) map[string]types.AttributeValue { return key("NOTIFY#"+group, "NOTIFY") }

// Claim takes a group of notifications for sending until now+lease, unless another claim
// on it is still live or the group sent every one of keys, and returns the keys of those
// it sent before (the map "sent", key to message id, written by MarkSent). A group that
// sent every one of keys answers ErrAlreadySent, so a redelivered event is done at once.
// One UpdateItem.
func (s *Store) Claim(ctx context.Context, group string, keys []string, lease time.Duration) (map[string]bool, error) {
	now := time.Now().UTC()
	// A group that sent every one of keys is not claimed again: the condition fails and
	// the answer is ErrAlreadySent, with nothing written (a replay's usual case).
	cond := "attribute_not_exists(PK) OR leaseUntil < :now"
	names := map[string]string{"#exp": AttrExpiresAt}
	if len(keys) > 0 && len(keys) <= maxKeysInCondition {
		var unsent []string
		for i, k := range keys {
			names[fmt.Sprintf("#k%d", i)] = k
			unsent = append(unsent, fmt.Sprintf("attribute_not_exists(sent.#k%d)", i))
		}
		cond = "attribute_not_exists(PK) OR (leaseUntil < :now AND (" + strings.Join(unsent, " OR ") + "))"
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: outboxKey(group),
		UpdateExpression:         aws.String("SET leaseUntil = :until, #exp = :exp, entity = :entity, sent = if_not_exists(sent, :none)"),
		ConditionExpression:      aws.String(cond),
		ExpressionAttributeNames: names,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until":  &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(lease).Unix())},
			":now":    &types.AttributeValueMemberN{Value: fmt.Sprint(now.Unix())},
			":exp":    &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(outboxTTL).Unix())},
			":entity": sv("notification"),
			":none":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		sent := sentOf(failed.Item)
		for _, k := range keys {
			if !sent[k] {
				return nil, notify.ErrInFlight
			}
		}
		return nil, notify.ErrAlreadySent
	}
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", group, translate(err))
	}
	return sentOf(out.Attributes), nil
}

// sentOf reads the keys of an outbox record's sent notifications.
func sentOf(item map[string]types.AttributeValue) map[string]bool {
	m, _ := item["sent"].(*types.AttributeValueMemberM)
	if m == nil {
		return map[string]bool{}
	}
	out := make(map[string]bool, len(m.Value))
	for k := range m.Value {
		out[k] = true
	}
	return out
}

// MarkSent records that one notification of a claimed group went out, with its message
// id, and with release gives up the claim in the same write.
func (s *Store) MarkSent(ctx context.Context, group, k, messageID string, release bool) error {
	update := "SET sent.#k = :id"
	values := map[string]types.AttributeValue{":id": sv(messageID)}
	if release {
		update += ", leaseUntil = :zero"
		values[":zero"] = &types.AttributeValueMemberN{Value: "0"}
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: outboxKey(group),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("attribute_exists(sent)"),
		ExpressionAttributeNames:  map[string]string{"#k": k},
		ExpressionAttributeValues: values,
	})
	if err != nil {
		return fmt.Errorf("mark %s sent: %w", k, translate(err))
	}
	return nil
}

// Release gives up a group's claim after a failed send, and counts the attempt.
func (s *Store) Release(ctx context.Context, group string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: outboxKey(group),
		UpdateExpression:          aws.String("SET leaseUntil = :zero ADD attempts :one"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": &types.AttributeValueMemberN{Value: "0"}, ":one": &types.AttributeValueMemberN{Value: "1"}},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fmt.Errorf("release %s: %w", group, translate(err))
	}
	return nil
}

// WaitingSince lists the submitted requests submitted before a time, oldest first,
// through the status index: one key range, every page.
func (s *Store) WaitingSince(ctx context.Context, before time.Time) ([]*sponsorship.Request, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(IndexByStatus),
		KeyConditionExpression: aws.String("GSI1PK = :status AND GSI1SK < :before"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":status": sv(statusPK(sponsorship.StatusSubmitted)), ":before": sv(stamp(before)),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("waiting requests: %w", err)
	}
	out := make([]*sponsorship.Request, 0, len(items))
	for _, item := range items {
		var rec requestRecord
		if err := unmarshal(item, &rec); err != nil {
			return nil, fmt.Errorf("waiting requests: unmarshal: %w", err)
		}
		out = append(out, rec.request())
	}
	return out, nil
}

// Owing lists the approved requests not yet closed (approved, partially paid or paid):
// those that may owe reports. One Query of the status index per status, page by page.
func (s *Store) Owing(ctx context.Context) ([]*sponsorship.Request, error) {
	var out []*sponsorship.Request
	for _, st := range []sponsorship.Status{sponsorship.StatusApproved, sponsorship.StatusPartiallyPaid, sponsorship.StatusPaid} {
		items, err := s.queryAll(ctx, &dynamodb.QueryInput{
			TableName: &s.table, IndexName: aws.String(IndexByStatus),
			KeyConditionExpression:    aws.String("GSI1PK = :status"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":status": sv(statusPK(st))},
		})
		if err != nil {
			return nil, fmt.Errorf("requests owing reports: %w", err)
		}
		for _, item := range items {
			var rec requestRecord
			if err := unmarshal(item, &rec); err != nil {
				return nil, fmt.Errorf("requests owing reports: unmarshal: %w", err)
			}
			out = append(out, rec.request())
		}
	}
	return out, nil
}

// ErrNotAnEvent is returned by EventFromStream for stream records that are not audit
// events.
var ErrNotAnEvent = errors.New("not an audit event")

// EventFromStream decodes the new image of a stream record into the audit event it
// holds.
func EventFromStream(image map[string]events.DynamoDBAttributeValue) (sponsorship.AuditEvent, error) {
	item, err := fromStreamImage(image)
	if err != nil {
		return sponsorship.AuditEvent{}, err
	}
	var rec eventRecord
	if err := unmarshal(item, &rec); err != nil {
		return sponsorship.AuditEvent{}, fmt.Errorf("decode event: %w", err)
	}
	if rec.Entity != "event" || rec.Type == "" {
		return sponsorship.AuditEvent{}, ErrNotAnEvent
	}
	return rec.event(), nil
}

// fromStreamImage converts a Lambda stream image to SDK attribute values.
func fromStreamImage(image map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(image))
	for k, v := range image {
		av, err := fromStreamValue(v, 0)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromStreamValue(v events.DynamoDBAttributeValue, depth int) (types.AttributeValue, error) {
	if depth > 32 {
		return nil, errors.New("nested too deeply")
	}
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		var l []types.AttributeValue
		for _, x := range v.List() {
			av, err := fromStreamValue(x, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, av)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m := map[string]types.AttributeValue{}
		for k, x := range v.Map() {
			av, err := fromStreamValue(x, depth+1)
			if err != nil {
				return nil, err
			}
			m[k] = av
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
}
