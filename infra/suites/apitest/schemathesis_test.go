//go:build integration

// Package apitest runs schemathesis, property-based API testing from the OpenAPI
// document, against the local stack: the gateway with its JWT authorizer and the real
// function binaries, with the demo data and a token for each role. It has a stack of
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
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
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
	approved := ""
	for _, r := range dev.Seed.Requests {
		if strings.Contains(r.Token, "approved") {
			approved = r.ID
		}
	}
	if approved == "" {
		t.Fatal("seed.json has no approved request for the finance routes")
	}
	runs := []struct {
		name, paths, token, id string
		exclude                []string
	}{
		{"applicant", `^/(requests|publication|status|assets|openapi\.yaml|$)`, seeded.Token, seeded.ID, []string{"ensure_resource_availability", "ignored_auth"}},
		{"reviewer", `^/review/`, token("reviewer"), seeded.ID, nil},
		{"finance", `^/finance/`, token("finance"), approved, nil},
		{"admin", `^/admin/`, token("admin"), "schemathesis-reviewer", nil},
	}
	var total atomic.Int64
	generated := regexp.MustCompile(`(\d+) generated`)
	// The four runs cover disjoint paths and each waits on its own rate limit, so they
	// run side by side; the count is checked once all are done.
	t.Run("callers", func(t *testing.T) {
		for _, run := range runs {
			t.Run(run.name, func(t *testing.T) {
				t.Parallel()
				schemathesisRun(t, bin, examples, run.name, run.paths, run.token, run.id, run.exclude, generated, &total)
			})
		}
	})
	want, _ := strconv.Atoi(examples)
	if want <= 12 && total.Load() < 1000 {
		t.Errorf("schemathesis generated %d cases, want at least 1000", total.Load())
	}
	t.Logf("schemathesis: %d cases generated in all", total.Load())
}

// schemathesisRun runs schemathesis as one caller over the paths the pattern matches.
func schemathesisRun(t *testing.T, bin, examples, name, paths, token, id string, exclude []string, generated *regexp.Regexp, total *atomic.Int64) {
	dir := t.TempDir()
	config := filepath.Join(dir, "schemathesis.toml")
	// Invalid data may also be refused for its size: a body over 64 KiB gets 413
	// before it is read, which schemathesis's default list of rejections lacks.
	settings := fmt.Sprintf("[parameters]\n\"path.id\" = %q\n\n[checks.negative_data_rejection]\n"+
		"expected-statuses = [\"400\", \"401\", \"403\", \"404\", \"405\", \"406\", \"409\", \"413\", \"415\", \"422\", \"428\", \"429\", \"5XX\"]\n", id)
	if err := os.WriteFile(config, []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(testenv.Root(), "artifacts", "schemathesis-"+name+".xml")
	_ = os.MkdirAll(filepath.Dir(report), 0o755)
	args := []string{"--config-file", config, "--no-color", "run", dev.URL() + "/openapi.yaml", "--url", dev.URL(),
		"--max-examples", examples, "--checks", "all", "--exclude-checks", strings.Join(append(exclude, excluded...), ","),
		"--include-path-regex", paths, "-H", "Authorization: Bearer " + token,
		// 40 a second, as a client of the staff routes may send (the stack runs
		// without throttling, see TestMain). One worker: this Python's ast.parse is not safe across threads, which
		// hypothesis uses to describe strategies (a SystemError with two).
		"--rate-limit", "40/s", "--workers", "1", "--request-timeout", "20",
		"--report", "junit", "--report-junit-path", report, "--suppress-health-check", "too_slow,filter_too_much"}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SCHEMATHESIS_TELEMETRY=false", "HYPOTHESIS_STORAGE_DIRECTORY="+filepath.Join(dir, "hypothesis"))
	out, err := cmd.CombinedOutput()
	summary := string(out)
	if i := strings.LastIndex(summary, "SUMMARY"); i > 0 {
		summary = summary[i:]
	}
	if m := generated.FindStringSubmatch(summary); m != nil {
		n, _ := strconv.Atoi(m[1])
		total.Add(int64(n))
	}
	if err != nil {
		t.Errorf("schemathesis found failures as %s (%v):\n%s", name, err, tail(string(out), 12000))
		return
	}
	t.Logf("%s: %s; %s", name, lineWith(summary, "generated"), lineWith(summary, "Seed:"))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func lineWith(s, word string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, word) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
