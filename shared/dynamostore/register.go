package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

var _ sponsorship.RegisterStore = (*Store)(nil)

// The public register's keys: a partition per fiscal year holding its listed decisions
// and its totals, and one item listing the years.
const (
	registerPrefix = "REGISTER#"
	decisionPrefix = "DECISION#"
	skTotals       = "TOTALS"
	pkRegister     = "REGISTER"
	skYears        = "YEARS"
)

func registerPK(year int) string { return registerPrefix + strconv.Itoa(year) }

// registerRecord is a listed decision: exactly the inputs of its public record that
// may ever be public (see sponsorship.RegisterEntry), and nothing else of the request.
type registerRecord struct {
	PK, SK string
	// The feed's index: every listed decision, newest first.
	GSI4PK, GSI4SK string
	Entity         string            `json:"entity"`
	ID             string            `json:"id"`
	Reference      string            `json:"reference"`
	FiscalYear     int               `json:"fiscalYear"`
	Status         string            `json:"status"`
	Publication    string            `json:"publication"`
	Kind           string            `json:"kind"`
	Title          string            `json:"title"`
	ApplicantName  string            `json:"applicantName,omitempty"`
	Organization   string            `json:"organization,omitempty"`
	Event          string            `json:"event,omitempty"`
	Currency       string            `json:"currency"`
	AmountMinor    int64             `json:"amountMinor"`
	ApprovedMinor  *int64            `json:"approvedMinor,omitempty"`
	DecidedAt      string            `json:"decidedAt"`
	Seats          []registerSeat    `json:"seats"`
	Recusals       []registerRecusal `json:"recusals"`
	PaymentCount   int               `json:"paymentCount"`
	PaidMinor      int64             `json:"paidMinor"`
	// DecisionVersion names the decision's audit event, whose leaf the page links;
	// LeafIndex is that leaf's index, set by the ledger function once it appended it
	// (payments and narrowed consent update the entry in place and keep it).
	DecisionVersion int    `json:"decisionVersion,omitempty"`
	LeafIndex       *int64 `json:"leafIndex,omitempty"`
}

type registerSeat struct {
	Seat string `json:"seat"`
	Vote string `json:"vote,omitempty"`
}

type registerRecusal struct {
	Seat     string `json:"seat"`
	Category string `json:"category"`
}

func toRegisterRecord(e sponsorship.RegisterEntry) registerRecord {
	rec := registerRecord{PK: registerPK(e.FiscalYear), SK: decisionPrefix + e.ID, Entity: "registerEntry",
		GSI4PK: feedPK, GSI4SK: stamp(e.DecidedAt) + "#" + e.ID,
		ID: e.ID, Reference: e.Reference, FiscalYear: e.FiscalYear, Status: string(e.Status), Publication: string(e.Publication),
		Kind: string(e.Kind), Title: e.Title, ApplicantName: e.ApplicantName, Organization: e.Organization, Event: e.Event,
		Currency: e.Requested.Currency, AmountMinor: e.Requested.Minor, DecidedAt: stamp(e.DecidedAt),
		Seats: []registerSeat{}, Recusals: []registerRecusal{}, PaymentCount: e.Payments.Count, PaidMinor: e.Payments.Total.Minor,
		DecisionVersion: e.DecisionVersion}
	if e.Approved != nil {
		v := e.Approved.Minor
		rec.ApprovedMinor = &v
	}
	for _, s := range e.Seats {
		rec.Seats = append(rec.Seats, registerSeat{Seat: s.Seat, Vote: string(s.Vote)})
	}
	for _, r := range e.Recusals {
		rec.Recusals = append(rec.Recusals, registerRecusal{Seat: r.Seat, Category: string(r.Category)})
	}
	return rec
}

func (rec registerRecord) entry() sponsorship.RegisterEntry {
	m := func(minor int64) money.Money { return money.Money{Currency: rec.Currency, Minor: minor} }
	e := sponsorship.RegisterEntry{ID: rec.ID, Reference: rec.Reference, FiscalYear: rec.FiscalYear,
		Status: sponsorship.Status(rec.Status), Publication: sponsorship.Publication(rec.Publication),
		Kind: sponsorship.Kind(rec.Kind), Title: rec.Title, ApplicantName: rec.ApplicantName, Organization: rec.Organization,
		Event: rec.Event, Requested: m(rec.AmountMinor), DecidedAt: parseStamp(rec.DecidedAt),
		Seats: []sponsorship.PublicSeat{}, Recusals: []sponsorship.PublicRecusal{},
		Payments: sponsorship.PublicPayments{Count: rec.PaymentCount, Total: m(rec.PaidMinor)}, DecisionVersion: rec.DecisionVersion,
		LeafIndex: rec.LeafIndex}
	if rec.ApprovedMinor != nil {
		a := m(*rec.ApprovedMinor)
		e.Approved = &a
	}
	for _, s := range rec.Seats {
		e.Seats = append(e.Seats, sponsorship.PublicSeat{Seat: s.Seat, Vote: sponsorship.Choice(s.Vote)})
	}
	for _, r := range rec.Recusals {
		e.Recusals = append(e.Recusals, sponsorship.PublicRecusal{Seat: r.Seat, Category: sponsorship.RecusalCategory(r.Category)})
	}
	return e
}

// Totals attributes are flat numbers, one per kind and outcome or kind and currency,
// so that one ADD updates each: decided_<kind>_<outcome>, approved_<kind>_<currency>
// and paid_<kind>_<currency>.
const (
	totalsDecided  = "decided_"
	totalsApproved = "approved_"
	totalsPaid     = "paid_"
)

// registerItems are the writes of a change's effect on the register.
func (s *Store) registerItems(rc *sponsorship.RegisterChange, now string) ([]types.TransactWriteItem, error) {
	pk := registerPK(rc.Key.FiscalYear)
	entryKey := key(pk, decisionPrefix+rc.Key.ID)
	var items []types.TransactWriteItem
	switch {
	case rc.Put != nil:
		item, err := marshal(toRegisterRecord(*rc.Put))
		if err != nil {
			return nil, fmt.Errorf("register entry %s: marshal: %w", rc.Key.ID, err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}})
	case rc.Paid != nil:
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: entryKey,
			UpdateExpression:         aws.String("ADD paymentCount :n, paidMinor :amt SET #status = :status"),
			ConditionExpression:      aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":n":      &types.AttributeValueMemberN{Value: strconv.Itoa(rc.Paid.Count)},
				":amt":    &types.AttributeValueMemberN{Value: strconv.FormatInt(rc.Paid.Amount.Minor, 10)},
				":status": sv(string(rc.Paid.Status)),
			},
		}})
	case rc.Narrow == sponsorship.PublishNone:
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: entryKey}})
	case rc.Narrow != "":
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: entryKey,
			UpdateExpression:          aws.String("SET publication = :p REMOVE applicantName, organization"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": sv(string(rc.Narrow))},
		}})
	}
	if t := rc.Totals; t.Outcome != "" || t.Approved.Minor != 0 || t.Paid.Minor != 0 {
		names, values := map[string]string{}, map[string]types.AttributeValue{":fy": &types.AttributeValueMemberN{Value: strconv.Itoa(rc.Key.FiscalYear)}, ":now": sv(now)}
		var adds []string
		add := func(attr string, n int64) {
			i := strconv.Itoa(len(adds))
			names["#a"+i], values[":a"+i] = attr, &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
			adds = append(adds, "#a"+i+" :a"+i)
		}
		if t.Outcome != "" {
			add(totalsDecided+string(t.Kind)+"_"+string(t.Outcome), 1)
		}
		if t.Approved.Minor != 0 {
			add(totalsApproved+string(t.Kind)+"_"+t.Approved.Currency, t.Approved.Minor)
		}
		if t.Paid.Minor != 0 {
			add(totalsPaid+string(t.Kind)+"_"+t.Paid.Currency, t.Paid.Minor)
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(pk, skTotals),
			UpdateExpression:          aws.String("SET entity = :entity, fiscalYear = :fy, updatedAt = :now ADD " + strings.Join(adds, ", ")),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: withEntity(values, "registerTotals"),
		}})
	}
	if rc.Totals.Outcome != "" {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(pkRegister, skYears),
			UpdateExpression:         aws.String("SET entity = :entity ADD #years :y"),
			ExpressionAttributeNames: map[string]string{"#years": "years"},
			ExpressionAttributeValues: withEntity(map[string]types.AttributeValue{
				":y": &types.AttributeValueMemberNS{Value: []string{strconv.Itoa(rc.Key.FiscalYear)}},
			}, "registerYears"),
		}})
	}
	return items, nil
}

func withEntity(values map[string]types.AttributeValue, entity string) map[string]types.AttributeValue {
	values[":entity"] = sv(entity)
	return values
}

// RegisterYear reads a fiscal year of the register — its listed decisions, its totals
// and its copy of the register's context, one partition — with one Query (more pages
// only past 1 MB, some 1 500 decisions). A year without a context (no decision yet)
// reads the public fields and the years as a second call. Eventually consistent reads:
// the register is cached for a minute anyway.
func (s *Store) RegisterYear(ctx context.Context, year int) (sponsorship.RegisterYear, sponsorship.RegisterContext, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(registerPK(year))},
	})
	if err != nil {
		return sponsorship.RegisterYear{}, sponsorship.RegisterContext{}, fmt.Errorf("register %d: %w", year, err)
	}
	y := sponsorship.RegisterYear{FiscalYear: year, Totals: sponsorship.RegisterTotals{FiscalYear: year}}
	var ctxItem map[string]types.AttributeValue
	for _, item := range items {
		switch sk := stringAttr(item, attrSK); {
		case sk == skTotals:
			y.Totals = totalsOf(year, item)
		case sk == skContext:
			ctxItem = item
		case strings.HasPrefix(sk, decisionPrefix):
			var rec registerRecord
			if err := unmarshal(item, &rec); err != nil {
				return sponsorship.RegisterYear{}, sponsorship.RegisterContext{}, fmt.Errorf("register %d: unmarshal %s: %w", year, sk, err)
			}
			y.Entries = append(y.Entries, rec.entry())
		}
	}
	slices.SortStableFunc(y.Entries, func(a, b sponsorship.RegisterEntry) int {
		if c := b.DecidedAt.Compare(a.DecidedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	rctx, err := s.contextOrSources(ctx, ctxItem)
	return y, rctx, err
}

// RegisterTotals reads a fiscal year's totals: one GetItem (eventually consistent).
func (s *Store) RegisterTotals(ctx context.Context, year int) (sponsorship.RegisterTotals, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(registerPK(year), skTotals)})
	if err != nil {
		return sponsorship.RegisterTotals{}, fmt.Errorf("register %d totals: %w", year, translate(err))
	}
	return totalsOf(year, out.Item), nil
}

// contextOrSources reads a context item, or, without one, the public fields and the
// years from their sources with one BatchGetItem.
func (s *Store) contextOrSources(ctx context.Context, item map[string]types.AttributeValue) (sponsorship.RegisterContext, error) {
	if item != nil {
		return contextOf(item)
	}
	got, err := s.batchGet(ctx, key(pkSettings, skPublication), key(pkRegister, skYears))
	if err != nil {
		return sponsorship.RegisterContext{}, fmt.Errorf("register settings: %w", err)
	}
	fields, err := publicFieldsOf(got[0])
	return sponsorship.RegisterContext{Fields: fields, Years: yearsOf(got[1])}, err
}

// RegisterLatest reads the newest listed decisions of every year, at most limit, with
// the register's context: one newest-first Query of the feed's index, whose first item
// is the context (its sort key sorts after every decision's time).
func (s *Store) RegisterLatest(ctx context.Context, limit int) ([]sponsorship.RegisterEntry, sponsorship.RegisterContext, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(feedIndex),
		KeyConditionExpression:    aws.String("GSI4PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(feedPK)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit) + 1),
	})
	if err != nil {
		return nil, sponsorship.RegisterContext{}, fmt.Errorf("register feed: %w", translate(err))
	}
	var (
		ctxItem map[string]types.AttributeValue
		entries []sponsorship.RegisterEntry
	)
	for _, item := range out.Items {
		if stringAttr(item, attrSK) == skContext {
			ctxItem = item
			continue
		}
		var rec registerRecord
		if err := unmarshal(item, &rec); err != nil {
			return nil, sponsorship.RegisterContext{}, fmt.Errorf("register feed: unmarshal %s: %w", stringAttr(item, attrSK), err)
		}
		if len(entries) < limit {
			entries = append(entries, rec.entry())
		}
	}
	rctx, err := s.contextOrSources(ctx, ctxItem)
	return entries, rctx, err
}

// RegisterEntry reads one listed decision and the public fields with one BatchGetItem.
// The entry carries its decision event's leaf index once the ledger function wrote it
// there (within seconds of the decision); until then the page reads the event's leaf
// item as a second call.
func (s *Store) RegisterEntry(ctx context.Context, k sponsorship.RegisterKey) (sponsorship.RegisterEntry, sponsorship.PublicFields, error) {
	got, err := s.batchGet(ctx, key(registerPK(k.FiscalYear), decisionPrefix+k.ID), key(pkSettings, skPublication))
	if err != nil {
		return sponsorship.RegisterEntry{}, sponsorship.PublicFields{}, fmt.Errorf("register entry %s: %w", k.ID, err)
	}
	if got[0] == nil {
		return sponsorship.RegisterEntry{}, sponsorship.PublicFields{}, fmt.Errorf("register entry %s: %w", k.ID, sponsorship.ErrNotFound)
	}
	var rec registerRecord
	if err := unmarshal(got[0], &rec); err != nil {
		return sponsorship.RegisterEntry{}, sponsorship.PublicFields{}, fmt.Errorf("register entry %s: unmarshal: %w", k.ID, err)
	}
	fields, err := publicFieldsOf(got[1])
	if err != nil {
		return sponsorship.RegisterEntry{}, sponsorship.PublicFields{}, err
	}
	e := rec.entry()
	if e.LeafIndex == nil && e.DecisionVersion > 0 {
		leaf := LogKey(requestPK(e.ID), eventSK(e.DecisionVersion))
		indexes, err := s.Indexes(ctx, []string{leaf})
		if err != nil {
			return sponsorship.RegisterEntry{}, sponsorship.PublicFields{}, fmt.Errorf("register entry %s: leaf: %w", k.ID, err)
		}
		if i, ok := indexes[leaf]; ok {
			e.LeafIndex = &i
		}
	}
	return e, fields, nil
}

// MarkRegisterLeaf writes a listed decision's leaf index on its register entry, so
// that its page is one read; a decision that is not listed has no entry, and nothing
// is written.
func (s *Store) MarkRegisterLeaf(ctx context.Context, k sponsorship.RegisterKey, index int64) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(registerPK(k.FiscalYear), decisionPrefix+k.ID),
		UpdateExpression:          aws.String("SET leafIndex = :i"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":i": &types.AttributeValueMemberN{Value: strconv.FormatInt(index, 10)}},
	})
	var absent *types.ConditionalCheckFailedException
	if errors.As(err, &absent) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark register entry %s's leaf: %w", k.ID, translate(err))
	}
	return nil
}

// batchGet reads a few items by key with one BatchGetItem (eventually consistent),
// returning them in the order of keys, nil for those absent.
func (s *Store) batchGet(ctx context.Context, keys ...map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	return s.batchGetItems(ctx, false, keys)
}

// batchGetItems reads items by key, 100 to a BatchGetItem (again for any the service
// left unprocessed, up to eight times), returning them in the order of keys, nil for
// those absent.
func (s *Store) batchGetItems(ctx context.Context, consistent bool, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	out := make([]map[string]types.AttributeValue, len(keys))
	where := map[[2]string][]int{}
	for i, k := range keys {
		where[[2]string{stringAttr(k, attrPK), stringAttr(k, attrSK)}] = append(where[[2]string{stringAttr(k, attrPK), stringAttr(k, attrSK)}], i)
	}
	var unique []map[string]types.AttributeValue
	for i, k := range keys {
		if where[[2]string{stringAttr(k, attrPK), stringAttr(k, attrSK)}][0] == i {
			unique = append(unique, k)
		}
	}
	for start := 0; start < len(unique); start += 100 {
		req := map[string]types.KeysAndAttributes{s.table: {Keys: unique[start:min(start+100, len(unique))], ConsistentRead: aws.Bool(consistent)}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt == 8 {
				return nil, errors.New("BatchGetItem: DynamoDB kept keys unprocessed")
			}
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, translate(err)
			}
			for _, item := range res.Responses[s.table] {
				for _, i := range where[[2]string{stringAttr(item, attrPK), stringAttr(item, attrSK)}] {
					out[i] = item
				}
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// totalsOf reads a year's totals item.
func totalsOf(year int, item map[string]types.AttributeValue) sponsorship.RegisterTotals {
	t := sponsorship.RegisterTotals{FiscalYear: year}
	counts := map[sponsorship.Kind]*sponsorship.OutcomeCount{}
	amounts := map[[2]string]*sponsorship.KindAmounts{}
	amount := func(kind, currency string) *sponsorship.KindAmounts {
		k := [2]string{kind, currency}
		if amounts[k] == nil {
			amounts[k] = &sponsorship.KindAmounts{Kind: sponsorship.Kind(kind),
				Approved: money.Money{Currency: currency}, Paid: money.Money{Currency: currency}}
		}
		return amounts[k]
	}
	for name, v := range item {
		n, ok := v.(*types.AttributeValueMemberN)
		if !ok {
			continue
		}
		value, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			continue
		}
		var prefix string
		for _, p := range []string{totalsDecided, totalsApproved, totalsPaid} {
			if strings.HasPrefix(name, p) {
				prefix = p
			}
		}
		kind, rest, ok := strings.Cut(strings.TrimPrefix(name, prefix), "_")
		if prefix == "" || !ok {
			continue
		}
		switch prefix {
		case totalsDecided:
			c := counts[sponsorship.Kind(kind)]
			if c == nil {
				c = &sponsorship.OutcomeCount{Kind: sponsorship.Kind(kind)}
				counts[sponsorship.Kind(kind)] = c
			}
			if sponsorship.Status(rest) == sponsorship.StatusRejected {
				c.Rejected += int(value)
			} else {
				c.Approved += int(value)
			}
		case totalsApproved:
			amount(kind, rest).Approved.Minor += value
		case totalsPaid:
			amount(kind, rest).Paid.Minor += value
		}
	}
	order := func(k sponsorship.Kind) int { return slices.Index(sponsorship.Kinds, k) }
	for _, c := range counts {
		t.Counts = append(t.Counts, *c)
	}
	slices.SortFunc(t.Counts, func(a, b sponsorship.OutcomeCount) int { return order(a.Kind) - order(b.Kind) })
	for _, a := range amounts {
		t.Amounts = append(t.Amounts, *a)
	}
	slices.SortFunc(t.Amounts, func(a, b sponsorship.KindAmounts) int {
		if d := order(a.Kind) - order(b.Kind); d != 0 {
			return d
		}
		return strings.Compare(a.Approved.Currency, b.Approved.Currency)
	})
	return t
}
