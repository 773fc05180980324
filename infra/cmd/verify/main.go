// Command verify checks a Sponsorship Tracker's verifiable log from the outside, as an
// auditor would, with nothing but its public URL, a verifier key obtained beforehand
// and, optionally, a checkpoint saved by an earlier run and an audit report exported
// by finance (JSON, with its salts):
//
//	go run ./infra/cmd/verify -log https://sponsorship.example.org/log/ \
//	    -key 'sponsorship.example.org/log+1a2b3c4d+AU…' \
//	    -previous checkpoint.txt -save checkpoint.txt \
//	    -audit audit-2025.json -from 2025-01-01 -to 2025-12-31
//
// It checks the checkpoint's signature, that the tree extends the saved checkpoint's,
// that the served tiles and entries make the signed tree, every public leaf's inclusion
// proof, and that every event of the report is in the log unchanged and in order while
// the log holds no event of the period that the report lacks. It prints what it
// checked and every problem, and exits 1 if there was any; -save then keeps the
// previous checkpoint, so a failed check never replaces the trusted one.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger/verify"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout)
	if errors.Is(err, errFailed) {
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(2)
	}
}

var errFailed = errors.New("the log failed the check")

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(out)
	logURL := fs.String("log", "", "the log's base URL, such as https://sponsorship.example.org/log/ (required)")
	key := fs.String("key", "", "the log's verifier key (name+hash+base64), or @file to read it from a file (required: fetch it once from /log/key or the foundation's published copy, and keep it)")
	previous := fs.String("previous", "", "a checkpoint saved by an earlier run: the log must extend it")
	save := fs.String("save", "", "where to save the checked checkpoint, for the next run's -previous")
	audit := fs.String("audit", "", "an audit report exported as JSON (GET /finance/reports/audit?format=json): its events are checked against the log")
	from := fs.String("from", "", "first day of the audit report's period (YYYY-MM-DD); default: the beginning")
	to := fs.String("to", "", "last day of the audit report's period (YYYY-MM-DD), inclusive; default: the end")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *logURL == "" || *key == "" {
		fs.Usage()
		return errors.New("-log and -key are required")
	}
	o := verify.Options{Log: strings.TrimRight(*logURL, "/") + "/", HTTP: &http.Client{Timeout: 30 * time.Second}}
	var err error
	if o.VerifierKey, err = readArg(*key); err != nil {
		return err
	}
	if *previous != "" {
		if o.Previous, err = os.ReadFile(*previous); err != nil {
			return err
		}
	}
	if *audit != "" {
		raw, err := os.ReadFile(*audit)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &o.Audit); err != nil {
			return fmt.Errorf("%s is not an audit report in JSON: %w", *audit, err)
		}
		if o.From, o.To, err = period(*from, *to); err != nil {
			return err
		}
	}
	res, err := verify.Run(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "checkpoint: %d leaves, root %x\n", res.Head.Size, res.Head.Root)
	if o.Previous != nil {
		fmt.Fprintln(out, "consistency with the saved checkpoint: checked")
	}
	fmt.Fprintf(out, "public leaves with checked inclusion proofs: %d\n", res.Public)
	if o.Audit != nil {
		fmt.Fprintf(out, "report events found in the log: %d of %d (%d written before the log existed)\n", res.Audited, len(o.Audit), res.BeforeLog)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(out, "WARNING:", w)
	}
	for _, p := range res.Problems {
		fmt.Fprintln(out, "PROBLEM:", p)
	}
	if len(res.Problems) > 0 {
		return errFailed
	}
	if *save != "" {
		if err := os.WriteFile(*save, res.Checkpoint, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "OK")
	return nil
}

// readArg is the value itself, or the trimmed content of the file it names after @.
func readArg(v string) (string, error) {
	name, ok := strings.CutPrefix(v, "@")
	if !ok {
		return v, nil
	}
	b, err := os.ReadFile(name)
	return strings.TrimSpace(string(b)), err
}

// period reads the report's first and last day (UTC) into the instants it spans.
func period(from, to string) (time.Time, time.Time, error) {
	var start, end time.Time
	var errs []error
	if from != "" {
		t, err := time.Parse("2006-01-02", from)
		errs = append(errs, err)
		start = t
	}
	if to != "" {
		t, err := time.Parse("2006-01-02", to)
		errs = append(errs, err)
		end = t.Add(24*time.Hour - time.Nanosecond)
	}
	return start, end, errors.Join(errs...)
}
