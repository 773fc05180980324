// Command load sends a bounded burst of submissions through the local stack's gateway,
// each from an address of its own, reads every confirmation mail from moto's SES and
// confirms each request with its link, as its applicant would, and then checks that
// nothing was lost or doubled: exactly one stored request, one "submitted" audit event,
// one confirmation mail and the expected e-mails per submission. It prints the
// throughput and latency, and exits 1 when a count is off.
//
//	go run ./infra/cmd/load [-n 1000] [-c 32] [-json report.json]
//
// It starts a stack of its own (its own moto, the demo data) from template.yaml, as
// `make dev` does, so it measures this machine's local stack, not AWS. The client
// behaves as a real one should: it sends an Idempotency-Key with every submission and
// retries, with the same key, what the gateway throttles (429) or cannot answer (5xx).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/proc"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/verify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Report is what a run measured and counted.
type Report struct {
	Submissions int     `json:"submissions"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"perSecond"`
	P50ms       float64 `json:"p50ms"`
	P90ms       float64 `json:"p90ms"`
	P99ms       float64 `json:"p99ms"`
	MaxMs       float64 `json:"maxMs"`
	Throttled   int64   `json:"throttled"`   // 429s retried
	ServerError int64   `json:"serverError"` // 5xx retried
	Failed      int     `json:"failed"`      // submissions that never got a 201

	// Confirmed counts the requests confirmed through the links of their mail, while
	// the others were still submitting, and ConfirmSeconds the time from the first
	// confirmation to the last; ConfirmationMails counts the confirmation mails found,
	// ConfirmationDrainSeconds the wait for the last of them after the last submission.
	Confirmed                int     `json:"confirmed"`
	ConfirmationMails        int     `json:"confirmationMails"`
	ConfirmationDrainSeconds float64 `json:"confirmationDrainSeconds"`
	ConfirmSeconds           float64 `json:"confirmSeconds"`
	ConfirmPerSecond         float64 `json:"confirmPerSecond"`

	Stored          int     `json:"stored"`
	SubmittedEvents int     `json:"submittedEvents"`
	Mails           int     `json:"mails"`
	MailsWanted     int     `json:"mailsWanted"`
	Chats           int     `json:"chats"`
	DrainSeconds    float64 `json:"drainSeconds"`
	// LogLeaves is the verifiable log's size once the streams drained, LogSeconds when
	// it last grew (from the start of the drain), and LogAudited how many of the audit
	// report's events the auditor's check found in it; LogProblems are what the check
	// found wrong.
	LogLeaves     int64    `json:"logLeaves"`
	LogSeconds    float64  `json:"logSeconds"`
	LogAudited    int      `json:"logAudited"`
	LogProblems   []string `json:"logProblems,omitempty"`
	DynamoDBCalls int      `json:"dynamodbCalls"`
	// MotoCalls is the run's calls to moto by operation, with moto's time for them.
	MotoCalls map[string]localaws.CallStats `json:"motoCalls"`
	// Mappings are the stream pollers' figures: records, invocations, failures.
	Mappings map[string]motostack.MappingStats `json:"mappings"`
}

func main() {
	n := flag.Int("n", 1000, "submissions to send")
	c := flag.Int("c", 32, "concurrent clients")
	out := flag.String("json", "", "also write the report to this file")
	logFile := flag.String("log", "", "write the stack's logs to this file")
	flag.Parse()
	proc.DieWithParent()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logs := io.Discard
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		defer f.Close()
		logs = f
	}
	rep, err := run(ctx, *n, *c, logs)
	if rep != nil {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if *out != "" {
			if werr := os.WriteFile(*out, append(b, '\n'), 0o644); werr != nil {
				err = errors.Join(err, werr)
			}
		}
		printReport(rep)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n, concurrency int, logs io.Writer) (*Report, error) {
	root, err := samtemplate.FindRoot()
	if err != nil {
		return nil, err
	}
	chat := &devstack.ChatSink{}
	hook := httptest.NewServer(http.StripPrefix("/hooks/committee", chat))
	defer hook.Close()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	runID := hex.EncodeToString(b)
	fmt.Fprintf(os.Stderr, "load: starting a local stack ...\n")
	dev, err := devstack.Start(ctx, devstack.Options{Root: root, Addr: "127.0.0.1:0", Log: logs, StackName: "load-" + runID,
		Parameters: map[string]string{"ChatWebhookUrl": hook.URL + "/hooks/committee"}})
	if err != nil {
		return nil, err
	}
	defer dev.Stop()
	callsBefore, err := localaws.ReadStats(ctx, dev.Endpoint())
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(os.Stderr, "load: %d submissions, %d at a time, to %s\n", n, concurrency, dev.URL())
	rep := &Report{Submissions: n, Concurrency: concurrency}
	ids := make([]string, n)
	latencies := make([]time.Duration, n)
	var throttled, serverErr atomic.Int64

	// Applicants open their confirmation mail while others are still submitting, as
	// they would: a reader of moto's SES hands each run's link to the confirmers as soon
	// as it is sent. Submissions and confirmations have throttles of their own, so the
	// two go on side by side.
	links := make(chan confirmation, n)
	submitted := make(chan struct{})
	mailCtx, cancelMail := context.WithTimeout(ctx, 10*time.Minute)
	defer cancelMail()
	var mailErr error
	var lastMail time.Time
	mailDone := make(chan struct{})
	go func() {
		defer close(mailDone)
		defer close(links)
		lastMail, mailErr = readConfirmations(mailCtx, dev, runID, ids, submitted, links, rep)
	}()
	confirmed := make([]bool, n)
	var firstConfirm, lastConfirm atomic.Int64
	var confirmers sync.WaitGroup
	for range concurrency {
		confirmers.Go(func() {
			for l := range links {
				firstConfirm.CompareAndSwap(0, time.Now().UnixNano())
				confirmed[l.index] = confirm(ctx, dev.URL(), l.id, l.code, &throttled, &serverErr)
				lastConfirm.Store(time.Now().UnixNano())
			}
		})
	}

	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for i := range jobs {
				ids[i], latencies[i] = submit(ctx, dev.URL(), runID, i, &throttled, &serverErr)
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	close(submitted)
	rep.Seconds, rep.PerSecond = elapsed.Seconds(), float64(n)/elapsed.Seconds()
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	pct := func(p float64) float64 { return float64(sorted[int(p*float64(n-1))].Microseconds()) / 1000 }
	rep.P50ms, rep.P90ms, rep.P99ms, rep.MaxMs = pct(0.50), pct(0.90), pct(0.99), pct(1)
	for _, id := range ids {
		if id == "" {
			rep.Failed++
		}
	}

	<-mailDone
	confirmers.Wait()
	if mailErr != nil {
		return rep, mailErr
	}
	rep.ConfirmationDrainSeconds = max(0, lastMail.Sub(start.Add(elapsed)).Seconds())
	if first, last := firstConfirm.Load(), lastConfirm.Load(); first != 0 {
		rep.ConfirmSeconds = time.Duration(last - first).Seconds()
	}
	for _, ok := range confirmed {
		if ok {
			rep.Confirmed++
		}
	}
	rep.ConfirmPerSecond = float64(rep.Confirmed) / max(rep.ConfirmSeconds, 0.001)
	rep.Throttled, rep.ServerError = throttled.Load(), serverErr.Load()

	// Let the stream deliver every notification, then count.
	drainStart := time.Now()
	drainCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	logGrew := watchLog(drainCtx, dev, drainStart)
	if err := dev.DrainStreams(drainCtx); err != nil {
		return rep, err
	}
	rep.DrainSeconds = time.Since(drainStart).Seconds()
	cancel()
	rep.LogSeconds = (<-logGrew).Seconds()
	if err := checkLog(ctx, dev, rep); err != nil {
		return rep, err
	}
	if err := count(ctx, dev, runID, ids, rep); err != nil {
		return rep, err
	}
	rep.Chats = countChats(chat, runID)
	rep.Mappings = dev.MappingStats()
	callsAfter, err := localaws.ReadStats(ctx, dev.Endpoint())
	if err != nil {
		return rep, err
	}
	rep.MotoCalls = localaws.Since(callsBefore, callsAfter)
	for op, st := range rep.MotoCalls {
		if strings.HasPrefix(op, "DynamoDB_") {
			rep.DynamoDBCalls += st.Calls
		}
	}

	var problems []string
	if rep.Failed > 0 {
		problems = append(problems, fmt.Sprintf("%d submissions never got a 201", rep.Failed))
	}
	if rep.ConfirmationMails != n || rep.Confirmed != n {
		problems = append(problems, fmt.Sprintf("%d confirmation mails and %d confirmations for %d submissions", rep.ConfirmationMails, rep.Confirmed, n))
	}
	if rep.Stored != n || rep.SubmittedEvents != n {
		problems = append(problems, fmt.Sprintf("stored %d requests and %d submitted events for %d submissions", rep.Stored, rep.SubmittedEvents, n))
	}
	if rep.Mails != rep.MailsWanted || rep.Chats != n {
		problems = append(problems, fmt.Sprintf("%d e-mails (want %d) and %d chat messages (want %d)", rep.Mails, rep.MailsWanted, rep.Chats, n))
	}
	if len(rep.LogProblems) > 0 {
		problems = append(problems, fmt.Sprintf("the verifiable log failed the auditor's check: %s", strings.Join(rep.LogProblems, "; ")))
	}
	if len(problems) > 0 {
		return rep, errors.New(strings.Join(problems, "; "))
	}
	return rep, nil
}

// watchLog polls the log's size until ctx ends and then says when, after since, it
// last grew.
func watchLog(ctx context.Context, dev *devstack.Dev, since time.Time) <-chan time.Duration {
	out := make(chan time.Duration, 1)
	go func() {
		store := dev.Store()
		var size int64
		var grew time.Duration
		for ctx.Err() == nil {
			if h, err := store.Head(context.WithoutCancel(ctx)); err == nil && h.Size != size {
				size, grew = h.Size, time.Since(since)
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
		out <- grew
	}()
	return out
}

// checkLog runs the auditor's check on the stack's log once the streams drained: the
// signed tree rebuilt from the served tiles and entries, and every event of the audit
// report (the whole run, exported by finance) in it, with nothing else.
func checkLog(ctx context.Context, dev *devstack.Dev, rep *Report) error {
	token, err := dev.Token(ctx, "finance")
	if err != nil {
		return err
	}
	today := time.Now().UTC()
	from := today.AddDate(0, 0, -300)
	url := fmt.Sprintf("%s/finance/reports/audit?from=%s&to=%s&format=json", dev.URL(), from.Format("2006-01-02"), today.AddDate(0, 0, 30).Format("2006-01-02"))
	report, err := getReport(ctx, url, token)
	if err != nil {
		return err
	}
	var rows []map[string]string
	if err := json.Unmarshal(report, &rows); err != nil {
		return fmt.Errorf("audit report: %w", err)
	}
	key, err := getBody(ctx, dev.URL()+"/log/key", "")
	if err != nil {
		return err
	}
	start, _ := time.Parse("2006-01-02", from.Format("2006-01-02"))
	res, err := verify.Run(ctx, verify.Options{Log: dev.URL() + "/log/", VerifierKey: strings.TrimSpace(string(key)), Audit: rows, From: start})
	if err != nil {
		return err
	}
	rep.LogLeaves, rep.LogAudited, rep.LogProblems = res.Head.Size, res.Audited, res.Problems
	return nil
}

// getReport reads a report inline or through its download link.
func getReport(ctx context.Context, url, token string) ([]byte, error) {
	body, err := getBody(ctx, url, token)
	if err != nil {
		return nil, err
	}
	var link struct {
		DownloadURL string `json:"downloadUrl"`
	}
	if json.Unmarshal(body, &link) == nil && link.DownloadURL != "" {
		return getBody(ctx, link.DownloadURL, "")
	}
	return body, nil
}

func getBody(ctx context.Context, url, token string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, body)
	}
	return body, err
}

// submit sends submission i until it is stored: the same Idempotency-Key every time,
// as a client with a deadline would (see post).
func submit(ctx context.Context, base, runID string, i int, throttled, serverErr *atomic.Int64) (string, time.Duration) {
	body, _ := json.Marshal(application(runID, i))
	key := fmt.Sprintf("load-%s-%06d", runID, i)
	start := time.Now()
	answer, err := post(ctx, base+"/requests", body, map[string]string{"Idempotency-Key": key}, http.StatusCreated, throttled, serverErr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "load: submission %d: %v\n", i, err)
		return "", time.Since(start)
	}
	var receipt struct{ ID string }
	_ = json.Unmarshal(answer, &receipt)
	return receipt.ID, time.Since(start)
}

// confirm opens request id's confirmation link, as its applicant does (see post).
func confirm(ctx context.Context, base, id, code string, throttled, serverErr *atomic.Int64) bool {
	body, _ := json.Marshal(map[string]string{"code": code})
	if _, err := post(ctx, base+"/requests/"+id+"/confirm", body, nil, http.StatusOK, throttled, serverErr); err != nil {
		fmt.Fprintf(os.Stderr, "load: confirmation of %s: %v\n", id, err)
		return false
	}
	return true
}

// post sends a JSON body until it gets the status it wants, for up to two minutes, and
// returns the answer. Under the stage's throttle 32 clients compete for 50 requests a
// second; a fixed number of attempts let an unlucky client give up while the others
// were served. It retries what the gateway throttles (429) or cannot answer (5xx),
// backing off with jitter, and gives up on any other answer: a refusal, which
// retrying will not change.
func post(ctx context.Context, url string, body []byte, header map[string]string, want int, throttled, serverErr *atomic.Int64) ([]byte, error) {
	start := time.Now()
	last := "no answer"
	for attempt := 1; time.Since(start) < 2*time.Minute && ctx.Err() == nil; attempt++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err.Error()
			time.Sleep(100 * time.Millisecond)
			continue
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = resp.Status
		switch {
		case resp.StatusCode == want:
			return answer, nil
		case resp.StatusCode == http.StatusTooManyRequests && !problem(resp):
			// The gateway's throttle; a problem document would be the API's refusal
			// (too many unconfirmed requests for one address), which retrying cannot fix.
			throttled.Add(1)
		case resp.StatusCode >= 500:
			serverErr.Add(1)
		default:
			return nil, fmt.Errorf("refused: %s", resp.Status)
		}
		// Back off, at most half a second, with jitter so throttled clients spread out.
		pause := min(time.Duration(attempt)*20*time.Millisecond, 500*time.Millisecond)
		time.Sleep(pause/2 + time.Duration(mrand.Int64N(int64(pause/2)+1)))
	}
	return nil, fmt.Errorf("no %d after %s: last answer %s", want, time.Since(start).Round(time.Second), last)
}

// problem reports whether an answer is the API's problem document rather than the
// gateway's own.
func problem(resp *http.Response) bool {
	return strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json")
}

// confirmLink is the link of a confirmation mail, as its HTML holds it.
var confirmLink = regexp.MustCompile(`/confirm#id=([0-9A-Z]+)&amp;code=([A-Za-z0-9_-]+)`)

// confirmation is one applicant's link: the request and the code their mail carries.
type confirmation struct {
	index    int
	id, code string
}

// readConfirmations reads the run's confirmation mails from moto's SES as they are sent
// (only what is new at each look) and hands each link on: one mail per request, to its
// applicant, carrying the link's id and code and nothing of the application. It returns
// once every stored submission's link has been found (after submitted is closed) with
// the time the last one was seen.
func readConfirmations(ctx context.Context, dev *devstack.Dev, runID string, ids []string, submitted <-chan struct{}, links chan<- confirmation, rep *Report) (time.Time, error) {
	prefix := "load-" + runID + "-"
	var last time.Time
	read, found := 0, 0
	done := false
	for {
		select {
		case <-submitted:
			done = true
		default:
		}
		mails, err := localaws.SentMailFrom(ctx, dev.Endpoint(), read)
		if err != nil {
			return last, err
		}
		read += len(mails)
		for _, m := range mails {
			to := m.To()
			if !strings.HasPrefix(to, prefix) || !strings.Contains(m.Subject, "Confirm your e-mail address") {
				continue
			}
			rep.ConfirmationMails++
			last = time.Now()
			if strings.Contains(m.Body, "Load test travel grant") || strings.Contains(m.Body, "Load Tester") {
				return last, fmt.Errorf("the confirmation mail to %s carries the application's text", to)
			}
			link := confirmLink.FindStringSubmatch(m.Body)
			i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(to, prefix), "@example.org"))
			if link == nil || err != nil || i < 0 || i >= len(ids) {
				return last, fmt.Errorf("the confirmation mail to %s has no link of this run", to)
			}
			links <- confirmation{index: i, id: link[1], code: link[2]}
			found++
		}
		if done {
			stored := 0
			for _, id := range ids {
				if id != "" {
					stored++
				}
			}
			if found >= stored {
				return last, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("%d of the confirmation mails were sent before the deadline: %w", found, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func email(runID string, i int) string { return fmt.Sprintf("load-%s-%06d@example.org", runID, i) }

// application is submission i: a travel grant to an event in the same fiscal year for
// every i, so the count can read one partition of the period index.
func application(runID string, i int) map[string]any {
	return map[string]any{
		"kind": "travel", "title": fmt.Sprintf("Load test travel grant %06d", i),
		"summary":   "Airfare and lodging for an accepted talk, sent by the load script.",
		"applicant": map[string]any{"name": "Load Tester", "email": email(runID, i), "organization": "Load Test Org"},
		"amount":    map[string]any{"currency": "EUR", "value": "950.00"},
		"travel": map[string]any{"traveller": "Load Tester", "eventName": "LoadConf 2031", "eventUrl": "https://loadconf.example/",
			"startDate": "2031-09-01", "endDate": "2031-09-03", "talkTitle": "Counting to a thousand", "origin": "Lisbon, PT"},
	}
}

// count reads back what the run stored: the requests through the period index, the
// audit events through their monthly partitions, and the e-mails moto's SES holds.
func count(ctx context.Context, dev *devstack.Dev, runID string, ids []string, rep *Report) error {
	store := dev.Store()
	first, err := store.GetRequest(ctx, ids[slices.IndexFunc(ids, func(s string) bool { return s != "" })])
	if err != nil {
		return err
	}
	mine := map[string]bool{}
	for _, id := range ids {
		mine[id] = true
	}
	prefix := "load-" + runID + "-"
	if err := store.EachRequest(ctx, first.FiscalYear, "", "", func(r *sponsorship.Request) error {
		if strings.HasPrefix(r.Applicant.Email, prefix) {
			rep.Stored++
			if !mine[r.ID] {
				return fmt.Errorf("request %s was stored but no client got its id", r.ID)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := store.EachEvent(ctx, first.SubmittedAt.Add(-time.Hour), time.Now().Add(time.Minute), func(ev sponsorship.AuditEvent) error {
		if mine[ev.RequestID] && ev.Type == sponsorship.EventSubmitted {
			rep.SubmittedEvents++
		}
		return nil
	}); err != nil {
		return err
	}
	dir, err := store.Directory(ctx)
	if err != nil {
		return err
	}
	reviewers := map[string]bool{}
	for _, m := range dir.Reviewers {
		if m.Reviews() && m.Email != "" && dir.ConflictOf(m, sponsorship.Applicant{Organization: "Load Test Org"}).Level != sponsorship.ExactConflict {
			reviewers[strings.ToLower(m.Email)] = true
		}
	}
	rep.MailsWanted = len(ids) * (len(reviewers) + 2) // each reviewer, and the applicant's confirmation link and receipt
	mails, err := localaws.SentMail(ctx, dev.Endpoint())
	if err != nil {
		return err
	}
	for _, m := range mails {
		if strings.Contains(m.Body, "Load test travel grant") || strings.Contains(m.Subject, "Load test travel grant") ||
			strings.HasPrefix(m.To(), prefix) {
			rep.Mails++
		}
	}
	return nil
}

func countChats(chat *devstack.ChatSink, runID string) int {
	n := 0
	for _, m := range chat.Messages() {
		if strings.Contains(m, "Load test travel grant") {
			n++
		}
	}
	return n
}

func printReport(r *Report) {
	lines := []string{
		fmt.Sprintf("submissions      %d at concurrency %d in %.1f s: %.1f per second", r.Submissions, r.Concurrency, r.Seconds, r.PerSecond),
		fmt.Sprintf("latency          p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms (first send to 201, retries included)", r.P50ms, r.P90ms, r.P99ms, r.MaxMs),
		fmt.Sprintf("retried          %d throttled (429), %d server errors (5xx); %d never stored", r.Throttled, r.ServerError, r.Failed),
		fmt.Sprintf("confirmation     %d links mailed (the last %.1f s after the last submission), %d confirmed alongside the submissions, first to last in %.1f s: %.1f per second",
			r.ConfirmationMails, r.ConfirmationDrainSeconds, r.Confirmed, r.ConfirmSeconds, r.ConfirmPerSecond),
		fmt.Sprintf("stored           %d requests, %d submitted events", r.Stored, r.SubmittedEvents),
		fmt.Sprintf("notifications    %d e-mails of %d expected, %d chat messages; stream drained %.1f s after the last confirmation", r.Mails, r.MailsWanted, r.Chats, r.DrainSeconds),
		fmt.Sprintf("verifiable log   %d leaves, last grown %.1f s into the drain; %d of the audit report's events found, %d problems",
			r.LogLeaves, r.LogSeconds, r.LogAudited, len(r.LogProblems)),
		fmt.Sprintf("stream mappings  %v", r.Mappings),
		fmt.Sprintf("dynamodb calls   %d (%.1f per submission, notifications included)", r.DynamoDBCalls, float64(r.DynamoDBCalls)/float64(max(r.Submissions, 1))),
	}
	ops := make([]string, 0, len(r.MotoCalls))
	for op := range r.MotoCalls {
		ops = append(ops, op)
	}
	slices.SortFunc(ops, func(a, b string) int { return int(r.MotoCalls[b].Total - r.MotoCalls[a].Total) })
	for _, op := range ops {
		st := r.MotoCalls[op]
		lines = append(lines, fmt.Sprintf("  %-42s %6d calls, %6.1f s in moto, %5.1f ms each", op, st.Calls, st.Total.Seconds(),
			float64(st.Total.Microseconds())/1000/float64(st.Calls)))
	}
	fmt.Println(strings.Join(lines, "\n"))
}
