package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// API is the part of the DynamoDB client the store uses; *dynamodb.Client satisfies it.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Store implements sponsorship.Store on one DynamoDB table.
type Store struct {
	db    API
	table string
	log   *slog.Logger
}

var _ sponsorship.Store = (*Store)(nil)

// New returns a Store on the named table.
func New(db API, table string) *Store {
	return &Store{db: db, table: table, log: slog.Default()}
}

// WithLogger has the store report to l what it does after a write has succeeded and
// cannot give back as the write's error (see Apply).
func (s *Store) WithLogger(l *slog.Logger) *Store {
	s.log = l
	return s
}

func useJSONTags(o *attributevalue.EncoderOptions)  { o.TagKey = "json" }
func readJSONTags(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

func marshal(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, useJSONTags)
}

func unmarshal(item map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(item, v, readJSONTags)
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// CreateRequest writes the request, its first event and the idempotency record in one
// transaction, each conditional on not existing yet (an expired idempotency record may
// be overwritten).
func (s *Store) CreateRequest(ctx context.Context, r *sponsorship.Request, ev sponsorship.AuditEvent, idem *sponsorship.IdempotencyRecord) error {
	items, err := s.newRequestItems(r, ev, idem)
	if err != nil {
		return err
	}
	return s.writeNewRequest(ctx, r.ID, items, idemIndex(idem), -1)
}

// idemIndex is where newRequestItems puts the idempotency record: -1 for none.
func idemIndex(idem *sponsorship.IdempotencyRecord) int {
	if idem == nil {
		return -1
	}
	return 2
}

// newRequestItems are the writes of a new request: the request, its first event and,
// with a key, the idempotency record (last).
func (s *Store) newRequestItems(r *sponsorship.Request, ev sponsorship.AuditEvent, idem *sponsorship.IdempotencyRecord) ([]types.TransactWriteItem, error) {
	reqItem, err := marshal(toRequestRecord(r))
	if err != nil {
		return nil, fmt.Errorf("create %s: marshal request: %w", r.ID, err)
	}
	evItem, err := marshal(eventRecordOf(ev, r))
	if err != nil {
		return nil, fmt.Errorf("create %s: marshal event: %w", r.ID, err)
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: reqItem, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: &s.table, Item: evItem, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}
	if idem != nil {
		idemItem, err := marshal(toIdempotencyRecord(idem))
		if err != nil {
			return nil, fmt.Errorf("create %s: marshal idempotency record: %w", r.ID, err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: idemItem,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR #exp < :now"),
			ExpressionAttributeNames:  map[string]string{"#exp": AttrExpiresAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: fmt.Sprint(r.SubmittedAt.Unix())}},
		}})
	}
	return items, nil
}

// writeNewRequest runs the transaction of a new request. A failed condition means a
// duplicate (the idempotency key at idemAt, improbably the id), unless it is the one of
// the address's daily count at countAt (-1 for none) and not the key's.
func (s *Store) writeNewRequest(ctx context.Context, id string, items []types.TransactWriteItem, idemAt, countAt int) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) && anyReason(cancelled, "ConditionalCheckFailed") {
		failed := func(i int) bool {
			r := cancelled.CancellationReasons
			return i >= 0 && i < len(r) && aws.ToString(r[i].Code) == "ConditionalCheckFailed"
		}
		if failed(countAt) && !failed(idemAt) {
			return fmt.Errorf("create %s: %w", id, sponsorship.ErrTooManyUnconfirmed)
		}
		return fmt.Errorf("create %s: %w", id, sponsorship.ErrDuplicate)
	}
	return fmt.Errorf("create %s: %w", id, translate(err))
}

// GetRequest reads a request with a strongly consistent read.
func (s *Store) GetRequest(ctx context.Context, id string) (*sponsorship.Request, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(requestPK(id), skRequest), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, translate(err))
	}
	if out.Item == nil {
		return nil, fmt.Errorf("get %s: %w", id, sponsorship.ErrNotFound)
	}
	var rec requestRecord
	if err := unmarshal(out.Item, &rec); err != nil {
		return nil, fmt.Errorf("get %s: unmarshal: %w", id, err)
	}
	return rec.request(), nil
}

// Apply writes a change in one transaction: the request item, conditional on the
// version the change started from; its new audit events; the vote, recusal or comment
// that changed; and the budget commitment, conditional on the budget having enough left.
func (s *Store) Apply(ctx context.Context, c sponsorship.Change) error {
	r := c.Request
	prev := c.Base()
	reqItem, err := marshal(toRequestRecord(r))
	if err != nil {
		return fmt.Errorf("update %s: marshal request: %w", r.ID, err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.table, Item: reqItem,
		ConditionExpression:                 aws.String("#v = :prev"),
		ExpressionAttributeNames:            map[string]string{"#v": "version"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":prev": &types.AttributeValueMemberN{Value: fmt.Sprint(prev)}},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}}
	puts := []any{}
	for _, ev := range c.Events {
		puts = append(puts, eventRecordOf(ev, r))
	}
	if c.PutVote != nil {
		puts = append(puts, toVoteRecord(*c.PutVote))
	}
	if c.PutRecusal != nil {
		puts = append(puts, toRecusalRecord(*c.PutRecusal))
	}
	if c.PutDeclaration != nil {
		puts = append(puts, toDeclarationRecord(*c.PutDeclaration))
	}
	if c.PutComment != nil {
		puts = append(puts, toCommentRecord(*c.PutComment))
	}
	if c.PutPayment != nil {
		puts = append(puts, toPaymentRecord(*c.PutPayment))
	}
	if c.PutAttachment != nil {
		puts = append(puts, toAttachmentRecord(*c.PutAttachment))
	}
	if c.PutPayout != nil {
		puts = append(puts, toPayoutRecord(*c.PutPayout))
	}
	for _, p := range puts {
		item, err := marshal(p)
		if err != nil {
			return fmt.Errorf("update %s: marshal: %w", r.ID, err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item,
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
		switch p.(type) {
		case voteRecord, recusalRecord, declarationRecord, attachmentRecord:
			items[len(items)-1].Put.ConditionExpression = nil // they replace earlier ones
		}
	}
	if c.Confirmed != nil {
		items = append(items, s.confirmationItems(r, prev, *c.Confirmed)...)
	}
	if c.ConfirmPayout != 0 {
		items = append(items, s.confirmPayoutItem(r.ID, c.ConfirmPayout))
	}
	if c.DeleteVote != "" {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(requestPK(r.ID), votePrefix+c.DeleteVote)}})
	}
	budgetAt := -1
	if cm := c.Commit; cm != nil {
		budgetAt = len(items)
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:           &s.table,
			Key:                 key(pkBudgets, budgetSK(cm.FiscalYear, cm.Category, cm.Amount.Currency)),
			UpdateExpression:    aws.String("ADD committedMinor :amt, availableMinor :neg SET updatedAt = :now"),
			ConditionExpression: aws.String("attribute_exists(PK) AND availableMinor >= :amt"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":amt": &types.AttributeValueMemberN{Value: fmt.Sprint(cm.Amount.Minor)},
				":neg": &types.AttributeValueMemberN{Value: fmt.Sprint(-cm.Amount.Minor)},
				":now": &types.AttributeValueMemberS{Value: stamp(r.UpdatedAt)},
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	if st := c.Settle; st != nil {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:           &s.table,
			Key:                 key(pkBudgets, budgetSK(st.FiscalYear, st.Category, st.Amount.Currency)),
			UpdateExpression:    aws.String("ADD committedMinor :neg, paidMinor :amt SET updatedAt = :now"),
			ConditionExpression: aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":amt": &types.AttributeValueMemberN{Value: fmt.Sprint(st.Amount.Minor)},
				":neg": &types.AttributeValueMemberN{Value: fmt.Sprint(-st.Amount.Minor)},
				":now": &types.AttributeValueMemberS{Value: stamp(r.UpdatedAt)},
			},
		}})
	}
	idemAt := -1
	if c.Idempotency != nil {
		item, err := marshal(toIdempotencyRecord(c.Idempotency))
		if err != nil {
			return fmt.Errorf("update %s: marshal idempotency record: %w", r.ID, err)
		}
		idemAt = len(items)
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR #exp < :now"),
			ExpressionAttributeNames:  map[string]string{"#exp": AttrExpiresAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: fmt.Sprint(r.UpdatedAt.Unix())}},
		}})
	}
	// The register's writes go last: an entry that had to exist and did not (a decision
	// made before the register was) is left out and the rest written again.
	entryAt := -1
	if rc := c.Register; rc != nil {
		reg, err := s.registerItems(rc, stamp(r.UpdatedAt))
		if err != nil {
			return fmt.Errorf("update %s: %w", r.ID, err)
		}
		if rc.Paid != nil || (rc.Narrow != "" && rc.Narrow != sponsorship.PublishNone) {
			entryAt = len(items)
		}
		items = append(items, reg...)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) && failedAlone(cancelled, entryAt) {
		items = slices.Delete(items, entryAt, entryAt+1)
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	}
	if err == nil {
		// A decision's year needs a register context (see registercontext.go); the
		// decision stands either way, and a year without one has its pages read the
		// settings themselves until a later decision writes it.
		if rc := c.Register; rc != nil && rc.Totals.Outcome != "" {
			if err := s.ensureRegisterContext(ctx, rc.Key.FiscalYear); err != nil {
				s.log.WarnContext(ctx, "register context not written", "fiscalYear", rc.Key.FiscalYear, "error", err.Error())
			}
		}
		return nil
	}
	if !errors.As(err, &cancelled) {
		return fmt.Errorf("update %s: %w", r.ID, translate(err))
	}
	reasons := cancelled.CancellationReasons
	if idemAt >= 0 && idemAt < len(reasons) && aws.ToString(reasons[idemAt].Code) == "ConditionalCheckFailed" {
		return fmt.Errorf("update %s: %w", r.ID, sponsorship.ErrDuplicate)
	}
	if budgetAt >= 0 && budgetAt < len(reasons) && aws.ToString(reasons[budgetAt].Code) == "ConditionalCheckFailed" &&
		aws.ToString(reasons[0].Code) != "ConditionalCheckFailed" {
		return budgetExceeded(*c.Commit, reasons[budgetAt].Item)
	}
	if anyReason(cancelled, "ConditionalCheckFailed", "TransactionConflict") {
		return s.conflict(ctx, r.ID, cancelled)
	}
	return fmt.Errorf("update %s: %w", r.ID, translate(err))
}

// budgetExceeded builds the refusal of a commitment from the budget's old image.
func budgetExceeded(cm sponsorship.Commitment, old map[string]types.AttributeValue) error {
	e := &sponsorship.BudgetExceededError{FiscalYear: cm.FiscalYear, Category: cm.Category, Requested: cm.Amount,
		Remaining: money.Money{Currency: cm.Amount.Currency}}
	var rec budgetRecord
	if old == nil || unmarshal(old, &rec) != nil || rec.SK == "" {
		e.NoBudget = true
		return e
	}
	e.Remaining.Minor = rec.AvailableMinor
	return e
}

// conflict builds the ConflictError for a lost race, from the old image the
// cancellation carries or, failing that, a fresh read.
func (s *Store) conflict(ctx context.Context, id string, cancelled *types.TransactionCanceledException) error {
	var current *sponsorship.Request
	if len(cancelled.CancellationReasons) > 0 && cancelled.CancellationReasons[0].Item != nil {
		var rec requestRecord
		if unmarshal(cancelled.CancellationReasons[0].Item, &rec) == nil && rec.ID != "" {
			current = rec.request()
		}
	}
	if current == nil {
		var err error
		if current, err = s.GetRequest(ctx, id); err != nil {
			return fmt.Errorf("update %s: read after conflict: %w", id, err)
		}
	}
	return &sponsorship.ConflictError{ID: id, CurrentStatus: current.Status, CurrentVersion: current.Version}
}

// GetIdempotency reads a remembered Idempotency-Key by its hash.
func (s *Store) GetIdempotency(ctx context.Context, keyHash string) (*sponsorship.IdempotencyRecord, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(idempotencyPK(keyHash), skIdempotency), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency record: %w", translate(err))
	}
	if out.Item == nil {
		return nil, fmt.Errorf("idempotency record: %w", sponsorship.ErrNotFound)
	}
	var rec idempotencyRecord
	if err := unmarshal(out.Item, &rec); err != nil {
		return nil, fmt.Errorf("idempotency record: unmarshal: %w", err)
	}
	return rec.record(keyHash), nil
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// failedAlone reports whether the write at i, and no other, failed its condition.
func failedAlone(e *types.TransactionCanceledException, i int) bool {
	if i < 0 || i >= len(e.CancellationReasons) {
		return false
	}
	for j, r := range e.CancellationReasons {
		if failed := aws.ToString(r.Code) == "ConditionalCheckFailed"; failed != (j == i) {
			return false
		}
	}
	return true
}

func anyReason(e *types.TransactionCanceledException, codes ...string) bool {
	for _, r := range e.CancellationReasons {
		for _, c := range codes {
			if aws.ToString(r.Code) == c {
				return true
			}
		}
	}
	return false
}

// throttleCodes are DynamoDB's answers that mean "try again later" once the SDK's own
// retries are spent.
var throttleCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
	"InternalServerError":                    true,
	"ServiceUnavailable":                     true,
	"LimitExceededException":                 true,
}

// translate turns driver errors that mean "unavailable" into sponsorship.ErrUnavailable,
// keeping the original for logs.
func translate(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && throttleCodes[apiErr.ErrorCode()] {
		return fmt.Errorf("%w: %w", sponsorship.ErrUnavailable, err)
	}
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) && anyReason(cancelled, "ThrottlingError", "ProvisionedThroughputExceeded") {
		return fmt.Errorf("%w: %w", sponsorship.ErrUnavailable, err)
	}
	return err
}

// Table is the name of the table the store works on.
func (s *Store) Table() string { return s.table }
