// promlint: the linter of `promtool check metrics` (client_golang's
// testutil/promlint, the same code promtool runs), over a Prometheus text
// exposition on stdin. Prints each problem and exits 1 if there is any.
//
// Why this and not Debian's `prometheus` package (which ships promtool):
// that package installs and starts a Prometheus server and needs root; CI
// has Go (it builds wasmd from the module proxy) and no apt, so a
// 30-line module of ours built from the Go module proxy is the lighter
// way to run the very same checks.
package main

import (
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

func main() {
	problems, err := promlint.New(os.Stdin).Lint()
	if err != nil {
		fmt.Fprintf(os.Stderr, "promlint: cannot parse the exposition: %v\n", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Printf("%s: %s\n", p.Metric, p.Text)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}
