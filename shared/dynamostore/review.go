package dynamostore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

var (
	_ sponsorship.ReviewStore = (*Store)(nil)
	_ sponsorship.AdminStore  = (*Store)(nil)
)

// queryAll runs a query to its last page.
func (s *Store) queryAll(ctx context.Context, in *dynamodb.QueryInput) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, translate(err)
		}
		items = append(items, page.Items...)
	}
	return items, nil
}

func sv(s string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: s} }

// Ballots reads the request, its votes, recusals and declarations with one Query: their
// sort keys RECUSAL#..., REQUEST, SETTLED#... and VOTE#... are adjacent, apart from
// events and comments.
func (s *Store) Ballots(ctx context.Context, id string) (*sponsorship.Dossier, error) {
	return s.keyRange(ctx, id, recusalPrefix, "VOTE$", "ballots")
}

// keyRange reads the items of a request's partition whose sort keys lie between from
// and to, with one Query, sorted by what they are.
func (s *Store) keyRange(ctx context.Context, id, from, to, what string) (*sponsorship.Dossier, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": sv(requestPK(id)), ":from": sv(from), ":to": sv(to),
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %w", what, id, err)
	}
	d, err := partition(items)
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %w", what, id, err)
	}
	if d.Request == nil {
		return nil, fmt.Errorf("%s of %s: %w", what, id, sponsorship.ErrNotFound)
	}
	return d, nil
}

// Dossier reads the request's whole partition but the sealed payout details, which
// sort last (WALLET#) and which only finance's read of them needs.
func (s *Store) Dossier(ctx context.Context, id string) (*sponsorship.Dossier, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND SK < :wallet"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(requestPK(id)), ":wallet": sv(payoutPrefix)},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("dossier of %s: %w", id, err)
	}
	d, err := partition(items)
	if err != nil {
		return nil, fmt.Errorf("dossier of %s: %w", id, err)
	}
	if d.Request == nil {
		return nil, fmt.Errorf("dossier of %s: %w", id, sponsorship.ErrNotFound)
	}
	var current []sponsorship.Vote
	for _, v := range d.Votes {
		if v.Round == d.Request.Round {
			current = append(current, v)
		}
	}
	d.Votes = current
	return d, nil
}

// Public reads what an applicant may see of a request with one Query: the sort keys
// EVENT#..., PAYMENT#..., RECUSAL#... and REQUEST are adjacent, and the committee's
// COMMENT#... and VOTE#... items, the largest of a partition, lie outside the range.
func (s *Store) Public(ctx context.Context, id string) (*sponsorship.Dossier, error) {
	d, err := s.keyRange(ctx, id, eventPrefix, skRequest, "public dossier")
	if err != nil {
		return nil, err
	}
	d.Recusals = nil // the committee's business
	return d, nil
}

// partition sorts the items of a request's partition by what they are.
func partition(items []map[string]types.AttributeValue) (*sponsorship.Dossier, error) {
	d := &sponsorship.Dossier{}
	for _, item := range items {
		sk := stringAttr(item, attrSK)
		var err error
		switch {
		case sk == skRequest:
			var rec requestRecord
			if err = unmarshal(item, &rec); err == nil {
				d.Request = rec.request()
			}
		case strings.HasPrefix(sk, eventPrefix):
			var rec eventRecord
			if err = unmarshal(item, &rec); err == nil {
				d.History = append(d.History, rec.event())
			}
		case strings.HasPrefix(sk, votePrefix):
			var rec voteRecord
			if err = unmarshal(item, &rec); err == nil {
				d.Votes = append(d.Votes, rec.vote())
			}
		case strings.HasPrefix(sk, recusalPrefix):
			var rec recusalRecord
			if err = unmarshal(item, &rec); err == nil {
				d.Recusals = append(d.Recusals, rec.recusal())
			}
		case strings.HasPrefix(sk, declarationPrefix):
			var rec declarationRecord
			if err = unmarshal(item, &rec); err == nil {
				d.Declarations = append(d.Declarations, rec.declaration())
			}
		case strings.HasPrefix(sk, commentPrefix):
			var rec commentRecord
			if err = unmarshal(item, &rec); err == nil {
				d.Comments = append(d.Comments, rec.comment())
			}
		case strings.HasPrefix(sk, paymentPrefix):
			var rec paymentRecord
			if err = unmarshal(item, &rec); err == nil {
				d.Payments = append(d.Payments, rec.payment())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("unmarshal %s: %w", sk, err)
		}
	}
	return d, nil
}

// maxQueueReads bounds the Query calls one queue page may make when filters thin the
// results, so a page costs the same however large the table is; a short page still
// carries a cursor.
const maxQueueReads = 4

// queueCursor is the opaque cursor of the review queue: the index keys of the last item
// a page returned, and the status the page listed.
type queueCursor struct {
	Status string            `json:"s"`
	Key    map[string]string `json:"k"`
}

var queueKeyAttrs = []string{attrPK, attrSK, attrGSI1PK, attrGSI1SK}

func encodeCursor(status sponsorship.Status, item map[string]types.AttributeValue) string {
	c := queueCursor{Status: string(status), Key: map[string]string{}}
	for _, a := range queueKeyAttrs {
		c.Key[a] = stringAttr(item, a)
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a queue cursor, refusing anything this store did not make for
// this status.
func DecodeCursor(status sponsorship.Status, cursor string) (map[string]types.AttributeValue, error) {
	if len(cursor) > 1024 {
		return nil, sponsorship.ErrBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, sponsorship.ErrBadCursor
	}
	var c queueCursor
	if err := json.Unmarshal(b, &c); err != nil || c.Status != string(status) || len(c.Key) != len(queueKeyAttrs) {
		return nil, sponsorship.ErrBadCursor
	}
	key := map[string]types.AttributeValue{}
	for _, a := range queueKeyAttrs {
		v, ok := c.Key[a]
		if !ok || v == "" || len(v) > 256 {
			return nil, sponsorship.ErrBadCursor
		}
		key[a] = sv(v)
	}
	if c.Key[attrGSI1PK] != statusPK(status) || !strings.HasPrefix(c.Key[attrPK], "REQ#") || c.Key[attrSK] != skRequest {
		return nil, sponsorship.ErrBadCursor
	}
	return key, nil
}

// Queue lists requests of one status through the status index, oldest or newest first,
// filtered by kind and by "waiting on this reviewer".
func (s *Store) Queue(ctx context.Context, q sponsorship.QueueQuery) (sponsorship.QueuePage, error) {
	limit := q.Limit
	if limit <= 0 || limit > sponsorship.MaxQueueLimit {
		limit = sponsorship.DefaultQueueLimit
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(IndexByStatus),
		KeyConditionExpression:    aws.String("GSI1PK = :status"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":status": sv(statusPK(q.Status))},
		ExpressionAttributeNames:  map[string]string{},
		ScanIndexForward:          aws.Bool(!q.Newest),
	}
	var filters []string
	if q.Kind != "" {
		filters = append(filters, "#kind = :kind")
		in.ExpressionAttributeNames["#kind"] = "kind"
		in.ExpressionAttributeValues[":kind"] = sv(string(q.Kind))
	}
	if me := q.WaitingOn; me != nil {
		filters = append(filters, "NOT contains(#voters, :me)", "NOT contains(#recused, :me)")
		in.ExpressionAttributeNames["#voters"], in.ExpressionAttributeNames["#recused"] = "voters", "recused"
		in.ExpressionAttributeValues[":me"] = sv(me.ReviewerID)
		// Requests of the reviewer's company recuse them: by name key or e-mail domain.
		for i, k := range me.OrgKeys {
			name := fmt.Sprintf(":org%d", i)
			filters = append(filters, "(attribute_not_exists(orgKey) OR orgKey <> "+name+")")
			in.ExpressionAttributeValues[name] = sv(k)
		}
		for i, d := range me.Domains {
			name := fmt.Sprintf(":dom%d", i)
			filters = append(filters, "NOT contains(emailDomains, "+name+")")
			in.ExpressionAttributeValues[name] = sv(d)
		}
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	if len(in.ExpressionAttributeNames) == 0 {
		in.ExpressionAttributeNames = nil
	}
	if q.Cursor != "" {
		start, err := DecodeCursor(q.Status, q.Cursor)
		if err != nil {
			return sponsorship.QueuePage{}, err
		}
		in.ExclusiveStartKey = start
	}
	var page sponsorship.QueuePage
	for reads := 0; reads < maxQueueReads; reads++ {
		in.Limit = aws.Int32(int32(limit - len(page.Items) + 1))
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return sponsorship.QueuePage{}, fmt.Errorf("queue: %w", translate(err))
		}
		for _, item := range out.Items {
			if len(page.Items) == limit {
				// More matches than the page holds: continue after the last one returned.
				page.Next = encodeCursor(q.Status, lastItem(page.Items))
				return page, nil
			}
			var rec requestRecord
			if err := unmarshal(item, &rec); err != nil {
				return sponsorship.QueuePage{}, fmt.Errorf("queue: unmarshal: %w", err)
			}
			page.Items = append(page.Items, rec.request())
		}
		if out.LastEvaluatedKey == nil {
			return page, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if len(page.Items) == limit {
			break
		}
	}
	page.Next = encodeCursor(q.Status, in.ExclusiveStartKey)
	return page, nil
}

// lastItem rebuilds the index keys of the last request of a page.
func lastItem(items []*sponsorship.Request) map[string]types.AttributeValue {
	rec := toRequestRecord(items[len(items)-1])
	return map[string]types.AttributeValue{
		attrPK: sv(rec.PK), attrSK: sv(rec.SK), attrGSI1PK: sv(rec.GSI1PK), attrGSI1SK: sv(rec.GSI1SK),
	}
}

// Directory reads the roster and the companies: one Query of the ROSTER partition.
func (s *Store) Directory(ctx context.Context) (sponsorship.Directory, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(pkRoster)},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return sponsorship.Directory{}, fmt.Errorf("roster: %w", err)
	}
	var reviewers []sponsorship.Reviewer
	var companies []sponsorship.Company
	for _, item := range items {
		switch sk := stringAttr(item, attrSK); {
		case strings.HasPrefix(sk, reviewerPrefix):
			var rec reviewerRecord
			if err := unmarshal(item, &rec); err != nil {
				return sponsorship.Directory{}, fmt.Errorf("roster: unmarshal %s: %w", sk, err)
			}
			reviewers = append(reviewers, rec.reviewer())
		case strings.HasPrefix(sk, companyPrefix):
			var rec companyRecord
			if err := unmarshal(item, &rec); err != nil {
				return sponsorship.Directory{}, fmt.Errorf("roster: unmarshal %s: %w", sk, err)
			}
			companies = append(companies, rec.company())
		}
	}
	return sponsorship.NewDirectory(reviewers, companies), nil
}

// Member reads one roster entry: one GetItem.
func (s *Store) Member(ctx context.Context, id string) (sponsorship.Reviewer, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pkRoster, reviewerPrefix+id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return sponsorship.Reviewer{}, fmt.Errorf("roster entry %s: %w", id, translate(err))
	}
	if out.Item == nil {
		return sponsorship.Reviewer{}, fmt.Errorf("roster entry %s: %w", id, sponsorship.ErrNotFound)
	}
	var rec reviewerRecord
	if err := unmarshal(out.Item, &rec); err != nil {
		return sponsorship.Reviewer{}, fmt.Errorf("roster entry %s: unmarshal: %w", id, err)
	}
	return rec.reviewer(), nil
}

// PutReviewer writes a roster entry and its audit event, conditional on the version.
func (s *Store) PutReviewer(ctx context.Context, r sponsorship.Reviewer, ev sponsorship.AuditEvent) error {
	return s.putVersioned(ctx, toReviewerRecord(r), r.Version, ev, "reviewer "+r.ID)
}

// RecordEvent writes an admin audit event on its own: what an admin changed outside the
// table, in the sign-in service. Its key is new (a time and a ULID), and the write is
// conditional on that, so a retry cannot overwrite an event.
func (s *Store) RecordEvent(ctx context.Context, ev sponsorship.AuditEvent) error {
	if ev.RequestID != "" {
		return fmt.Errorf("record event %s: a request's events go with the change to the request", ev.Type)
	}
	item, err := marshal(toEventRecord(ev))
	if err != nil {
		return fmt.Errorf("record event %s: marshal: %w", ev.Type, err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}); err != nil {
		return fmt.Errorf("record event %s: %w", ev.Type, translate(err))
	}
	return nil
}

// Governance reads the settings, or the defaults when none were saved.
func (s *Store) Governance(ctx context.Context) (sponsorship.Governance, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pkSettings, skGovernance), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return sponsorship.Governance{}, fmt.Errorf("governance: %w", translate(err))
	}
	if out.Item == nil {
		return sponsorship.DefaultGovernance, nil
	}
	var rec governanceRecord
	if err := unmarshal(out.Item, &rec); err != nil {
		return sponsorship.Governance{}, fmt.Errorf("governance: unmarshal: %w", err)
	}
	g := sponsorship.Governance{QuorumPercent: rec.QuorumPercent, Version: rec.Version, UpdatedAt: parseStamp(rec.UpdatedAt)}
	for k, v := range rec.AdvancePercent {
		if g.AdvancePercent == nil {
			g.AdvancePercent = map[sponsorship.Kind]int{}
		}
		g.AdvancePercent[sponsorship.Kind(k)] = v
	}
	return g, nil
}

// PutGovernance writes the settings and their audit event, conditional on the version.
func (s *Store) PutGovernance(ctx context.Context, g sponsorship.Governance, ev sponsorship.AuditEvent) error {
	rec := governanceRecord{PK: pkSettings, SK: skGovernance, Entity: "settings", QuorumPercent: g.QuorumPercent,
		Version: g.Version, UpdatedAt: stamp(g.UpdatedAt)}
	for k, v := range g.AdvancePercent {
		if rec.AdvancePercent == nil {
			rec.AdvancePercent = map[string]int{}
		}
		rec.AdvancePercent[string(k)] = v
	}
	return s.putVersioned(ctx, rec, g.Version, ev, "settings")
}

// putVersioned writes an item whose version is one more than the stored one (or new at
// version 1) together with its audit event.
func (s *Store) putVersioned(ctx context.Context, record any, version int, ev sponsorship.AuditEvent, what string) error {
	put, err := s.versionedPut(record, version)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	evItem, err := marshal(toEventRecord(ev))
	if err != nil {
		return fmt.Errorf("%s: marshal event: %w", what, err)
	}
	return s.transact(ctx, what, []types.TransactWriteItem{{Put: put}, {Put: &types.Put{TableName: &s.table, Item: evItem}}})
}

// Budgets lists the budgets of a fiscal year (or all years): one Query.
func (s *Store) Budgets(ctx context.Context, year int) ([]sponsorship.Budget, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(pkBudgets)},
		ConsistentRead:            aws.Bool(true),
	}
	if year != 0 {
		in.KeyConditionExpression = aws.String("PK = :pk AND begins_with(SK, :fy)")
		in.ExpressionAttributeValues[":fy"] = sv(fmt.Sprintf("FY#%d#", year))
	}
	items, err := s.queryAll(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("budgets: %w", err)
	}
	out := make([]sponsorship.Budget, 0, len(items))
	for _, item := range items {
		var rec budgetRecord
		if err := unmarshal(item, &rec); err != nil {
			return nil, fmt.Errorf("budgets: unmarshal: %w", err)
		}
		out = append(out, rec.budget())
	}
	return out, nil
}

// SetAllocation creates a budget (Version 1) or changes its allocation, keeping
// availableMinor in step, conditional on the version and on the new allocation
// covering what is committed and paid.
func (s *Store) SetAllocation(ctx context.Context, b sponsorship.Budget, previous int64, ev sponsorship.AuditEvent) error {
	what := fmt.Sprintf("budget %d/%s/%s", b.FiscalYear, b.Category, b.Currency)
	evItem, err := marshal(toEventRecord(ev))
	if err != nil {
		return fmt.Errorf("%s: marshal event: %w", what, err)
	}
	k := key(pkBudgets, budgetSK(b.FiscalYear, b.Category, b.Currency))
	var write types.TransactWriteItem
	if b.Version <= 1 {
		item, err := marshal(budgetRecord{PK: pkBudgets, SK: budgetSK(b.FiscalYear, b.Category, b.Currency), Entity: "budget",
			FiscalYear: b.FiscalYear, Category: string(b.Category), Currency: b.Currency,
			AllocatedMinor: b.Allocated, AvailableMinor: b.Allocated, Version: 1, UpdatedAt: stamp(b.UpdatedAt)})
		if err != nil {
			return fmt.Errorf("%s: marshal: %w", what, err)
		}
		write.Put = &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}
	} else {
		write.Update = &types.Update{
			TableName: &s.table, Key: k,
			UpdateExpression:         aws.String("SET allocatedMinor = :alloc, #v = :v, updatedAt = :now ADD availableMinor :delta"),
			ConditionExpression:      aws.String("#v = :prev AND availableMinor >= :need"),
			ExpressionAttributeNames: map[string]string{"#v": "version"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":alloc": &types.AttributeValueMemberN{Value: fmt.Sprint(b.Allocated)},
				":v":     &types.AttributeValueMemberN{Value: fmt.Sprint(b.Version)},
				":prev":  &types.AttributeValueMemberN{Value: fmt.Sprint(b.Version - 1)},
				":now":   sv(stamp(b.UpdatedAt)),
				":delta": &types.AttributeValueMemberN{Value: fmt.Sprint(b.Allocated - previous)},
				// What remains must not go below zero: available + delta >= 0.
				":need": &types.AttributeValueMemberN{Value: fmt.Sprint(max(0, previous-b.Allocated))},
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		write, {Put: &types.Put{TableName: &s.table, Item: evItem}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) && anyReason(cancelled, "ConditionalCheckFailed") {
		var rec budgetRecord
		if r := cancelled.CancellationReasons; len(r) > 0 && r[0].Item != nil && unmarshal(r[0].Item, &rec) == nil &&
			rec.Version == b.Version-1 {
			return &sponsorship.AllocationError{Spent: b.Money(rec.CommittedMinor + rec.PaidMinor)}
		}
		return &sponsorship.ConflictError{ID: what}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, translate(err))
	}
	return nil
}

var (
	_ sponsorship.FinanceStore = (*Store)(nil)
	_ sponsorship.StaffStore   = (*Store)(nil)
)

// Payments reads a request with its payments in one Query: PAYMENT#... and REQUEST are
// a key range of the request's partition (recusals between them are skipped).
func (s *Store) Payments(ctx context.Context, id string) (*sponsorship.Request, []sponsorship.Payment, error) {
	d, err := s.keyRange(ctx, id, paymentPrefix, skRequest, "payments")
	if err != nil {
		return nil, nil, err
	}
	return d.Request, d.Payments, nil
}

// PaymentBasis reads a request with its payments, recusals, declarations and votes of
// every round in one Query: PAYMENT#... to VOTE#... is a key range of its partition.
func (s *Store) PaymentBasis(ctx context.Context, id string) (*sponsorship.Dossier, error) {
	return s.keyRange(ctx, id, paymentPrefix, "VOTE$", "payment basis")
}
