//go:build integration

package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// putFields saves the public fields as an admin would: the next version, again after a
// conflict.
func putFields(t testing.TB, s *dynamostore.Store, at int, fields ...sponsorship.Field) {
	t.Helper()
	ctx := context.Background()
	for range 20 {
		cur, err := s.PublicFields(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		ev := sponsorship.AuditEvent{Type: sponsorship.EventSettingsChanged, Subject: "publication", At: t0.Add(int64ns(at)),
			Actor: sponsorship.Actor{Role: sponsorship.RoleAdmin, ID: "admin"}, Internal: true}
		err = s.PutPublicFields(ctx, sponsorship.PublicFields{Fields: append([]sponsorship.Field{}, fields...), Version: cur.Version + 1, UpdatedAt: t0}, ev)
		var conflict *sponsorship.ConflictError
		if !errors.As(err, &conflict) {
			if err != nil {
				t.Error(err)
			}
			return
		}
	}
	t.Error("the public fields kept conflicting")
}

// readsOf runs read on a counting store and says which calls it made.
func readsOf(t *testing.T, counter *testenv.Counter, read func() error) string {
	t.Helper()
	counter.Reset()
	if err := read(); err != nil {
		t.Fatal(err)
	}
	snap := counter.Take()
	var calls []string
	for _, op := range snap.Operations() {
		calls = append(calls, fmt.Sprintf("%s %d", op, snap.Calls(op)))
	}
	return fmt.Sprint(calls)
}

func TestEveryPageOfTheRegisterIsOneQuery(t *testing.T) {
	db, table := testenv.Table(t)
	writer := dynamostore.New(db, table)
	counter := testenv.NewCounter()
	s := dynamostore.New(testenv.CountingDynamoDB(t, counter), table)
	ctx := context.Background()
	// A year before any decision has no context yet: its page reads the settings too.
	var rctx sponsorship.RegisterContext
	if got := readsOf(t, counter, func() (err error) { _, rctx, err = s.RegisterYear(ctx, 2027); return err }); got != "[BatchGetItem 1 Query 1]" {
		t.Errorf("a year without decisions: %s", got)
	}
	if len(rctx.Years) != 0 || !slices.Equal(rctx.Fields.Fields, sponsorship.DefaultPublicFields.Fields) {
		t.Errorf("before any decision: %+v", rctx)
	}

	decideIn(t, writer, 2027, 1, sponsorship.PublishNamed, sponsorship.StatusApproved)
	decideIn(t, writer, 2026, 2, sponsorship.PublishAnonymous, sponsorship.StatusRejected)
	var year sponsorship.RegisterYear
	if got := readsOf(t, counter, func() (err error) { year, rctx, err = s.RegisterYear(ctx, 2027); return err }); got != "[Query 1]" {
		t.Errorf("a year's page: %s, want one Query", got)
	}
	if len(year.Entries) != 1 || !slices.Equal(rctx.Years, []int{2027, 2026}) || !slices.Equal(rctx.Fields.Fields, sponsorship.DefaultPublicFields.Fields) {
		t.Errorf("2027: %d entries, context %+v", len(year.Entries), rctx)
	}
	var latest []sponsorship.RegisterEntry
	if got := readsOf(t, counter, func() (err error) { latest, rctx, err = s.RegisterLatest(ctx, 50); return err }); got != "[Query 1]" {
		t.Errorf("the feed: %s, want one Query", got)
	}
	if len(latest) != 2 || !slices.Equal(rctx.Years, []int{2027, 2026}) {
		t.Errorf("latest: %d entries, context %+v", len(latest), rctx)
	}
	var totals sponsorship.RegisterTotals
	if got := readsOf(t, counter, func() (err error) { totals, err = s.RegisterTotals(ctx, 2026); return err }); got != "[GetItem 1]" {
		t.Errorf("a year's totals: %s, want one GetItem", got)
	}
	if len(totals.Counts) != 1 || totals.Counts[0].Rejected != 1 {
		t.Errorf("2026's totals: %+v", totals)
	}

	// A year whose context went missing (a decision's follow-up write failed) still
	// shows the current public fields, reading them itself; its next decision writes
	// the context again.
	putFields(t, writer, 3, sponsorship.FieldKind)
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "REGISTER#2026"}, "SK": &types.AttributeValueMemberS{Value: "CONTEXT"}}}); err != nil {
		t.Fatal(err)
	}
	if got := readsOf(t, counter, func() (err error) { _, rctx, err = s.RegisterYear(ctx, 2026); return err }); got != "[BatchGetItem 1 Query 1]" {
		t.Errorf("a year without its context: %s", got)
	}
	if !slices.Equal(rctx.Fields.Fields, []sponsorship.Field{sponsorship.FieldKind}) || !slices.Equal(rctx.Years, []int{2027, 2026}) {
		t.Errorf("a year without its context: %+v", rctx)
	}
	decideIn(t, writer, 2026, 4, sponsorship.PublishNone, sponsorship.StatusApproved)
	if got := readsOf(t, counter, func() (err error) { _, rctx, err = s.RegisterYear(ctx, 2026); return err }); got != "[Query 1]" {
		t.Errorf("after its next decision: %s, want one Query", got)
	}
}

func TestTheFeedHoldsTheLatestDecisionsOfEveryYear(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	// Decided in this order; a decision belongs to its event's year, not its own.
	a := decideIn(t, s, 2027, 1, sponsorship.PublishNamed, sponsorship.StatusApproved)
	decideIn(t, s, 2026, 2, sponsorship.PublishNone, sponsorship.StatusApproved) // counted, not listed
	b := decideIn(t, s, 2026, 3, sponsorship.PublishAnonymous, sponsorship.StatusRejected)
	c := decideIn(t, s, 2028, 4, sponsorship.PublishNamed, sponsorship.StatusApproved)
	d := decideIn(t, s, 2027, 5, sponsorship.PublishNamed, sponsorship.StatusApproved)
	// d's applicant withdraws from the register.
	change(t, s, d, &sponsorship.RegisterChange{Key: sponsorship.RegisterKey{FiscalYear: 2027, ID: d.ID}, Narrow: sponsorship.PublishNone})

	ids := func(es []sponsorship.RegisterEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	latest, rctx, err := s.RegisterLatest(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{c.ID, b.ID, a.ID}, ids(latest)); diff != "" {
		t.Errorf("the latest decisions, newest first (-want +got):\n%s", diff)
	}
	if !slices.Equal(rctx.Years, []int{2028, 2027, 2026}) {
		t.Errorf("years %v", rctx.Years)
	}
	if latest, _, err = s.RegisterLatest(ctx, 2); err != nil || !slices.Equal(ids(latest), []string{c.ID, b.ID}) {
		t.Errorf("at most two: %v, %v", ids(latest), err)
	}
}

// interleaved runs before once, just before the first transaction that writes a
// register context: between what that writer read and what it writes.
type interleaved struct {
	dynamostore.API
	once   sync.Once
	before func()
}

func (p *interleaved) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, item := range in.TransactItems {
		if item.Put != nil {
			if sk, ok := item.Put.Item["SK"].(*types.AttributeValueMemberS); ok && sk.Value == "CONTEXT" {
				p.once.Do(p.before)
			}
		}
	}
	return p.API.TransactWriteItems(ctx, in, opts...)
}

// contextsHold checks that every year's context and the feed's hold the public fields
// saved last and every year, newest first.
func contextsHold(t *testing.T, s *dynamostore.Store, years []int) {
	t.Helper()
	ctx := context.Background()
	want, err := s.PublicFields(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, rctx sponsorship.RegisterContext) {
		t.Helper()
		if !slices.Equal(rctx.Fields.Fields, want.Fields) || rctx.Fields.Version != want.Version {
			t.Errorf("%s: fields %v (version %d), want %v (version %d)", what, rctx.Fields.Fields, rctx.Fields.Version, want.Fields, want.Version)
		}
		if !slices.Equal(rctx.Years, years) {
			t.Errorf("%s: years %v, want %v", what, rctx.Years, years)
		}
	}
	for _, y := range years {
		_, rctx, err := s.RegisterYear(ctx, y)
		if err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprint(y), rctx)
	}
	_, rctx, err := s.RegisterLatest(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	check("the feed", rctx)
}

// An admin narrows the public fields while a decision gives the register a new year,
// its context copied from the fields being replaced: the admin's write sees the year
// it did not read and writes its context too.
func TestANewYearDuringAChangeOfThePublicFieldsGetsTheNewFields(t *testing.T) {
	db, table := testenv.Table(t)
	plain := dynamostore.New(db, table)
	decideIn(t, plain, 2026, 0, sponsorship.PublishNamed, sponsorship.StatusApproved)
	admin := dynamostore.New(&interleaved{API: db, before: func() {
		decideIn(t, plain, 2027, 1, sponsorship.PublishNamed, sponsorship.StatusApproved)
	}}, table)
	putFields(t, admin, 10, sponsorship.FieldKind)
	contextsHold(t, plain, []int{2027, 2026})
}

// A decision copies the public fields into a new year's context while an admin
// changes them: the copy is refused and made again from the new fields.
func TestAChangeOfThePublicFieldsDuringANewYearsCopyWins(t *testing.T) {
	db, table := testenv.Table(t)
	plain := dynamostore.New(db, table)
	decideIn(t, plain, 2026, 0, sponsorship.PublishNamed, sponsorship.StatusApproved)
	putFields(t, plain, 5, sponsorship.FieldKind) // saved once: the copy checks their version
	reviews := dynamostore.New(&interleaved{API: db, before: func() {
		putFields(t, plain, 10, sponsorship.FieldTitle)
	}}, table)
	decideIn(t, reviews, 2027, 1, sponsorship.PublishNamed, sponsorship.StatusApproved)
	contextsHold(t, plain, []int{2027, 2026})
}

// An admin's first save of the public fields while a decision copies the catalogue's
// defaults into a new year's context: the copy is refused and made again.
func TestAFirstSaveOfThePublicFieldsDuringANewYearsCopyWins(t *testing.T) {
	db, table := testenv.Table(t)
	plain := dynamostore.New(db, table)
	decideIn(t, plain, 2026, 0, sponsorship.PublishNamed, sponsorship.StatusApproved)
	reviews := dynamostore.New(&interleaved{API: db, before: func() {
		putFields(t, plain, 10, sponsorship.FieldTitle)
	}}, table)
	decideIn(t, reviews, 2027, 1, sponsorship.PublishNamed, sponsorship.StatusApproved)
	contextsHold(t, plain, []int{2027, 2026})
}

// While admins have saved no choice, the pages follow the defaults of the code that
// runs, not of the code that copied them: a release that withdraws a field from the
// defaults withdraws it from every page.
func TestCopiesOfTheDefaultsFollowTheRunningDefaults(t *testing.T) {
	db, table := testenv.Table(t)
	s := dynamostore.New(db, table)
	ctx := context.Background()
	decideIn(t, s, 2026, 1, sponsorship.PublishNamed, sponsorship.StatusApproved)
	released := sponsorship.DefaultPublicFields
	t.Cleanup(func() { sponsorship.DefaultPublicFields = released })
	sponsorship.DefaultPublicFields = sponsorship.PublicFields{Fields: slices.DeleteFunc(slices.Clone(released.Fields),
		func(f sponsorship.Field) bool { return f == sponsorship.FieldApprovedAmount })}
	_, year, err := s.RegisterYear(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	_, feed, err := s.RegisterLatest(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for what, rctx := range map[string]sponsorship.RegisterContext{"the year": year, "the feed": feed} {
		if !slices.Equal(rctx.Fields.Fields, sponsorship.DefaultPublicFields.Fields) {
			t.Errorf("%s publishes %v, want the running defaults %v", what, rctx.Fields.Fields, sponsorship.DefaultPublicFields.Fields)
		}
	}
}

// cancelling refuses every transaction that writes a register context with a
// cancellation carrying the given reasons' codes.
type cancelling struct {
	dynamostore.API
	codes []string
}

func (c cancelling) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, item := range in.TransactItems {
		if item.Put != nil {
			if sk, ok := item.Put.Item["SK"].(*types.AttributeValueMemberS); ok && sk.Value == "CONTEXT" {
				e := &types.TransactionCanceledException{Message: aws.String("cancelled")}
				for _, code := range c.codes {
					e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(code)})
				}
				return nil, e
			}
		}
	}
	return c.API.TransactWriteItems(ctx, in, opts...)
}

// A cancellation that is no lost race (no reasons at all, or a throttled item) is an
// error of its own, not a conflict to retry as the admin's.
func TestACancellationThatIsNoRaceIsAnError(t *testing.T) {
	db, table := testenv.Table(t)
	ev := sponsorship.AuditEvent{Type: sponsorship.EventSettingsChanged, Subject: "publication", At: t0,
		Actor: sponsorship.Actor{Role: sponsorship.RoleAdmin, ID: "admin"}, Internal: true}
	for _, codes := range [][]string{nil, {"None", "None", "ThrottlingError"}} {
		s := dynamostore.New(cancelling{API: db, codes: codes}, table)
		err := s.PutPublicFields(context.Background(), sponsorship.PublicFields{Fields: []sponsorship.Field{}, Version: 1, UpdatedAt: t0}, ev)
		var conflict *sponsorship.ConflictError
		if err == nil || errors.As(err, &conflict) {
			t.Errorf("cancelled with %v: %v; want an error that is no conflict", codes, err)
		}
	}
	// The admin's own version check failing is the conflict it always was.
	s := dynamostore.New(cancelling{API: db, codes: []string{"None", "ConditionalCheckFailed"}}, table)
	err := s.PutPublicFields(context.Background(), sponsorship.PublicFields{Fields: []sponsorship.Field{}, Version: 1, UpdatedAt: t0}, ev)
	var conflict *sponsorship.ConflictError
	if !errors.As(err, &conflict) {
		t.Errorf("the version check failing: %v; want a ConflictError", err)
	}
}
