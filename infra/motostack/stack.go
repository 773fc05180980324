package motostack

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// Options configure a Stack.
type Options struct {
	// Root is the project's module folder, where functions are built (go.mod) and
	// .venv is looked for.
	Root string
	// Template is the template's path; default Root/template.yaml.
	Template string
	// StackName names local resources (<StackName>-<LogicalId>); default "local".
	StackName string
	// Addr is where the HTTP API listens; default 127.0.0.1:3000, ":0"-style ports allowed.
	Addr string
	// Listener, when set, is where the first HTTP API listens instead of Addr: a caller
	// that names the API's URL in a parameter (an origin CORS allows) listens first.
	// The stack closes it when it stops or fails to start.
	Listener net.Listener
	// Endpoint is a running moto to use; empty starts one for the stack.
	Endpoint string
	// Parameters override the template's parameter defaults.
	Parameters map[string]string
	// MaxEnvironments caps each function's pool of emulators; default 8.
	MaxEnvironments int
	// Log receives the stack's and the functions' log lines; default os.Stderr.
	Log io.Writer
	// CacheDir holds builds and the expanded template; default Root/.cache/local.
	CacheDir string
	// NoPollers leaves stream pollers and schedules off (invoke them by hand).
	NoPollers bool
	// NoIAM turns IAM enforcement off: functions' calls reach moto whatever their
	// execution roles allow. By default each call is evaluated against the function's
	// role as the template expands it, and refused as AWS would refuse it.
	NoIAM bool
	// NoThrottle turns throttling off (the stage's route limits and the account's), for
	// runs that measure or exercise the system rather than the limits the template sets.
	NoThrottle bool
	// LoginAddr is where the managed login emulation of the user pool listens; default
	// 127.0.0.1:0 (a free port).
	LoginAddr string
	// Clock is the managed login emulation's clock (authorization codes, sessions, TOTP);
	// default time.Now. Tests move it to expire what they hold.
	Clock func() time.Time
	// AsyncRetryDelays are the waits before the first and second retries of an
	// asynchronous invocation (S3 notifications); default Lambda's 1 and 2 minutes.
	AsyncRetryDelays []time.Duration
	// TTLSweep is how often items past their table's TTL are deleted, as DynamoDB does in
	// the background; default 30s, negative turns it off (ExpireTTL still sweeps).
	TTLSweep time.Duration
}

// Stack is a running local stack.
type Stack struct {
	opts     Options
	model    *Model
	resolver *Resolver
	aws      *clients
	moto     *localaws.Moto // nil when the stack uses someone else's moto
	endpoint string
	created  []created
	names    map[string]string // physical names chosen before creation
	pools    map[string]*pool
	gateways []*gateway
	servers  []*http.Server
	url      string
	log      *slog.Logger
	logOut   io.Writer
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	notes    []string
	pollers  []*poller
	readers  []*streamReader
	queues   []*queuePoller
	logins   []*loginServer
	gate     *gate
	// sendersByFn holds each function's SQS and SNS clients for its destinations.
	sendersByFn sync.Map
	async       *asyncInvoker
}

// Start builds the functions, starts moto (unless Options.Endpoint names one), creates
// the template's resources in it, and serves the API, stream pollers and schedules until
// Stop.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.Root == "" {
		return nil, errors.New("motostack: Options.Root is required")
	}
	opts = opts.withDefaults()
	s := &Stack{opts: opts, pools: map[string]*pool{}, logOut: opts.Log,
		log: slog.New(slog.NewJSONHandler(opts.Log, nil)).With("source", "motostack")}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := s.start(ctx, runCtx); err != nil {
		s.Stop()
		if opts.Listener != nil {
			_ = opts.Listener.Close() // closed already if its server started
		}
		return nil, err
	}
	return s, nil
}

func (o Options) withDefaults() Options {
	if o.Template == "" {
		o.Template = filepath.Join(o.Root, "template.yaml")
	}
	if o.StackName == "" {
		o.StackName = "local"
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:3000"
	}
	if o.MaxEnvironments <= 0 {
		o.MaxEnvironments = 8
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if o.CacheDir == "" {
		o.CacheDir = filepath.Join(o.Root, ".cache", "local")
	}
	return o
}

func (s *Stack) start(ctx, runCtx context.Context) error {
	expanded, err := s.expand(ctx)
	if err != nil {
		return err
	}
	if s.model, err = ParseModel(expanded); err != nil {
		return err
	}
	if s.resolver, err = newResolver(s.model, s.opts.StackName, s.opts.Parameters); err != nil {
		return err
	}

	// Build while moto starts: the two are independent and each takes seconds cold.
	type buildResult struct {
		bins map[string]string
		rie  string
		err  error
	}
	built := make(chan buildResult, 1)
	go func() {
		bins, rie, err := s.build(ctx)
		built <- buildResult{bins, rie, err}
	}()

	s.endpoint = s.opts.Endpoint
	if s.endpoint == "" {
		if s.moto, err = localaws.StartMoto(ctx, localaws.MotoOptions{Root: s.opts.Root}); err != nil {
			<-built
			return err
		}
		s.endpoint = s.moto.Endpoint
	}
	s.aws = newClients(s.endpoint)
	if err := s.createResources(ctx); err != nil {
		<-built
		return err
	}
	// From here on the functions, the stack and its callers reach moto through the gate.
	if err := s.startGate(s.endpoint); err != nil {
		<-built
		return err
	}
	s.endpoint = s.gate.url
	s.aws = newClients(s.endpoint)
	b := <-built
	if b.err != nil {
		return b.err
	}
	// Before the functions' environment: it may name the managed login's URL.
	if err := s.startLogins(); err != nil {
		return err
	}
	for id, fn := range s.model.Functions {
		env, err := s.functionEnv(fn)
		if err != nil {
			return fmt.Errorf("function %s environment: %w", id, err)
		}
		max := s.opts.MaxEnvironments
		if fn.Reserved > 0 && fn.Reserved < max {
			max = fn.Reserved
		}
		s.pools[id] = newPool(s, fn, b.bins[id], b.rie, env, max)
	}
	if err := s.startAsync(runCtx); err != nil {
		return err
	}
	if err := s.serveAPIs(ctx); err != nil {
		return err
	}
	if !s.opts.NoPollers {
		if err := s.startPollers(runCtx); err != nil {
			return err
		}
		s.startSchedules(runCtx)
	}
	s.startTTLSweeper(runCtx)
	return nil
}

// expandScript runs aws-sam-translator on a template (with the stack's parameter values)
// and prints the expanded template as JSON.
//
//go:embed expand.py
var expandScript []byte

// expand runs aws-sam-translator on the template, caching the result by the content of
// the template and the expansion script.
func (s *Stack) expand(ctx context.Context) ([]byte, error) {
	tmpl, err := os.ReadFile(s.opts.Template)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	code := expandScript
	// The translator substitutes parameter values into some properties (an HTTP API's
	// CorsConfiguration), as CloudFormation runs it with the stack's values.
	values := map[string]string{}
	maps.Copy(values, s.opts.Parameters)
	params, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	sum := sha256.Sum256(slices.Concat(tmpl, []byte{0}, code, []byte{0}, params))
	cache := filepath.Join(s.opts.CacheDir, "expanded-"+hex.EncodeToString(sum[:8])+".json")
	if b, err := os.ReadFile(cache); err == nil {
		return b, nil
	}
	python := filepath.Join(s.opts.Root, ".venv", "bin", "python")
	if _, err := os.Stat(python); err != nil {
		python = "python3"
	}
	script := filepath.Join(s.opts.CacheDir, "expand-"+hex.EncodeToString(sum[:8])+".py")
	if err := os.MkdirAll(s.opts.CacheDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(script, code, 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(script)
	cmd := exec.CommandContext(ctx, python, script, s.opts.Template, string(params))
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
	var stderr stringsBuilder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("expand the template with aws-sam-translator (run `make tools`): %w\n%s", err, stderr.String())
	}
	if err := os.MkdirAll(s.opts.CacheDir, 0o755); err == nil {
		_ = os.WriteFile(cache, out, 0o644)
	}
	return out, nil
}

// functionEnv is the environment a function's emulator runs with: what Lambda sets,
// the template's variables resolved to local resources, and the SDK pointed at moto.
// Nothing else of the host's environment leaks in.
func (s *Stack) functionEnv(fn *Function) ([]string, error) {
	name := s.resolver.Physical[fn.LogicalID]
	p := s.gate.byFn[fn.LogicalID]
	env := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin:/bin", "TZ": ":UTC", "LANG": "C.UTF-8",
		"AWS_REGION": localaws.Region, "AWS_DEFAULT_REGION": localaws.Region,
		"AWS_ACCESS_KEY_ID": p.key, "AWS_SECRET_ACCESS_KEY": p.secret, "AWS_ENDPOINT_URL": s.endpoint,
		"AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": fmt.Sprint(fn.MemoryMB), "AWS_LAMBDA_FUNCTION_TIMEOUT": fmt.Sprint(fn.TimeoutSec),
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + name, "AWS_LAMBDA_LOG_STREAM_NAME": "local",
		"_HANDLER": fn.Handler, "AWS_EXECUTION_ENV": "AWS_Lambda_" + fn.Runtime,
	}
	for k, v := range fn.Environment {
		val, err := s.resolver.String(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		env[k] = val
	}
	out := make([]string, 0, len(env))
	for _, k := range sortedKeys(env) {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

// serveAPIs starts the gateway of each HTTP API; the first listens on Options.Listener
// or Options.Addr. The APIs share the account's throttle, as on AWS.
func (s *Stack) serveAPIs(ctx context.Context) error {
	var account *tokenBucket
	if !s.opts.NoThrottle {
		account = newTokenBucket(accountBurst, accountRate)
	}
	for i, api := range s.model.APIs {
		g, err := newGateway(ctx, s, api, account)
		if err != nil {
			return err
		}
		addr := s.opts.Addr
		if i > 0 {
			addr = "127.0.0.1:0"
		}
		var ln net.Listener
		if i == 0 && s.opts.Listener != nil {
			ln = s.opts.Listener
		} else if ln, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("API %s: listen on %s: %w", api.LogicalID, addr, err)
		}
		srv := &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
		s.gateways, s.servers = append(s.gateways, g), append(s.servers, srv)
		if i == 0 {
			s.url = "http://" + ln.Addr().String()
		}
		go func() { _ = srv.Serve(ln) }()
	}
	return nil
}

// URL is the first HTTP API's base URL.
func (s *Stack) URL() string { return s.url }

// Endpoint is moto's address for this stack: through the gate, which enforces the
// functions' roles and sees what S3 stores, then the serialising proxy.
func (s *Stack) Endpoint() string { return s.endpoint }

// Moto is the stack's own moto, or nil when it uses one it was given.
func (s *Stack) Moto() *localaws.Moto { return s.moto }

// Physical returns the local name, id or URL of a template resource.
func (s *Stack) Physical(logicalID string) string { return s.resolver.Physical[logicalID] }

// Attribute returns a resource attribute as Fn::GetAtt would.
func (s *Stack) Attribute(logicalID, attr string) string { return s.resolver.Attrs[logicalID][attr] }

// Output resolves one of the template's Outputs.
func (s *Stack) Output(name string) (string, error) {
	outs, _ := s.model.raw["Outputs"].(map[string]any)
	o, ok := outs[name].(map[string]any)
	if !ok {
		return "", fmt.Errorf("no output %s", name)
	}
	return s.resolver.String(o["Value"])
}

// Parameter returns a template parameter's value in this stack.
func (s *Stack) Parameter(name string) string { return s.resolver.Params[name] }

// Functions lists the template's functions' logical ids.
func (s *Stack) Functions() []string { return sortedKeys(s.model.Functions) }

// Function returns a function as the stack runs it (memory, timeout, architecture), or
// nil when the template has none of that name.
func (s *Stack) Function(logicalID string) *Function { return s.model.Functions[logicalID] }

// Routes lists every HTTP API route key with its function, in order.
func (s *Stack) Routes() []string {
	var out []string
	for _, api := range s.model.APIs {
		for _, r := range api.Routes {
			auth := "open"
			if r.Authorizer != "" {
				auth = "JWT " + r.Authorizer
			}
			out = append(out, fmt.Sprintf("%s -> %s (%s)", r.Key(), r.Function, auth))
		}
	}
	sort.Strings(out)
	return out
}

// Throttle returns the limits a route key (as Routes writes it: "POST /requests",
// "$default") has in the stack's APIs, and false when none of them has the route or only
// the account's limit holds it. It reports the template's limits even with NoThrottle.
func (s *Stack) Throttle(routeKey string) (Throttle, bool) {
	for _, g := range s.gateways {
		if t, ok := g.throttles[routeKey]; ok {
			return t, true
		}
	}
	return Throttle{}, false
}

// Notes are the differences from AWS this stack noticed while starting (such as a
// function built for another architecture than the template's).
func (s *Stack) Notes() []string { return s.notes }

// Stop ends everything the stack started: servers, pollers, schedules, emulators and
// moto. It is safe to call more than once.
func (s *Stack) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	for _, srv := range s.servers {
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(shutdown)
		cancel()
	}
	s.servers = nil
	s.wg.Wait()
	for _, p := range s.pools {
		p.close()
	}
	s.gate.close()
	if s.moto != nil {
		s.moto.Stop()
		s.moto = nil
	}
}

// stringsBuilder is a concurrency-safe buffer for a command's stderr.
type stringsBuilder struct {
	mu sync.Mutex
	b  []byte
}

func (w *stringsBuilder) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *stringsBuilder) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.b)
}
