package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
)

// coldCase is one function started cold and sent one event.
type coldCase struct {
	Function string `json:"function"` // logical id in template.yaml
	Variant  string `json:"variant"`
	Event    string `json:"event"`
	Status   int    `json:"status,omitempty"` // the API answer expected; 0 for event sources
	payload  []byte
	hello    bool
}

// ColdResult is a case's cold starts: spawn of the emulator to the first response.
type ColdResult struct {
	coldCase
	MedianMs float64 `json:"medianMs"`
	P10Ms    float64 `json:"p10Ms"`
	P90Ms    float64 `json:"p90Ms"`
	// WarmMs is the median of the same event sent again to the same environment, and
	// StartMs the median of cold − warm: what starting cost beyond the request's work.
	WarmMs  float64 `json:"warmMs"`
	StartMs float64 `json:"startMs"`
	// VsHello is the cold median over the hello-world function's in the same run;
	// StartVsHello the same for StartMs.
	VsHello      float64 `json:"vsHello"`
	StartVsHello float64 `json:"startVsHello"`
}

// ColdStarts is the coldstart step's output.
type ColdStarts struct {
	Rounds  int          `json:"rounds"`
	GOARCH  string       `json:"goarch"`
	Command string       `json:"command"`
	Hello   ColdResult   `json:"hello"`
	Cases   []ColdResult `json:"cases"`
}

// The cases. "first answer" events are answered before any AWS call (the OpenAPI
// document, a missing token, a caller without the role, an empty stream batch), so they
// compare like for like with hello-world; "first read" events make the function's first
// DynamoDB call too, on a warm moto.
var coldCases = []coldCase{
	{Function: "SubmissionsFunction", Variant: "first answer", Event: "submissions/get-openapi.json", Status: 200},
	{Function: "ReviewsFunction", Variant: "first answer", Event: "reviews/get-queue-without-token.json", Status: 401},
	{Function: "AdminFunction", Variant: "first answer", Event: "admin/put-reviewer-as-reviewer.json", Status: 403},
	{Function: "FinanceFunction", Variant: "first answer", Event: "finance/post-payment-as-reviewer.json", Status: 403},
	{Function: "NotifyFunction", Variant: "first answer", Event: "(empty stream batch)"},
	{Function: "SubmissionsFunction", Variant: "first read", Event: "submissions/get-request.json", Status: 200},
	{Function: "ReviewsFunction", Variant: "first read", Event: "reviews/get-queue.json", Status: 200},
	{Function: "AdminFunction", Variant: "first read", Event: "admin/get-settings.json", Status: 200},
	{Function: "FinanceFunction", Variant: "first read", Event: "finance/get-budgets.json", Status: 200},
	{Function: "RemindersFunction", Variant: "first read", Event: "reminders/scheduled-event.json"},
}

func coldStarts(ctx context.Context, root, dir string, rounds int) error {
	cases := slices.Clone(coldCases)
	for i := range cases {
		c := &cases[i]
		if c.Event == "(empty stream batch)" {
			c.payload = []byte(`{"Records":[]}`)
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, "events", c.Event))
		if err != nil {
			return err
		}
		c.payload = b
	}
	work, err := os.MkdirTemp("", "bench-cold-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// The baseline is built exactly as the stack builds the functions it runs: for this
	// machine's architecture with the deployment flags.
	hello := filepath.Join(work, "bootstrap")
	if err := motostack.BuildLambda(ctx, root, "linux", runtime.GOARCH, hello, "./infra/cmd/bench/hello"); err != nil {
		return err
	}
	helloCase := coldCase{Function: "hello-world", Variant: "first answer", Event: "submissions/get-openapi.json", Status: 200,
		payload: cases[0].payload, hello: true}

	fmt.Fprintln(os.Stderr, "coldstart: starting a local stack ...")
	dev, err := devstack.Start(ctx, devstack.Options{Root: root, Addr: "127.0.0.1:0", Log: io.Discard,
		StackName: "bench-cold", NoPollers: true})
	if err != nil {
		return err
	}
	defer dev.Stop()

	all := append([]coldCase{helloCase}, cases...)
	colds := make([][]time.Duration, len(all))
	warms := make([][]time.Duration, len(all))
	// One warm-up round, not counted: the page cache holds every binary afterwards, as
	// it would on a Lambda host that has the code.
	for r := -1; r < rounds; r++ {
		order := rand.Perm(len(all))
		for _, i := range order {
			c := all[i]
			fn, bin := c.Function, ""
			if c.hello {
				fn, bin = "SubmissionsFunction", hello // hello runs in the submissions function's environment
			}
			cold, warm, res, err := dev.ColdStart(ctx, fn, bin, c.payload)
			if err != nil {
				return fmt.Errorf("%s %s: %w", c.Function, c.Event, err)
			}
			if err := checkAnswer(c, res); err != nil {
				return err
			}
			if r >= 0 {
				colds[i], warms[i] = append(colds[i], cold), append(warms[i], warm)
			}
		}
		fmt.Fprintf(os.Stderr, "coldstart: round %d of %d\n", r+1, rounds)
	}
	out := ColdStarts{Rounds: rounds, GOARCH: runtime.GOARCH,
		Command: fmt.Sprintf("go run ./infra/cmd/bench -rounds %d coldstart", rounds)}
	summarise := func(c coldCase, cold, warm []time.Duration) ColdResult {
		start := make([]time.Duration, len(cold))
		for i := range cold {
			start[i] = cold[i] - warm[i]
		}
		slices.Sort(cold)
		at := func(p float64) float64 { return ms(cold[int(p*float64(len(cold)-1))]) }
		return ColdResult{coldCase: c, MedianMs: at(0.5), P10Ms: at(0.1), P90Ms: at(0.9),
			WarmMs: ms(motostack.Median(warm)), StartMs: ms(motostack.Median(start))}
	}
	out.Hello = summarise(all[0], colds[0], warms[0])
	out.Hello.VsHello, out.Hello.StartVsHello = 1, 1
	for i, c := range all[1:] {
		res := summarise(c, colds[i+1], warms[i+1])
		res.VsHello = res.MedianMs / out.Hello.MedianMs
		res.StartVsHello = res.StartMs / out.Hello.StartMs
		out.Cases = append(out.Cases, res)
	}
	for _, c := range append([]ColdResult{out.Hello}, out.Cases...) {
		fmt.Printf("%-20s %-13s cold %5.1f ms (p10 %5.1f, p90 %5.1f) %.2fx hello | warm %5.1f, start %5.1f ms %.2fx hello  %s\n",
			c.Function, c.Variant, c.MedianMs, c.P10Ms, c.P90Ms, c.VsHello, c.WarmMs, c.StartMs, c.StartVsHello, c.Event)
	}
	return writeJSON(dir, "coldstart.json", out)
}

// checkAnswer fails a cold start that did not answer as the case expects: a benchmark
// of a function that errors measures nothing.
func checkAnswer(c coldCase, res *motostack.InvokeResult) error {
	if res.FunctionError != "" || res.TimedOut {
		return fmt.Errorf("%s %s: function error: %s", c.Function, c.Event, res.Payload)
	}
	if c.Status == 0 {
		return nil
	}
	var resp struct {
		StatusCode int `json:"statusCode"`
	}
	if err := json.Unmarshal(res.Payload, &resp); err != nil || resp.StatusCode != c.Status {
		return fmt.Errorf("%s %s: got %s, want status %d", c.Function, c.Event, res.Payload, c.Status)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
