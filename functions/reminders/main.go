// Command reminders runs on a daily schedule: each active reviewer gets one digest of
// the requests that have waited on their vote for more than REMINDER_AFTER_DAYS.
package main

import (
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/remindersfn"
)

func main() { wiring.Serve("reminders", remindersfn.New) }
