package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"text/tabwriter"
	"time"
)

// idleResult is what n idle legacy sessions cost a server.
//
// Idle sessions are measured twice: first as sessions only (initialize and
// notifications/initialized, then nothing: what a server keeps for a
// session a client may come back to), then with the GET stream open on
// each, as a desktop client keeps it for server notifications (a held
// connection, and the goroutines and buffers behind it).
type idleResult struct {
	Target         string  `json:"target"`
	Sessions       int     `json:"sessions"`
	Failed         int     `json:"failed"`
	OpenSeconds    float64 `json:"open_seconds"`     // to open every session
	RSSBeforeKB    int64   `json:"rss_before_kb"`    // before the first session
	RSSSessionsKB  int64   `json:"rss_sessions_kb"`  // with every session open
	Streams        int     `json:"streams"`          // GET streams held open
	RSSStreamsKB   int64   `json:"rss_streams_kb"`   // with every stream open, too
	HeapBeforeKB   int64   `json:"heap_before_kb"`   // live Go heap after a GC (Go servers)
	HeapSessionsKB int64   `json:"heap_sessions_kb"` //
	HeapStreamsKB  int64   `json:"heap_streams_kb"`  //
	GoroutinesIdle int     `json:"goroutines_sessions,omitempty"`
	GoroutinesOpen int     `json:"goroutines_streams,omitempty"`
	HeapProfile    string  `json:"heap_profile,omitempty"`
}

// idle opens n legacy sessions on p (Switchboard's spread over the users),
// reads the memory, opens the GET stream of each, reads again, then closes
// the streams. The sessions stay: the process ends with the run.
func (ce *compareEnv) idle(ctx context.Context, p *serverProc, n int, streams bool, progress io.Writer) idleResult {
	res := idleResult{Target: p.name}
	pool := ce.pool.Clone()
	pool.MaxIdleConnsPerHost, pool.MaxIdleConns = 64, 64
	hc := &http.Client{Transport: pool}
	defer pool.CloseIdleConnections()
	read := func(rss *int64, heap *int64, name string) {
		pool.CloseIdleConnections()
		if p.debug != "" {
			// A GC first, so that the heap is what the sessions hold;
			// the heap profile shows what that is.
			path := filepath.Join(ce.out, "profiles", fmt.Sprintf("%s-idle-%s.heap.pprof", p.name, name))
			if err := p.heapProfile(ctx, hc, path); err == nil && name != "before" {
				res.HeapProfile = path
			}
			if ms, err := p.memStats(ctx, hc); err == nil {
				*heap = int64(ms.HeapAlloc / 1024)
			}
		}
		time.Sleep(ce.cfg.idleSettle)
		*rss, _ = p.rssKB()
	}
	read(&res.RSSBeforeKB, &res.HeapBeforeKB, "before")

	fmt.Fprintf(progress, "idle: opening %d legacy sessions on %s\n", n, p.name)
	sessions := make([]*rpcSession, n)
	start := time.Now()
	parallel(ctx, n, 32, func(i int) {
		ep := &rpcEndpoint{hc: hc, url: p.base + "/mcp", header: http.Header{}}
		if p == ce.srv {
			ep.header.Set("Authorization", "Bearer "+ce.key)
			ep.header.Set("X-User-Id", ce.users[i%len(ce.users)].id)
		}
		s, err := ep.initialize(ctx)
		if err == nil {
			sessions[i] = s
		}
	})
	res.OpenSeconds = round(time.Since(start).Seconds(), 2)
	for _, s := range sessions {
		if s == nil {
			res.Failed++
		} else {
			res.Sessions++
		}
	}
	read(&res.RSSSessionsKB, &res.HeapSessionsKB, "sessions")
	res.GoroutinesIdle, _ = p.goroutines(ctx, hc)
	if !streams {
		return res
	}

	fmt.Fprintf(progress, "idle: opening the GET stream of each session on %s\n", p.name)
	// Each stream holds its own connection, outside the keep-alive pool.
	streamClient := &http.Client{Transport: &http.Transport{Proxy: nil, MaxConnsPerHost: 0, DisableKeepAlives: true}}
	opened := make([]io.Closer, n)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parallel(ctx, n, 32, func(i int) {
		if sessions[i] == nil {
			return
		}
		s := sessions[i]
		l := &rpcSession{ep: &rpcEndpoint{hc: streamClient, url: s.ep.url, header: s.ep.header}, id: s.id, version: s.version}
		if c, err := l.listen(sctx); err == nil {
			opened[i] = c
		}
	})
	for _, c := range opened {
		if c != nil {
			res.Streams++
		}
	}
	read(&res.RSSStreamsKB, &res.HeapStreamsKB, "streams")
	res.GoroutinesOpen, _ = p.goroutines(ctx, hc)
	for _, c := range opened {
		if c != nil {
			c.Close()
		}
	}
	return res
}

// parallel calls f(0) … f(n-1), width at a time.
func parallel(ctx context.Context, n, width int, f func(i int)) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, width)
	for i := 0; i < n && ctx.Err() == nil; i++ {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// writeIdle writes the idle figures.
func writeIdle(w io.Writer, rs []idleResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "idle\tsessions\topen s\tRSS before\tRSS sessions\tKiB/session\tlive heap KiB/session\tstreams\tRSS streams\tKiB/stream\tgoroutines\t")
	for _, r := range rs {
		per := func(a, b int64, n int) string {
			if n == 0 || a == 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f", float64(a-b)/float64(n))
		}
		g := "-"
		if r.GoroutinesIdle > 0 {
			g = fmt.Sprintf("%d → %d", r.GoroutinesIdle, r.GoroutinesOpen)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t\n", r.Target, r.Sessions, r.OpenSeconds,
			mib(r.RSSBeforeKB), mib(r.RSSSessionsKB), per(r.RSSSessionsKB, r.RSSBeforeKB, r.Sessions),
			per(r.HeapSessionsKB, r.HeapBeforeKB, r.Sessions),
			r.Streams, mib(r.RSSStreamsKB), per(r.RSSStreamsKB, r.RSSSessionsKB, r.Streams), g)
	}
	tw.Flush()
}
