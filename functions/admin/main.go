// Command admin is the admins' Lambda function: staff onboarding (the staff user pool
// and the roster together), the roster and affiliations, budgets, and the governance
// settings.
package main

import (
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/adminfn"
)

func main() { wiring.ServeHTTP("admin", adminfn.New) }
