package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// state is what a running `local dev` leaves in .cache/local/dev.json for the other
// commands: where its control server listens.
type state struct {
	PID     int    `json:"pid"`
	API     string `json:"api"`
	Control string `json:"control"`
	Moto    string `json:"moto"`
	Login   string `json:"login"`
}

func statePath(root string) string { return filepath.Join(root, ".cache", "local", "dev.json") }

// runDev starts the stack with demo data and serves until ctx ends.
func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:3000", "address of the HTTP API")
	loginAddr := fs.String("login-addr", "127.0.0.1:3001", "address of the managed login (staff sign-in)")
	noIAM := fs.Bool("no-iam", false, "let the functions' AWS calls through whatever their roles allow (by default what AWS would refuse is refused)")
	_ = fs.Parse(args)
	root, err := samtemplate.FindRoot()
	if err != nil {
		return err
	}
	started := time.Now()
	// The control server listens first: the stack's chat webhook points at it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	controlURL := "http://" + ln.Addr().String()
	chat := &devstack.ChatSink{}
	fmt.Fprintln(os.Stderr, "local: building the functions and starting the stack from template.yaml ...")
	d, err := devstack.Start(ctx, devstack.Options{Root: root, Addr: *addr, LoginAddr: *loginAddr, Log: os.Stderr, NoIAM: *noIAM, Parameters: map[string]string{
		"PublicBaseUrl": "http://" + *addr, "ChatWebhookUrl": controlURL + "/chat",
	}})
	if err != nil {
		return err
	}
	defer func() {
		d.Stop()
		fmt.Fprintln(os.Stderr, "local: stopped; nothing is left running")
	}()
	ctl := &http.Server{Handler: controlHandler(d, chat), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = ctl.Serve(ln) }()
	defer ctl.Close()

	st := state{PID: os.Getpid(), API: d.URL(), Control: controlURL, Moto: d.Endpoint(), Login: d.LoginURL()}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(statePath(root), b, 0o600); err != nil {
		return err
	}
	defer os.Remove(statePath(root))

	printBanner(ctx, d, controlURL, time.Since(started), !*noIAM)
	<-ctx.Done()
	printStats(d)
	return nil
}

func printBanner(ctx context.Context, d *devstack.Dev, controlURL string, took time.Duration, iamEnforced bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nSponsorship Tracker is running (started in %s).\n\n", took.Round(100*time.Millisecond))
	if c, err := d.ConsoleConfig(ctx); err == nil {
		fmt.Fprintf(&b, "  Console      %s   (staff: sign in as one of the demo staff below)\n", c.RedirectURI)
		fmt.Fprintf(&b, "  Sign-in      %s   (Cognito managed login, emulated: code + PKCE, then TOTP)\n", c.Authority)
	}
	fmt.Fprintf(&b, "  Web form     %s/\n", d.URL())
	fmt.Fprintf(&b, "  API          %s\n", d.URL())
	fmt.Fprintf(&b, "  OpenAPI      %s/openapi.yaml\n", d.URL())
	fmt.Fprintf(&b, "  Mail inbox   %s/mail   (what SES sent, read from moto)\n", controlURL)
	fmt.Fprintf(&b, "  Chat         %s/chat   (what the committee's webhook received)\n", controlURL)
	fmt.Fprintf(&b, "  Moto         %s\n", d.Endpoint())
	if iamEnforced {
		fmt.Fprintf(&b, "  IAM          each function held to its role in template.yaml; a refusal is logged as AccessDenied (-no-iam turns this off)\n\n")
	} else {
		fmt.Fprintf(&b, "  IAM          not enforced (-no-iam): calls AWS would refuse pass here\n\n")
	}
	fmt.Fprintf(&b, "Routes:\n")
	for _, r := range d.Routes() {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	if sch := d.Schedules(); len(sch) > 0 {
		fmt.Fprintf(&b, "Schedules (fire now with `go run ./infra/cmd/local schedule NAME`):\n")
		for _, s := range sch {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	fmt.Fprintf(&b, "\nDemo staff, each with the password %s and an authenticator set up:\n", d.Seed.Password)
	for _, u := range d.Seed.Users {
		secret, err := d.TOTPSecret(ctx, u.Email)
		if err != nil {
			secret = "error: " + err.Error()
		}
		fmt.Fprintf(&b, "  %-9s %-28s TOTP secret %s\n", u.Role, u.Email, secret)
	}
	fmt.Fprintf(&b, "  After the password, the sign-in asks for a code: `go run ./infra/cmd/local totp EMAIL` prints it,\n")
	fmt.Fprintf(&b, "  or add the secret to an authenticator app once (it stays the same from one start to the next).\n")
	fmt.Fprintf(&b, "Scripts: `go run ./infra/cmd/local token ROLE` prints a fresh access token (%s).\n", strings.Join(d.Roles(), ", "))
	req := d.Seed.Requests[0]
	fmt.Fprintf(&b, "\nDemo request %s, applicant token %s\n", req.ID, req.Token)
	fmt.Fprintf(&b, "  curl -s %s/requests/%s -H 'Authorization: Bearer %s'\n", d.URL(), req.ID, req.Token)
	fmt.Fprintf(&b, "  status page  %s/status#id=%s&token=%s\n", d.URL(), req.ID, req.Token)
	for _, n := range d.Notes() {
		fmt.Fprintf(&b, "\nNote: %s", n)
	}
	fmt.Fprintf(&b, "\n\nPress Ctrl-C to stop everything.\n")
	fmt.Fprint(os.Stderr, b.String())
}

// printStats reports cold starts (spawn to first response) apart from warm invocations.
func printStats(d *devstack.Dev) {
	stats := d.Stats()
	ids := make([]string, 0, len(stats))
	for id := range stats {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintln(os.Stderr, "\nInvocations (cold = emulator spawn to first response):")
	for _, id := range ids {
		s := stats[id]
		fmt.Fprintf(os.Stderr, "  %-24s cold %d (median %s)  warm %d (median %s)  errors %d  timeouts %d\n", id,
			len(s.ColdStarts), motostack.Median(s.ColdStarts).Round(time.Millisecond),
			len(s.Warm), motostack.Median(s.Warm).Round(100*time.Microsecond), s.Errors, s.Timeouts)
	}
}
