package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"time"
)

// runResult is one contender's figures in one round.
type runResult struct {
	Round        int               `json:"round"`
	Workers      int               `json:"workers"`
	Requests     int               `json:"requests"`
	Errors       int               `json:"errors"`
	ErrorsByKind map[string]int    `json:"errors_by_kind,omitempty"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	Seconds      float64           `json:"seconds"`
	Throughput   float64           `json:"requests_per_second"`
	P50us        float64           `json:"p50_us"`
	P90us        float64           `json:"p90_us"`
	P99us        float64           `json:"p99_us"`

	ServerCPUus   float64 `json:"server_cpu_us_per_request,omitempty"` // server CPU time per request
	DriverCPUus   float64 `json:"driver_cpu_us_per_request"`           // the driver's (clients and fake GitHub)
	AllocsPerReq  float64 `json:"allocs_per_request,omitempty"`        // heap allocations per request (Go servers)
	AllocKBPerReq float64 `json:"alloc_kb_per_request,omitempty"`      // heap bytes allocated per request, in KiB
	RSSKB         int64   `json:"rss_kb,omitempty"`                    // server RSS after the run
	Profile       string  `json:"profile,omitempty"`                   // the CPU profile of the run
	ProfileError  string  `json:"profile_error,omitempty"`             // why there is none
}

func (r runResult) String() string {
	s := fmt.Sprintf("%.0f req/s, p50 %.0f µs, p99 %.0f µs", r.Throughput, r.P50us, r.P99us)
	if r.ServerCPUus > 0 {
		s += fmt.Sprintf(", server %.0f µs CPU/req", r.ServerCPUus)
	}
	if r.AllocsPerReq > 0 {
		s += fmt.Sprintf(", %.0f allocs/req", r.AllocsPerReq)
	}
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors %v", r.Errors, r.ErrorsByKind)
	}
	if r.ProfileError != "" {
		s += ", no profile: " + r.ProfileError
	}
	return s
}

// runOnce runs one contender of a cell for d and measures it; with profile
// set, it writes the server's CPU profile of the run there.
func (ce *compareEnv) runOnce(ctx context.Context, c cell, k contender, d time.Duration, profile string) runResult {
	ce.hc.CloseIdleConnections()
	var t tally
	probes := openProbes(ctx, k, c.concurrency, &t)
	res := runResult{Workers: len(probes)}
	defer ce.gh.Reset() // the fake keeps every request it saw

	var before, after memStats
	var srvCPU float64
	if k.proc != nil {
		srvCPU, _ = k.proc.cpuSeconds()
		before, _ = k.proc.memStats(ctx, ce.hc)
	}
	var profErr error
	var profWG sync.WaitGroup
	if profile != "" {
		profWG.Add(1)
		go func() {
			defer profWG.Done()
			profErr = k.proc.cpuProfile(ctx, ce.hc, d, profile)
		}()
	}
	selfCPU := selfCPUSeconds()
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	tallies := make([]tally, len(probes))
	for i, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				rctx, cancel := context.WithTimeout(ctx, ce.cfg.timeout)
				t0 := time.Now()
				err := p.do(rctx)
				took := time.Since(t0)
				cancel()
				if ctx.Err() != nil {
					return
				}
				tallies[i].record(k.op, took, err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	selfCPU = selfCPUSeconds() - selfCPU
	profWG.Wait()
	if k.proc != nil {
		after, _ = k.proc.memStats(ctx, ce.hc)
		cpu, _ := k.proc.cpuSeconds()
		srvCPU = cpu - srvCPU
		res.RSSKB, _ = k.proc.rssKB()
	}
	closeProbes(context.WithoutCancel(ctx), probes)

	var all []time.Duration
	for _, tl := range tallies {
		t.merge(tl)
	}
	for _, l := range t.byOp {
		all = append(all, l...)
	}
	res.Requests, res.Errors = len(all), t.errors()
	res.ErrorsByKind, res.ErrorSamples = t.errs, t.samples
	res.Seconds = round(elapsed.Seconds(), 3)
	if elapsed > 0 {
		res.Throughput = round(float64(res.Requests)/elapsed.Seconds(), 1)
	}
	res.P50us, res.P90us, res.P99us = percentileUS(all, 0.50), percentileUS(all, 0.90), percentileUS(all, 0.99)
	if n := float64(res.Requests); n > 0 {
		res.DriverCPUus = round(selfCPU/n*1e6, 1)
		if k.proc != nil {
			res.ServerCPUus = round(srvCPU/n*1e6, 1)
		}
		if after.Mallocs > before.Mallocs {
			res.AllocsPerReq = round(float64(after.Mallocs-before.Mallocs)/n, 1)
			res.AllocKBPerReq = round(float64(after.TotalAlloc-before.TotalAlloc)/n/1024, 2)
		}
	}
	if profile != "" {
		if profErr != nil {
			res.ProfileError = profErr.Error()
		} else {
			res.Profile = profile
		}
	}
	return res
}

// percentileUS is the q-quantile of l (nearest rank) in microseconds.
func percentileUS(l []time.Duration, q float64) float64 {
	if len(l) == 0 {
		return 0
	}
	l = slices.Clone(l)
	slices.Sort(l)
	i := int(math.Ceil(q*float64(len(l)))) - 1
	return round(float64(l[max(i, 0)])/1e3, 1)
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// memStats is what the driver reads of a Go server's runtime.MemStats.
type memStats struct {
	Mallocs    uint64 `json:"Mallocs"`
	TotalAlloc uint64 `json:"TotalAlloc"`
	HeapAlloc  uint64 `json:"HeapAlloc"`
	HeapInuse  uint64 `json:"HeapInuse"`
	Sys        uint64 `json:"Sys"`
}

// memStats reads the server's runtime.MemStats from debugport's expvar.
func (s *serverProc) memStats(ctx context.Context, hc *http.Client) (memStats, error) {
	var v struct {
		Memstats memStats `json:"memstats"`
	}
	if s.debug == "" {
		return v.Memstats, fmt.Errorf("%s has no debug listener", s.name)
	}
	b, err := s.debugGet(ctx, hc, "/debug/vars")
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	return v.Memstats, err
}

// cpuProfile takes a CPU profile of d (rounded up to whole seconds) and
// writes it to path.
func (s *serverProc) cpuProfile(ctx context.Context, hc *http.Client, d time.Duration, path string) error {
	secs := max(1, int(math.Ceil(d.Seconds())))
	b, err := s.debugGet(ctx, hc, "/debug/pprof/profile?seconds="+strconv.Itoa(secs))
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// heapProfile collects garbage in the server, then writes its heap
// profile to path.
func (s *serverProc) heapProfile(ctx context.Context, hc *http.Client, path string) error {
	b, err := s.debugGet(ctx, hc, "/debug/pprof/heap?gc=1")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// goroutines counts the server's goroutines.
func (s *serverProc) goroutines(ctx context.Context, hc *http.Client) (int, error) {
	b, err := s.debugGet(ctx, hc, "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	var n int
	_, err = fmt.Sscanf(string(b), "goroutine profile: total %d", &n)
	return n, err
}

func (s *serverProc) debugGet(ctx context.Context, hc *http.Client, path string) ([]byte, error) {
	if s.debug == "" {
		return nil, fmt.Errorf("%s has no debug listener", s.name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.debug+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s%s answered %s: %.200s", s.debug, path, resp.Status, b)
	}
	return b, err
}

// command is exec.Command for a reference server.
func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = cleanEnv()
	return cmd
}
