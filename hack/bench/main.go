// Command bench measures kubectl-tenant against the tools it replaces, in
// one run on one machine, and checks the ratios DESIGN.md sets as targets.
// `make bench` runs it; it exits non-zero when a target is missed.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/kubectl-tenant", "the kubectl-tenant binary to measure")
	runs := flag.Int("runs", 5, "runs per command; the median is reported")
	authenticator := flag.String("authenticator", "", "the aws-iam-authenticator binary, an anchor of the token figures")
	only := flag.String("only", "", "run only these groups, comma-separated: kubeconfig, grant, aws-auth, token, story, apply, list, capa, workload, everyday")
	flag.Parse()
	selected = func(name string) bool { return *only == "" || slices.Contains(strings.Split(*only, ","), name) }
	if err := run(*bin, *authenticator, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// selected reports whether a group of figures is to be measured.
var selected func(name string) bool

func run(bin, authenticator string, runs int) error {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return fmt.Errorf("kubectl not found on PATH: it is the anchor the kubeconfig figures are measured against")
	}
	dir, err := os.MkdirTemp("", "kubectl-tenant-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	r := &report{}
	for _, b := range []struct {
		name string
		run  func() error
	}{
		{"kubeconfig", func() error { return benchKubeconfig(r, abs, kubectl, dir, runs) }},
		{"grant", func() error { return benchGrant(r, abs, dir) }},
		{"aws-auth", func() error { return benchAWSAuth(r, abs, dir) }},
		{"token", func() error { return benchToken(r, abs, authenticator, dir) }},
		{"story", func() error { return benchStory(r, abs, dir) }},
		{"apply", func() error { return benchApply(r, abs, dir) }},
		{"list", func() error { return benchList(r, abs, dir) }},
		{"capa", func() error { return benchCAPA(r, abs, dir) }},
		{"workload", func() error { return benchWorkload(r, abs, dir) }},
		{"everyday", func() error { return benchEveryday(r, abs, kubectl, dir) }},
	} {
		if !selected(b.name) {
			continue
		}
		if err := b.run(); err != nil {
			return err
		}
	}
	r.print(os.Stdout)
	if missed := r.missed(); len(missed) > 0 {
		return fmt.Errorf("targets missed: %s", strings.Join(missed, "; "))
	}
	return nil
}

// measurement is the median wall time of runs.
type measurement struct {
	wall time.Duration
}

// measure runs a command several times and returns the median wall time.
// prepare runs before each run, untimed.
func measure(runs int, prepare func() error, name string, args []string, env []string) (measurement, error) {
	var walls []time.Duration
	for range runs {
		if prepare != nil {
			if err := prepare(); err != nil {
				return measurement{}, err
			}
		}
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = nil, &stderr // stdout to /dev/null
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return measurement{}, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(shorten(args), " "), err, stderr.String())
		}
		walls = append(walls, time.Since(start))
	}
	return measurement{wall: median(walls)}, nil
}

// peakRSS runs a command several times under GNU time and returns the
// largest peak resident set size, in bytes.
//
// The peak wait4 reports for a child of the bench is not the child's
// own: Go's os/exec starts a process sharing the bench's memory until it
// execs (vfork), and the kernel counts the peak of that memory, the
// bench's with all its generated inputs, as the child's. GNU time starts
// the command with fork from a process of a few hundred KiB.
func peakRSS(runs int, prepare func() error, name string, args []string, env []string) (int64, error) {
	gnuTime := "/usr/bin/time"
	if _, err := os.Stat(gnuTime); err != nil {
		return 0, fmt.Errorf("%s (GNU time) measures peak memory: install it (apt-get install time)", gnuTime)
	}
	out, err := os.CreateTemp("", "kubectl-tenant-bench-rss-")
	if err != nil {
		return 0, err
	}
	out.Close()
	defer os.Remove(out.Name())
	var peak int64
	for range runs {
		if prepare != nil {
			if err := prepare(); err != nil {
				return 0, err
			}
		}
		cmd := exec.Command(gnuTime, append([]string{"-f", "%M", "-o", out.Name(), name}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(shorten(args), " "), err, stderr.String())
		}
		data, err := os.ReadFile(out.Name())
		if err != nil {
			return 0, err
		}
		kib, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("GNU time wrote %q: %v", data, err)
		}
		peak = max(peak, kib<<10)
	}
	return peak, nil
}

// median is the middle of some durations.
func median(walls []time.Duration) time.Duration {
	sorted := slices.Clone(walls)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

func shorten(args []string) []string {
	if len(args) <= 8 {
		return args
	}
	return append(append([]string(nil), args[:6]...), fmt.Sprintf("... (%d more)", len(args)-6))
}

// report is the table of figures.
type report struct {
	rows []row
}

type row struct {
	figure, ours, anchor, result, target string
	ok                                   bool
	short                                string // by how much a missed target is missed
}

// ratio adds a row comparing our time with an anchor's; want is the
// least acceptable anchor/ours ratio.
func (r *report) ratio(figure string, ours, anchor time.Duration, anchorName string, want float64) {
	got := float64(anchor) / float64(ours)
	r.rows = append(r.rows, row{
		figure: figure,
		ours:   ms(ours),
		anchor: ms(anchor) + " (" + anchorName + ")",
		result: fmt.Sprintf("%.1fx faster", got),
		target: fmt.Sprintf(">= %.0fx", want),
		ok:     got >= want,
		short:  fmt.Sprintf("%.1fx short", want-got),
	})
}

// limit adds a row checking a figure against an upper bound.
func (r *report) limit(figure string, got, limit int64, unit string, scale int64) {
	r.rows = append(r.rows, row{
		figure: figure,
		ours:   fmt.Sprintf("%d %s", got/scale, unit),
		anchor: "-",
		result: fmt.Sprintf("%d %s", got/scale, unit),
		target: fmt.Sprintf("< %d %s", limit/scale, unit),
		ok:     got < limit,
		short:  fmt.Sprintf("%d %s over", (got-limit)/scale, unit),
	})
}

// limitDuration adds a row checking a time against an upper bound.
func (r *report) limitDuration(figure string, got, limit time.Duration) {
	r.rows = append(r.rows, row{figure: figure, ours: ms(got), anchor: "-", result: ms(got),
		target: "< " + ms(limit), ok: got < limit, short: ms(got-limit) + " over"})
}

// limitCount adds a row checking a count against an upper bound.
func (r *report) limitCount(figure string, got, limit int) {
	r.rows = append(r.rows, row{figure: figure, ours: fmt.Sprint(got), anchor: "-", result: fmt.Sprint(got),
		target: fmt.Sprintf("< %d", limit), ok: got < limit})
}

// exact adds a row checking a count is exactly what it must be.
func (r *report) exact(figure string, got, want int) {
	r.rows = append(r.rows, row{figure: figure, ours: fmt.Sprint(got), anchor: "-", result: fmt.Sprint(got),
		target: fmt.Sprintf("= %d", want), ok: got == want})
}

// info adds a row without a target.
func (r *report) info(figure, ours, anchor, result string) {
	r.rows = append(r.rows, row{figure: figure, ours: ours, anchor: anchor, result: result, target: "-", ok: true})
}

func (r *report) print(f *os.File) {
	w := tabwriter.NewWriter(f, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "FIGURE\tKUBECTL-TENANT\tANCHOR\tRESULT\tTARGET\tMET")
	for _, x := range r.rows {
		met := "yes"
		if !x.ok {
			met = "NO"
		}
		if x.target == "-" {
			met = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", x.figure, x.ours, x.anchor, x.result, x.target, met)
	}
	_ = w.Flush()
}

func (r *report) missed() []string {
	var out []string
	for _, x := range r.rows {
		if !x.ok {
			out = append(out, x.figure+": "+x.result+", target "+x.target+" ("+x.short+")")
		}
	}
	return out
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
