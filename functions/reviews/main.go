// Command reviews is the committee's Lambda function: the review queue, a request's
// dossier, votes under the decision rule with budget-aware approval, recusals, requests
// for changes and internal comments.
package main

import (
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/reviewsfn"
)

func main() { wiring.ServeHTTP("reviews", reviewsfn.New) }
