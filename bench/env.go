package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"switchboard/internal/fakeupstream"
)

// env is everything one run starts: the fake GitHub, the server, its data
// dir, and the HTTP connection pool every client shares.
type env struct {
	cfg   config
	dir   string // temp dir: the data dir and, when built, the binary
	key   string // the operator API key
	gh    *fakeupstream.GitHub
	srv   *serverProc
	refs  []*serverProc   // the compare mode's reference servers
	pool  *http.Transport // shared by every client, sized for the workers
	plain *http.Client    // for pages and metrics, without MCP headers
	users []*user
	log   io.Closer // the -server-log file, or nil
	db    *database // the PostgreSQL schema of the run, or nil (SQLite)
}

// startEnv starts the fake GitHub with cfg.users users and the server. On
// error it stops whatever it had started.
func startEnv(ctx context.Context, cfg config, progress io.Writer) (e *env, err error) {
	e = &env{cfg: cfg}
	defer func() {
		if err != nil {
			e.close(progress)
			e = nil
		}
	}()
	if e.dir, err = os.MkdirTemp("", "switchboard-bench-"); err != nil {
		return e, err
	}
	bin := cfg.binary
	if bin == "" {
		if bin, err = buildBinary(ctx, e.dir, cfg.compare, progress); err != nil {
			return e, err
		}
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	e.key = "bench-" + hex.EncodeToString(secret)

	e.gh = fakeupstream.NewGitHub()
	e.users = newUsers(cfg.users)
	for _, u := range e.users {
		e.gh.AddUser(u.token, u.login, u.githubID)
	}

	var logFile io.Writer
	if cfg.serverLog != "" {
		f, err := os.Create(cfg.serverLog)
		if err != nil {
			return e, err
		}
		e.log, logFile = f, f
	}
	var store []string // the server's store settings: flags, then environment
	if cfg.databaseURL != "" {
		if e.db, err = newDatabase(ctx, cfg.databaseURL); err != nil {
			return e, err
		}
		store = []string{"--database-url", e.db.url, "SWITCHBOARD_SECRET_KEYS=" + sharedKeys()}
	}
	fmt.Fprintln(progress, "starting switchboard serve")
	e.srv, err = startServer(ctx, bin, filepath.Join(e.dir, "data"), e.gh.URL(), e.key, cfg.compare, newLogSink(logFile), store...)
	if err != nil {
		return e, err
	}
	e.pool = &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		MaxIdleConns:        4*cfg.concurrency + 16,
		MaxIdleConnsPerHost: 4*cfg.concurrency + 16,
		IdleConnTimeout:     90 * time.Second,
	}
	e.plain = &http.Client{Transport: e.pool, Timeout: cfg.timeout}
	return e, nil
}

// close stops everything startEnv started, the server gracefully, and
// removes the temp dir; it reports what did not stop cleanly.
func (e *env) close(progress io.Writer) error {
	var errs []error
	if e.pool != nil {
		e.pool.CloseIdleConnections()
	}
	if e.srv != nil {
		errs = append(errs, e.srv.stop())
	}
	for _, r := range e.refs {
		errs = append(errs, r.stop())
	}
	if e.gh != nil {
		e.gh.Close()
	}
	if e.log != nil {
		errs = append(errs, e.log.Close())
	}
	if e.db != nil {
		errs = append(errs, e.db.drop())
	}
	if e.dir != "" {
		errs = append(errs, os.RemoveAll(e.dir))
	}
	err := errors.Join(errs...)
	if err != nil {
		fmt.Fprintln(progress, "bench: cleanup:", err)
	}
	return err
}

// serverSample is the server's footprint at one moment.
type serverSample struct {
	RSSKB      int64 `json:"rss_kb"`     // VmRSS from /proc/<pid>/status
	Goroutines int   `json:"goroutines"` // go_goroutines from /metrics
	OpenFDs    int   `json:"open_fds"`   // process_open_fds from /metrics
}

// sample reads the server's footprint; what cannot be read stays zero.
func (e *env) sample(ctx context.Context) serverSample {
	var s serverSample
	s.RSSKB, _ = e.srv.rssKB()
	g, err := e.srv.gauges(ctx, e.plain, e.key, "go_goroutines", "process_open_fds")
	if err == nil {
		s.Goroutines, s.OpenFDs = int(g["go_goroutines"]), int(g["process_open_fds"])
	}
	return s
}
