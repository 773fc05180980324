// Package ledgerfn composes the ledger function: see New.
package ledgerfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/mod/sumdb/note"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/notifyfn"
)

// Handler is the ledger function's handler: a batch of the table's stream records, or
// its hourly schedule's event.
type Handler = func(context.Context, json.RawMessage) (*events.DynamoDBEventResponse, error)

// New builds the function that appends each new audit event to the verifiable log, in
// stream order and exactly once, and signs a checkpoint after each append; its hourly
// schedule signs one if an append's signing failed.
func New(ctx context.Context, getenv wiring.Getenv) (Handler, error) {
	b, key, err := wiring.LogKey(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return NewHandler(b.Store, key, key.Name(), b.Log), nil
}

// Store is where the log and its checkpoints live.
type Store interface {
	ledger.Store
	ledger.Checkpoints
}

// Key signs checkpoints: *ledger.KMSKey, or a test's key in memory.
type Key interface {
	Signer(ctx context.Context) note.Signer
}

// NewHandler is New's handler around a store and key built elsewhere.
func NewHandler(store Store, key Key, origin string, log *slog.Logger) Handler {
	marker, _ := store.(RegisterMarker)
	a := &appender{log: log, appender: ledger.Appender{Store: store, MaxBatch: 64}, marker: marker,
		publish: func(ctx context.Context) (bool, error) {
			return ledger.Publisher{Store: store, Checkpoints: store, Signer: key.Signer(ctx), Origin: origin}.Publish(ctx)
		}}
	return a.handle
}

type appender struct {
	log      *slog.Logger
	appender ledger.Appender
	publish  func(context.Context) (bool, error)
	marker   RegisterMarker // nil when the store keeps no register
}

// RegisterMarker writes a published decision's leaf index on its register entry.
type RegisterMarker interface {
	MarkRegisterLeaf(ctx context.Context, k sponsorship.RegisterKey, index int64) error
}

func (a *appender) handle(ctx context.Context, raw json.RawMessage) (*events.DynamoDBEventResponse, error) {
	log := notifyfn.WithInvocation(ctx, a.log)
	var shape struct{ Records json.RawMessage }
	if err := json.Unmarshal(raw, &shape); err != nil || shape.Records == nil {
		// The schedule's event has no records: sign a checkpoint if the tree grew
		// since the last.
		published, err := a.publish(ctx)
		log.Info("checkpoint", "published", published)
		return nil, err
	}
	var batch events.DynamoDBEvent
	if err := json.Unmarshal(raw, &batch); err != nil {
		return nil, fmt.Errorf("a stream batch that does not parse: %w", err)
	}
	entries, decisions, err := a.entries(batch, log)
	if err != nil {
		return nil, err
	}
	res, err := a.appender.Append(ctx, entries)
	if err != nil {
		// The whole batch comes again, in order; what was appended is skipped then.
		return nil, fmt.Errorf("append %d events to the log: %w", len(entries), err)
	}
	log.Info("appended", "events", len(entries), "new", res.New, "treeSize", res.Head.Size)
	if a.marker != nil {
		for entryKey, k := range decisions {
			if err := a.marker.MarkRegisterLeaf(ctx, k, res.Indexes[entryKey]); err != nil {
				// The batch comes again; its events are in, and marking is idempotent.
				return nil, err
			}
		}
	}
	if res.New > 0 {
		if _, err := a.publish(ctx); err != nil {
			// The entries are in; the hourly schedule signs the checkpoint instead.
			log.Warn("checkpoint not signed", "error", err.Error())
		}
	}
	return &events.DynamoDBEventResponse{}, nil
}

// entries are the leaves of the batch's new audit events, in stream order. Events of a
// request whose applicant has not confirmed the address yet are not in the audit
// trail (nor in its report) and not logged: they carry no period index key. Events
// without a salt were written before the log existed (a stream read from its horizon
// when the log is first deployed): their commitment would hide nothing, so they stay
// out, as the README says. An audit event that does not decode fails the batch, which
// is retried until it does: the log never skips an event silently.
//
// It also returns the register entry of each published decision among them, by its
// leaf's key, for the entry to name its leaf.
func (a *appender) entries(batch events.DynamoDBEvent, log *slog.Logger) ([]ledger.Entry, map[string]sponsorship.RegisterKey, error) {
	var out []ledger.Entry
	decisions := map[string]sponsorship.RegisterKey{}
	unsalted := 0
	for _, rec := range batch.Records {
		img := rec.Change.NewImage
		if period, ok := img["GSI2PK"]; rec.EventName != "INSERT" || !ok || period.DataType() != events.DataTypeString {
			continue
		}
		ev, err := dynamostore.EventFromStream(img)
		if errors.Is(err, dynamostore.ErrNotAnEvent) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("record %s: %w", rec.Change.SequenceNumber, err)
		}
		if len(ev.Salt) != ledger.SaltSize {
			unsalted++
			continue
		}
		key := dynamostore.LogKey(rec.Change.Keys["PK"].String(), rec.Change.Keys["SK"].String())
		public := ledger.PublicRecord(ev)
		out = append(out, ledger.Entry{Key: key, Data: ledger.NewLeaf(ev, ev.Salt, public).Data()})
		if public != nil {
			fy, _ := strconv.Atoi(ev.Data["fiscalYear"])
			decisions[key] = sponsorship.RegisterKey{FiscalYear: fy, ID: ev.RequestID}
		}
	}
	if unsalted > 0 {
		log.Warn("events written before the log existed were left out", "events", unsalted)
	}
	return out, decisions, nil
}
