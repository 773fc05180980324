package dynamostore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// The items of the confirmation step: a provisional request's plain confirmation code,
// in its partition, and each address's count of unconfirmed requests per UTC day, in a
// partition of its own named by the address's hash (the count holds no address).
const (
	skConfirm   = "CONFIRM"
	quotaPrefix = "QUOTA#"
	dayPrefix   = "DAY#"
)

// confirmRecord is the stored plain confirmation code of a provisional request: the
// notification function reads it to build the link. It is deleted when the address is
// confirmed and expires with the request.
type confirmRecord struct {
	PK, SK    string
	Entity    string `json:"entity"`
	Code      string `json:"code"`
	ExpiresAt int64  `json:"expiresAt"`
}

func quotaKey(d sponsorship.AddressDay) map[string]types.AttributeValue {
	return key(quotaPrefix+sponsorship.HashSecret(d.Email), dayPrefix+d.Day)
}

// eventRecordOf is the stored form of an event of request r: while r is provisional,
// outside the period index (audit reports) and expiring with r.
func eventRecordOf(ev sponsorship.AuditEvent, r *sponsorship.Request) eventRecord {
	rec := toEventRecord(ev)
	if r.Provisional() {
		rec.GSI2PK, rec.GSI2SK, rec.ExpiresAt = "", "", r.ExpiresAt.Unix()
	}
	return rec
}

// CreateProvisional writes a provisional request, its first event, the idempotency
// record, the plain confirmation code and one more on the address's count of the day,
// in one transaction: the count only while it is below the limit, or nothing is
// written and the answer is sponsorship.ErrTooManyUnconfirmed. A replayed submission
// never gets here, so it never counts twice; of two racing with one key, the loser's
// count is cancelled with the rest of its transaction.
func (s *Store) CreateProvisional(ctx context.Context, r *sponsorship.Request, ev sponsorship.AuditEvent,
	idem *sponsorship.IdempotencyRecord, p sponsorship.Pending) error {
	if !r.Provisional() {
		return fmt.Errorf("create %s: a provisional request needs an expiry", r.ID)
	}
	items, err := s.newRequestItems(r, ev, idem)
	if err != nil {
		return err
	}
	code, err := marshal(confirmRecord{PK: requestPK(r.ID), SK: skConfirm, Entity: "confirmation", Code: p.Code,
		ExpiresAt: r.ExpiresAt.Unix()})
	if err != nil {
		return fmt.Errorf("create %s: marshal confirmation: %w", r.ID, err)
	}
	items = append(items,
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: code, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: quotaKey(p.Count),
			UpdateExpression:         aws.String("ADD #n :one SET entity = :entity, #exp = :exp"),
			ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n < :limit"),
			ExpressionAttributeNames: map[string]string{"#n": "n", "#exp": AttrExpiresAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one":    &types.AttributeValueMemberN{Value: "1"},
				":limit":  &types.AttributeValueMemberN{Value: fmt.Sprint(p.Limit)},
				":entity": sv("unconfirmed-count"),
				":exp":    &types.AttributeValueMemberN{Value: fmt.Sprint(p.CountExpiresAt.Unix())},
			},
		}})
	return s.writeNewRequest(ctx, r.ID, items, idemIndex(idem), len(items)-1)
}

// confirmationItems are the extra writes of a confirmation: the events the request
// wrote while provisional (versions 1 to prev) lose their expiry, the plain code is
// deleted, and the address's count of the day gives its slot back.
func (s *Store) confirmationItems(r *sponsorship.Request, prev int, c sponsorship.Confirmation) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	for v := 1; v <= prev; v++ {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(requestPK(r.ID), eventSK(v)),
			UpdateExpression:         aws.String("REMOVE #exp"),
			ConditionExpression:      aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames: map[string]string{"#exp": AttrExpiresAt},
		}})
	}
	items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(requestPK(r.ID), skConfirm)}})
	if d := c.Free; d != nil {
		day, _ := time.Parse(time.DateOnly, d.Day)
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: quotaKey(*d),
			// The count exists (its day is not over); if_not_exists only keeps a count
			// that somehow went missing from staying without an expiry.
			UpdateExpression:         aws.String("ADD #n :minus SET #exp = if_not_exists(#exp, :exp)"),
			ExpressionAttributeNames: map[string]string{"#n": "n", "#exp": AttrExpiresAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":minus": &types.AttributeValueMemberN{Value: "-1"},
				":exp":   &types.AttributeValueMemberN{Value: fmt.Sprint(day.Add(48 * time.Hour).Unix())},
			},
		}})
	}
	return items
}

// ConfirmationCode reads the plain confirmation code of a provisional request, for the
// link the notification function mails; sponsorship.ErrNotFound once the address is
// confirmed (the code is deleted then).
func (s *Store) ConfirmationCode(ctx context.Context, id string) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(requestPK(id), skConfirm), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("confirmation code of %s: %w", id, translate(err))
	}
	if out.Item == nil {
		return "", fmt.Errorf("confirmation code of %s: %w", id, sponsorship.ErrNotFound)
	}
	var rec confirmRecord
	if err := unmarshal(out.Item, &rec); err != nil {
		return "", fmt.Errorf("confirmation code of %s: unmarshal: %w", id, err)
	}
	return rec.Code, nil
}
