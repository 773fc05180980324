package main

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
)

// Size is one function's deployment artifact: the bootstrap binary and the zip that
// Lambda receives.
type Size struct {
	Function  string  `json:"function"`
	Bootstrap int64   `json:"bootstrapBytes"`
	Zip       int64   `json:"zipBytes"`
	VsHello   float64 `json:"vsHello"` // bootstrap bytes over hello's
}

// Sizes are the functions' artifacts next to the hello-world baseline built the same way.
type Sizes struct {
	GOOS, GOARCH string
	Command      string `json:"command"`
	Hello        Size   `json:"hello"`
	Functions    []Size `json:"functions"`
}

// functionPackages lists functions/<name> folders: one Lambda function each.
func functionPackages(root string) ([]string, error) {
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range mains {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(names)
	return names, nil
}

func sizes(ctx context.Context, root, dir string) error {
	names, err := functionPackages(root)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "bench-sizes-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	res := Sizes{GOOS: "linux", GOARCH: "arm64",
		Command: "CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -ldflags=-s; zip (deflate) of bootstrap"}
	measure := func(name, pkg string) (Size, error) {
		bin := filepath.Join(work, name, "bootstrap")
		if err := motostack.BuildLambda(ctx, root, res.GOOS, res.GOARCH, bin, pkg); err != nil {
			return Size{}, err
		}
		st, err := os.Stat(bin)
		if err != nil {
			return Size{}, err
		}
		z, err := zipBootstrap(bin)
		if err != nil {
			return Size{}, err
		}
		return Size{Function: name, Bootstrap: st.Size(), Zip: z}, nil
	}
	if res.Hello, err = measure("hello", "./infra/cmd/bench/hello"); err != nil {
		return err
	}
	res.Hello.VsHello = 1
	for _, n := range names {
		s, err := measure(n, "./functions/"+n)
		if err != nil {
			return err
		}
		s.VsHello = float64(s.Bootstrap) / float64(res.Hello.Bootstrap)
		res.Functions = append(res.Functions, s)
		fmt.Printf("%-12s bootstrap %6.2f MB  zip %5.2f MB  (%.1fx hello)\n", n, mb(s.Bootstrap), mb(s.Zip), s.VsHello)
	}
	fmt.Printf("%-12s bootstrap %6.2f MB  zip %5.2f MB\n", "hello", mb(res.Hello.Bootstrap), mb(res.Hello.Zip))
	return writeJSON(dir, "sizes.json", res)
}

// zipBootstrap zips bin as Lambda receives it (one executable named bootstrap,
// deflated) and returns the zip's size.
func zipBootstrap(bin string) (int64, error) {
	zpath := bin + ".zip"
	f, err := os.Create(zpath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return 0, err
	}
	in, err := os.Open(bin)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	if _, err := io.Copy(w, in); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
