// Command evidence is the Lambda function the evidence bucket notifies of each upload:
// it checks the file's content and records it accepted, or quarantines it.
package main

import (
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/evidencefn"
)

func main() { wiring.Serve("evidence", evidencefn.New) }
