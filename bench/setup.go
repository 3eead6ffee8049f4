package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// user is one end user of the run, with one GitHub account.
type user struct {
	id       string // X-User-Id
	login    string // the GitHub login behind its token
	githubID int64  // the GitHub user id behind its token
	token    string // the personal access token it connects with
	alias    string // the alias it gives its account
	account  string // its connected account's id, once set up

	ok atomic.Int64 // calls in the running scenario that returned its account
}

// newUsers makes n users with distinct logins and tokens.
func newUsers(n int) []*user {
	users := make([]*user, n)
	for i := range users {
		users[i] = &user{
			id:       fmt.Sprintf("user-%04d", i),
			login:    fmt.Sprintf("bench-octo-%04d", i),
			githubID: 100000 + int64(i),
			token:    fmt.Sprintf("ghp_bench%04d", i) + strings.Repeat("x", 27),
			// Every user has the same alias, so that an alias resolved
			// across users would show up as a wrong account.
			alias: "bench",
		}
	}
	return users
}

// connectUsers connects every user's GitHub account through the real flow,
// cfg.concurrency users at a time, and stops at the first failure.
func (e *env) connectUsers(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		slots = make(chan struct{}, e.cfg.concurrency)
	)
	for _, u := range e.users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			case <-ctx.Done():
				return
			}
			if ctx.Err() != nil {
				return
			}
			if err := e.connectAccount(ctx, u); err != nil {
				once.Do(func() { first = fmt.Errorf("user %s: %w", u.id, err); cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// connectAccount plays an agent and its user: authorize over MCP, the
// connect page (GET, then POST the token with the page's csrf value), then
// wait_for_connection until ACTIVE.
func (e *env) connectAccount(ctx context.Context, u *user) error {
	c, err := e.connect(ctx, u, false)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer c.Close()
	tctx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
	defer cancel()
	auth, err := callTool(tctx, c, "authorize", map[string]any{"toolkit": "github", "alias": u.alias})
	if err != nil {
		return err
	}
	link, _ := auth["redirect_url"].(string)
	id, _ := auth["connected_account_id"].(string)
	if !strings.Contains(link, "/connect/") || !strings.HasPrefix(id, "ca_") {
		return fmt.Errorf("authorize returned %v", auth)
	}
	if err := e.completeLink(tctx, link, u.token); err != nil {
		return fmt.Errorf("connect page: %w", err)
	}
	got, err := callTool(tctx, c, "wait_for_connection", map[string]any{"connected_account_id": id, "timeout_seconds": 10})
	if err != nil {
		return err
	}
	if got["status"] != "ACTIVE" || got["label"] != u.login || got["connected_account_id"] != id {
		return fmt.Errorf("wait_for_connection returned %v", got)
	}
	u.account = id
	return nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// completeLink plays the person at the connect page: it opens the page and
// submits the token with the page's csrf value.
func (e *env) completeLink(ctx context.Context, link, token string) error {
	page, status, err := e.fetch(ctx, http.MethodGet, link, nil)
	if err != nil {
		return err
	}
	m := csrfField.FindSubmatch(page)
	if status != http.StatusOK || m == nil {
		return fmt.Errorf("GET answered %d without a csrf field: %.300s", status, page)
	}
	form := url.Values{"csrf": {string(m[1])}, "credential": {token}}
	body, status, err := e.fetch(ctx, http.MethodPost, link, form)
	if err != nil {
		return err
	}
	if status != http.StatusOK || !strings.Contains(string(body), "connected") {
		return fmt.Errorf("POST answered %d: %.300s", status, body)
	}
	return nil
}

// fetch sends a plain HTTP request (a form when form is not nil) and
// returns the body and status.
func (e *env) fetch(ctx context.Context, method, link string, form url.Values) ([]byte, int, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, link, body)
	if err != nil {
		return nil, 0, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.plain.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return b, resp.StatusCode, err
}
