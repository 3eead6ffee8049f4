package main

import (
	"context"
	"io"
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
