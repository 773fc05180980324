// Command gentables writes package orgname's tables.go from its data directory. Run it
// with go generate in shared/orgname after changing anything in data/.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname/internal/gen"
)

func main() {
	data := flag.String("data", "data", "directory holding the data files")
	out := flag.String("out", "tables.go", "Go file to write")
	flag.Parse()
	src, err := gen.Generate(*data)
	if err == nil {
		err = os.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gentables:", err)
		os.Exit(1)
	}
}
