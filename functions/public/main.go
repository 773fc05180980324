// Command public is the Lambda function behind the routes anyone may read without
// signing in: the verifiable log of the audit trail (C2SP tlog-tiles, the signed
// checkpoint, the verifier key, inclusion proofs).
package main

import (
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring/publicfn"
)

func main() { wiring.ServeHTTP("public", publicfn.New) }
