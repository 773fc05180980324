// Command finance is finance's Lambda function: payments against approved requests,
// budgets, and reports as CSV, JSON or XLSX (large ones through S3).
package main

import (
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/financefn"
)

func main() { wiring.ServeHTTP("finance", financefn.New) }
