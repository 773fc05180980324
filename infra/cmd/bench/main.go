// Command bench measures the functions' deployed sizes, their cold starts and the latency
// through the local stack, and writes the figures as JSON under an output folder
// (artifacts/bench by default); `bench render` then fills the generated
// parts of BENCHMARKS.md from that folder and from the go test -bench outputs next to
// it. `make bench` runs every step.
//
//	go run ./infra/cmd/bench sizes               bootstrap and zip sizes, as deployed (linux/arm64)
//	go run ./infra/cmd/bench coldstart [-rounds] spawn to first response under the emulator, vs hello-world
//	go run ./infra/cmd/bench stack               submit/read/queue/vote through the local gateway at c=1,8,32
//	go run ./infra/cmd/bench [-rounds] console   the staff console in Chromium: API calls per screen, bytes, sign-in to queue
//	go run ./infra/cmd/bench render              BENCHMARKS.md from the figures
//
// Each step starts what it needs itself (a local stack with its own moto), so it runs
// on a fresh clone. The figures are this machine's: the stack runs moto and the
// Runtime Interface Emulator, not AWS. Nothing here asserts a timing; the steps fail
// only when a request does not get the answer it should.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/proc"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

func main() {
	out := flag.String("out", "artifacts/bench", "folder for the figures")
	rounds := flag.Int("rounds", 21, "coldstart: cold starts per function; console: sign-ins (the median is reported)")
	perLevel := flag.Int("requests", 200, "stack: requests per operation at concurrency 8 (half at 1, twice at 32)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: bench [flags] sizes|coldstart|stack|console|render")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *rounds < 1 || *perLevel < 2 {
		flag.Usage()
		os.Exit(2)
	}
	proc.DieWithParent()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := samtemplate.FindRoot()
	if err != nil {
		fail(err)
	}
	dir := *out
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	switch step := flag.Arg(0); step {
	case "sizes":
		err = sizes(ctx, root, dir)
	case "coldstart":
		err = coldStarts(ctx, root, dir, *rounds)
	case "stack":
		err = throughStack(ctx, root, dir, *perLevel)
	case "console":
		err = consoleStep(ctx, root, dir, *rounds)
	case "render":
		err = render(root, dir)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// writeJSON writes v as indented JSON to dir/name.
func writeJSON(dir, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644)
}

// readJSON reads dir/name into v.
func readJSON(dir, name string, v any) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("%w (run the step that writes it first, or make bench)", err)
	}
	return json.Unmarshal(b, v)
}
