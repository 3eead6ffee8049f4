package main

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// settle is how long the server gets after the sessions close before its
// footprint is read again, so that what it still holds is held for good.
const settle = 500 * time.Millisecond

// runScenario runs one scenario: it opens the workers' sessions, lets them
// loop until cfg.duration has passed or cfg.maxRequests were sent, closes
// the sessions, and checks that the fake GitHub saw each user's token for
// each call that returned that user's account.
func (e *env) runScenario(ctx context.Context, sc scenario) scenarioResult {
	e.gh.Reset()
	for _, u := range e.users {
		u.ok.Store(0)
	}
	e.pool.CloseIdleConnections()
	res := scenarioResult{Scenario: sc.name, Before: e.sample(ctx)}
	workers, total := e.connectWorkers(ctx, sc)
	res.Workers = len(workers)

	var claimed atomic.Int64
	srvCPU, _ := e.srv.cpuSeconds()
	selfCPU := selfCPUSeconds()
	deadline := time.Now().Add(e.cfg.duration)
	start := time.Now()
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.loop(ctx, w, sc.ops, deadline, &claimed)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	srvCPUAfter, _ := e.srv.cpuSeconds()
	srvCPU, selfCPU = srvCPUAfter-srvCPU, selfCPUSeconds()-selfCPU

	for _, w := range workers {
		w.c.Close()
		total.merge(w.t)
	}
	e.checkTokens(&total)
	// Idle keep-alive connections hold a goroutine and a descriptor in
	// the server; closing them leaves what the sessions left behind.
	e.pool.CloseIdleConnections()
	select {
	case <-time.After(settle):
	case <-ctx.Done():
	}
	res.After = e.sample(context.WithoutCancel(ctx))

	res.Requests = total.requests()
	res.Errors = total.errors()
	res.ErrorsByKind, res.ErrorSamples = total.errs, total.samples
	if res.ErrorsByKind == nil {
		res.ErrorsByKind = map[string]int{} // {} rather than null in JSON
	}
	res.Seconds = math.Round(elapsed.Seconds()*1000) / 1000
	if elapsed > 0 {
		res.Throughput = math.Round(float64(res.Requests)/elapsed.Seconds()*10) / 10
	}
	res.LatencyMS = total.summarize()
	if len(total.byOp) > 1 {
		res.LatencyByOp = map[string]latency{}
		for name, l := range total.byOp {
			res.LatencyByOp[name] = summarize(l)
		}
	}
	if res.Requests > 0 {
		res.ServerCPUPerReqMS = math.Round(srvCPU/float64(res.Requests)*1e5) / 100
		res.DriverCPUPerReqMS = math.Round(selfCPU/float64(res.Requests)*1e5) / 100
	}
	if elapsed > 0 {
		res.ServerCores = math.Round(srvCPU/elapsed.Seconds()*100) / 100
	}
	return res
}

// loop repeats ops for w until the deadline passes, the scenario's request
// budget is used up or ctx ends. A request cut short by ctx (an interrupt)
// is not counted; one still running at the deadline finishes and counts.
func (e *env) loop(ctx context.Context, w *worker, ops []op, deadline time.Time, claimed *atomic.Int64) {
	for i := 0; ctx.Err() == nil && time.Now().Before(deadline); i++ {
		if claimed.Add(1) > int64(e.cfg.maxRequests) {
			return
		}
		rctx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
		start := time.Now()
		op := ops[i%len(ops)]
		err := op.do(rctx, w)
		took := time.Since(start)
		cancel()
		if ctx.Err() != nil {
			return
		}
		w.t.record(op.name, took, err)
	}
}

// checkTokens compares the fake GitHub's record with the calls: every call
// that returned a user's account must have reached GitHub with that user's
// token, and no request may carry a token of no user.
func (e *env) checkTokens(t *tally) {
	seen := map[string]int{}
	for _, r := range e.gh.Requests() {
		if r.Path == "/user" {
			seen[r.Token]++
		}
	}
	for _, u := range e.users {
		if want, got := u.ok.Load(), int64(seen[u.token]); got < want {
			t.failN(fail("token_unseen", "user %s: %d calls returned its account, GitHub saw its token %d times", u.id, want, got), int(want-got))
		}
		delete(seen, u.token)
	}
	for _, n := range seen {
		t.failN(fail("token_unknown", "GitHub saw a token of no user %d times", n), n)
	}
	e.gh.Reset()
}

// String names a scenario result in progress messages.
func (r scenarioResult) String() string {
	return fmt.Sprintf("%s: %d requests, %d errors, %.1f req/s", r.Scenario, r.Requests, r.Errors, r.Throughput)
}
