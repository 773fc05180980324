package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
)

// Prices, us-east-1, as published on the day this was written (2026-11-25); each
// figure names its page.
const (
	// Lambda, arm64: per GB-second (first 6 billion GB-s a month) and per request.
	// https://aws.amazon.com/lambda/pricing/
	lambdaArmPerGBs    = 0.0000133334
	lambdaPerRequest   = 0.20 / 1e6
	lambdaPricesSource = "https://aws.amazon.com/lambda/pricing/"
	// API Gateway HTTP API: per request (first 300 million a month), metered in 512 KB
	// increments. https://aws.amazon.com/api-gateway/pricing/
	httpAPIPerRequest = 1.00 / 1e6
	httpAPISource     = "https://aws.amazon.com/api-gateway/pricing/"
	// DynamoDB on-demand, Standard table class: per write and read request unit (after
	// the November 2024 reduction). https://aws.amazon.com/dynamodb/pricing/on-demand/
	dynamoPerWRU  = 0.625 / 1e6
	dynamoPerRRU  = 0.125 / 1e6
	dynamoSource  = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
	benchmarksDoc = "BENCHMARKS.md"
)

// render fills the generated parts of BENCHMARKS.md, each between
// <!-- bench:NAME --> and <!-- /bench:NAME -->, from the figures in dir. The prose
// around them is written by hand.
func render(root, dir string) error {
	path := filepath.Join(root, benchmarksDoc)
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	parts := map[string]func() (string, error){
		"machine":   func() (string, error) { return machine(), nil },
		"summary":   func() (string, error) { return summary(dir) },
		"sizes":     func() (string, error) { return sizesTable(dir) },
		"coldstart": func() (string, error) { return coldTable(dir) },
		"handlers":  func() (string, error) { return benchstatBlock(dir, "handlers") },
		"dynamodb":  func() (string, error) { return dynamoTable(dir) },
		"scale":     func() (string, error) { return benchstatBlock(dir, "scale") },
		"reports":   func() (string, error) { return benchstatBlock(dir, "reports") },
		"stack":     func() (string, error) { return stackTable(dir) },
		"cost":      func() (string, error) { return costTable(dir) },
		"console":   func() (string, error) { return consoleTable(dir) },
	}
	for name, gen := range parts {
		body, err := gen()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if doc, err = replacePart(doc, name, body); err != nil {
			return err
		}
	}
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		return err
	}
	fmt.Println("bench: wrote", benchmarksDoc)
	return nil
}

// replacePart puts body between the markers of part name.
func replacePart(doc []byte, name, body string) ([]byte, error) {
	open, end := []byte("<!-- bench:"+name+" -->"), []byte("<!-- /bench:"+name+" -->")
	i, j := bytes.Index(doc, open), bytes.Index(doc, end)
	if i < 0 || j < i {
		return nil, fmt.Errorf("%s has no <!-- bench:%s --> ... <!-- /bench:%s --> part", benchmarksDoc, name, name)
	}
	var out bytes.Buffer
	out.Write(doc[:i+len(open)])
	out.WriteString("\n" + strings.TrimSpace(body) + "\n")
	out.Write(doc[j:])
	return out.Bytes(), nil
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); m != nil {
			cpu = string(m[1])
		}
	}
	return fmt.Sprintf("Figures of %s on %s, %d cores, %s/%s, %s.", time.Now().UTC().Format("2006-01-02"), cpu,
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// results reads a go test -bench output: per benchmark name (without the -N suffix),
// per unit, every value.
func results(dir, name string) (map[string]map[string][]float64, error) {
	f, err := os.Open(filepath.Join(dir, name+".txt"))
	if err != nil {
		return nil, fmt.Errorf("%w (make bench writes it)", err)
	}
	defer f.Close()
	out := map[string]map[string][]float64{}
	r := benchfmt.NewReader(f, name)
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		// benchfmt drops the "Benchmark" prefix from the base name; the keys keep it.
		full := "Benchmark" + string(res.Name.Base()) + strings.Join(subParts(res.Name), "")
		if out[full] == nil {
			out[full] = map[string][]float64{}
		}
		for _, v := range res.Values {
			unit, value := v.OrigUnit, v.OrigValue // as written: ns/op, peak-live-MB
			if unit == "" {
				unit, value = v.Unit, v.Value
			}
			out[full][unit] = append(out[full][unit], value)
		}
	}
	return out, r.Err()
}

// subParts are a benchmark name's /key=value parts, without the GOMAXPROCS suffix.
func subParts(n benchfmt.Name) []string {
	_, parts := n.Parts()
	var out []string
	for _, p := range parts {
		if !bytes.HasPrefix(p, []byte("-")) {
			out = append(out, string(p))
		}
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchstatBlock includes benchstat's comparison of a benchmark output, as written by
// make bench next to it.
func benchstatBlock(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name+"-benchstat.txt"))
	if err != nil {
		return "", fmt.Errorf("%w (make bench writes it)", err)
	}
	return "```\n" + strings.TrimSpace(string(b)) + "\n```", nil
}

func sizesTable(dir string) (string, error) {
	var s Sizes
	if err := readJSON(dir, "sizes.json", &s); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`go run ./infra/cmd/bench sizes` — %s, built with `%s`.\n\n", s.GOOS+"/"+s.GOARCH, s.Command)
	b.WriteString("| function | bootstrap | zip | bootstrap vs hello-world |\n|---|---:|---:|---:|\n")
	for _, f := range append(s.Functions, s.Hello) {
		name := f.Function
		if name == "hello" {
			name = "hello-world (`infra/cmd/bench/hello`)"
		}
		fmt.Fprintf(&b, "| %s | %.2f MB | %.2f MB | %.2f× |\n", name, mb(f.Bootstrap), mb(f.Zip), f.VsHello)
	}
	return b.String(), nil
}

func coldTable(dir string) (string, error) {
	var c ColdStarts
	if err := readJSON(dir, "coldstart.json", &c); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`%s` — %d rounds, %s, medians; hello-world runs in every round, in random order with the others.\n\n", c.Command, c.Rounds, c.GOARCH)
	b.WriteString("| function | first event | cold (spawn → first response) | vs hello | same event warm | start (cold − warm) | start vs hello |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, r := range append([]ColdResult{c.Hello}, c.Cases...) {
		fmt.Fprintf(&b, "| %s | %s: `%s` | %.1f ms | %.2f× | %.1f ms | %.1f ms | %.2f× |\n",
			r.Function, r.Variant, r.Event, r.MedianMs, r.VsHello, r.WarmMs, r.StartMs, r.StartVsHello)
	}
	return b.String(), nil
}

// DynamoCost is one API operation's DynamoDB work, as shared/api's cost test writes it.
type DynamoCost struct {
	Operation    string  `json:"operation"`
	Route        string  `json:"route"`
	Calls        int     `json:"calls"`
	ItemsRead    int     `json:"itemsRead"`
	ItemsWritten int     `json:"itemsWritten"`
	RCU          float64 `json:"rcu"`
	WCU          float64 `json:"wcu"`
	Minimum      string  `json:"minimum"`
	Reason       string  `json:"reason"`
}

func dynamoCosts(dir string) ([]DynamoCost, error) {
	var costs []DynamoCost
	err := readJSON(dir, "dynamodb-cost.json", &costs)
	return costs, err
}

func dynamoTable(dir string) (string, error) {
	costs, err := dynamoCosts(dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("`BENCH_OUT=artifacts/bench go run ./infra/cmd/local exec -- go test -run TestDynamoDBCostPerRoute ./shared/api` " +
		"(the test fails when a figure changes).\n\n")
	b.WriteString("| operation | route | calls | items read | items written | RRU | WRU | the access pattern's minimum | why above it, if it is |\n|---|---|---:|---:|---:|---:|---:|---|---|\n")
	for _, c := range costs {
		fmt.Fprintf(&b, "| %s | `%s` | %d | %d | %d | %.1f | %.1f | %s | %s |\n",
			cell(c.Operation), c.Route, c.Calls, c.ItemsRead, c.ItemsWritten, c.RCU, c.WCU, cell(c.Minimum), cell(c.Reason))
	}
	return b.String(), nil
}

// cell escapes a table cell's pipes ("Query 1 | read 2" is one cell).
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func stackTable(dir string) (string, error) {
	var run StackRun
	if err := readJSON(dir, "stack.json", &run); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`%s` — %s\n\n", run.Command, run.Note)
	b.WriteString("| operation | c | requests | per second | p50 | p99 | gateway | emulator | function code | moto (of which waiting) | DynamoDB calls |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range run.Phases {
		fmt.Fprintf(&b, "| %s `%s` | %d | %d | %.0f | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms (%.1f) | %.1f |\n",
			p.Operation, p.Route, p.Concurrency, p.Requests, p.PerSecond, p.P50Ms, p.P99Ms,
			p.GatewayMs, p.EmulatorMs, p.FunctionMs, p.MotoMs, p.MotoQueuedMs, p.DynamoDBCalls)
	}
	b.WriteString("\nThe last five columns are means per request; they add up to the mean latency.")
	return b.String(), nil
}

// costTable prices 1 000 requests of each measured operation from its billed duration
// at concurrency 1 (no waiting for moto), the function's memory setting and the
// operation's request units.
func costTable(dir string) (string, error) {
	var run StackRun
	if err := readJSON(dir, "stack.json", &run); err != nil {
		return "", err
	}
	costs, err := dynamoCosts(dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| operation | memory | billed duration (c=1) | RRU | WRU | Lambda | HTTP API | DynamoDB | per 1 000 requests |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range run.Phases {
		if p.Concurrency != 1 {
			continue
		}
		memory := p.MemoryMB
		if memory == 0 {
			return "", fmt.Errorf("stack.json has no memory setting for %s: run the stack step again", p.Function)
		}
		i := slices.IndexFunc(costs, func(c DynamoCost) bool { return c.Operation == costOperation[p.Operation] })
		if i < 0 {
			return "", fmt.Errorf("no DynamoDB figures for %q in dynamodb-cost.json", costOperation[p.Operation])
		}
		c := costs[i]
		lambda := 1000 * (p.BilledMs/1000*float64(memory)/1024*lambdaArmPerGBs + lambdaPerRequest)
		api := 1000 * httpAPIPerRequest
		dynamo := 1000 * (c.RCU*dynamoPerRRU + c.WCU*dynamoPerWRU)
		fmt.Fprintf(&b, "| %s | %d MB | %.0f ms | %.1f | %.1f | $%.5f | $%.5f | $%.5f | **$%.4f** |\n",
			p.Operation, memory, p.BilledMs, c.RCU, c.WCU, lambda, api, dynamo, lambda+api+dynamo)
	}
	fmt.Fprintf(&b, "\nPrices (us-east-1): Lambda arm64 $%.10f per GB-second and $0.20 per million requests (%s); "+
		"HTTP API $1.00 per million requests (%s); DynamoDB on-demand $0.625 per million write and $0.125 per million read "+
		"request units (%s).", lambdaArmPerGBs, lambdaPricesSource, httpAPISource, dynamoSource)
	return b.String(), nil
}

// costOperation names, for each operation the stack step sends, the row of the
// DynamoDB cost test that does the same work.
var costOperation = map[string]string{
	"submit": "submit with an Idempotency-Key",
	"read":   "get own request (just submitted)",
	"queue":  "queue page",
	"vote":   "vote (not deciding)",
}

// summary checks each target of BENCHMARKS.md against the figures.
func summary(dir string) (string, error) {
	var rows [][3]string
	var c ColdStarts
	if err := readJSON(dir, "coldstart.json", &c); err != nil {
		return "", err
	}
	worst, worstStart := 0.0, 0.0
	for _, r := range c.Cases {
		if r.Variant == "first answer" {
			worst = max(worst, r.VsHello)
		}
		worstStart = max(worstStart, r.StartVsHello)
	}
	rows = append(rows, [3]string{"every function's cold start within 1.5× hello-world's, same run",
		fmt.Sprintf("at most %.2f× (spawn to first response, the same kind of first event as hello-world's); "+
			"start cost (cold − warm) of every event, DynamoDB reads included: at most %.2f×", worst, worstStart),
		verdict(worst <= 1.5)})
	h, err := results(dir, "handlers")
	if err != nil {
		return "", err
	}
	// The adapter's cost over net/http per response size: a fixed part per request and
	// a part per byte of body, which any adapter pays to put the body into the JSON
	// answer. The target is read on the API's usual answers, up to 2 KB.
	var sizes []string
	small := 0.0
	cost := map[string]float64{}
	for _, body := range []string{"0.3KB", "2KB", "16KB", "64KB"} {
		name := "BenchmarkAdapter/body=" + body
		d := (median(h[name+"/via=adapter"]["ns/op"]) - median(h[name+"/via=nethttp"]["ns/op"])) / 1e9
		if math.IsNaN(d) {
			return "", fmt.Errorf("handlers.txt has no %s", name)
		}
		cost[body] = d
		if body == "0.3KB" || body == "2KB" {
			small = max(small, d)
		}
		sizes = append(sizes, fmt.Sprintf("%s %.1f µs", body, d*1e6))
	}
	rows = append(rows, [3]string{"the adapter costs under 10 µs a request",
		"adapter − net/http by response body (medians): " + strings.Join(sizes, ", "),
		verdict(small < 10e-6) + fmt.Sprintf(" for answers up to 2 KB; larger bodies add about %.1f ns a byte (escaping and copying them into the JSON answer)",
			(cost["64KB"]-cost["0.3KB"])/float64(64<<10-300)*1e9)})

	s, err := results(dir, "scale")
	if err != nil {
		return "", err
	}
	same, compared := true, 0
	var differ []string
	for name, units := range s {
		if !strings.Contains(name, "/stored=1000") || strings.Contains(name, "/stored=10000") {
			continue
		}
		big := s[strings.Replace(name, "/stored=1000", "/stored=100000", 1)]
		for unit, v := range units {
			if unit == "ns/op" || unit == "B/op" || unit == "allocs/op" {
				continue
			}
			compared++
			if median(v) != median(big[unit]) {
				same = false
				differ = append(differ, name+" "+unit)
			}
		}
	}
	figure := fmt.Sprintf("%d DynamoDB work figures per page compared: all equal", compared)
	if !same {
		figure = "differ: " + strings.Join(differ, ", ")
	}
	rows = append(rows, [3]string{"queue and report pages cost the same DynamoDB work at 1 000 and 100 000 requests", figure, verdict(same && compared > 0)})

	r, err := results(dir, "reports")
	if err != nil {
		return "", err
	}
	flat, growth := true, 0.0
	for name, units := range r {
		if !strings.Contains(name, "/rows=10000") || strings.Contains(name, "/rows=100000") {
			continue
		}
		small, big := median(units["peak-live-MB"]), median(r[strings.Replace(name, "/rows=10000", "/rows=100000", 1)]["peak-live-MB"])
		growth = max(growth, big/small)
		flat = flat && big <= small*1.05
	}
	rows = append(rows, [3]string{"report memory flat from 10 000 to 100 000 rows",
		fmt.Sprintf("peak live heap at 100 000 rows at most %.2f× that at 10 000", growth), verdict(flat && growth > 0)})

	var con ConsoleRun
	if err := readJSON(dir, "console.json", &con); err != nil {
		return "", err
	}
	most := 0
	for _, s := range con.Screens {
		most = max(most, len(s.APICalls))
	}
	rows = append(rows, [3]string{"each console screen needs at most two API calls",
		fmt.Sprintf("at most %d over %d screens of three roles", most, len(con.Screens)), verdict(most <= 2 && len(con.Screens) > 0)})
	rows = append(rows, [3]string{"the console's scripts and styles stay under 60 KB uncompressed",
		fmt.Sprintf("%.1f KB (%d bytes, %d files)", float64(con.AssetsBytes)/1000, con.AssetsBytes, len(con.Assets)), verdict(con.AssetsBytes > 0 && con.AssetsBytes < 60_000)})
	if len(con.SignInMs) > 0 {
		rows = append(rows, [3]string{"time from the end of sign-in to an interactive queue (local stack; reported, no target)",
			fmt.Sprintf("median %.0f ms over %d sign-ins", median(con.SignInMs), len(con.SignInMs)), "reported"})
	}

	var b strings.Builder
	b.WriteString("| target | measured | met |\n|---|---|---|\n")
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", row[0], row[1], row[2])
	}
	return b.String(), nil
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
