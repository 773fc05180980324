package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// runInvoke invokes a function once with an event file and prints its response, as
// `sam local invoke FUNCTION -e EVENT` does. With `make dev` running it uses that
// stack (and its data); otherwise it starts one with the demo data and stops it after.
func runInvoke(ctx context.Context, args []string) error {
	if len(args) != 2 {
		usage()
	}
	fn, file := args[0], args[1]
	payload, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if !json.Valid(payload) {
		return fmt.Errorf("%s is not JSON", file)
	}
	var out []byte
	failed := false
	st, err := devClient()
	switch {
	case err == nil:
		var resp interface{ Get(string) string }
		r, body, err := st.call(ctx, "POST", "/invoke/"+fn, payload)
		if err != nil {
			return err
		}
		resp, out = r.Header, body
		fmt.Fprintf(os.Stderr, "local: invoked %s on the running stack (cold %s, %s)\n", fn, resp.Get("X-Cold"), resp.Get("X-Duration"))
		failed = resp.Get("X-Function-Error") != "" || resp.Get("X-Timed-Out") == "true"
	case errors.Is(err, errNoDev):
		root, err := samtemplate.FindRoot()
		if err != nil {
			return err
		}
		d, err := devstack.Start(ctx, devstack.Options{Root: root, Addr: "127.0.0.1:0", Log: io.Discard, NoPollers: true,
			StackName: "sponsorship-tracker-invoke"})
		if err != nil {
			return err
		}
		defer d.Stop()
		res, err := d.Invoke(ctx, fn, payload)
		if err != nil {
			return err
		}
		out = res.Payload
		fmt.Fprintf(os.Stderr, "local: invoked %s (cold start %s, invocation %s)\n", fn, res.ColdStart, res.Duration)
		failed = res.FunctionError != "" || res.TimedOut
	default:
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	fmt.Println(string(out))
	if failed {
		return errors.New("the function failed")
	}
	return nil
}

// runToken prints a fresh access token for a demo user of the running stack.
func runToken(ctx context.Context, args []string) error {
	if len(args) != 1 {
		usage()
	}
	st, err := devClient()
	if err != nil {
		return fmt.Errorf("%w: start it with `make dev` first", err)
	}
	_, out, err := st.call(ctx, "GET", "/token/"+args[0], nil)
	if err != nil {
		return err
	}
	fmt.Print(string(out))
	return nil
}

// runTOTP prints the code a staff member's authenticator shows now, for signing in to
// the running stack's console after the password.
func runTOTP(ctx context.Context, args []string) error {
	if len(args) != 1 {
		usage()
	}
	st, err := devClient()
	if err != nil {
		return fmt.Errorf("%w: start it with `make dev` first", err)
	}
	_, out, err := st.call(ctx, "GET", "/totp/"+url.PathEscape(args[0]), nil)
	if err != nil {
		return err
	}
	fmt.Print(string(out))
	return nil
}

// runSchedule fires a schedule of the running stack now.
func runSchedule(ctx context.Context, args []string) error {
	if len(args) != 1 {
		usage()
	}
	st, err := devClient()
	if err != nil {
		return fmt.Errorf("%w: start it with `make dev` first", err)
	}
	_, out, err := st.call(ctx, "POST", "/schedules/"+args[0], nil)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

// runExpireTTL has a running `local dev` expire, now, the items past their table's TTL,
// as DynamoDB's background process would, and prints how many each table lost.
func runExpireTTL(ctx context.Context, args []string) error {
	if len(args) != 0 {
		usage()
	}
	st, err := devClient()
	if err != nil {
		return fmt.Errorf("%w: start it with `make dev` first", err)
	}
	_, out, err := st.call(ctx, "POST", "/expire-ttl", nil)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}
