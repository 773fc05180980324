package dynamostore

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// skPublication is the sort key, in the SETTINGS partition, of the public fields.
const skPublication = "PUBLICATION"

// publicFieldsRecord is the admins' choice of the public fields of a decided request.
type publicFieldsRecord struct {
	PK, SK    string
	Entity    string   `json:"entity"`
	Fields    []string `json:"fields"` // a list, not a set: it may be empty, and keeps its order
	Version   int      `json:"version"`
	UpdatedAt string   `json:"updatedAt"`
}

// PublicFields reads the public fields, or the catalogue's defaults when none were
// saved: one strongly consistent GetItem.
func (s *Store) PublicFields(ctx context.Context) (sponsorship.PublicFields, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pkSettings, skPublication), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return sponsorship.PublicFields{}, fmt.Errorf("public fields: %w", translate(err))
	}
	return publicFieldsOf(out.Item)
}

// publicFieldsOf reads the public fields' item, or gives the catalogue's defaults for
// none.
func publicFieldsOf(item map[string]types.AttributeValue) (sponsorship.PublicFields, error) {
	if item == nil {
		p := sponsorship.DefaultPublicFields
		p.Fields = append([]sponsorship.Field(nil), p.Fields...)
		return p, nil
	}
	var rec publicFieldsRecord
	if err := unmarshal(item, &rec); err != nil {
		return sponsorship.PublicFields{}, fmt.Errorf("public fields: unmarshal: %w", err)
	}
	p := sponsorship.PublicFields{Fields: []sponsorship.Field{}, Version: rec.Version, UpdatedAt: parseStamp(rec.UpdatedAt)}
	for _, f := range rec.Fields {
		p.Fields = append(p.Fields, sponsorship.Field(f))
	}
	return p, nil
}

// PutPublicFields writes the public fields, their audit event and their copy in every
// register context (see registercontext.go) in one transaction, conditional on the
// version.
func (s *Store) PutPublicFields(ctx context.Context, p sponsorship.PublicFields, ev sponsorship.AuditEvent) error {
	rec := publicFieldsRecord{PK: pkSettings, SK: skPublication, Entity: "publicFields", Fields: []string{},
		Version: p.Version, UpdatedAt: stamp(p.UpdatedAt)}
	for _, f := range p.Fields {
		rec.Fields = append(rec.Fields, string(f))
	}
	put, err := s.versionedPut(rec, p.Version)
	if err != nil {
		return fmt.Errorf("public fields: %w", err)
	}
	evItem, err := marshal(toEventRecord(ev))
	if err != nil {
		return fmt.Errorf("public fields: marshal event: %w", err)
	}
	cancelled, err := s.writeContexts(ctx, func(registerSources) ([]types.TransactWriteItem, sponsorship.PublicFields, error) {
		return []types.TransactWriteItem{{Put: put}, {Put: &types.Put{TableName: &s.table, Item: evItem}}}, p, nil
	})
	if cancelled != nil || errors.Is(err, errYearsMoved) {
		return &sponsorship.ConflictError{ID: "public fields"}
	}
	return err
}
