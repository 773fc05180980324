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

// payoutPrefix keys the sealed payout details in their request's partition. "WALLET#"
// sorts after every other item of the partition (VOTE# included), outside the key
// ranges the applicant's reads (EVENT# to REQUEST), payments (PAYMENT# to VOTE#) and
// dossiers (everything before WALLET#) query: no read but SealedPayout meets it.
const payoutPrefix = "WALLET#"

var _ sponsorship.PayoutStore = (*Store)(nil)

// payoutRecord is one set of sealed payout details: the ciphertext, the data key as KMS
// encrypted it, and, while a change waits for its confirmation, the plain code for the
// link and the time the item expires.
type payoutRecord struct {
	PK, SK     string
	Entity     string `json:"entity"`
	RequestID  string `json:"requestId"`
	Number     int    `json:"number"`
	KeyID      string `json:"keyId"`
	DataKey    []byte `json:"dataKey"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
	CreatedAt  string `json:"createdAt"`
	Code       string `json:"code,omitempty"`
	ExpiresAt  int64  `json:"expiresAt,omitempty"`
}

func payoutSK(n int) string { return fmt.Sprintf("%s%04d", payoutPrefix, n) }

func toPayoutRecord(p sponsorship.SealedPayout) payoutRecord {
	rec := payoutRecord{PK: requestPK(p.RequestID), SK: payoutSK(p.Number), Entity: "payout-details",
		RequestID: p.RequestID, Number: p.Number, KeyID: p.Sealed.KeyID, DataKey: p.Sealed.DataKey,
		Nonce: p.Sealed.Nonce, Ciphertext: p.Sealed.Ciphertext, CreatedAt: stamp(p.CreatedAt), Code: p.Code}
	if !p.ExpiresAt.IsZero() {
		rec.ExpiresAt = p.ExpiresAt.Unix()
	}
	return rec
}

// confirmPayoutItem keeps a confirmed change for good: its plain code and expiry go.
func (s *Store) confirmPayoutItem(id string, n int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(requestPK(id), payoutSK(n)),
		UpdateExpression:         aws.String("REMOVE code, #exp"),
		ConditionExpression:      aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames: map[string]string{"#exp": AttrExpiresAt},
	}}
}

// SealedPayout reads one set of a request's sealed payout details with one GetItem.
func (s *Store) SealedPayout(ctx context.Context, id string, n int) (*sponsorship.SealedPayout, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(requestPK(id), payoutSK(n)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("payout details %d of %s: %w", n, id, translate(err))
	}
	if out.Item == nil {
		return nil, fmt.Errorf("payout details %d of %s: %w", n, id, sponsorship.ErrNotFound)
	}
	var rec payoutRecord
	if err := unmarshal(out.Item, &rec); err != nil {
		return nil, fmt.Errorf("payout details %d of %s: %w", n, id, err)
	}
	p := &sponsorship.SealedPayout{RequestID: rec.RequestID, Number: rec.Number, CreatedAt: parseStamp(rec.CreatedAt),
		Code: rec.Code, Sealed: sponsorship.Sealed{KeyID: rec.KeyID, DataKey: rec.DataKey, Nonce: rec.Nonce, Ciphertext: rec.Ciphertext}}
	if rec.ExpiresAt != 0 {
		p.ExpiresAt = time.Unix(rec.ExpiresAt, 0).UTC()
	}
	return p, nil
}
