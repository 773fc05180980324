// Package devstack starts the local stack the way a developer and the end-to-end tests
// use it: the template's stack plus this project's demo data (seed.json): requests,
// and staff in the Cognito user pool with their groups.
package devstack

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack/seed"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// StackName names the local resources.
const StackName = "sponsorship-tracker-local"

// Dev is a running local stack with demo data.
type Dev struct {
	*motostack.Stack
	Seed  *seed.File
	Users map[string]seed.User // by e-mail
	Subs  map[string]string    // e-mail -> Cognito subject
}

// Options configure Start.
type Options struct {
	Root      string
	Addr      string
	Log       io.Writer
	NoPollers bool
	// NoThrottle turns throttling off and MaxEnvironments raises each function's pool
	// of emulators (default 8): for benchmarks and contract tests, not about the limits.
	NoThrottle      bool
	MaxEnvironments int
	// NoIAM lets the functions' calls through whatever their roles allow; by default
	// the stack refuses what AWS would (motostack.Options.NoIAM).
	NoIAM     bool
	StackName string
	Endpoint  string // a running moto to use; empty starts one
	// Parameters override template parameters (a local webhook, local links).
	// PublicBaseUrl defaults to the local API's own origin, where the console and the
	// pages are (and the console's sign-in callback).
	Parameters map[string]string
	// LoginAddr is where the managed login emulation listens; default a free port.
	LoginAddr string
}

// Start starts the stack and loads the demo data. PublicBaseUrl is the local API's
// origin (http://127.0.0.1:PORT) unless the caller sets another for the links in
// notifications; the local API's origin joins the template's CorsAllowedOrigins either
// way, so that the stack's own origin is allowed locally as PublicBaseUrl's is on AWS.
func Start(ctx context.Context, opts Options) (*Dev, error) {
	if opts.StackName == "" {
		opts.StackName = StackName
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:3000"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	params := maps.Clone(opts.Parameters)
	if params == nil {
		params = map[string]string{}
	}
	if params["PublicBaseUrl"] == "" {
		params["PublicBaseUrl"] = "http://" + ln.Addr().String()
	}
	params["CorsAllowedOrigins"] = withOrigin(params["CorsAllowedOrigins"], "http://"+ln.Addr().String(), params["PublicBaseUrl"])
	s, err := motostack.Start(ctx, motostack.Options{
		Root: opts.Root, Listener: ln, Log: opts.Log, StackName: opts.StackName, NoPollers: opts.NoPollers,
		Endpoint: opts.Endpoint, Parameters: params, NoThrottle: opts.NoThrottle, NoIAM: opts.NoIAM,
		MaxEnvironments: opts.MaxEnvironments, LoginAddr: opts.LoginAddr,
	})
	if err != nil {
		return nil, err
	}
	d := &Dev{Stack: s, Users: map[string]seed.User{}, Subs: map[string]string{}}
	if err := d.load(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return d, nil
}

// withOrigin adds origin to a comma-separated list of origins unless the list, or the
// origin of baseURL, already names it.
func withOrigin(list, origin, baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && strings.EqualFold(u.Scheme+"://"+u.Host, origin) {
		return list
	}
	var out []string
	for _, o := range strings.Split(list, ",") {
		if o = strings.TrimSpace(o); o != "" {
			if strings.EqualFold(o, origin) {
				return list
			}
			out = append(out, o)
		}
	}
	return strings.Join(append(out, origin), ",")
}

func (d *Dev) load(ctx context.Context) error {
	f, err := seed.Load()
	if err != nil {
		return err
	}
	d.Seed = f
	for _, u := range f.Users {
		sub, err := d.CreateUser(ctx, motostack.User{Email: u.Email, Name: u.Name, Password: f.Password, Groups: u.Groups})
		if err != nil {
			return err
		}
		d.Users[u.Email], d.Subs[u.Email] = u, sub
		// Each demo user has set up an authenticator already, with a secret that stays
		// the same from one start to the next.
		if d.LoginURL() != "" {
			if err := d.SetTOTPSecret(ctx, u.Email, f.TOTPSecret(u.Email)); err != nil {
				return err
			}
		}
	}
	// The roster holds the staff under their real subjects, so their tokens work; and
	// under the fixture subjects too, so the sample events work with `local invoke`.
	if err := seed.ApplyStaff(ctx, d.Store(), d.Subs, time.Now()); err != nil {
		return err
	}
	if err := seed.ApplySampleEventStaff(ctx, d.Store(), time.Now()); err != nil {
		return err
	}
	month, _ := strconv.Atoi(d.Parameter("FiscalYearStartMonth"))
	cfg := sponsorship.Config{Calendar: sponsorship.FiscalCalendar{StartMonth: time.Month(max(month, 1))}}
	return seed.Apply(ctx, d.Store(), cfg, time.Now())
}

// Store is the project's store on the stack's table.
func (d *Dev) Store() *dynamostore.Store {
	return dynamostore.New(d.DynamoDB(), d.Physical("Table"))
}

// DynamoDB is a client for the stack's moto.
func (d *Dev) DynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(localaws.Config(d.Endpoint()))
}

// Token signs in the demo user with the given role (reviewer, finance, admin) or
// e-mail and returns a fresh access token.
func (d *Dev) Token(ctx context.Context, who string) (string, error) {
	email, err := d.DemoEmail(who)
	if err != nil {
		return "", err
	}
	t, err := d.SignIn(ctx, email, d.Seed.Password)
	if err != nil {
		return "", err
	}
	return t.Access, nil
}

// Roles lists the demo users' roles, in seed order, without repeats.
func (d *Dev) Roles() []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range d.Seed.Users {
		if !seen[u.Role] {
			seen[u.Role] = true
			out = append(out, u.Role)
		}
	}
	return out
}

// DemoEmail finds the demo user with the given role (the first) or e-mail address.
func (d *Dev) DemoEmail(who string) (string, error) {
	for _, u := range d.Seed.Users {
		if strings.EqualFold(u.Role, who) || strings.EqualFold(u.Email, who) {
			return u.Email, nil
		}
	}
	return "", fmt.Errorf("no demo user %q in seed.json (roles: %s)", who, strings.Join(d.Roles(), ", "))
}
