//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/verify"
)

// auditReport exports the audit trail of the last 300 days and the next 30 as JSON,
// as finance would for an auditor, and the period it covers.
func auditReport(t *testing.T) ([]map[string]string, time.Time, time.Time) {
	t.Helper()
	now := time.Now().UTC()
	from, to := now.AddDate(0, 0, -300), now.AddDate(0, 0, 30)
	r := staff(t, "finance").do("GET", "/finance/reports/audit?from="+from.Format("2006-01-02")+"&to="+to.Format("2006-01-02")+"&format=json", nil)
	var rows []map[string]string
	if err := json.Unmarshal(download(t, r), &rows); err != nil {
		t.Fatal(err)
	}
	start, _ := time.Parse("2006-01-02", from.Format("2006-01-02"))
	return rows, start, now // events after the export are not in it
}

// checkLog runs the auditor's check against the stack until the log has caught up
// with the audit report (the ledger function follows the stream within seconds), and
// returns the last result.
func checkLog(t *testing.T, key string, previous []byte, clean bool) *verify.Result {
	t.Helper()
	var res *verify.Result
	for deadline := time.Now().Add(60 * time.Second); ; {
		rows, from, to := auditReport(t)
		var err error
		res, err = verify.Run(context.Background(), verify.Options{Log: dev.URL() + "/log/", VerifierKey: key,
			Previous: previous, Audit: rows, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Problems) == 0 || !clean || time.Now().After(deadline) {
			return res
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// publicLeaf reports whether some leaf of the served log carries a public record of
// request id.
func publicLeaf(t *testing.T, id string) bool {
	t.Helper()
	cp := anonymous(t).do("GET", "/log/checkpoint", nil)
	lines := strings.Split(string(cp.body), "\n")
	size, _ := strconv.Atoi(lines[1])
	for n := 0; n*ledger.TileWidth < size; n++ {
		tile := tlog.Tile{H: ledger.TileHeight, L: ledger.EntriesLevel, N: int64(n), W: min(ledger.TileWidth, size-n*ledger.TileWidth)}
		path := "/log/" + ledger.Path(tile)
		bundle := anonymous(t).do("GET", path, nil)
		entries, err := ledger.SplitBundle(bundle.body)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			leaf, err := ledger.ParseLeaf(e)
			if err != nil {
				t.Fatal(err)
			}
			if leaf.Public != nil && strings.Contains(string(leaf.Public), `"request":"`+id+`"`) {
				return true
			}
		}
	}
	return false
}

// runVerify runs infra/cmd/verify against the stack's log with the key and the audit
// report of the last 300 days, as an auditor would, and returns its output and exit
// status.
func runVerify(t *testing.T, key string) (string, int) {
	t.Helper()
	dir := t.TempDir()
	rows, from, _ := auditReport(t)
	report, _ := json.Marshal(rows)
	for name, content := range map[string][]byte{"key.txt": []byte(key), "audit.json": report} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "run", "./infra/cmd/verify", "-log", dev.URL()+"/log/", "-key", "@"+filepath.Join(dir, "key.txt"),
		"-audit", filepath.Join(dir, "audit.json"), "-from", from.Format("2006-01-02"))
	cmd.Dir = testenv.Root()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("run infra/cmd/verify: %v\n%s", err, out)
	return "", 0
}

func hasProblem(res *verify.Result, parts ...string) bool {
	for _, p := range res.Problems {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(p, part)
		}
		if all {
			return true
		}
	}
	return false
}

// TestTheAuditTrailIsAVerifiableLog checks the stack's log as an auditor would: with
// the verifier key taken from KMS rather than from the log, the audit report finance
// exports, and a checkpoint saved before more activity. Then it changes, drops and
// reorders stored events behind the system's back, and the check names each.
func TestTheAuditTrailIsAVerifiableLog(t *testing.T) {
	ctx := context.Background()
	out, err := kms.NewFromConfig(localaws.Config(dev.Endpoint())).GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(dev.Physical("LogKey"))})
	if err != nil {
		t.Fatal(err)
	}
	served := anonymous(t).do("GET", "/log/key", nil)
	key := strings.TrimSpace(string(served.body))
	name, _, _ := strings.Cut(key, "+")
	fromKMS, err := ledger.VerifierKey(name, out.PublicKey)
	if err != nil || fromKMS != key {
		t.Fatalf("the published verifier key %q is not the KMS key's %q (%v)", key, fromKMS, err)
	}

	// A request of this test's own, so that tampering with it disturbs nobody else's.
	id, _, token := submitConfirmed(t, application("travel", fmt.Sprintf("log-%d@example.org", time.Now().UnixNano())))
	if r := as(t, token).do("POST", "/requests/"+id+"/withdraw", map[string]any{"reason": "plans changed"}); r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	// A decision its applicant agreed to publish: its leaf carries the public record, and
	// the check proves its inclusion.
	budgets(t, "NOK", []int{2034}, "conference")
	published := conferenceOf(fmt.Sprintf("log-%d@northwind.example", time.Now().UnixNano()), "NOK", "4000.00", "2034-05-01")
	published["publication"] = "named"
	approved, _ := approveAs(t, published)
	first := checkLog(t, key, nil, true)
	if len(first.Problems) > 0 || first.Audited == 0 || first.Public == 0 {
		t.Fatalf("the log does not check out: %d events audited, %d public leaves proven, problems %q", first.Audited, first.Public, first.Problems)
	}
	if !publicLeaf(t, approved) {
		t.Fatalf("the approval of %s, published by its applicant's choice, has no public leaf", approved)
	}
	if publicLeaf(t, id) {
		t.Fatalf("the request %s, not published, has a public leaf", id)
	}
	// The ledger named the approval's leaf on its register entry: its page is one read.
	entry, err := dev.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(dev.Physical("Table")),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "REGISTER#2034"},
			"SK": &types.AttributeValueMemberS{Value: "DECISION#" + approved}}})
	if err != nil || entry.Item["leafIndex"] == nil {
		t.Fatalf("the register entry of %s: %v, %v; want its leaf named", approved, entry, err)
	}
	// A day's activity later (here: one more request), the log extends the checkpoint.
	submitConfirmed(t, application("conference", fmt.Sprintf("log-%d@example.org", time.Now().UnixNano())))
	second := checkLog(t, key, first.Checkpoint, true)
	if len(second.Problems) > 0 || second.Head.Size <= first.Head.Size {
		t.Fatalf("after more activity: %d leaves (were %d), problems %q", second.Head.Size, first.Head.Size, second.Problems)
	}

	db := dev.DynamoDB()
	table := dev.Physical("Table")
	event := func(version int) map[string]types.AttributeValue {
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "REQ#" + id},
				"SK": &types.AttributeValueMemberS{Value: fmt.Sprintf("EVENT#%010d", version)}}})
		if err != nil || got.Item == nil {
			t.Fatalf("event %d of %s: %v", version, id, err)
		}
		return got.Item
	}
	put := func(item map[string]types.AttributeValue) {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	confirmed, withdrawn := event(2), event(3)
	defer put(confirmed)
	defer put(withdrawn)

	// Changed: the withdrawal's reason rewritten in the table.
	changed := event(3)
	changed["message"] = &types.AttributeValueMemberS{Value: "the committee made me"}
	put(changed)
	if res := checkLog(t, key, nil, false); !hasProblem(res, "request \""+id+"\" version 3", "is not in the log") {
		t.Errorf("a changed event: problems %q", res.Problems)
	}
	// The auditor's command says so too, and fails.
	said, code := runVerify(t, key)
	if code != 1 || !strings.Contains(said, "PROBLEM: report row") || !strings.Contains(said, id) {
		t.Errorf("infra/cmd/verify on a changed event: exit %d\n%s", code, said)
	}
	put(withdrawn)

	// Dropped: the withdrawal deleted.
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: map[string]types.AttributeValue{
		"PK": withdrawn["PK"], "SK": withdrawn["SK"]}}); err != nil {
		t.Fatal(err)
	}
	if res := checkLog(t, key, nil, false); !hasProblem(res, "has no row in the report") {
		t.Errorf("a dropped event: problems %q", res.Problems)
	}
	put(withdrawn)

	// Reordered: the two events' contents swapped under their keys.
	swap := func(a, b map[string]types.AttributeValue) map[string]types.AttributeValue {
		out := map[string]types.AttributeValue{}
		for k, v := range b {
			out[k] = v
		}
		for _, k := range []string{"PK", "SK", "version", "GSI2PK", "GSI2SK"} {
			out[k] = a[k]
		}
		return out
	}
	put(swap(confirmed, withdrawn))
	put(swap(withdrawn, confirmed))
	if res := checkLog(t, key, nil, false); !hasProblem(res, "request \""+id+"\" version 2", "is not in the log") ||
		!hasProblem(res, "request \""+id+"\" version 3", "is not in the log") {
		t.Errorf("reordered events: problems %q", res.Problems)
	}
	put(confirmed)
	put(withdrawn)
	if res := checkLog(t, key, first.Checkpoint, true); len(res.Problems) > 0 {
		t.Errorf("with the events restored: %q", res.Problems)
	}
}
