// Command local runs the Sponsorship Tracker's stack on this machine from template.yaml:
// moto for AWS, the real function binaries under the Lambda Runtime Interface Emulator,
// an HTTP API gateway with the template's JWT authorizer, stream pollers and schedules.
//
//	local dev [-addr 127.0.0.1:3000] [-login-addr 127.0.0.1:3001] [-no-iam]
//	                                       start everything, print URLs and demo staff, run until Ctrl-C
//	                                       (-no-iam: let calls through that the functions' roles do not allow)
//	local invoke FUNCTION EVENT.json       invoke a function once, like `sam local invoke -e`
//	local token ROLE|EMAIL                 print a fresh access token (reviewer, finance, admin)
//	local totp EMAIL                       print the code a staff member's authenticator shows now
//	local schedule SCHEDULE                fire a schedule now
//	local expire-ttl                       expire the items past their table's TTL now (the stack also does every 30 s)
//	local exec -- COMMAND [ARGS...]        run a command with moto started and AWS_ENDPOINT_URL set
//	local create-table ENDPOINT NAME       create the template's table in a DynamoDB at ENDPOINT
//	local prebuild                         compile the functions and the emulator as dev will
//
// invoke, token, totp, schedule and expire-ttl talk to a running `local dev` when there is one; invoke
// starts a stack of its own otherwise. Everything a command starts stops when it exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/proc"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	// Die with whoever started us (make, a shell): the kernel sends SIGTERM when the
	// parent goes, and SIGTERM stops everything cleanly below.
	proc.DieWithParent()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "exec":
		var code int
		if code, err = runExec(ctx, args); err == nil {
			stop()
			os.Exit(code)
		}
	case "dev":
		err = runDev(ctx, args)
	case "invoke":
		err = runInvoke(ctx, args)
	case "token":
		err = runToken(ctx, args)
	case "totp":
		err = runTOTP(ctx, args)
	case "schedule":
		err = runSchedule(ctx, args)
	case "expire-ttl":
		err = runExpireTTL(ctx, args)
	case "create-table":
		err = runCreateTable(ctx, args)
	case "prebuild":
		err = runPrebuild(ctx)
	default:
		usage()
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  local dev [-addr 127.0.0.1:3000] [-login-addr 127.0.0.1:3001] [-no-iam]
  local invoke FUNCTION EVENT.json
  local token ROLE|EMAIL
  local totp EMAIL
  local schedule SCHEDULE
  local expire-ttl
  local exec -- COMMAND [ARGS...]
  local create-table ENDPOINT NAME
  local prebuild`)
	os.Exit(2)
}
