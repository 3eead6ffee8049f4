// Package debugport lets the load driver look inside the servers it
// measures. Importing it for its side effect does nothing unless the
// environment variable SWITCHBOARD_BENCH_DEBUG_ADDR names a loopback
// address; then that address serves net/http/pprof (/debug/pprof/…, CPU
// and heap profiles) and expvar (/debug/vars: runtime.MemStats, from which
// the driver counts allocations per request).
//
// The driver builds Switchboard with a one-line file that imports this
// package, added to package main through `go build -overlay`, so that
// profiling needs no hook in Switchboard's own code; the ceiling imports it
// directly. Both pay the same: a listener that is idle except when the
// driver asks, and the profiler's sampling while a profile is taken.
package debugport

import (
	_ "expvar" // registers /debug/vars on http.DefaultServeMux
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
	"time"
)

// EnvAddr names the variable that turns the debug listener on.
const EnvAddr = "SWITCHBOARD_BENCH_DEBUG_ADDR"

func init() {
	addr := os.Getenv(EnvAddr)
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		// Profiles show code paths and memory: never off the machine.
		fmt.Fprintf(os.Stderr, "debugport: %s=%q is not a loopback host:port; not serving\n", EnvAddr, addr)
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "debugport: %v\n", err)
		return
	}
	srv := &http.Server{Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // lives as long as the process
}
