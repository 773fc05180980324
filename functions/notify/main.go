// Command notify is the Lambda function the table's stream triggers: for each new
// audit event it e-mails the people who should hear of it and posts to the committee's
// chat, each message at most once.
package main

import (
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/notifyfn"
)

func main() { wiring.Serve("notify", notifyfn.New) }
