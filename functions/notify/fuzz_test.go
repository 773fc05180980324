package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/notify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/notifyfn"
)

// FuzzStreamBatch invokes the stream handler as Lambda does, with the function's own
// decoder, on the sample batches and whatever the engine makes of them, with a mailbox
// that works or one that is down. A payload Lambda cannot read as a batch is an error;
// a batch never fails as a whole. While the mailbox is down exactly the records whose
// audit event has mail to send are reported, by sequence number, and the others,
// records that hold no audit event included, are skipped; while it works none are.
// Storage and mail are in memory: nothing here uses AWS.
func FuzzStreamBatch(f *testing.F) {
	samples, err := filepath.Glob(filepath.Join("..", "..", "events", "notify", "*.json"))
	if err != nil || len(samples) == 0 {
		f.Fatalf("no sample batches in events/notify: %v", err)
	}
	for _, s := range samples {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
	}
	f.Add([]byte(`{"Records":[{"dynamodb":{"SequenceNumber":"1","NewImage":{"entity":{"S":"event"},"type":{"S":"approved"},"requestId":{"S":"r"}}}},`+
		`{"dynamodb":{"SequenceNumber":"2","NewImage":{"entity":{"S":"event"},"type":{"S":"submitted"},"version":{"N":"x"}}}}]}`), true)
	f.Add([]byte(`{"Records":[{"dynamodb":{"NewImage":{"type":{"BOOL":true}}}},{}]} trailing`), false)
	f.Add([]byte(`{"Records":{}}`), true)
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, payload []byte, down bool) {
		mail := &mailbox{down: down}
		n := notify.New(oneApplicant{}, openOutbox{}, map[string]notify.Sender{notify.Email: mail}, notify.Config{}, log)
		out, err := lambda.NewHandler(notifyfn.NewStreamHandler(n, log)).Invoke(context.Background(), payload)
		var batch events.DynamoDBEvent
		if json.NewDecoder(bytes.NewReader(payload)).Decode(&batch) != nil {
			if err == nil {
				t.Fatalf("a payload that is not a batch was handled: %s", out)
			}
			return
		}
		if err != nil {
			t.Fatalf("the batch failed as a whole: %v", err)
		}
		var resp events.DynamoDBEventResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("response %s: %v", out, err)
		}
		var want, got []string
		mails := 0
		for _, rec := range batch.Records {
			ev, err := dynamostore.EventFromStream(rec.Change.NewImage)
			// The one request here is confirmed: its confirmation link is not sent again.
			if err != nil || ev.RequestID == "" || ev.Type == sponsorship.EventReceived {
				continue
			}
			if k := len(notify.Route(ev, applicantRequest, sponsorship.NewDirectory(reviewers, nil), notify.Rules{})); k > 0 {
				mails += k
				if down {
					want = append(want, rec.Change.SequenceNumber)
				}
			}
		}
		for _, f := range resp.BatchItemFailures {
			got = append(got, f.ItemIdentifier)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" || mail.attempts != mails {
			t.Fatalf("records reported failed (-want +got):\n%s\n%d mails tried, want %d", diff, mail.attempts, mails)
		}
	})
}

var (
	reviewers = []sponsorship.Reviewer{{ID: "a", Name: "Ann", Email: "ann@acme.example", LegacyCompany: "Acme", Active: true,
		Roles: []sponsorship.Role{sponsorship.RoleReviewer}}}
	applicantRequest = &sponsorship.Request{ID: "r", Reference: "ST-00000-00001", Status: sponsorship.StatusSubmitted,
		Content: sponsorship.Content{Kind: sponsorship.KindTravel, Title: "Trip",
			Applicant: sponsorship.Applicant{Name: "Grace", Email: "grace@xylo.example", Organization: "Xylo"}}}
)

// oneApplicant answers every id with the same request, and the roster with one reviewer.
type oneApplicant struct{}

func (oneApplicant) GetRequest(context.Context, string) (*sponsorship.Request, error) {
	return applicantRequest, nil
}
func (oneApplicant) Directory(context.Context) (sponsorship.Directory, error) {
	return sponsorship.NewDirectory(reviewers, nil), nil
}
func (oneApplicant) WaitingSince(context.Context, time.Time) ([]*sponsorship.Request, error) {
	return nil, nil
}
func (oneApplicant) Owing(context.Context) ([]*sponsorship.Request, error) { return nil, nil }
func (oneApplicant) ConfirmationCode(context.Context, string) (string, error) {
	return "", sponsorship.ErrNotFound
}

// openOutbox lets every claim through, so each record's mail is tried.
type openOutbox struct{}

func (openOutbox) Claim(context.Context, string, []string, time.Duration) (map[string]bool, error) {
	return nil, nil
}
func (openOutbox) MarkSent(context.Context, string, string, string, bool) error { return nil }
func (openOutbox) Release(context.Context, string) error                        { return nil }

// mailbox counts the mail it is given, and refuses it while down.
type mailbox struct {
	down     bool
	attempts int
}

func (m *mailbox) Send(context.Context, string, notify.Message) (string, error) {
	m.attempts++
	if m.down {
		return "", errMailboxDown
	}
	return "id", nil
}

var errMailboxDown = errors.New("mailbox unavailable")

func (oneApplicant) SealedPayout(context.Context, string, int) (*sponsorship.SealedPayout, error) {
	return nil, sponsorship.ErrNotFound
}
