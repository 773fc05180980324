package motostack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// rieModule is the emulator's command, pinned in go.mod as a tool.
const rieModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// goRuntimes are the Lambda runtimes whose functions are Go binaries named bootstrap.
var goRuntimes = map[string]bool{"provided.al2023": true, "provided.al2": true, "provided": true, "go1.x": true}

// build compiles every function as sam build does (linux, CGO_ENABLED=0,
// -tags lambda.norpc, -trimpath, stripped), for the host's architecture so the emulator
// can run it, and the emulator itself from the version pinned in go.mod. It returns the
// bootstrap path per function and the emulator's path.
func (s *Stack) build(ctx context.Context) (map[string]string, string, error) {
	goarch := runtime.GOARCH
	hostArch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[goarch]
	bins := map[string]string{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	rie := filepath.Join(s.opts.CacheDir, "bin", "aws-lambda-rie")
	g.Go(func() error { return BuildLambda(gctx, s.opts.Root, runtime.GOOS, goarch, rie, rieModule) })
	for _, id := range sortedKeys(s.model.Functions) {
		fn := s.model.Functions[id]
		if !goRuntimes[fn.Runtime] {
			return nil, "", fmt.Errorf("function %s: runtime %s is not supported locally (Go on provided.* only)", id, fn.Runtime)
		}
		if fn.Architecture != hostArch {
			s.notes = append(s.notes, fmt.Sprintf("%s is built for %s (this machine) instead of %s (the template) so the emulator can run it; make build builds %s for deployment",
				id, hostArch, fn.Architecture, fn.Architecture))
		}
		out, pkg, err := functionBuild(s.opts, id, fn.CodeURI)
		if err != nil {
			return nil, "", err
		}
		bins[id] = out
		g.Go(func() error { return BuildLambda(gctx, s.opts.Root, "linux", goarch, out, pkg) })
	}
	if err := g.Wait(); err != nil {
		return nil, "", err
	}
	return bins, rie, nil
}

// functionBuild returns where a function's bootstrap goes and the package to build.
// CodeUri is relative to the template's folder; go build wants it relative to the root.
func functionBuild(opts Options, id, codeURI string) (out, pkg string, err error) {
	rel, err := filepath.Rel(opts.Root, filepath.Join(filepath.Dir(opts.Template), codeURI))
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", "", fmt.Errorf("function %s: CodeUri %s is outside the module", id, codeURI)
	}
	return filepath.Join(opts.CacheDir, "functions", id, "bootstrap"), "./" + filepath.ToSlash(rel), nil
}

// BuildLambda builds pkg into out for goos/goarch as sam build does for Lambda
// (CGO_ENABLED=0, -tags lambda.norpc, -trimpath, stripped): the functions the stack
// runs, and anything measured against them.
func BuildLambda(ctx context.Context, root, goos, goarch, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// Prebuild compiles what Start will build — every function of the template and the
// emulator — the same way, reading the template without the SAM translator, so that it
// can run while the Python tools are still installing and Start finds it all built.
func Prebuild(ctx context.Context, opts Options) error {
	opts = opts.withDefaults()
	t, err := samtemplate.Load(opts.Template)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	g.Go(func() error {
		return BuildLambda(gctx, opts.Root, runtime.GOOS, runtime.GOARCH, filepath.Join(opts.CacheDir, "bin", "aws-lambda-rie"), rieModule)
	})
	for _, id := range t.OfType("AWS::Serverless::Function") {
		code, _ := t.Resources[id].Properties["CodeUri"].(string)
		if code == "" {
			if globals, ok := t.Globals["Function"]; ok {
				code, _ = globals["CodeUri"].(string)
			}
		}
		out, pkg, err := functionBuild(opts, id, code)
		if err != nil {
			return err
		}
		g.Go(func() error { return BuildLambda(gctx, opts.Root, "linux", runtime.GOARCH, out, pkg) })
	}
	return g.Wait()
}
