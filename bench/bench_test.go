package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestDriverRunsCallScenario runs the whole driver small: the built binary,
// two users connected through the real flow, two workers calling for a
// second. Every call must have acted as the worker's own user's account.
func TestDriverRunsCallScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the switchboard binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := config{
		users: 2, concurrency: 2, duration: time.Second,
		maxRequests: 1_000_000, timeout: 10 * time.Second, scenarios: []string{"call"},
	}
	rep, err := run(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Scenarios) != 1 {
		t.Fatalf("%d scenario results, want 1", len(rep.Scenarios))
	}
	got := rep.Scenarios[0]
	if got.Workers != 2 {
		t.Errorf("%d workers connected, want 2", got.Workers)
	}
	if got.Requests == 0 {
		t.Errorf("no requests counted")
	}
	if got.Errors != 0 {
		t.Errorf("%d errors: %v, e.g. %v", got.Errors, got.ErrorsByKind, got.ErrorSamples)
	}
	if got.Before.RSSKB == 0 || got.After.RSSKB == 0 {
		t.Errorf("server RSS not read: before %d kB, after %d kB", got.Before.RSSKB, got.After.RSSKB)
	}
}

func TestLatencyPercentilesByNearestRank(t *testing.T) {
	var tl tally
	for i := 1; i <= 100; i++ {
		tl.record("call", time.Duration(i)*time.Millisecond, nil)
	}
	tl.record("list", 0, fail("timeout", "x")) // failed requests count too
	got := tl.summarize()
	want := latency{P50: 50, P90: 90, P99: 99, Max: 100}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if n := tl.errors(); n != 1 {
		t.Errorf("errors = %d, want 1", n)
	}
}

// TestCompareModeRunsSmall runs the compare mode small: every cell once
// for a moment, without profiles, and a few idle sessions. Every request
// must have been answered as expected, and every comparison made.
func TestCompareModeRunsSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs switchboard, the mcp-go ceiling and, when installed, the TypeScript server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := config{
		users: 2, concurrency: 2, duration: 200 * time.Millisecond, maxRequests: 1_000_000, timeout: 10 * time.Second,
		compare: true, rounds: 1, out: t.TempDir(), idleSessions: 5, idleStreams: true, idleSettle: 10 * time.Millisecond,
	}
	rep, err := runCompare(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cells) != 5 {
		t.Fatalf("%d cells, want 5", len(rep.Cells))
	}
	for _, c := range rep.Cells {
		for _, k := range c.Contenders {
			if m := k.Median; m.Requests == 0 || m.Errors != 0 {
				t.Errorf("%s c=%d %s: %d requests, %d errors %v %v", c.Cell, c.Concurrency, k.Target, m.Requests, m.Errors, m.ErrorsByKind, m.ErrorSamples)
			}
		}
		if len(c.Against) != len(c.Contenders)-1 {
			t.Errorf("%s c=%d: %d comparisons for %d contenders", c.Cell, c.Concurrency, len(c.Against), len(c.Contenders))
		}
	}
	for _, i := range rep.Idle {
		if i.Sessions != 5 || i.Streams != 5 || i.RSSSessionsKB == 0 {
			t.Errorf("idle %s: %d sessions, %d streams, RSS %d kB", i.Target, i.Sessions, i.Streams, i.RSSSessionsKB)
		}
	}
	if len(rep.Idle) < 2 {
		t.Errorf("idle figures of %d servers, want switchboard and mcp-go at least", len(rep.Idle))
	}
}

func TestComparisonsPairRunsOfTheSameRound(t *testing.T) {
	c := cell{name: "list_accounts", concurrency: 16, contenders: []contender{{target: "switchboard"}, {target: "mcp-go"}}}
	sb := []runResult{{Throughput: 100, P50us: 900}, {Throughput: 300, P50us: 500}, {Throughput: 200, P50us: 700}}
	ref := []runResult{{Throughput: 1000, P50us: 100}, {Throughput: 600, P50us: 300}, {Throughput: 400, P50us: 200}}
	s := summarizeCell(c, [][]runResult{sb, ref})
	if got := s.Contenders[0].Median.Throughput; got != 200 {
		t.Errorf("median throughput %v, want 200", got)
	}
	a := s.Against[0]
	// Per round: 0.1, 0.5, 0.5 → median 0.5; the ratio of the medians
	// (200/600) would say 0.33 and hide that the rounds agree.
	if a.ThroughputRatio != 0.5 {
		t.Errorf("throughput ratio %v, want 0.5 (median of per-round ratios)", a.ThroughputRatio)
	}
	if a.P50AddedUS != 500 {
		t.Errorf("p50 added %v µs, want 500", a.P50AddedUS)
	}
}

// TestFloorsCompareTheirOwnRounds: between pairs two references round by
// round, as Switchboard is paired with each, and is false for a missing one.
func TestFloorsCompareTheirOwnRounds(t *testing.T) {
	c := cell{name: "list_accounts", concurrency: 16, contenders: []contender{{target: "switchboard"}, {target: "net/http", op: "POST /raw"}, {target: "typescript-sdk", op: "echo"}}}
	sb := []runResult{{Throughput: 1}, {Throughput: 1}, {Throughput: 1}}
	floor := []runResult{{Throughput: 900, P50us: 100}, {Throughput: 300, P50us: 200}, {Throughput: 800, P50us: 150}}
	sdk := []runResult{{Throughput: 300, P50us: 400}, {Throughput: 150, P50us: 350}, {Throughput: 400, P50us: 300}}
	r := &compareReport{Cells: []cellSummary{summarizeCell(c, [][]runResult{sb, floor, sdk})}}
	f, ok := r.between("list_accounts", 16, "net/http", "typescript-sdk")
	if !ok {
		t.Fatal("no comparison between net/http and typescript-sdk")
	}
	// Per round 3, 2, 2 → 2; p50 -300, -150, -150 → -150.
	if f.ThroughputRatio != 2 || f.P50AddedUS != -150 || f.Target != "typescript-sdk" {
		t.Errorf("between = %+v, want 2× and -150 µs against typescript-sdk", f)
	}
	if _, ok := r.between("list_accounts", 16, "net/http", "mcp-go"); ok {
		t.Error("a comparison with a contender the cell does not have")
	}
	if _, ok := r.between("list_accounts", 1, "net/http", "typescript-sdk"); ok {
		t.Error("a comparison in a cell the report does not have")
	}
}

// TestBudgetLeavesTheServerWhatTheDriverDoesNotTake: at 3× the SDK's
// median rate, each call gets cores/rate of CPU, less the driver's median
// CPU per Switchboard call.
func TestBudgetLeavesTheServerWhatTheDriverDoesNotTake(t *testing.T) {
	c := cell{name: "list_accounts", concurrency: 16, contenders: []contender{{target: "switchboard"}, {target: "mcp-go"}, {target: "typescript-sdk"}}}
	sb := []runResult{{Throughput: 5000, DriverCPUus: 80, ServerCPUus: 90}}
	ref := []runResult{{Throughput: 6000, ServerCPUus: 85}}
	sdk := []runResult{{Throughput: 1000, ServerCPUus: 300}}
	r := &compareReport{Cells: []cellSummary{summarizeCell(c, [][]runResult{sb, ref, sdk})}}
	got, ok := r.budget("list_accounts", 16, 3)
	if !ok {
		t.Fatal("no budget")
	}
	perCall := float64(runtime.NumCPU()) * 1e6 / 3000
	for _, want := range []string{
		"at 3000 calls/s", fmt.Sprintf("each call %.0f µs", perCall), fmt.Sprintf("at most %.0f µs", perCall-80),
		"switchboard spent 90", "mcp-go spent 85",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("budget %q lacks %q", got, want)
		}
	}
	if _, ok := r.budget("list_accounts", 1, 3); ok {
		t.Error("a budget for a cell the report does not have")
	}
}

func TestLastSSEDataIsTheAnswer(t *testing.T) {
	body := "event: message\ndata: {\"method\":\"notifications/progress\"}\n\nevent: message\r\ndata: {\"id\":1,\"result\":{}}\r\n\r\n"
	if got := string(lastSSEData([]byte(body))); got != `{"id":1,"result":{}}` {
		t.Errorf("lastSSEData = %q", got)
	}
}
