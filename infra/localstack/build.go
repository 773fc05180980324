package localstack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"
)

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
	g.Go(func() error {
		return s.goBuild(gctx, runtime.GOOS, goarch, rie, "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
	})
	for _, id := range sortedKeys(s.model.Functions) {
		fn := s.model.Functions[id]
		if !goRuntimes[fn.Runtime] {
			return nil, "", fmt.Errorf("function %s: runtime %s is not supported locally (Go on provided.* only)", id, fn.Runtime)
		}
		if fn.Architecture != hostArch {
			s.notes = append(s.notes, fmt.Sprintf("%s is built for %s (this machine) instead of %s (the template) so the emulator can run it; make build builds %s for deployment",
				id, hostArch, fn.Architecture, fn.Architecture))
		}
		out := filepath.Join(s.opts.CacheDir, "functions", id, "bootstrap")
		bins[id] = out
		// CodeUri is relative to the template's folder; go build wants it relative to the root.
		rel, err := filepath.Rel(s.opts.Root, filepath.Join(filepath.Dir(s.opts.Template), fn.CodeURI))
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, "", fmt.Errorf("function %s: CodeUri %s is outside the module", id, fn.CodeURI)
		}
		pkg := "./" + filepath.ToSlash(rel)
		g.Go(func() error { return s.goBuild(gctx, "linux", goarch, out, pkg) })
	}
	if err := g.Wait(); err != nil {
		return nil, "", err
	}
	return bins, rie, nil
}

func (s *Stack) goBuild(ctx context.Context, goos, goarch, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s", "-o", out, pkg)
	cmd.Dir = s.opts.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", pkg, err, b)
	}
	return nil
}
