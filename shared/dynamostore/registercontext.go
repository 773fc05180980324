package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Every page of the register needs, besides its decisions, the public fields and the
// years with decisions. Their sources are the SETTINGS/PUBLICATION and REGISTER/YEARS
// items; a copy of both, the register's context, sits in every year's partition (so
// that a year's page, CSV and totals are one Query) and once in the REGISTER partition
// in the feed's index (so that the feed of the latest decisions is one Query too).
//
// The copies' fields are never older than the settings: every transaction that writes
// a context either writes the public fields or checks that they are still the version
// it copies, and checks that YEARS still holds the years it read. So a change of the
// public fields rewrites every context there is, and a year that gains its first
// decision meanwhile makes the change read again and retry. A year whose context is
// missing (its first decision's follow-up write failed, or it has none yet) has its
// pages read the settings themselves: correct, one call slower.
const (
	skContext = "CONTEXT"
	// feedPK is the feed index's (GSI4) partition of listed decisions and the
	// register's context; feedContextSK sorts after every decision time, so that a
	// newest-first Query of the index reads the context first.
	feedPK        = "REGISTER"
	feedContextSK = "~"
	feedIndex     = "GSI4"
	// maxContextYears bounds the years one transaction can give a context each (100
	// items: the contexts, the global one, the settings' write or check, its audit
	// event and the years' check).
	maxContextYears = 96
)

// registerContextRecord is a copy of the public fields and of the years with
// decisions. It reads as a publicFieldsRecord too.
type registerContextRecord struct {
	PK, SK    string
	GSI4PK    string   `json:",omitempty"`
	GSI4SK    string   `json:",omitempty"`
	Entity    string   `json:"entity"`
	Fields    []string `json:"fields"`
	Version   int      `json:"version"`
	UpdatedAt string   `json:"updatedAt,omitempty"`
	Years     []int    `json:"years"` // newest first
}

// contextOf reads a context item: the public fields and the years. A copy of version
// 0 was made while admins had saved no choice, and stands for the catalogue's
// defaults of the running code, not of the code that made it: a release that narrows
// the defaults narrows every page at once.
func contextOf(item map[string]types.AttributeValue) (sponsorship.RegisterContext, error) {
	var rec registerContextRecord
	if err := unmarshal(item, &rec); err != nil {
		return sponsorship.RegisterContext{}, fmt.Errorf("register context: unmarshal: %w", err)
	}
	if rec.Version == 0 {
		item = nil
	}
	fields, err := publicFieldsOf(item)
	if err != nil {
		return sponsorship.RegisterContext{}, err
	}
	return sponsorship.RegisterContext{Fields: fields, Years: rec.Years}, nil
}

// registerSources are the sources of the context, read strongly consistent: the
// public fields' item (nil if never saved) and the years.
type registerSources struct {
	settings map[string]types.AttributeValue
	years    []int // newest first
	count    int   // how many years YEARS holds; 0 when it does not exist
}

func (s *Store) registerSources(ctx context.Context) (registerSources, error) {
	var src registerSources
	for _, k := range []map[string]types.AttributeValue{key(pkSettings, skPublication), key(pkRegister, skYears)} {
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return src, fmt.Errorf("register context: read %s: %w", stringAttr(k, attrSK), translate(err))
		}
		if stringAttr(k, attrSK) == skPublication {
			src.settings = out.Item
			continue
		}
		src.years = yearsOf(out.Item)
		src.count = len(src.years)
	}
	return src, nil
}

// yearsOf reads the YEARS item's set, newest first.
func yearsOf(item map[string]types.AttributeValue) []int {
	var years []int
	if ys, ok := item["years"].(*types.AttributeValueMemberNS); ok {
		for _, v := range ys.Value {
			if n, err := strconv.Atoi(v); err == nil {
				years = append(years, n)
			}
		}
	}
	slices.Sort(years)
	slices.Reverse(years)
	return years
}

// contextItems are the writes that give every context fields and the years of src,
// and the check that YEARS is still as read, placed first.
func (s *Store) contextItems(src registerSources, fields sponsorship.PublicFields) ([]types.TransactWriteItem, error) {
	if len(src.years) > maxContextYears {
		return nil, fmt.Errorf("register context: %d years of decisions, more than the %d one transaction can update", len(src.years), maxContextYears)
	}
	// YEARS only ever gains years (ADD), so its size tells whether it changed.
	check := &types.ConditionCheck{TableName: &s.table, Key: key(pkRegister, skYears),
		ConditionExpression: aws.String("attribute_not_exists(PK)")}
	if src.count > 0 {
		check.ConditionExpression = aws.String("size(#years) = :n")
		check.ExpressionAttributeNames = map[string]string{"#years": "years"}
		check.ExpressionAttributeValues = map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: strconv.Itoa(src.count)}}
	}
	items := []types.TransactWriteItem{{ConditionCheck: check}}
	base := registerContextRecord{Entity: "registerContext", Fields: []string{}, Version: fields.Version, Years: src.years}
	if base.Years == nil {
		base.Years = []int{}
	}
	if !fields.UpdatedAt.IsZero() {
		base.UpdatedAt = stamp(fields.UpdatedAt)
	}
	for _, f := range fields.Fields {
		base.Fields = append(base.Fields, string(f))
	}
	global := base
	global.PK, global.SK, global.GSI4PK, global.GSI4SK = pkRegister, skContext, feedPK, feedContextSK
	recs := []registerContextRecord{global}
	for _, y := range src.years {
		rec := base
		rec.PK, rec.SK = registerPK(y), skContext
		recs = append(recs, rec)
	}
	for _, rec := range recs {
		item, err := marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("register context: marshal: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}})
	}
	return items, nil
}

// errYearsMoved is a context write refused because a year gained its first decision
// after YEARS was read: read again and retry.
var errYearsMoved = errors.New("register context: the years changed")

// writeContexts writes the contexts with the transaction items of change (placed after
// the years' check), re-reading the sources and retrying, after a short pause, while
// the years move under it or another transaction holds one of its items. When one of
// change's own conditions failed it returns the cancellation with the reasons of
// change's items alone.
func (s *Store) writeContexts(ctx context.Context, change func(registerSources) ([]types.TransactWriteItem, sponsorship.PublicFields, error)) (*types.TransactionCanceledException, error) {
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 20 * time.Millisecond):
			}
		}
		src, err := s.registerSources(ctx)
		if err != nil {
			return nil, err
		}
		own, fields, err := change(src)
		if err != nil {
			return nil, err
		}
		items, err := s.contextItems(src, fields)
		if err != nil {
			return nil, err
		}
		items = slices.Insert(items, 1, own...)
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) {
			if err != nil {
				return nil, fmt.Errorf("register context: %w", translate(err))
			}
			return nil, nil
		}
		reasons := cancelled.CancellationReasons
		code := func(i int) string {
			if i < len(reasons) {
				return aws.ToString(reasons[i].Code)
			}
			return ""
		}
		if code(0) == "ConditionalCheckFailed" || anyReason(cancelled, "TransactionConflict") {
			continue
		}
		for i := 1; i <= len(own); i++ {
			if code(i) == "ConditionalCheckFailed" {
				// The change's own condition failed: its caller says what that means.
				trimmed := *cancelled
				trimmed.CancellationReasons = reasons[1:min(len(reasons), 1+len(own))]
				return &trimmed, nil
			}
		}
		return nil, fmt.Errorf("register context: %w", translate(err))
	}
	return nil, errYearsMoved
}

// syncRegisterContext gives every year's context, and the feed's, the current public
// fields and years. A decision's update calls it once its transaction is written,
// when the decided year's context is missing or does not list the year yet.
func (s *Store) syncRegisterContext(ctx context.Context) error {
	cancelled, err := s.writeContexts(ctx, func(src registerSources) ([]types.TransactWriteItem, sponsorship.PublicFields, error) {
		fields, err := publicFieldsOf(src.settings)
		if err != nil {
			return nil, fields, err
		}
		check := &types.ConditionCheck{TableName: &s.table, Key: key(pkSettings, skPublication),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}
		if src.settings != nil {
			check.ConditionExpression = aws.String("#v = :v")
			check.ExpressionAttributeNames = map[string]string{"#v": "version"}
			check.ExpressionAttributeValues = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.Itoa(fields.Version)}}
		}
		return []types.TransactWriteItem{{ConditionCheck: check}}, fields, nil
	})
	if err == nil && cancelled != nil {
		err = errors.New("register context: the public fields changed while being copied")
	}
	return err
}

// ensureRegisterContext makes sure the context of a year that has just had a decision
// exists and lists the year: one strongly consistent GetItem, and a sync (retried
// once if the public fields moved under it) when it does not.
func (s *Store) ensureRegisterContext(ctx context.Context, year int) error {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(registerPK(year), skContext), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("register context %d: %w", year, translate(err))
	}
	if out.Item != nil {
		if rc, err := contextOf(out.Item); err == nil && slices.Contains(rc.Years, year) {
			return nil
		}
	}
	if err = s.syncRegisterContext(ctx); err != nil {
		err = s.syncRegisterContext(ctx)
	}
	return err
}
