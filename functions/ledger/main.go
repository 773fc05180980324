// Command ledger is the Lambda function the table's stream triggers to append each new
// audit event to the verifiable log, exactly once and in order, and to sign the log's
// checkpoints; an hourly schedule signs one whenever an append's signing failed.
package main

import (
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/ledgerfn"
)

func main() { wiring.Serve("ledger", ledgerfn.New) }
