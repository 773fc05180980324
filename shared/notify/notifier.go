package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Outbox remembers the notifications of each group (one audit event's, or one
// reminder) around their sending: a sender claims the group, sends what it has not sent
// yet and marks each message sent as it goes. One claim per group rather than per
// message halves the outbox's writes for an event heard by many.
type Outbox interface {
	// Claim takes a group for sending, for lease, and returns the keys of its
	// notifications sent before. keys are those the caller means to send: when another
	// sender holds a claim that has not run out, Claim returns ErrAlreadySent if every
	// one of them went out, and ErrInFlight otherwise.
	Claim(ctx context.Context, group string, keys []string, lease time.Duration) (sent map[string]bool, err error)
	// MarkSent records that one notification of a claimed group went out; with release
	// set (the last message of a group that sent all the others) it also gives up the
	// claim, so that a redelivered event whose audience grew can send to the newcomers
	// at once.
	MarkSent(ctx context.Context, group, key, messageID string, release bool) error
	// Release gives up a group's claim after a failed send, so that a retry may claim
	// it at once.
	Release(ctx context.Context, group string) error
}

// Outbox answers.
var (
	ErrAlreadySent = errors.New("notifications already sent")
	ErrInFlight    = errors.New("notifications being sent by another invocation")
)

// Sender delivers messages over one channel; it returns the message's id.
type Sender interface {
	Send(ctx context.Context, to string, m Message) (string, error)
}

// Reader is what the notifier reads from storage.
type Reader interface {
	GetRequest(ctx context.Context, id string) (*sponsorship.Request, error)
	// Directory reads the roster with the companies.
	Directory(ctx context.Context) (sponsorship.Directory, error)
	// WaitingSince lists the submitted requests submitted before a time.
	WaitingSince(ctx context.Context, before time.Time) ([]*sponsorship.Request, error)
	// Owing lists the approved requests that are not closed: those that may owe reports.
	Owing(ctx context.Context) ([]*sponsorship.Request, error)
	// ConfirmationCode reads the code of an unconfirmed request's confirmation link;
	// sponsorship.ErrNotFound once the address is confirmed.
	ConfirmationCode(ctx context.Context, id string) (string, error)
	// SealedPayout reads a set of payout details, for the code of a change's
	// confirmation link (the notifier cannot open the details).
	SealedPayout(ctx context.Context, id string, n int) (*sponsorship.SealedPayout, error)
}

// Config is the notifier's configuration.
type Config struct {
	Rules   Rules
	BaseURL string
	// Lease is the longest a claim holds before another sender may take over a group
	// whose sender seems to have died. An invocation with a deadline (a Lambda's
	// timeout) holds its claim only until leaseMargin past that deadline, so the
	// messages a timed-out invocation did not send wait no longer than that.
	Lease time.Duration
}

// Notifier sends the notifications of audit events.
type Notifier struct {
	reader  Reader
	outbox  Outbox
	senders map[string]Sender
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
}

// New returns a Notifier. senders maps channel names (Email, Chat) to senders; a
// channel without a sender is not used.
func New(reader Reader, outbox Outbox, senders map[string]Sender, cfg Config, log *slog.Logger) *Notifier {
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	cfg.Rules.Chat = senders[Chat] != nil
	return &Notifier{reader: reader, outbox: outbox, senders: senders, cfg: cfg, log: log, now: time.Now}
}

// notifying are the event types someone hears about; others cost no reads.
var notifying = []sponsorship.EventType{
	sponsorship.EventReceived, sponsorship.EventSubmitted, sponsorship.EventResubmitted, sponsorship.EventChangesRequested,
	sponsorship.EventApproved, sponsorship.EventRejected, sponsorship.EventApprovalRefused,
	sponsorship.EventReportSubmitted, sponsorship.EventReportChangesRequested, sponsorship.EventAttachmentQuarantined,
	sponsorship.EventPayoutEntered, sponsorship.EventPayoutChangeRequested, sponsorship.EventPayoutChanged,
}

// Handle sends every notification of one audit event. It returns an error when any of
// them could not be sent, so that the event is retried; what went out already is
// skipped on the retry.
func (n *Notifier) Handle(ctx context.Context, ev sponsorship.AuditEvent) error {
	if ev.RequestID == "" || !slices.Contains(notifying, ev.Type) {
		return nil
	}
	req, err := n.reader.GetRequest(ctx, ev.RequestID)
	if errors.Is(err, sponsorship.ErrNotFound) {
		n.log.Warn("event of a request that does not exist", "request", ev.RequestID, "version", ev.Version)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read request %s: %w", ev.RequestID, err)
	}
	if ev.Type != sponsorship.EventReceived && req.Provisional() {
		// Until its address is confirmed a request's address hears one message, the
		// confirmation link, and nobody else hears anything: not even of a file of it
		// refused by its check, whose notice would carry the submitter's words.
		n.log.Info("nothing sent about an unconfirmed request", "request", req.ID, "type", ev.Type)
		return nil
	}
	switch ev.Type {
	case sponsorship.EventReceived:
		return n.askToConfirm(ctx, ev, req)
	case sponsorship.EventPayoutChangeRequested:
		return n.askToConfirmPayout(ctx, ev, req)
	}
	dir, err := n.reader.Directory(ctx)
	if err != nil {
		return fmt.Errorf("read roster: %w", err)
	}
	return n.deliver(ctx, eventGroup(ev), Route(ev, req, dir, n.cfg.Rules), func(note Notification) View {
		return NewView(note.Name, req, ev, n.cfg.BaseURL)
	})
}

// eventGroup names an audit event's notifications in the outbox.
func eventGroup(ev sponsorship.AuditEvent) string {
	return fmt.Sprintf("%s#%d", ev.RequestID, ev.Version)
}

// deliver claims a group of notifications, then renders, sends and marks each one the
// group has not sent yet. A failed message does not stop the others; the claim is then
// released and the error returned, so that a retry sends only what is missing.
func (n *Notifier) deliver(ctx context.Context, group string, notes []Notification, view func(Notification) View) error {
	var keys []string
	notes = slices.DeleteFunc(slices.Clone(notes), func(note Notification) bool { return n.senders[note.Channel] == nil })
	for _, note := range notes {
		keys = append(keys, note.Key)
	}
	if len(notes) == 0 {
		return nil
	}
	sent, err := n.outbox.Claim(ctx, group, keys, n.lease(ctx))
	switch {
	case errors.Is(err, ErrAlreadySent):
		n.log.Info("notifications already sent", "group", group)
		return nil
	case err != nil:
		return fmt.Errorf("claim %s: %w", group, err)
	}
	var failed []error
	unsent := 0
	for _, note := range notes {
		if !sent[note.Key] {
			unsent++
		}
	}
	if unsent == 0 {
		// Claimed with nothing left to send (a store that could not tell at once).
		return n.outbox.Release(ctx, group)
	}
	for _, note := range notes {
		if sent[note.Key] {
			n.log.Info("notification already sent", "key", note.Key)
			continue
		}
		unsent--
		if err := n.send(ctx, group, note, view(note), unsent == 0 && len(failed) == 0); err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		if err := n.outbox.Release(ctx, group); err != nil {
			n.log.Error("release claim", "group", group, "error", err.Error())
		}
	}
	return errors.Join(failed...)
}

// leaseMargin is how long past its invocation's deadline a claim holds: room for the
// clocks of the function and of DynamoDB to differ.
const leaseMargin = 10 * time.Second

// lease is how long a claim made now holds: Config.Lease, or less when the invocation
// must end sooner.
func (n *Notifier) lease(ctx context.Context) time.Duration {
	lease := n.cfg.Lease
	if deadline, ok := ctx.Deadline(); ok {
		lease = min(lease, max(time.Until(deadline), 0)+leaseMargin)
	}
	return lease
}

// send renders, sends and marks one notification of a claimed group, releasing the
// claim with the mark when asked.
func (n *Notifier) send(ctx context.Context, group string, note Notification, v View, release bool) error {
	msg, err := Render(note.Kind, v)
	if err != nil {
		return fmt.Errorf("render %s: %w", note.Kind, err)
	}
	id, err := n.senders[note.Channel].Send(ctx, note.To, msg)
	if err != nil {
		n.log.Warn("send failed", "key", note.Key, "channel", note.Channel, "kind", note.Kind, "error", err.Error())
		return fmt.Errorf("send %s: %w", note.Key, err)
	}
	if err := n.outbox.MarkSent(ctx, group, note.Key, id, release); err != nil {
		// Sent, but not recorded: a retry could send it again, so say so loudly.
		n.log.Error("sent but not recorded", "key", note.Key, "error", err.Error())
		return nil
	}
	n.log.Info("notification sent", "key", note.Key, "channel", note.Channel, "kind", note.Kind)
	return nil
}

// Remind sends each active reviewer one digest of the submitted requests waiting on
// their vote for longer than after: not voted on in this round, not recused from, not
// their company's. Nobody hears anything when nothing waits, and a digest goes out at
// most once a day per reviewer. Applicants of approved requests hear of the reports
// they owe a week before each is due, on the day, and every week once it is overdue.
// It returns how many messages went out.
func (n *Notifier) Remind(ctx context.Context, after time.Duration) (int, error) {
	now := n.now().UTC()
	requests, err := n.reader.WaitingSince(ctx, now.Add(-after))
	if err != nil {
		return 0, fmt.Errorf("read waiting requests: %w", err)
	}
	dir, err := n.reader.Directory(ctx)
	if err != nil {
		return 0, fmt.Errorf("read roster: %w", err)
	}
	// One digest per mailbox: roster entries that share an address are one person, and a
	// request waits on them only if it waits on every one of those entries.
	var mailboxes []string
	byMailbox := map[string][]sponsorship.Reviewer{}
	for _, r := range dir.Reviewers {
		if !r.Reviews() || r.Email == "" {
			continue
		}
		box := strings.ToLower(r.Email)
		if _, ok := byMailbox[box]; !ok {
			mailboxes = append(mailboxes, box)
		}
		byMailbox[box] = append(byMailbox[box], r)
	}
	sent := 0
	var failed []error
	for _, box := range mailboxes {
		members := byMailbox[box]
		waiting := requests
		for _, r := range members {
			waiting = waitingOn(dir, r, waiting)
		}
		if len(waiting) == 0 {
			continue
		}
		r := members[0]
		note := Notification{Key: key(sponsorship.AuditEvent{RequestID: "digest", Version: dayNumber(now)}, Email, box),
			Channel: Email, To: r.Email, Name: r.Name, Kind: KindDigest}
		v := View{Name: r.Name, Request: &sponsorship.Request{}, Waiting: digestLines(waiting, now, n.cfg.BaseURL)}
		if err := n.deliverOne(ctx, note, v); err != nil {
			failed = append(failed, err)
			continue
		}
		sent++
	}
	owing, err := n.reader.Owing(ctx)
	if err != nil {
		return sent, errors.Join(append(failed, fmt.Errorf("read requests owing reports: %w", err))...)
	}
	for _, req := range owing {
		lines := reportsToNag(req, now)
		if len(lines) == 0 {
			continue
		}
		note := Notification{Key: key(sponsorship.AuditEvent{RequestID: req.ID + "-reports", Version: dayNumber(now)}, Email, req.Applicant.Email),
			Channel: Email, To: req.Applicant.Email, Name: req.Applicant.Name, Kind: KindReportsDue}
		v := NewView(req.Applicant.Name, req, sponsorship.AuditEvent{}, n.cfg.BaseURL)
		v.Reports = lines
		if err := n.deliverOne(ctx, note, v); err != nil {
			failed = append(failed, err)
			continue
		}
		sent++
	}
	return sent, errors.Join(failed...)
}

// deliverOne delivers a notification that is a group of its own (a reminder).
func (n *Notifier) deliverOne(ctx context.Context, note Notification, v View) error {
	return n.deliver(ctx, note.Key, []Notification{note}, func(Notification) View { return v })
}

// maxOverdueDays is how long after its due date a report is still reminded of.
const maxOverdueDays = 56

// ReportDue is one line of an applicant's reminder: a report not yet submitted (or
// sent back), and when it is due.
type ReportDue struct {
	Name    string
	DueDate string
	Days    int // until the due date; negative when overdue
}

// reportsToNag lists the reports of a request to remind its applicant of today: a week
// before the due date, on it, and every seven days once overdue, for eight weeks (after
// that the committee follows up itself; a request approved before reports existed would
// otherwise be nagged for ever). Reports submitted or accepted are the committee's to
// act on.
func reportsToNag(req *sponsorship.Request, now time.Time) []ReportDue {
	today := now.UTC().Truncate(24 * time.Hour)
	var out []ReportDue
	for _, rep := range req.ReportsOwed() {
		if rep.State != sponsorship.ReportDue && rep.State != sponsorship.ReportChangesRequested {
			continue
		}
		due, err := time.Parse("2006-01-02", rep.DueDate)
		if err != nil {
			continue
		}
		days := int(due.Sub(today).Hours() / 24)
		if days != 7 && days != 0 && (days > 0 || -days%7 != 0 || -days > maxOverdueDays) {
			continue
		}
		name := "the trip report"
		switch {
		case req.Project != nil && rep.Number < len(req.Project.Milestones):
			name = fmt.Sprintf("the report on milestone %d (%s)", rep.Number+1, req.Project.Milestones[rep.Number].Title)
		case req.Conference != nil:
			name = "the post-event report"
		}
		out = append(out, ReportDue{Name: name, DueDate: rep.DueDate, Days: days})
	}
	return out
}

// dayNumber numbers UTC days since 1970.
func dayNumber(t time.Time) int { return int(t.Unix() / 86400) }

// waitingOn keeps the submitted requests a reviewer still has to vote on: not voted on
// in this round, not recused from, not their company's.
func waitingOn(dir sponsorship.Directory, r sponsorship.Reviewer, requests []*sponsorship.Request) []*sponsorship.Request {
	var out []*sponsorship.Request
	for _, req := range requests {
		if req.Status == sponsorship.StatusSubmitted && !slices.Contains(req.Voters, r.ID) && !slices.Contains(req.Recused, r.ID) &&
			dir.ConflictOf(r, req.Applicant).Level != sponsorship.ExactConflict {
			out = append(out, req)
		}
	}
	return out
}

// digestLines describes waiting requests for a digest, in the order given (oldest first).
func digestLines(requests []*sponsorship.Request, now time.Time, baseURL string) []Waiting {
	out := make([]Waiting, 0, len(requests))
	for _, req := range requests {
		v := NewView("", req, sponsorship.AuditEvent{}, baseURL)
		out = append(out, Waiting{Reference: req.Reference, Title: req.Title, Amount: req.Amount.String(),
			Days: days(req.SubmittedAt, now), ReviewURL: v.ReviewURL})
	}
	return out
}
