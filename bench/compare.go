package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The compare mode (-compare) measures Switchboard against references in
// one run: a bare mcp-go server (bench/ceiling) and, when Node.js and the
// SDK that e2e/node installs are there, the TypeScript SDK's bare server.
// Every cell below runs each of its contenders in turn, round after round,
// the order rotating from round to round, so that whatever else the machine
// does weighs on all of them alike; the figures are medians over rounds.

// probe is one worker of a compare run: do sends one request and checks
// its answer.
type probe interface {
	do(ctx context.Context) error
	close(ctx context.Context)
}

// contender is one side of a cell: what each request is, against which
// process.
type contender struct {
	target string      // switchboard, mcp-go, typescript-sdk, net/http, fake-github
	op     string      // the tool called, or the plain HTTP request
	proc   *serverProc // the process measured; nil for the driver's fake GitHub
	open   func(ctx context.Context, worker int) (probe, error)
}

// cell is one comparison: its contenders at one concurrency. The first
// contender is Switchboard; ratios compare it with each of the others.
type cell struct {
	name        string
	concurrency int
	contenders  []contender
	note        string // printed under the cell, e.g. why a reference is missing
}

// compareEnv is the compare mode's part of a run: the references and the
// output directory.
type compareEnv struct {
	*env
	ceiling *serverProc
	node    *serverProc // nil when Node.js or the SDK is missing
	nodeWhy string      // why node is nil
	out     string      // the output directory
	hc      *http.Client
}

// runCompare runs the compare mode and writes its report, profiles and the
// pprof summaries into cfg.out.
func runCompare(ctx context.Context, cfg config, progress io.Writer) (rep *compareReport, err error) {
	e, err := startEnv(ctx, cfg, progress)
	if err != nil {
		return nil, err
	}
	ce := &compareEnv{env: e, out: cfg.out}
	defer func() {
		if closeErr := e.close(progress); err == nil && closeErr != nil {
			err = closeErr
		}
	}()
	if err := os.MkdirAll(filepath.Join(ce.out, "profiles"), 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "connecting %d users through authorize → connect page → wait_for_connection\n", cfg.users)
	if err := e.connectUsers(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	if err := ce.startReferences(ctx, progress); err != nil {
		return nil, err
	}
	pool := e.pool.Clone()
	pool.MaxIdleConns, pool.MaxIdleConnsPerHost = 4*cfg.concurrency+64, 4*cfg.concurrency+64
	ce.hc = &http.Client{Transport: pool}
	defer pool.CloseIdleConnections()

	rep = &compareReport{
		Date: time.Now().UTC().Format(time.RFC3339), Machine: machine(),
		Command: commandLine(), Rounds: cfg.rounds, Duration: cfg.duration.String(),
		Users: cfg.users, Out: ce.out,
	}
	cells := ce.cells(cfg)
	results := make([][][]runResult, len(cells)) // cell → contender → rounds
	for i, c := range cells {
		results[i] = make([][]runResult, len(c.contenders))
	}
	if cfg.warmup > 0 {
		fmt.Fprintf(progress, "warming up: every contender of every cell for %s\n", cfg.warmup)
		for _, c := range cells {
			for _, k := range c.contenders {
				if ctx.Err() != nil {
					return rep, ctx.Err()
				}
				ce.runOnce(ctx, c, k, cfg.warmup, "")
			}
		}
	}
	for round := 1; round <= cfg.rounds; round++ {
		for i, c := range cells {
			n := len(c.contenders)
			for j := range n {
				k := (j + round - 1) % n // rotate who goes first
				if ctx.Err() != nil {
					return rep, fmt.Errorf("interrupted: %w", ctx.Err())
				}
				con := c.contenders[k]
				profile := ""
				if cfg.profile && con.proc != nil && con.proc.debug != "" {
					profile = filepath.Join(ce.out, "profiles", fmt.Sprintf("%s-%s-c%d-r%d.pprof", fileSafe(con.target), c.name, c.concurrency, round))
				}
				r := ce.runOnce(ctx, c, con, cfg.duration, profile)
				r.Round = round
				fmt.Fprintf(progress, "round %d/%d %s c=%d %s %s: %s\n", round, cfg.rounds, c.name, c.concurrency, con.target, con.op, r)
				results[i][k] = append(results[i][k], r)
			}
		}
	}
	for i, c := range cells {
		rep.Cells = append(rep.Cells, summarizeCell(c, results[i]))
	}
	if cfg.idleSessions > 0 {
		for _, p := range []*serverProc{e.srv, ce.ceiling, ce.node} {
			if p == nil || ctx.Err() != nil {
				continue
			}
			rep.Idle = append(rep.Idle, ce.idle(ctx, p, cfg.idleSessions, cfg.idleStreams, progress))
		}
	}
	if ce.node == nil {
		rep.Notes = append(rep.Notes, "typescript-sdk not measured: "+ce.nodeWhy)
	}
	rep.Profiles = ce.summarizeProfiles(ctx, rep, progress)
	return rep, ctx.Err()
}

// startReferences builds and starts the mcp-go ceiling and, when it can,
// the TypeScript SDK's server.
func (ce *compareEnv) startReferences(ctx context.Context, progress io.Writer) error {
	bin, err := buildCeiling(ctx, ce.dir, progress)
	if err != nil {
		return err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	cmd := command(bin, "-addr", addr, "-upstream", ce.gh.URL())
	if ce.ceiling, err = startProc(ctx, "mcp-go", cmd, addr, true, newLogSink(nil)); err != nil {
		return err
	}
	ce.refs = append(ce.refs, ce.ceiling)

	node, script, sdk, why := findNode(ce.cfg.node)
	if why != "" {
		ce.nodeWhy = why
		fmt.Fprintln(progress, "typescript-sdk reference skipped:", why)
		return nil
	}
	if addr, err = freeLoopbackAddr(); err != nil {
		return err
	}
	fmt.Fprintln(progress, "starting the typescript-sdk reference with", node)
	if ce.node, err = startProc(ctx, "typescript-sdk", command(node, script, addr, sdk), addr, false, newLogSink(nil)); err != nil {
		return err
	}
	ce.refs = append(ce.refs, ce.node)
	return nil
}

// fileSafe is a target's name as part of a file name: net/http's slash
// would name a directory.
func fileSafe(target string) string { return strings.ReplaceAll(target, "/", "-") }

// cells lists what the compare mode measures.
func (ce *compareEnv) cells(cfg config) []cell {
	sb := func(op string, stateless bool, args string, check func(*user, *rpcReply) error) contender {
		return contender{target: "switchboard", op: op, proc: ce.srv, open: ce.mcpProbe(ce.srv, true, stateless, op, args, check)}
	}
	ref := func(p *serverProc, stateless bool) contender {
		return contender{target: p.name, op: "echo", proc: p, open: ce.mcpProbe(p, false, stateless, "echo", "{}", checkPong)}
	}
	var cells []cell
	for _, c := range []int{cfg.concurrency, 1} {
		legacy := cell{name: "list_accounts", concurrency: c, contenders: []contender{
			sb("list_accounts", false, "{}", checkListed), ref(ce.ceiling, false),
			{target: "net/http", op: "POST /raw", proc: ce.ceiling, open: ce.rawProbe},
		}}
		if ce.node != nil {
			legacy.contenders = append(legacy.contenders, ref(ce.node, false))
		}
		cells = append(cells, legacy)
	}
	cells = append(cells, cell{name: "toolkit", concurrency: 1, contenders: []contender{
		sb(toolName, false, "{}", checkActedAs),
		{target: "fake-github", op: "GET /user", open: ce.directProbe},
		{target: "mcp-go", op: "upstream_user", proc: ce.ceiling, open: ce.mcpProbe(ce.ceiling, false, false, "upstream_user", "", checkUpstreamUser)},
		{target: "net/http", op: "GET /proxy/user", proc: ce.ceiling, open: ce.proxyProbe},
	}})
	for _, c := range []int{cfg.concurrency, 1} {
		cells = append(cells, cell{name: "stateless", concurrency: c,
			contenders: []contender{sb("list_accounts", true, "{}", checkListed), ref(ce.ceiling, true)},
			note:       "typescript-sdk: the SDK (1.32.2) does not implement the stateless 2026-07-28 revision",
		})
	}
	return cells
}

// mcpProbe opens workers that call tool on p: Switchboard's with the
// operator key and worker i's user, the references' without either. args
// "" sends the user's token as {"token": …} (upstream_user).
func (ce *compareEnv) mcpProbe(p *serverProc, operator, stateless bool, tool, args string, check func(*user, *rpcReply) error) func(context.Context, int) (probe, error) {
	return func(ctx context.Context, i int) (probe, error) {
		u := ce.users[i%len(ce.users)]
		ep := &rpcEndpoint{hc: ce.hc, url: p.base + "/mcp", header: http.Header{}}
		if operator {
			ep.header.Set("Authorization", "Bearer "+ce.key)
			ep.header.Set("X-User-Id", u.id)
		}
		a := args
		if a == "" {
			a = fmt.Sprintf(`{"token":%q}`, u.token)
		}
		var s *rpcSession
		if stateless {
			s = ep.stateless()
		} else {
			var err error
			if s, err = ep.initialize(ctx); err != nil {
				return nil, err
			}
		}
		return &mcpProbe{s: s, u: u, tool: tool, args: []byte(a), check: check}, nil
	}
}

type mcpProbe struct {
	s     *rpcSession
	u     *user
	tool  string
	args  []byte
	check func(*user, *rpcReply) error
}

func (p *mcpProbe) do(ctx context.Context) error {
	r, err := p.s.callTool(ctx, p.tool, p.args)
	if err != nil {
		return err
	}
	return p.check(p.u, r)
}

func (p *mcpProbe) close(ctx context.Context) { p.s.end(ctx) }

// checkListed: list_accounts names the user's own account.
func checkListed(u *user, r *rpcReply) error {
	if !bytes.Contains(r.Result.StructuredContent, []byte(`"`+u.account+`"`)) {
		return fail("wrong_account", "user %s: list_accounts without its account %s: %.300s", u.id, u.account, r.Result.StructuredContent)
	}
	return nil
}

// checkActedAs: the toolkit call acted as the user's account and GitHub
// answered with the user's login, i.e. saw the user's token.
func checkActedAs(u *user, r *rpcReply) error {
	sc := r.Result.StructuredContent
	if !bytes.Contains(sc, []byte(`"`+u.account+`"`)) || !bytes.Contains(sc, []byte(`"login":"`+u.login+`"`)) {
		return fail("wrong_account", "user %s: the call did not act as %s (%s): %.300s", u.id, u.account, u.login, sc)
	}
	return nil
}

func checkUpstreamUser(u *user, r *rpcReply) error {
	if !bytes.Contains(r.Result.StructuredContent, []byte(`"login":"`+u.login+`"`)) {
		return fail("wrong_upstream_user", "user %s: %.300s", u.id, r.Result.StructuredContent)
	}
	return nil
}

func checkPong(_ *user, r *rpcReply) error {
	if len(r.Result.Content) != 1 || r.Result.Content[0].Text != "pong" {
		return fail("malformed_result", "echo did not answer pong")
	}
	return nil
}

// rawProbe calls the ceiling's POST /raw: a JSON-RPC exchange with no
// MCP library behind it, the floor under every MCP server on net/http.
func (ce *compareEnv) rawProbe(_ context.Context, i int) (probe, error) {
	ep := &rpcEndpoint{hc: ce.hc, url: ce.ceiling.base + "/raw", header: http.Header{}}
	return &mcpProbe{s: &rpcSession{ep: ep}, u: ce.users[i%len(ce.users)], tool: "echo", args: []byte("{}"), check: checkPong}, nil
}

// directProbe calls the fake GitHub itself: what a toolkit call costs
// without any server in between.
func (ce *compareEnv) directProbe(_ context.Context, i int) (probe, error) {
	return ce.getUser(ce.gh.URL()+"/user", i), nil
}

// proxyProbe calls the fake GitHub through the ceiling's GET /proxy/user:
// one plain net/http hop in between, the floor under any server that makes
// the call for the client.
func (ce *compareEnv) proxyProbe(_ context.Context, i int) (probe, error) {
	return ce.getUser(ce.ceiling.base+"/proxy/user", i), nil
}

func (ce *compareEnv) getUser(url string, i int) *directProbe {
	u := ce.users[i%len(ce.users)]
	return &directProbe{hc: ce.hc, url: url, u: u, want: []byte(`"login":"` + u.login + `"`)}
}

type directProbe struct {
	hc   *http.Client
	url  string
	u    *user
	want []byte
}

func (p *directProbe) do(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.u.token)
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := p.hc.Do(req)
	if err != nil {
		return protocolFailure(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(b, p.want) {
		return fail("wrong_upstream_user", "GET /user answered %d (%v): %.200s", resp.StatusCode, err, b)
	}
	return nil
}

func (*directProbe) close(context.Context) {}

// openProbes opens n workers of k in parallel; the ones that fail are left
// out and counted.
func openProbes(ctx context.Context, k contender, n int, t *tally) []probe {
	probes := make([]probe, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			probes[i], errs[i] = k.open(ctx, i)
		}()
	}
	wg.Wait()
	var out []probe
	for i, p := range probes {
		if errs[i] != nil {
			t.fail(fail("connect", "worker %d: %v", i, errs[i]))
			continue
		}
		out = append(out, p)
	}
	return out
}

// closeProbes ends the workers' sessions in parallel.
func closeProbes(ctx context.Context, probes []probe) {
	var wg sync.WaitGroup
	for _, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close(ctx)
		}()
	}
	wg.Wait()
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
