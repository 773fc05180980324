// Command submissions is the applicant API's Lambda function: it submits requests,
// shows an applicant their request, lets them edit and resubmit or withdraw it, and
// serves the pages, the OpenAPI document and the staff console's sign-in configuration.
package main

import (
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/submissionsfn"
)

func main() { wiring.ServeHTTP("submissions", submissionsfn.New) }
