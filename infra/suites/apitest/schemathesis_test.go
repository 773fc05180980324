//go:build integration

// Package apitest runs schemathesis, property-based API testing from the OpenAPI
// document, against the local stack: the gateway with its JWT authorizer and the real
// function binaries, with the demo data and a token for each role, and with no token at
// all for the public routes (the verifiable log and the register). It has a stack of
// its own, because schemathesis writes whatever the document allows (roster entries,
// budgets, settings), which other suites must not see.
//
// `make test` runs a bounded pass (SCHEMATHESIS_EXAMPLES examples per operation, 12 by
// default, over a thousand cases in all); `make schemathesis` runs a longer one.
package apitest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

var dev *devstack.Dev

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(func() int {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		var err error
		// Without throttling: the anonymous routes allow 5 to 10 calls a second, and at
		// any useful pace half the applicant run's cases would be 429s that test nothing
		// of the contract. The limits have tests of their own (infra/suites/e2e/gateway_test.go).
		dev, err = devstack.Start(context.Background(), devstack.Options{Root: testenv.Root(), Addr: "127.0.0.1:0",
			Log: io.Discard, StackName: "schemathesis-" + hex.EncodeToString(b), NoThrottle: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, "start the local stack:", err)
			return 1
		}
		defer dev.Stop()
		return m.Run()
	}))
}

// Checks left out, and why:
//   - positive_data_acceptance expects every request the schema allows to succeed. The
//     rules go beyond what a schema says: dates relative to today, amounts that add up,
//     a request's status, a budget's size. Those answers are 409 and 422, on purpose.
//   - ensure_resource_availability (applicant routes only) reads a request just created
//     with the run's fixed Authorization header; a request opens only with the token its
//     own creation returned, so the 404 it gets is the right answer.
//   - ignored_auth (applicant routes only) expects 401 or 403 for a wrong token. A wrong
//     token gets 404, as an unknown id does, so that a token never tells whether some
//     other request exists. No token at all is still 401.
var excluded = []string{"positive_data_acceptance"}

func TestSchemathesis(t *testing.T) {
	bin := filepath.Join(testenv.Root(), ".venv", "bin", "schemathesis")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("schemathesis is missing (make tools installs it from infra/requirements.lock): %v", err)
	}
	examples := os.Getenv("SCHEMATHESIS_EXAMPLES")
	if examples == "" {
		examples = "12"
	}
	ctx := context.Background()
	token := func(role string) string {
		tok, err := dev.Token(ctx, role)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	seeded := dev.Seed.Requests[0] // a request in review: its id and applicant token
	year, listed := listedDecision(ctx, t)
	approved := ""
	for _, r := range dev.Seed.Requests {
		if strings.Contains(r.Token, "approved") {
			approved = r.ID
		}
	}
	if approved == "" {
		t.Fatal("seed.json has no approved request for the finance routes")
	}
	// The public run's path parameters lead its positive cases to real data: the first
	// leaf of the log and the level-0 hash tile holding it, and a decision the register
	// lists with its fiscal year.
	firstTile := strings.TrimPrefix(ledger.Path(tlog.Tile{H: ledger.TileHeight, L: 0, N: 0, W: 1}), "tile/")
	runs := []schemathesisCaller{
		{"applicant", `^/(requests|publication|status|assets|openapi\.yaml|$)`, seeded.Token,
			map[string]string{"path.id": seeded.ID}, []string{"ensure_resource_availability", "ignored_auth"}},
		{"reviewer", `^/review/`, token("reviewer"), map[string]string{"path.id": seeded.ID}, nil},
		{"finance", `^/finance/`, token("finance"), map[string]string{"path.id": approved}, nil},
		{"admin", `^/admin/`, token("admin"), map[string]string{"path.id": "schemathesis-reviewer"}, nil},
		{"public", `^/(log|register)`, "", map[string]string{"path.fiscalYear": strconv.Itoa(year), "path.id": listed,
			"path.index": "0", "path.path": firstTile}, nil},
	}
	want, _ := strconv.Atoi(examples)
	var total atomic.Int64
	generated := regexp.MustCompile(`(\d+) generated`)
	// The five runs cover disjoint paths and each waits on its own rate limit, so they
	// run side by side; the count is checked once all are done.
	t.Run("callers", func(t *testing.T) {
		for _, run := range runs {
			t.Run(run.name, func(t *testing.T) {
				t.Parallel()
				if run.token == "" {
					// The ledger function appends the seed's audit events within seconds
					// of the stack's start: wait for its first checkpoint, or the log's
					// positive cases would all be 404.
					waitForCheckpoint(t)
				}
				n := schemathesisRun(t, bin, examples, run, generated)
				if want <= 12 && n < minCasesPerRun {
					t.Errorf("schemathesis generated %d cases as %s, want at least %d: does %s still match its routes?",
						n, run.name, minCasesPerRun, run.paths)
				}
				total.Add(int64(n))
			})
		}
	})
	if want <= 12 && total.Load() < minCasesInAll {
		t.Errorf("schemathesis generated %d cases, want at least %d", total.Load(), minCasesInAll)
	}
	t.Logf("schemathesis: %d cases generated in all", total.Load())
}

// What a bounded pass (12 examples per operation) generates at least: in all, and as
// each caller, so that a path pattern that stops matching its routes fails the test
// rather than shrinking the count unnoticed.
const (
	minCasesInAll  = 1000
	minCasesPerRun = 100
)

// schemathesisCaller is one run of schemathesis: a caller and the paths it tests.
type schemathesisCaller struct {
	name, paths string
	// token goes in every request as `Authorization: Bearer <token>`; empty, the
	// requests carry no Authorization header at all (the public routes).
	token string
	// params fixes parameters (schemathesis.toml's [parameters], "path.id" and the
	// like) to values that exist in the seeded stack, so that positive cases read real
	// data rather than 404s.
	params  map[string]string
	exclude []string
}

// listedDecision is a demo request the public register lists, with its fiscal year:
// decided (approved or rejected) and published, named or anonymous. The year is read
// from the store, as the stack's FiscalYearStartMonth put it.
func listedDecision(ctx context.Context, t *testing.T) (int, string) {
	for _, r := range dev.Seed.Requests {
		if r.Input.Publication.Or(sponsorship.PublishNone) == sponsorship.PublishNone {
			continue
		}
		req, err := dev.Store().GetRequest(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if req.Status == sponsorship.StatusApproved || req.Status == sponsorship.StatusRejected {
			return req.FiscalYear, req.ID
		}
	}
	t.Fatal("seed.json has no decided request published in the register for the public routes")
	return 0, ""
}

// waitForCheckpoint waits until the log serves a signed checkpoint.
func waitForCheckpoint(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		resp, err := http.Get(dev.URL() + "/log/checkpoint")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log has no checkpoint a minute after the stack started (last: %v)", statusOr(resp, err))
		}
	}
}

func statusOr(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// schemathesisRun runs schemathesis as one caller over the paths the pattern matches,
// and returns how many cases it generated.
func schemathesisRun(t *testing.T, bin, examples string, run schemathesisCaller, generated *regexp.Regexp) int {
	dir := t.TempDir()
	config := filepath.Join(dir, "schemathesis.toml")
	var settings strings.Builder
	settings.WriteString("[parameters]\n")
	for _, k := range slices.Sorted(maps.Keys(run.params)) {
		fmt.Fprintf(&settings, "%q = %q\n", k, run.params[k])
	}
	// Every check, but those excluded on the command line.
	// Invalid data may also be refused for its size: a body over 64 KiB gets 413
	// before it is read, which schemathesis's default list of rejections lacks.
	settings.WriteString("\n[checks]\nenabled = true\n\n[checks.negative_data_rejection]\n" +
		"expected-statuses = [\"400\", \"401\", \"403\", \"404\", \"405\", \"406\", \"409\", \"413\", \"415\", \"422\", \"428\", \"429\", \"5XX\"]\n")
	if err := os.WriteFile(config, []byte(settings.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(testenv.Root(), "artifacts", "schemathesis-"+run.name+".xml")
	_ = os.MkdirAll(filepath.Dir(report), 0o755)
	args := []string{"--config-file", config, "--no-color", "run", dev.URL() + "/openapi.yaml", "--url", dev.URL(),
		"--max-examples", examples, "--exclude-checks", strings.Join(append(run.exclude, excluded...), ","),
		"--include-path-regex", run.paths,
		// 40 a second, as a client of the staff routes may send (the stack runs
		// without throttling, see TestMain). One worker: this Python's ast.parse is not safe across threads, which
		// hypothesis uses to describe strategies (a SystemError with two).
		"--rate-limit", "40/s", "--workers", "1", "--request-timeout", "20",
		"--report", "junit", "--report-junit-path", report, "--suppress-health-check", "too_slow,filter_too_much"}
	if run.token != "" {
		args = append(args, "-H", "Authorization: Bearer "+run.token)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SCHEMATHESIS_TELEMETRY=false", "HYPOTHESIS_STORAGE_DIRECTORY="+filepath.Join(dir, "hypothesis"))
	out, err := cmd.CombinedOutput()
	summary := string(out)
	if i := strings.LastIndex(summary, "SUMMARY"); i > 0 {
		summary = summary[i:]
	}
	n := 0
	if m := generated.FindStringSubmatch(summary); m != nil {
		n, _ = strconv.Atoi(m[1])
	}
	if err != nil {
		t.Errorf("schemathesis found failures as %s (%v):\n%s", run.name, err, tail(string(out), 12000))
		return n
	}
	t.Logf("%s: %s; %s", run.name, lineMatching(summary, generated), lineWith(summary, "Seed:"))
	return n
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// lineMatching is the first line of s that re matches, trimmed.
func lineMatching(s string, re *regexp.Regexp) string {
	for _, line := range strings.Split(s, "\n") {
		if re.MatchString(line) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

func lineWith(s, word string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, word) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
