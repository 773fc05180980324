package orgname

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// firstCallEnv makes the test binary time one Key call in a fresh process and exit:
// BenchmarkFirstKey runs it to measure what a Lambda cold start pays.
const firstCallEnv = "ORGNAME_FIRST_CALL"

func TestMain(m *testing.M) {
	if os.Getenv(firstCallEnv) != "" {
		start := time.Now()
		k := Key("ＡＣＭＥ Wídgets GmbH & Co. KG")
		elapsed := time.Since(start)
		fmt.Println(elapsed.Nanoseconds(), k)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var benchNames = []struct{ label, name string }{
	{"ascii", "Acme Widgets"},
	{"legal-form", "Acme Widgets GmbH & Co. KG"},
	{"prefix-form", "ООО Acme Widgets"},
	{"unicode", "ＡＣＭＥ\u200b-Wíd\u00adgеts, s.r.o."},
	{"long", "The International Association of Acme Widget Manufacturers and Distributors (Europe) Ltd."},
	{"cjk", "トヨタ自動車株式会社"},
}

var sink string

func BenchmarkKey(b *testing.B) {
	for _, n := range benchNames {
		b.Run(n.label, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = Key(n.name)
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	for _, other := range []string{"Acme Widgets Inc.", "Acme Wigdets", "Initech"} {
		b.Run(strings.ReplaceAll(other, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			var m Match
			for b.Loop() {
				m = Compare("Acme Widgets GmbH", other)
			}
			sink = m.String()
		})
	}
}

// BenchmarkFirstKey reports the first Key call of a fresh process (first-ns/op): the
// tables are static data, so this is page faults and the normalisation tables of
// golang.org/x/text, not a build step.
func BenchmarkFirstKey(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for b.Loop() {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), firstCallEnv+"=1")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("first call: %v", err)
		}
		ns, _, _ := strings.Cut(string(out), " ")
		n, err := strconv.ParseInt(ns, 10, 64)
		if err != nil {
			b.Fatalf("first call printed %q", out)
		}
		total += time.Duration(n)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "first-ns/op")
}
