package samtemplate

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableSpec is the part of an AWS::DynamoDB::Table resource that shapes the table:
// keys, indexes, stream and TTL. Billing, encryption and recovery settings have no
// local meaning and are left out.
type TableSpec struct {
	AttributeDefinitions []struct {
		AttributeName string
		AttributeType string
	}
	KeySchema              []keyElement
	GlobalSecondaryIndexes []struct {
		IndexName  string
		KeySchema  []keyElement
		Projection struct {
			ProjectionType   string
			NonKeyAttributes []string
		}
	}
	StreamSpecification *struct {
		StreamViewType string
	}
	TimeToLiveSpecification *struct {
		AttributeName string
		Enabled       bool
	}
}

type keyElement struct {
	AttributeName string
	KeyType       string
}

// Table returns the spec of the table resource with the given logical id.
func (t *Template) Table(logicalID string) (*TableSpec, error) {
	r, ok := t.Resources[logicalID]
	if !ok || r.Type != "AWS::DynamoDB::Table" {
		return nil, fmt.Errorf("template has no table %q", logicalID)
	}
	spec, err := ParseTableSpec(r.Properties)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", logicalID, err)
	}
	return spec, nil
}

// ParseTableSpec reads the properties of an AWS::DynamoDB::Table resource.
func ParseTableSpec(props map[string]any) (*TableSpec, error) {
	b, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	var spec TableSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, err
	}
	return &spec, nil
}

// CreateTableInput returns the DynamoDB call that creates the table under name, billed on
// demand as the template has it.
func (s *TableSpec) CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
	for _, a := range s.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	in.KeySchema = keySchema(s.KeySchema)
	for _, g := range s.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName),
			KeySchema: keySchema(g.KeySchema),
			Projection: &types.Projection{
				ProjectionType:   types.ProjectionType(g.Projection.ProjectionType),
				NonKeyAttributes: g.Projection.NonKeyAttributes,
			},
		})
	}
	if s.StreamSpecification != nil {
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(s.StreamSpecification.StreamViewType),
		}
	}
	return in
}

// TimeToLiveInput returns the call that enables the table's TTL attribute, or nil.
func (s *TableSpec) TimeToLiveInput(name string) *dynamodb.UpdateTimeToLiveInput {
	if s.TimeToLiveSpecification == nil || !s.TimeToLiveSpecification.Enabled {
		return nil
	}
	return &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(s.TimeToLiveSpecification.AttributeName), Enabled: aws.Bool(true),
		},
	}
}

func keySchema(ks []keyElement) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)})
	}
	return out
}
