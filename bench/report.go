package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// report is the outcome of one run, written as a table or as JSON.
type report struct {
	Config    reportConfig     `json:"config"`
	Setup     setupResult      `json:"setup"`
	Scenarios []scenarioResult `json:"scenarios"`
	ServerLog serverLog        `json:"server_log"`
}

// reportConfig echoes the flags that shaped the run.
type reportConfig struct {
	Users       int      `json:"users"`
	Concurrency int      `json:"concurrency"`
	Duration    string   `json:"duration"`
	MaxRequests int      `json:"max_requests"`
	Scenarios   []string `json:"scenarios"`
	Store       string   `json:"store"` // sqlite or postgres
}

// setupResult is the connecting of every user's account.
type setupResult struct {
	Seconds     float64 `json:"seconds"`
	RSSBeforeKB int64   `json:"rss_before_kb"`
	RSSAfterKB  int64   `json:"rss_after_kb"`
}

// scenarioResult is one scenario's figures. Latency covers every counted
// request, failed ones included; errors also count sessions that could not
// be opened and calls whose token the fake GitHub did not see.
type scenarioResult struct {
	Scenario     string             `json:"scenario"`
	Workers      int                `json:"workers"`
	Requests     int                `json:"requests"`
	Errors       int                `json:"errors"`
	ErrorsByKind map[string]int     `json:"errors_by_kind"`
	ErrorSamples map[string]string  `json:"error_samples,omitempty"`
	Seconds      float64            `json:"seconds"`
	Throughput   float64            `json:"requests_per_second"`
	LatencyMS    latency            `json:"latency_ms"`
	LatencyByOp  map[string]latency `json:"latency_ms_by_op,omitempty"` // when the scenario mixes ops

	ServerCores       float64 `json:"server_cpu_cores"`          // server CPU time / wall time of the load
	ServerCPUPerReqMS float64 `json:"server_cpu_ms_per_request"` // server CPU time per request
	DriverCPUPerReqMS float64 `json:"driver_cpu_ms_per_request"` // the driver's (clients and fake GitHub) per request

	Before serverSample `json:"server_before"`
	After  serverSample `json:"server_after"`
}

// writeTable writes the report as plain text.
func (r *report) writeTable(w io.Writer) {
	fmt.Fprintf(w, "switchboard serve on %s, %d users, %d workers, %s per scenario\n", r.Config.Store, r.Config.Users, r.Config.Concurrency, r.Config.Duration)
	fmt.Fprintf(w, "setup: %d accounts connected in %.2fs, RSS %s → %s\n\n",
		r.Config.Users, r.Setup.Seconds, mib(r.Setup.RSSBeforeKB), mib(r.Setup.RSSAfterKB))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\trequests\terrors\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tsrv cores\tsrv cpu ms/req\tdrv cpu ms/req\tRSS before\tRSS after\tgoroutines\tfds\t")
	for _, s := range r.Scenarios {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%d → %d\t%d → %d\t\n",
			s.Scenario, s.Requests, s.Errors, s.Throughput,
			s.LatencyMS.P50, s.LatencyMS.P90, s.LatencyMS.P99, s.LatencyMS.Max,
			s.ServerCores, s.ServerCPUPerReqMS, s.DriverCPUPerReqMS,
			mib(s.Before.RSSKB), mib(s.After.RSSKB),
			s.Before.Goroutines, s.After.Goroutines, s.Before.OpenFDs, s.After.OpenFDs)
	}
	tw.Flush()
	for _, s := range r.Scenarios {
		ops := make([]string, 0, len(s.LatencyByOp))
		for op := range s.LatencyByOp {
			ops = append(ops, op)
		}
		slices.Sort(ops)
		for _, op := range ops {
			l := s.LatencyByOp[op]
			fmt.Fprintf(w, "  %s latency of %s: p50 %.2f, p90 %.2f, p99 %.2f, max %.2f ms\n", s.Scenario, op, l.P50, l.P90, l.P99, l.Max)
		}
		kinds := make([]string, 0, len(s.ErrorsByKind))
		for k := range s.ErrorsByKind {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			fmt.Fprintf(w, "  %s errors: %d × %s, e.g. %s\n", s.Scenario, s.ErrorsByKind[k], k, s.ErrorSamples[k])
		}
	}
	levels := make([]string, 0, len(r.ServerLog.ByLevel))
	for k, n := range r.ServerLog.ByLevel {
		levels = append(levels, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(levels)
	fmt.Fprintf(w, "\nserver log: %d lines (%s)\n", r.ServerLog.Lines, strings.Join(levels, ", "))
	for _, s := range r.ServerLog.Samples {
		fmt.Fprintf(w, "  %s\n", s)
	}
}

// mib formats kilobytes as MiB.
func mib(kb int64) string {
	if kb == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
}
