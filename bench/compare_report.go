package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
)

// compareReport is the outcome of a compare run.
type compareReport struct {
	Date     string        `json:"date"`
	Machine  string        `json:"machine"`
	Command  string        `json:"command"`
	Rounds   int           `json:"rounds"`
	Duration string        `json:"duration_per_run"`
	Users    int           `json:"users"`
	Out      string        `json:"out"`
	Cells    []cellSummary `json:"cells"`
	Idle     []idleResult  `json:"idle,omitempty"`
	Profiles []string      `json:"profile_summaries,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
}

// cellSummary is one cell over every round.
type cellSummary struct {
	Cell        string              `json:"cell"`
	Concurrency int                 `json:"concurrency"`
	Contenders  []contenderSummary  `json:"contenders"`
	Against     []comparisonSummary `json:"switchboard_against"`
	Note        string              `json:"note,omitempty"`
}

// contenderSummary is one contender's medians over the rounds, and every
// round's figures.
type contenderSummary struct {
	Target string      `json:"target"`
	Op     string      `json:"op"`
	Median runResult   `json:"median"`
	Rounds []runResult `json:"rounds"`
}

// comparisonSummary compares Switchboard with one other contender of the
// cell, round by round (each round's two runs were neighbours in time),
// and gives the median of those per-round comparisons.
type comparisonSummary struct {
	Target          string    `json:"target"`
	Op              string    `json:"op"`
	ThroughputRatio float64   `json:"throughput_ratio"` // Switchboard's req/s over theirs
	P50AddedUS      float64   `json:"p50_added_us"`     // Switchboard's p50 minus theirs
	P99AddedUS      float64   `json:"p99_added_us"`
	CPURatio        float64   `json:"server_cpu_ratio,omitempty"` // Switchboard's CPU per request over theirs
	PerRoundRatio   []float64 `json:"throughput_ratio_by_round"`
}

// summarizeCell turns the rounds of a cell into medians and comparisons.
func summarizeCell(c cell, rounds [][]runResult) cellSummary {
	s := cellSummary{Cell: c.name, Concurrency: c.concurrency, Note: c.note}
	for i, k := range c.contenders {
		s.Contenders = append(s.Contenders, contenderSummary{Target: k.target, Op: k.op, Median: medianRun(rounds[i]), Rounds: rounds[i]})
	}
	for i := 1; i < len(c.contenders); i++ {
		s.Against = append(s.Against, compareRounds(c.contenders[i].target, c.contenders[i].op, rounds[0], rounds[i]))
	}
	return s
}

// compareRounds compares the runs a with the runs b (target and op name
// b), round by round, and gives the medians of the per-round comparisons.
func compareRounds(target, op string, a, b []runResult) comparisonSummary {
	cmp := comparisonSummary{Target: target, Op: op}
	var ratio, p50, p99, cpu []float64
	for r := range min(len(a), len(b)) {
		x, y := a[r], b[r]
		if y.Throughput > 0 {
			ratio = append(ratio, round(x.Throughput/y.Throughput, 3))
		}
		p50 = append(p50, x.P50us-y.P50us)
		p99 = append(p99, x.P99us-y.P99us)
		if y.ServerCPUus > 0 {
			cpu = append(cpu, x.ServerCPUus/y.ServerCPUus)
		}
	}
	cmp.PerRoundRatio = ratio
	cmp.ThroughputRatio = round(median(ratio), 2)
	cmp.P50AddedUS = round(median(p50), 0)
	cmp.P99AddedUS = round(median(p99), 0)
	cmp.CPURatio = round(median(cpu), 2)
	return cmp
}

// medianRun is the median of each figure over the rounds.
func medianRun(rs []runResult) runResult {
	pick := func(f func(runResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return median(v)
	}
	m := runResult{
		Throughput:    round(pick(func(r runResult) float64 { return r.Throughput }), 1),
		P50us:         round(pick(func(r runResult) float64 { return r.P50us }), 1),
		P90us:         round(pick(func(r runResult) float64 { return r.P90us }), 1),
		P99us:         round(pick(func(r runResult) float64 { return r.P99us }), 1),
		ServerCPUus:   round(pick(func(r runResult) float64 { return r.ServerCPUus }), 1),
		DriverCPUus:   round(pick(func(r runResult) float64 { return r.DriverCPUus }), 1),
		AllocsPerReq:  round(pick(func(r runResult) float64 { return r.AllocsPerReq }), 1),
		AllocKBPerReq: round(pick(func(r runResult) float64 { return r.AllocKBPerReq }), 2),
		RSSKB:         int64(pick(func(r runResult) float64 { return float64(r.RSSKB) })),
	}
	for _, r := range rs {
		m.Requests += r.Requests
		m.Errors += r.Errors
		m.Workers = max(m.Workers, r.Workers)
		for k, n := range r.ErrorsByKind {
			if m.ErrorsByKind == nil {
				m.ErrorsByKind, m.ErrorSamples = map[string]int{}, map[string]string{}
			}
			m.ErrorsByKind[k] += n
			m.ErrorSamples[k] = r.ErrorSamples[k]
		}
	}
	return m
}

// median of v; 0 when empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// writeTable writes the report as plain text.
func (r *compareReport) writeTable(w io.Writer) {
	fmt.Fprintf(w, "compare: %s on %s\n%s\n", r.Date, r.Machine, r.Command)
	fmt.Fprintf(w, "%d rounds, %s per run, contenders interleaved (order rotating); medians over rounds; requests counted over all rounds\n\n", r.Rounds, r.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cell\tc\ttarget\top\treq/s\tp50 µs\tp90 µs\tp99 µs\tsrv CPU µs/req\tallocs/req\talloc KiB/req\tdrv CPU µs/req\trequests\terrors\t")
	for _, c := range r.Cells {
		for _, k := range c.Contenders {
			m := k.Median
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\t%s\t%.0f\t%d\t%d\t\n",
				c.Cell, c.Concurrency, k.Target, k.Op, m.Throughput, m.P50us, m.P90us, m.P99us,
				orDash(m.ServerCPUus, "%.0f"), orDash(m.AllocsPerReq, "%.0f"), orDash(m.AllocKBPerReq, "%.1f"), m.DriverCPUus, m.Requests, m.Errors)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, c := range r.Cells {
		for _, a := range c.Against {
			fmt.Fprintf(w, "%s c=%d: switchboard vs %s %s: throughput %.2f× (by round %v), p50 %+.0f µs, p99 %+.0f µs",
				c.Cell, c.Concurrency, a.Target, a.Op, a.ThroughputRatio, a.PerRoundRatio, a.P50AddedUS, a.P99AddedUS)
			if a.CPURatio > 0 {
				fmt.Fprintf(w, ", server CPU/req %.2f×", a.CPURatio)
			}
			fmt.Fprintln(w)
		}
		if c.Note != "" {
			fmt.Fprintf(w, "%s c=%d: %s\n", c.Cell, c.Concurrency, c.Note)
		}
		for _, k := range c.Contenders {
			for _, kind := range sortedKeys(k.Median.ErrorsByKind) {
				fmt.Fprintf(w, "  %s %s errors: %d × %s, e.g. %s\n", c.Cell, k.Target, k.Median.ErrorsByKind[kind], kind, k.Median.ErrorSamples[kind])
			}
		}
	}
	if len(r.Idle) > 0 {
		fmt.Fprintln(w)
		writeIdle(w, r.Idle)
	}
	goals := r.goals()
	if len(goals) > 0 {
		fmt.Fprintln(w, "\nissue 11's goals, from this run:")
		for _, g := range goals {
			fmt.Fprintln(w, "  "+g)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note: "+n)
	}
	if len(r.Profiles) > 0 {
		fmt.Fprintf(w, "\nCPU profiles and their pprof summaries in %s:\n", r.Out)
		for _, p := range r.Profiles {
			fmt.Fprintln(w, "  "+p)
		}
	}
}

func orDash(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// against finds Switchboard's comparison with target in a cell.
func (r *compareReport) against(cellName string, concurrency int, target string) (comparisonSummary, bool) {
	for _, c := range r.Cells {
		if c.Cell != cellName || c.Concurrency != concurrency {
			continue
		}
		for _, a := range c.Against {
			if a.Target == target {
				return a, true
			}
		}
	}
	return comparisonSummary{}, false
}

// between compares two contenders of a cell, neither of them Switchboard,
// as summarizeCell compares Switchboard with each: a over b, round by
// round, medians.
func (r *compareReport) between(cellName string, concurrency int, a, b string) (comparisonSummary, bool) {
	for _, c := range r.Cells {
		if c.Cell != cellName || c.Concurrency != concurrency {
			continue
		}
		var ka, kb *contenderSummary
		for i := range c.Contenders {
			switch c.Contenders[i].Target {
			case a:
				ka = &c.Contenders[i]
			case b:
				kb = &c.Contenders[i]
			}
		}
		if ka == nil || kb == nil {
			return comparisonSummary{}, false
		}
		return compareRounds(b, kb.Op, ka.Rounds, kb.Rounds), true
	}
	return comparisonSummary{}, false
}

// budget says how much server CPU per request a rate of times the
// TypeScript SDK's leaves in a cell, where the driver shares the machine's
// cores with the server: at that rate the cores give each request
// cores/rate of CPU, the driver takes what it took per Switchboard request
// in this run, and the server may have the rest. It is an upper bound (no
// machine keeps its cores fully busy) set beside what each contender spent.
func (r *compareReport) budget(cellName string, concurrency int, times float64) (string, bool) {
	for _, c := range r.Cells {
		if c.Cell != cellName || c.Concurrency != concurrency {
			continue
		}
		med := map[string]runResult{}
		for _, k := range c.Contenders {
			med[k.Target] = k.Median
		}
		sdk, sb := med["typescript-sdk"], med["switchboard"]
		if sdk.Throughput <= 0 || sb.DriverCPUus <= 0 {
			return "", false
		}
		rate := times * sdk.Throughput
		left := float64(runtime.NumCPU())*1e6/rate - sb.DriverCPUus
		s := fmt.Sprintf("budget: at %.0f calls/s (%.0f× the SDK's %.0f) the %d cores give each call %.0f µs of CPU; the driver takes %.0f of it, which leaves the server at most %.0f µs;",
			rate, times, sdk.Throughput, runtime.NumCPU(), left+sb.DriverCPUus, sb.DriverCPUus, left)
		for _, t := range []string{"switchboard", "mcp-go", "net/http"} {
			if m, ok := med[t]; ok && m.ServerCPUus > 0 {
				s += fmt.Sprintf(" %s spent %.0f,", t, m.ServerCPUus)
			}
		}
		return strings.TrimSuffix(s, ",") + " (server CPU per call)", true
	}
	return "", false
}

// reachable says whether a floor leaves a goal within reach of any server
// built on it.
func reachable(ok bool) string {
	if ok {
		return "within reach"
	}
	return "out of reach of any server on net/http here"
}

// goals states issue 11's targets against this run's figures.
func (r *compareReport) goals() []string {
	var out []string
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	high := 0
	for _, c := range r.Cells {
		if c.Cell == "list_accounts" && c.Concurrency > high {
			high = c.Concurrency
		}
	}
	if a, ok := r.against("list_accounts", high, "mcp-go"); ok {
		out = append(out, fmt.Sprintf("list_accounts c=%d at least 0.8× mcp-go: %.2f× — %s", high, a.ThroughputRatio, met(a.ThroughputRatio >= 0.8)))
	}
	if a, ok := r.against("list_accounts", 1, "mcp-go"); ok {
		out = append(out, fmt.Sprintf("list_accounts c=1 p50 at most 100 µs above mcp-go: %+.0f µs — %s", a.P50AddedUS, met(a.P50AddedUS <= 100)))
	}
	if a, ok := r.against("toolkit", 1, "fake-github"); ok {
		out = append(out, fmt.Sprintf("toolkit call adds at most 150 µs p50 over calling the fake directly: %+.0f µs — %s", a.P50AddedUS, met(a.P50AddedUS <= 150)))
		if f, ok := r.between("toolkit", 1, "net/http", "fake-github"); ok {
			out = append(out, fmt.Sprintf("  floor: a bare net/http proxy in front of the fake adds %+.0f µs p50 — %s", f.P50AddedUS, reachable(f.P50AddedUS <= 150)))
		}
	}
	if a, ok := r.against("list_accounts", high, "typescript-sdk"); ok {
		out = append(out, fmt.Sprintf("list_accounts c=%d at least 3× the TypeScript SDK's bare server: %.2f× — %s", high, a.ThroughputRatio, met(a.ThroughputRatio >= 3)))
		if f, ok := r.between("list_accounts", high, "mcp-go", "typescript-sdk"); ok {
			out = append(out, fmt.Sprintf("  ceiling: bare mcp-go reaches %.2f× the SDK", f.ThroughputRatio))
		}
		if f, ok := r.between("list_accounts", high, "net/http", "typescript-sdk"); ok {
			out = append(out, fmt.Sprintf("  floor: a bare net/http handler with a fixed answer reaches %.2f× the SDK — %s", f.ThroughputRatio, reachable(f.ThroughputRatio >= 3)))
		}
		if b, ok := r.budget("list_accounts", high, 3); ok {
			out = append(out, "  "+b)
		}
	}
	for _, i := range r.Idle {
		if i.Target == "switchboard" && i.Sessions > 0 {
			out = append(out, fmt.Sprintf("%d idle sessions in at most 150 MB RSS: %.0f MB — %s", i.Sessions, float64(i.RSSSessionsKB)/1000*1.024, met(float64(i.RSSSessionsKB)*1024 <= 150e6)))
			if i.RSSStreamsKB > 0 {
				out = append(out, fmt.Sprintf("  the same sessions each with an open GET stream: %.0f MB — %s", float64(i.RSSStreamsKB)/1000*1.024, met(float64(i.RSSStreamsKB)*1024 <= 150e6)))
			}
		}
	}
	return out
}

// machine describes where the run happened.
func machine() string {
	host, _ := os.Hostname()
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	s := fmt.Sprintf("%d cores (%s/%s, %s)", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if model != "" {
		s += ", " + model
	}
	if host != "" {
		s += ", host " + host
	}
	return s
}

// commandLine is how the driver was started, for the report.
func commandLine() string {
	return "go run ./bench " + strings.Join(os.Args[1:], " ")
}
