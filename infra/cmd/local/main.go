// Command local runs the Sponsorship Tracker's local stack.
//
//	local exec -- COMMAND [ARGS...]   run a command with moto started, AWS_ENDPOINT_URL set
//	local dev [-addr 127.0.0.1:3000]  moto, the table from template.yaml, demo data, and
//	                                  the submissions handler on addr, until Ctrl-C
//
// Everything it starts stops when it exits, on success, failure or Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "exec":
		var code int
		code, err = runExec(ctx, os.Args[2:])
		if err == nil {
			stop()
			os.Exit(code)
		}
	case "dev":
		err = runDev(ctx, os.Args[2:])
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
  local exec -- COMMAND [ARGS...]
  local dev [-addr 127.0.0.1:3000]`)
	os.Exit(2)
}

// runExec starts moto, runs the command with the SDK pointed at it, and returns the
// command's exit code.
func runExec(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("exec", flag.ExitOnError)
	_ = fs.Parse(args)
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		usage()
	}
	env, err := startEnv(ctx)
	if err != nil {
		return 0, err
	}
	defer env.stop()
	cmd := exec.CommandContext(ctx, cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env.vars()...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	err = cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("run %s: %w", cmdArgs[0], err)
	}
	return 0, nil
}
