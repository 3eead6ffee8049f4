package main

import (
	"context"
	"math/rand/v2"
	"slices"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// toolName is the toolkit tool the scenarios call: one upstream GET that
// answers with the identity behind the token, so the answer itself shows
// whose credential the server used.
const toolName = "GITHUB_GET_AUTHENTICATED_USER"

// scenario is one load pattern: every worker opens its own MCP session for
// a random user and repeats ops in order until the time is up.
type scenario struct {
	name      string
	stateless bool // workers are 2026-07-28 clients instead of legacy sessions
	ops       []op
}

// op is one request of a worker: do sends it, checks the answer and
// returns a *failure when anything is wrong.
type op struct {
	name string // the MCP method or tool, for latency by op
	do   func(ctx context.Context, w *worker) error
}

// worker is one concurrent client of a scenario.
type worker struct {
	user *user
	c    *mcpclient.Client
	t    tally
}

var scenarios = map[string]scenario{
	// call: the toolkit tool, the account chosen by default.
	"call": {name: "call", ops: []op{callAs("default")}},
	// list: tools/list, which filters the catalog per user.
	"list": {name: "list", ops: []op{{"tools/list", listTools}}},
	// select: select_account (by alias, then by id) alternating with the
	// call, which must then act as the session's selection.
	"select": {name: "select", ops: []op{selectBy(aliasRef), callAs("session"), selectBy(idRef), callAs("session")}},
	// stateless: the call from 2026-07-28 clients, no session, no stream.
	"stateless": {name: "stateless", stateless: true, ops: []op{callAs("default")}},
	// accounts: the list_accounts meta tool, which must list exactly the
	// worker's user's account.
	"accounts": {name: "accounts", ops: []op{{"list_accounts", listAccounts}}},
}

// scenarioNames lists the scenarios in the order "all" runs them.
func scenarioNames() []string { return []string{"call", "list", "select", "stateless", "accounts"} }

// callAs calls the tool and checks that it acted as the worker's user's
// account, chosen the way selectedBy says, and that the fake GitHub
// answered with that user's identity, i.e. saw that user's token.
func callAs(selectedBy string) op {
	return op{toolName, func(ctx context.Context, w *worker) error {
		sc, err := callTool(ctx, w.c, toolName, nil)
		if err != nil {
			return err
		}
		acct, _ := sc["account"].(map[string]any)
		if err := w.checkAccount(acct); err != nil {
			return err
		}
		if acct["selected_by"] != selectedBy {
			return fail("wrong_selected_by", "selected_by %v, want %s", acct["selected_by"], selectedBy)
		}
		res, _ := sc["result"].(map[string]any)
		if res["login"] != w.user.login {
			return fail("wrong_upstream_user", "user %s got upstream login %v, want %s", w.user.id, res["login"], w.user.login)
		}
		w.user.ok.Add(1)
		return nil
	}}
}

// checkAccount reports a result's account that is not the worker's user's.
func (w *worker) checkAccount(acct map[string]any) error {
	if acct["id"] != w.user.account || acct["label"] != w.user.login {
		return fail("wrong_account", "user %s got account %v (%v), want %s (%s)",
			w.user.id, acct["id"], acct["label"], w.user.account, w.user.login)
	}
	return nil
}

func aliasRef(u *user) string { return u.alias }
func idRef(u *user) string    { return u.account }

// selectBy selects the worker's user's account, named by ref, and checks
// the answer names it.
func selectBy(ref func(*user) string) op {
	return op{"select_account", func(ctx context.Context, w *worker) error {
		sc, err := callTool(ctx, w.c, "select_account", map[string]any{"toolkit": "github", "account": ref(w.user)})
		if err != nil {
			return err
		}
		acct, _ := sc["account"].(map[string]any)
		return w.checkAccount(acct)
	}}
}

// listTools lists the tools, which must include the toolkit tool: the user
// has an ACTIVE GitHub account.
func listTools(ctx context.Context, w *worker) error {
	res, err := w.c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return protocolFailure(err)
	}
	if !slices.ContainsFunc(res.Tools, func(t mcp.Tool) bool { return t.Name == toolName }) {
		return fail("list_missing_tool", "user %s: %d tools, %s not among them", w.user.id, len(res.Tools), toolName)
	}
	return nil
}

// listAccounts calls list_accounts and checks that it lists the worker's
// user's one account and nobody else's.
func listAccounts(ctx context.Context, w *worker) error {
	sc, err := callTool(ctx, w.c, "list_accounts", nil)
	if err != nil {
		return err
	}
	list, _ := sc["accounts"].([]any)
	if len(list) != 1 {
		return fail("wrong_accounts", "user %s: list_accounts listed %d accounts, want 1", w.user.id, len(list))
	}
	acct, _ := list[0].(map[string]any)
	return w.checkAccount(acct)
}

// pickUsers returns n users drawn at random, for n workers.
func pickUsers(users []*user, n int) []*user {
	out := make([]*user, n)
	for i := range out {
		out[i] = users[rand.IntN(len(users))]
	}
	return out
}

// connectWorkers opens one session per worker, in parallel. A worker whose
// session failed is left out; the failures are returned as a tally.
func (e *env) connectWorkers(ctx context.Context, sc scenario) ([]*worker, tally) {
	users := pickUsers(e.users, e.cfg.concurrency)
	clients := make([]*mcpclient.Client, len(users))
	errs := make([]error, len(users))
	done := make(chan int)
	for i, u := range users {
		go func() {
			clients[i], errs[i] = e.connect(ctx, u, sc.stateless)
			done <- i
		}()
	}
	for range users {
		<-done
	}
	var workers []*worker
	var t tally
	for i, c := range clients {
		if errs[i] != nil {
			t.fail(fail("connect", "user %s: %v", users[i].id, errs[i]))
			continue
		}
		workers = append(workers, &worker{user: users[i], c: c})
	}
	return workers, t
}
