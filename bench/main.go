// Command bench is Switchboard's load driver. It measures the server as
// deployed: it runs the switchboard binary (`serve` over streamable HTTP,
// the embedded SQLite store in a temporary data dir, or with -database-url a
// fresh schema on a PostgreSQL server; an operator API key)
// against the fake GitHub of internal/fakeupstream, connects one GitHub
// account per user through the real connect flow, then drives real MCP
// clients (mcp-go) through the scenarios and reports requests, errors,
// throughput, latency and the server's memory and goroutines.
//
// Every tool result is checked while loading: it must name the account of
// the worker's own user, and the fake GitHub must have seen that user's
// token. A mismatch counts as an error: it is the account-isolation rule
// checked under load.
//
// With -compare it measures Switchboard side by side with references
// instead (compare.go): a bare mcp-go server and the TypeScript SDK's bare
// server, interleaved over several rounds, with a CPU profile of every run
// and the cost of idle sessions.
//
//	go run ./bench -duration 5s
//	go run ./bench -scenario call,stateless -concurrency 16 -json
//	go run ./bench -scenario call,accounts -database-url postgres://postgres@127.0.0.1:5432/test
//	go run ./bench -compare -rounds 5 -duration 3s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// config is what one run of the driver does.
type config struct {
	binary      string        // switchboard executable; "" builds one into a temp dir
	users       int           // users, each with one connected GitHub account
	concurrency int           // concurrent workers (one MCP session each) per scenario
	duration    time.Duration // how long each scenario runs
	maxRequests int           // cap on the requests of one scenario
	timeout     time.Duration // limit of one request
	scenarios   []string      // scenario names, in the order they run
	serverLog   string        // file that receives the server's log; "" keeps only a tail
	databaseURL string        // PostgreSQL server to measure on (a fresh schema); "" is SQLite

	compare      bool          // run the compare mode instead of the scenarios
	rounds       int           // compare: rounds of every cell
	warmup       time.Duration // compare: unrecorded run of every contender first
	out          string        // compare: directory of the report and the profiles
	idleSessions int           // compare: idle legacy sessions opened per server; 0 skips
	idleStreams  bool          // compare: also hold each idle session's GET stream open
	idleSettle   time.Duration // compare: how long a server gets before its memory is read
	node         string        // compare: Node.js binary; "" finds e2e/node's, "off" skips
	profile      bool          // compare: take a CPU profile of every Go server's run
}

func main() {
	cfg, asJSON, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.compare {
		if err := compareMain(ctx, cfg, asJSON); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	rep, err := run(ctx, cfg, os.Stderr)
	if rep != nil {
		if asJSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			enc.Encode(rep)
		} else {
			rep.writeTable(os.Stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// parseFlags turns the command line into a config; the second result asks
// for JSON output.
func parseFlags(args []string) (config, bool, error) {
	cfg := config{idleSettle: 2 * time.Second}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&cfg.binary, "binary", "", "switchboard executable to run (default: go build one into a temp dir; with -compare, build it with bench/debugport for profiles, see README)")
	fs.IntVar(&cfg.users, "users", 20, "users, each connecting one GitHub account")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "concurrent workers per scenario, each with its own MCP session")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long each scenario runs")
	fs.IntVar(&cfg.maxRequests, "max-requests", 1_000_000, "cap on the requests of one scenario")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "limit of one request")
	fs.StringVar(&cfg.serverLog, "server-log", "", "write the server's full log to this file")
	fs.StringVar(&cfg.databaseURL, "database-url", "", "measure on PostgreSQL at this URL (postgres://…; a fresh schema, dropped after) instead of SQLite")
	scenario := fs.String("scenario", "all", "comma-separated scenarios: "+strings.Join(scenarioNames(), ", ")+", or all")
	asJSON := fs.Bool("json", false, "write a JSON document instead of a table")
	fs.BoolVar(&cfg.compare, "compare", false, "measure Switchboard side by side with a bare mcp-go server and the TypeScript SDK's (see README, Performance)")
	fs.IntVar(&cfg.rounds, "rounds", 5, "compare: rounds of every cell")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "compare: unrecorded run of every contender before the rounds")
	fs.StringVar(&cfg.out, "out", "", "compare: directory of the report and profiles (default bench/results/<UTC time>)")
	fs.IntVar(&cfg.idleSessions, "idle-sessions", 10_000, "compare: idle legacy sessions opened on each server; 0 skips")
	fs.BoolVar(&cfg.idleStreams, "idle-streams", true, "compare: also hold the GET stream of each idle session open")
	fs.BoolVar(&cfg.profile, "profile", true, "compare: write a CPU profile of every run of a Go server (each run then lasts at least 1s)")
	fs.StringVar(&cfg.node, "node", "", "compare: Node.js binary for the TypeScript reference (default e2e/node's); off skips it")
	if err := fs.Parse(args); err != nil {
		return cfg, false, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.compare && !set["concurrency"] {
		cfg.concurrency = 16 // issue 11's figure
	}
	if cfg.compare && !set["duration"] {
		cfg.duration = 3 * time.Second
	}
	if cfg.compare && cfg.out == "" {
		root, err := moduleRoot()
		if err != nil {
			return cfg, false, err
		}
		cfg.out = filepath.Join(root, "bench", "results", time.Now().UTC().Format("20060102-150405"))
	}
	if fs.NArg() > 0 {
		return cfg, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	names, err := parseScenarios(*scenario)
	if err != nil {
		return cfg, false, err
	}
	cfg.scenarios = names
	switch {
	case cfg.users < 1:
		return cfg, false, fmt.Errorf("-users must be at least 1")
	case cfg.concurrency < 1:
		return cfg, false, fmt.Errorf("-concurrency must be at least 1")
	case cfg.duration <= 0 || cfg.timeout <= 0:
		return cfg, false, fmt.Errorf("-duration and -timeout must be positive")
	case cfg.maxRequests < 1:
		return cfg, false, fmt.Errorf("-max-requests must be at least 1")
	case cfg.compare && cfg.rounds < 1:
		return cfg, false, fmt.Errorf("-rounds must be at least 1")
	case cfg.compare && cfg.idleSessions < 0:
		return cfg, false, fmt.Errorf("-idle-sessions must not be negative")
	}
	return cfg, *asJSON, nil
}

// parseScenarios resolves "all" or a comma-separated list of names.
func parseScenarios(list string) ([]string, error) {
	if strings.TrimSpace(list) == "all" {
		return scenarioNames(), nil
	}
	var out []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if _, ok := scenarios[name]; !ok {
			return nil, fmt.Errorf("unknown scenario %q (want %s or all)", name, strings.Join(scenarioNames(), ", "))
		}
		out = append(out, name)
	}
	return out, nil
}

// run starts the fake GitHub and the server, connects the users, runs the
// scenarios and stops everything it started, also on error or when ctx
// ends. Progress goes to progress. On interruption it returns the scenarios
// completed so far along with the error.
func run(ctx context.Context, cfg config, progress io.Writer) (rep *report, err error) {
	env, err := startEnv(ctx, cfg, progress)
	if err != nil {
		return nil, err
	}
	rep = &report{Config: reportConfig{
		Users: cfg.users, Concurrency: cfg.concurrency, Duration: cfg.duration.String(),
		MaxRequests: cfg.maxRequests, Scenarios: cfg.scenarios, Store: "sqlite",
	}}
	if cfg.databaseURL != "" {
		rep.Config.Store = "postgres"
	}
	defer func() {
		closeErr := env.close(progress)
		rep.ServerLog = env.srv.logs.summary()
		if err == nil && closeErr != nil {
			err = closeErr
		}
	}()

	rep.Setup.RSSBeforeKB, _ = env.srv.rssKB()
	fmt.Fprintf(progress, "connecting %d users through authorize → connect page → wait_for_connection\n", cfg.users)
	start := time.Now()
	if err := env.connectUsers(ctx); err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	rep.Setup.Seconds = time.Since(start).Seconds()
	rep.Setup.RSSAfterKB, _ = env.srv.rssKB()

	for _, name := range cfg.scenarios {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(progress, "scenario %s: %d workers for %s\n", name, cfg.concurrency, cfg.duration)
		res := env.runScenario(ctx, scenarios[name])
		fmt.Fprintf(progress, "  %s\n", res)
		rep.Scenarios = append(rep.Scenarios, res)
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("interrupted: %w", err)
	}
	return rep, nil
}

// compareMain runs the compare mode and writes its report: the table (or
// JSON) on stdout, and both into cfg.out beside the profiles.
func compareMain(ctx context.Context, cfg config, asJSON bool) error {
	rep, err := runCompare(ctx, cfg, os.Stderr)
	if rep == nil {
		return err
	}
	var table strings.Builder
	rep.writeTable(&table)
	doc, jerr := json.MarshalIndent(rep, "", "  ")
	if asJSON {
		os.Stdout.Write(append(doc, '\n'))
	} else {
		os.Stdout.WriteString(table.String())
	}
	if jerr == nil {
		jerr = os.WriteFile(filepath.Join(cfg.out, "report.json"), append(doc, '\n'), 0o644)
	}
	if werr := os.WriteFile(filepath.Join(cfg.out, "report.txt"), []byte(table.String()), 0o644); jerr == nil {
		jerr = werr
	}
	if err == nil {
		err = jerr
	}
	return err
}
