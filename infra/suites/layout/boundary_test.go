// Package layout holds tests of the tree's boundaries: what may import what.
package layout

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/sponsorship-tracker/sponsorship-tracker"

// pkg is what go list says of one package.
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
}

// root is the product module's folder.
func root(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(string(bytes.TrimSpace(out)))
}

// list runs go list -json in dir on patterns.
func list(t *testing.T, dir string, patterns ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, patterns...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", patterns, err, stderr.String())
	}
	var all []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		all = append(all, p)
	}
	return all
}

// The product (its functions and shared packages) never imports the infrastructure in
// code that ships, and its tests reach the emulator only through the test kit.
func TestProductImportsOnlyTheTestKit(t *testing.T) {
	for _, p := range list(t, root(t), "./functions/...", "./shared/...") {
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module+"/infra/") {
				t.Errorf("%s imports %s: shipped code never depends on infra/", p.ImportPath, imp)
			}
		}
		for _, imp := range append(p.TestImports, p.XTestImports...) {
			if strings.HasPrefix(imp, module+"/infra/") && !strings.HasPrefix(imp, module+"/infra/testkit/") {
				t.Errorf("a test of %s imports %s: product tests use infra/testkit", p.ImportPath, imp)
			}
		}
	}
}

// The emulator is a module of its own that knows nothing of the product: none of its
// packages, tests included, depends on a package of the product's module.
func TestEmulatorKnowsNothingOfTheProduct(t *testing.T) {
	dir := filepath.Join(root(t), "infra", "motostack")
	for _, p := range list(t, dir, "./...") {
		for _, imp := range append(append(p.Imports, p.TestImports...), p.XTestImports...) {
			if strings.HasPrefix(imp, module+"/") && !strings.HasPrefix(imp, module+"/infra/motostack") {
				t.Errorf("%s imports %s: the emulator knows nothing of the product", p.ImportPath, imp)
			}
		}
	}
	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(`"Path": "`+module+`"`)) {
		t.Errorf("the emulator's go.mod requires or replaces the product's module:\n%s", out)
	}
}

// The HTTP layer compiles without the store, the notifier or the SDK's configuration
// loader: handlers see the domain's interfaces, and the functions' wiring supplies them.
func TestHTTPLayerHasNoStore(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./shared/api")
	cmd.Dir = root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{module + "/shared/dynamostore", module + "/shared/notify", module + "/shared/channels",
			"github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/service/dynamodb"} {
			if dep == banned {
				t.Errorf("shared/api depends on %s", dep)
			}
		}
	}
}
