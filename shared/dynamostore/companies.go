package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// PutCompany writes a company, its audit event and its claims in one transaction: the
// company conditional on its version, a claim on each of its name keys and domains
// conditional on being free or already its own, and the release of each claim previous
// had that c dropped. A claim another company holds cancels it all as a conflict.
func (s *Store) PutCompany(ctx context.Context, c sponsorship.Company, previous *sponsorship.Company, ev sponsorship.AuditEvent) error {
	what := "company " + c.ID
	items, err := s.companyWrite(c, ev)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	keep := claims(c)
	if previous != nil {
		for _, pk := range claims(*previous) {
			if slices.Contains(keep, pk) {
				continue
			}
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{
				TableName: &s.table, Key: key(pk, skClaim),
				ConditionExpression:       aws.String("attribute_not_exists(PK) OR companyId = :id"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":id": sv(c.ID)},
			}})
		}
	}
	return s.transact(ctx, what, items)
}

// MigrateCompany points roster entries stored with a company name at c (creating c,
// with its claims, when its Version is 0), each entry conditional on its version, with
// the audit event, in one transaction.
func (s *Store) MigrateCompany(ctx context.Context, c sponsorship.Company, reviewers []sponsorship.Reviewer, ev sponsorship.AuditEvent) error {
	what := "migrate company " + c.ID
	var items []types.TransactWriteItem
	if c.Version == 0 {
		c.Version = 1
		var err error
		if items, err = s.companyWrite(c, ev); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	} else {
		evItem, err := marshal(toEventRecord(ev))
		if err != nil {
			return fmt.Errorf("%s: marshal event: %w", what, err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: evItem}})
	}
	for _, r := range reviewers {
		r.CompanyID = c.ID
		put, err := s.versionedPut(toReviewerRecord(r), r.Version)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		items = append(items, types.TransactWriteItem{Put: put})
	}
	return s.transact(ctx, what, items)
}

// companyWrite is the company, its event and its claims, for one transaction.
func (s *Store) companyWrite(c sponsorship.Company, ev sponsorship.AuditEvent) ([]types.TransactWriteItem, error) {
	put, err := s.versionedPut(toCompanyRecord(c), c.Version)
	if err != nil {
		return nil, err
	}
	evItem, err := marshal(toEventRecord(ev))
	if err != nil {
		return nil, fmt.Errorf("marshal event: %w", err)
	}
	items := []types.TransactWriteItem{{Put: put}, {Put: &types.Put{TableName: &s.table, Item: evItem}}}
	for _, pk := range claims(c) {
		item, err := marshal(claimRecord{PK: pk, SK: skClaim, Entity: "claim", CompanyID: c.ID})
		if err != nil {
			return nil, fmt.Errorf("marshal claim: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR companyId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": sv(c.ID)},
		}})
	}
	return items, nil
}

// versionedPut writes an item whose version is one more than the stored one, or new at
// version 1.
func (s *Store) versionedPut(record any, version int) (*types.Put, error) {
	item, err := marshal(record)
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	put := &types.Put{TableName: &s.table, Item: item}
	if version <= 1 {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		put.ConditionExpression = aws.String("#v = :prev")
		put.ExpressionAttributeNames = map[string]string{"#v": "version"}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": &types.AttributeValueMemberN{Value: fmt.Sprint(version - 1)}}
	}
	return put, nil
}

// transact writes items in one transaction; a failed condition or a concurrent
// transaction is a *ConflictError for the caller to re-read and retry.
func (s *Store) transact(ctx context.Context, what string, items []types.TransactWriteItem) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) && anyReason(cancelled, "ConditionalCheckFailed", "TransactionConflict") {
		return &sponsorship.ConflictError{ID: what}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, translate(err))
	}
	return nil
}
