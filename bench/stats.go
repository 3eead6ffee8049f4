package main

import (
	"errors"
	"math"
	"slices"
	"time"
)

// tally is what one worker saw: the latency of every request that got an
// answer or failed, by op, and failures by kind with one example each. It
// is not safe for concurrent use; each worker has its own, merged at the
// end.
type tally struct {
	byOp    map[string][]time.Duration
	errs    map[string]int
	samples map[string]string
}

// record accounts for one request of op that took d and ended with err.
func (t *tally) record(op string, d time.Duration, err error) {
	if t.byOp == nil {
		t.byOp = map[string][]time.Duration{}
	}
	t.byOp[op] = append(t.byOp[op], d)
	if err != nil {
		t.fail(err)
	}
}

// fail counts a failure without a request latency (a session that could
// not be opened, a token the fake GitHub did not see).
func (t *tally) fail(err error) { t.failN(err, 1) }

func (t *tally) failN(err error, n int) {
	f := new(failure)
	if !errors.As(err, &f) {
		f = fail("other", "%v", err)
	}
	if t.errs == nil {
		t.errs, t.samples = map[string]int{}, map[string]string{}
	}
	t.errs[f.kind] += n
	if _, ok := t.samples[f.kind]; !ok {
		t.samples[f.kind] = f.detail
	}
}

// merge adds o's counts to t.
func (t *tally) merge(o tally) {
	for op, l := range o.byOp {
		if t.byOp == nil {
			t.byOp = map[string][]time.Duration{}
		}
		t.byOp[op] = append(t.byOp[op], l...)
	}
	for kind, n := range o.errs {
		t.failN(&failure{kind: kind, detail: o.samples[kind]}, n)
	}
}

// requests counts every recorded request.
func (t *tally) requests() int {
	n := 0
	for _, l := range t.byOp {
		n += len(l)
	}
	return n
}

// errors counts every failure.
func (t *tally) errors() int {
	n := 0
	for _, c := range t.errs {
		n += c
	}
	return n
}

// latency is a distribution summary in milliseconds.
type latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// summarize returns the latency percentiles of every request.
func (t *tally) summarize() latency {
	var all []time.Duration
	for _, l := range t.byOp {
		all = append(all, l...)
	}
	return summarize(all)
}

// summarize returns the percentiles of l (nearest rank).
func summarize(l []time.Duration) latency {
	l = slices.Clone(l)
	if len(l) == 0 {
		return latency{}
	}
	slices.Sort(l)
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(l)))) - 1
		return ms(l[max(i, 0)])
	}
	return latency{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: ms(l[len(l)-1])}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }
