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

// reportPage is how many items a report reads per Query: enough to keep calls few, small
// enough that memory stays flat.
const reportPage = 500

// eachPage runs a query page by page, handing each item to fn; only one page is in
// memory at a time.
func (s *Store) eachPage(ctx context.Context, in *dynamodb.QueryInput, fn func(map[string]types.AttributeValue) error) error {
	in.Limit = aws.Int32(reportPage)
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return translate(err)
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// periodQuery selects a partition of the period index (GSI2) between two sort-key
// prefixes; empty bounds are open.
func (s *Store) periodQuery(pk, from, to string) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(IndexByPeriod),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(pk)},
	}
	switch {
	case from != "" && to != "":
		in.KeyConditionExpression = aws.String("GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to")
		in.ExpressionAttributeValues[":from"], in.ExpressionAttributeValues[":to"] = sv(from), sv(to+"~")
	case from != "":
		in.KeyConditionExpression = aws.String("GSI2PK = :pk AND GSI2SK >= :from")
		in.ExpressionAttributeValues[":from"] = sv(from)
	case to != "":
		in.KeyConditionExpression = aws.String("GSI2PK = :pk AND GSI2SK <= :to")
		in.ExpressionAttributeValues[":to"] = sv(to + "~")
	}
	return in
}

// EachRequest visits a fiscal year's requests through the period index.
func (s *Store) EachRequest(ctx context.Context, year int, from, to string, fn func(*sponsorship.Request) error) error {
	return s.eachPage(ctx, s.periodQuery(fmt.Sprintf("FY#%d", year), from, to), func(item map[string]types.AttributeValue) error {
		var rec requestRecord
		if err := unmarshal(item, &rec); err != nil {
			return fmt.Errorf("report: unmarshal request: %w", err)
		}
		return fn(rec.request())
	})
}

// EachPayment visits a fiscal year's payments by date through the period index.
func (s *Store) EachPayment(ctx context.Context, year int, from, to string, fn func(sponsorship.Payment) error) error {
	return s.eachPage(ctx, s.periodQuery(fmt.Sprintf("PAY#%d", year), from, to), func(item map[string]types.AttributeValue) error {
		var rec paymentRecord
		if err := unmarshal(item, &rec); err != nil {
			return fmt.Errorf("report: unmarshal payment: %w", err)
		}
		return fn(rec.payment())
	})
}

// EachEvent visits the audit events between two times: one key range per month of the
// period index.
func (s *Store) EachEvent(ctx context.Context, from, to time.Time, fn func(sponsorship.AuditEvent) error) error {
	from, to = from.UTC(), to.UTC()
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(to); m = m.AddDate(0, 1, 0) {
		in := s.periodQuery("AUDIT#"+m.Format("2006-01"), stamp(from), stamp(to))
		err := s.eachPage(ctx, in, func(item map[string]types.AttributeValue) error {
			var rec eventRecord
			if err := unmarshal(item, &rec); err != nil {
				return fmt.Errorf("report: unmarshal event: %w", err)
			}
			return fn(rec.event())
		})
		if err != nil {
			return err
		}
	}
	return nil
}
