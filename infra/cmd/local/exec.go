package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// runExec starts moto, runs the command with the SDK pointed at it, and returns the
// command's exit code. make test runs the Go tests this way: one moto for the run.
func runExec(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("exec", flag.ExitOnError)
	_ = fs.Parse(args)
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		usage()
	}
	root, err := samtemplate.FindRoot()
	if err != nil {
		return 0, err
	}
	moto, err := localaws.StartMoto(ctx, localaws.MotoOptions{Root: root})
	if err != nil {
		return 0, err
	}
	defer moto.Stop()
	fmt.Fprintf(os.Stderr, "local: moto is up at %s (through the serialising proxy)\n", moto.Endpoint)
	cmd := exec.CommandContext(ctx, cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		"AWS_ENDPOINT_URL="+moto.Endpoint, "AWS_REGION="+localaws.Region, "AWS_DEFAULT_REGION="+localaws.Region,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local")
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

// runCreateTable creates a table shaped like the template's in any DynamoDB endpoint
// (moto or DynamoDB Local in Docker, for sam local).
func runCreateTable(ctx context.Context, args []string) error {
	if len(args) != 2 {
		usage()
	}
	root, err := samtemplate.FindRoot()
	if err != nil {
		return err
	}
	t, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return err
	}
	return localaws.CreateTable(ctx, dynamodb.NewFromConfig(localaws.Config(args[0])), t, "Table", args[1])
}

// runPrebuild compiles the template's functions and the emulator as `local dev` will,
// so make dev can compile while it installs the Python tools.
func runPrebuild(ctx context.Context) error {
	root, err := samtemplate.FindRoot()
	if err != nil {
		return err
	}
	return motostack.Prebuild(ctx, motostack.Options{Root: root})
}
