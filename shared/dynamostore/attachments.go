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

// attachmentPrefix sorts before every other item of a request's partition (COMMENT#,
// EVENT#, …), so a request's attachments are one key range of their own.
const attachmentPrefix = "ATT#"

var _ sponsorship.AttachmentStore = (*Store)(nil)

// attachmentRecord is the stored shape of an attachment: an item in its request's
// partition, written in the same transaction as the request's version.
type attachmentRecord struct {
	PK, SK        string
	Entity        string            `json:"entity"`
	ID            string            `json:"id"`
	RequestID     string            `json:"requestId"`
	Key           string            `json:"key"`
	Name          string            `json:"name"`
	Purpose       string            `json:"purpose"`
	CostLine      *int              `json:"costLine,omitempty"`
	Milestone     *int              `json:"milestone,omitempty"`
	Internal      bool              `json:"internal"`
	DeclaredType  string            `json:"declaredType"`
	Status        string            `json:"status"`
	Type          string            `json:"type,omitempty"`
	Size          int64             `json:"size,omitempty"`
	SHA256        string            `json:"sha256,omitempty"`
	Reason        string            `json:"reason,omitempty"`
	UploadedBy    sponsorship.Actor `json:"uploadedBy"`
	UploaderEmail string            `json:"uploaderEmail,omitempty"`
	CreatedAt     string            `json:"createdAt"`
	CheckedAt     string            `json:"checkedAt,omitempty"`
	// ExpiresAt (epoch seconds, the table's TTL) is set while the upload slot is open:
	// a slot nobody used is deleted by the table.
	ExpiresAt int64 `json:"expiresAt,omitempty"`
}

func toAttachmentRecord(a sponsorship.Attachment) attachmentRecord {
	rec := attachmentRecord{PK: requestPK(a.RequestID), SK: attachmentPrefix + a.ID, Entity: "attachment",
		ID: a.ID, RequestID: a.RequestID, Key: a.Key, Name: a.Name, Purpose: string(a.Purpose), CostLine: a.CostLine,
		Milestone: a.Milestone, Internal: a.Internal, DeclaredType: a.DeclaredType, Status: string(a.Status), Type: a.Type,
		Size: a.Size, SHA256: a.SHA256, Reason: a.Reason, UploadedBy: a.UploadedBy, UploaderEmail: a.UploaderEmail,
		CreatedAt: stamp(a.CreatedAt)}
	if !a.CheckedAt.IsZero() {
		rec.CheckedAt = stamp(a.CheckedAt)
	}
	if !a.ExpiresAt.IsZero() {
		rec.ExpiresAt = a.ExpiresAt.Unix()
	}
	return rec
}

func (rec attachmentRecord) attachment() sponsorship.Attachment {
	a := sponsorship.Attachment{ID: rec.ID, RequestID: rec.RequestID, Key: rec.Key, Name: rec.Name,
		Purpose: sponsorship.Purpose(rec.Purpose), CostLine: rec.CostLine, Milestone: rec.Milestone, Internal: rec.Internal,
		DeclaredType: rec.DeclaredType, Status: sponsorship.AttachmentStatus(rec.Status), Type: rec.Type, Size: rec.Size,
		SHA256: rec.SHA256, Reason: rec.Reason, UploadedBy: rec.UploadedBy, UploaderEmail: rec.UploaderEmail,
		CreatedAt: parseStamp(rec.CreatedAt), CheckedAt: parseStamp(rec.CheckedAt)}
	if rec.ExpiresAt != 0 {
		a.ExpiresAt = time.Unix(rec.ExpiresAt, 0).UTC()
	}
	return a
}

// Attachments lists a request's attachments, oldest first, with one Query of their key
// range (their ids are ULIDs, which sort by time).
func (s *Store) Attachments(ctx context.Context, requestID string) ([]sponsorship.Attachment, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :att)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": sv(requestPK(requestID)), ":att": sv(attachmentPrefix),
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("attachments of %s: %w", requestID, err)
	}
	out := make([]sponsorship.Attachment, 0, len(items))
	for _, item := range items {
		var rec attachmentRecord
		if err := unmarshal(item, &rec); err != nil {
			return nil, fmt.Errorf("attachments of %s: %w", requestID, err)
		}
		out = append(out, rec.attachment())
	}
	return out, nil
}
