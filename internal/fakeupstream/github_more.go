package fakeupstream

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"weak"
)

// This file and github_pulls.go, github_search.go and github_contents.go
// give the fake GitHub pull requests, issue comments, notifications,
// search, issue updates and repository contents. Their state lives in ghExtras,
// found through extras(): the GitHub struct belongs to the core fake
// (github.go), so the extra state is attached to it from outside, keyed
// weakly so that a fake nobody references any more takes it along. It is
// guarded by the fake's mu, like the core state.
//
// Known gaps, all in the core handlers this file does not own: comments
// made with POST .../comments are counted but not listed; GET of an issue
// reports state_reason completed for every closed issue, whatever an
// update set; and a pull request listed as an issue lacks pull_request.
// Search ANDs its terms; OR, parentheses and negation are not modelled.

// GitHubPullRequest is a pull request for AddPullRequest.
type GitHubPullRequest struct {
	// Title and Body are the pull request's text.
	Title, Body string
	// Head is the branch with the changes; Base the branch they go into
	// (default main).
	Head, Base string
	// Draft marks a draft pull request.
	Draft bool
	// Closed closes the pull request; Merged merges (and so closes) it.
	Closed, Merged bool
	// Files are the changed files, in order.
	Files []GitHubPullRequestFile
}

// GitHubPullRequestFile is one file a pull request changes.
type GitHubPullRequestFile struct {
	// Filename is the path in the repository.
	Filename string
	// Status is added, removed, modified (the default), renamed, copied,
	// changed or unchanged.
	Status string
	// PreviousFilename is the old path of a renamed file.
	PreviousFilename string
	// Additions and Deletions count changed lines.
	Additions, Deletions int
	// Patch is the diff text GitHub includes, "" for none (binary files).
	Patch string
}

// GitHubNotification is a notification thread for AddNotification.
type GitHubNotification struct {
	// Repo is the full name (owner/name) of an existing repository.
	Repo string
	// Type is the subject type: Issue, PullRequest, Release, Commit, ...
	Type string
	// Title is the subject's title.
	Title string
	// Number is the issue or pull request the subject URL names, 0 for none.
	Number int
	// Reason says why the user is notified: assign, author, comment,
	// mention, review_requested, subscribed, team_mention, ...
	Reason string
	// Read marks the thread read: listed only with all=true.
	Read bool
}

type ghPull struct {
	id            int64
	head, base    string
	draft, merged bool
	files         []GitHubPullRequestFile
}

type ghComment struct {
	id      int64
	user    *ghUser
	body    string
	created time.Time
}

type ghThread struct {
	id      string
	user    *ghUser
	repo    *ghRepo
	n       GitHubNotification
	updated time.Time
}

// ghExtras is one fake's state beyond the core's; the fake's mu guards it.
type ghExtras struct {
	pulls    map[*ghIssue]*ghPull
	comments map[*ghIssue][]*ghComment
	reasons  map[*ghIssue]string // state_reason set by an update
	threads  []*ghThread
	files    map[*ghRepo]map[string]*ghFile // by path, on the default branch
}

var ghExtrasByFake sync.Map // weak.Pointer[GitHub] → *ghExtras

func (g *GitHub) extras() *ghExtras {
	key := weak.Make(g)
	if x, ok := ghExtrasByFake.Load(key); ok {
		return x.(*ghExtras)
	}
	x, loaded := ghExtrasByFake.LoadOrStore(key, &ghExtras{
		pulls: map[*ghIssue]*ghPull{}, comments: map[*ghIssue][]*ghComment{}, reasons: map[*ghIssue]string{},
		files: map[*ghRepo]map[string]*ghFile{},
	})
	if !loaded {
		runtime.AddCleanup(g, func(k weak.Pointer[GitHub]) { ghExtrasByFake.Delete(k) }, key)
	}
	return x.(*ghExtras)
}

// moreRoutes registers the endpoints of this file, github_pulls.go,
// github_search.go and github_contents.go; routes calls it.
func (g *GitHub) moreRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /search/repositories", g.authed(g.searchRepos))
	mux.HandleFunc("GET /search/issues", g.authed(g.searchIssues))
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/issues/{number}", g.authed(g.updateIssue))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", g.authed(g.listComments))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls", g.authed(g.listPulls))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}", g.authed(g.getPull))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/files", g.authed(g.listPullFiles))
	mux.HandleFunc("GET /notifications", g.authed(g.listNotifications))
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents", g.authed(g.getContents))
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", g.authed(g.getContents))
}

// AddPullRequest opens a pull request by author in owner/repo and returns
// its number, which comes from the issue numbers as on GitHub (the pull
// request is an issue too). Both users and the repository must exist.
func (g *GitHub) AddPullRequest(owner, repo, author string, pr GitHubPullRequest) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, u := g.repos[strings.ToLower(owner+"/"+repo)], g.logins[strings.ToLower(author)]
	if r == nil || u == nil {
		panic(fmt.Sprintf("fakeupstream: AddPullRequest on unknown repository %s/%s or user %s", owner, repo, author))
	}
	is := g.addIssue(r, u, pr.Title, pr.Body, nil)
	n, _ := g.next()
	p := &ghPull{id: 8000 + n, head: pr.Head, base: cmp.Or(pr.Base, "main"), draft: pr.Draft, merged: pr.Merged}
	for _, f := range pr.Files {
		f.Status = cmp.Or(f.Status, "modified")
		p.files = append(p.files, f)
	}
	if pr.Closed || pr.Merged {
		is.state = "closed"
	}
	g.extras().pulls[is] = p
	return is.number
}

// AddIssueComment comments as author on issue (or pull request) number of
// owner/repo and returns the comment's id.
func (g *GitHub) AddIssueComment(owner, repo string, number int, author, body string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, u := g.repos[strings.ToLower(owner+"/"+repo)], g.logins[strings.ToLower(author)]
	if r == nil || u == nil || number < 1 || number > len(r.issues) {
		panic(fmt.Sprintf("fakeupstream: AddIssueComment on unknown issue %s/%s#%d or user %s", owner, repo, number, author))
	}
	is := r.issues[number-1]
	n, at := g.next()
	c := &ghComment{id: 9000 + n, user: u, body: body, created: at}
	x := g.extras()
	x.comments[is] = append(x.comments[is], c)
	is.comments++
	return c.id
}

// AddNotification gives user login a notification thread and returns its
// id. Threads are listed most recently added first.
func (g *GitHub) AddNotification(login string, n GitHubNotification) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	u, r := g.logins[strings.ToLower(login)], g.repos[strings.ToLower(n.Repo)]
	if u == nil || r == nil {
		panic(fmt.Sprintf("fakeupstream: AddNotification for unknown user %s or repository %s", login, n.Repo))
	}
	seq, at := g.next()
	t := &ghThread{id: strconv.FormatInt(seq, 10), user: u, repo: r, n: n, updated: at}
	x := g.extras()
	x.threads = append(x.threads, t)
	return t.id
}

// updateIssue applies PATCH /repos/{owner}/{repo}/issues/{number}: only the
// members present change; labels and assignees replace the current sets;
// state_reason counts only with a change of state.
func (g *GitHub) updateIssue(w http.ResponseWriter, r *http.Request, u *ghUser) {
	var in map[string]json.RawMessage
	if !decodeBody(w, r, &in) {
		return
	}
	var patch struct {
		Title       *string   `json:"title"`
		Body        *string   `json:"body"`
		State       string    `json:"state"`
		StateReason *string   `json:"state_reason"`
		Labels      *[]string `json:"labels"`
		Assignees   *[]string `json:"assignees"`
		Milestone   *int      `json:"milestone"`
	}
	for field, raw := range in {
		one, _ := json.Marshal(map[string]json.RawMessage{field: raw})
		if json.Unmarshal(one, &patch) != nil {
			ghWriteValidation(w, map[string]any{"resource": "Issue", "code": "invalid", "field": field})
			return
		}
	}
	_, hasTitle := in["title"]
	switch {
	case hasTitle && (patch.Title == nil || *patch.Title == ""):
		ghWriteValidation(w, map[string]any{"resource": "Issue", "code": "missing_field", "field": "title"})
		return
	case patch.State != "" && patch.State != "open" && patch.State != "closed":
		ghWriteValidation(w, map[string]any{"resource": "Issue", "code": "invalid", "field": "state", "value": patch.State})
		return
	case patch.StateReason != nil && !slices.Contains([]string{"completed", "not_planned", "duplicate", "reopened"}, *patch.StateReason):
		ghWriteValidation(w, map[string]any{"resource": "Issue", "code": "invalid", "field": "state_reason", "value": *patch.StateReason})
		return
	case patch.Milestone != nil: // the fake has no milestones; null removes none
		ghWriteValidation(w, map[string]any{"resource": "Issue", "code": "invalid", "field": "milestone", "value": *patch.Milestone})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, is := g.issue(r, u)
	if is == nil {
		ghWriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	if patch.Title != nil {
		is.title = *patch.Title
	}
	if _, ok := in["body"]; ok {
		is.body = ghDerefOr(patch.Body, "")
	}
	if patch.Labels != nil {
		is.labels = append([]string{}, *patch.Labels...)
	}
	if patch.Assignees != nil {
		is.assignees = append([]string{}, *patch.Assignees...)
	}
	if patch.State != "" && patch.State != is.state {
		is.state = patch.State
		reason := "reopened"
		if is.state == "closed" {
			reason = ghDerefOr(patch.StateReason, "completed")
		}
		g.extras().reasons[is] = reason
	}
	ghWriteJSON(w, http.StatusOK, g.issueItem(repo, is))
}

// issueItem is issueJSON plus what this file knows: the state reason of an
// update, and pull request details. The caller holds g.mu.
func (g *GitHub) issueItem(repo *ghRepo, is *ghIssue) map[string]any {
	m := g.issueJSON(repo, is)
	x := g.extras()
	if reason, ok := x.reasons[is]; ok {
		m["state_reason"] = reason
	}
	if p := x.pulls[is]; p != nil {
		html := ghPullHTML(repo, is)
		var mergedAt any
		if p.merged {
			mergedAt = stamp(is.created)
		}
		m["html_url"] = html
		m["draft"] = p.draft
		m["pull_request"] = map[string]any{
			"url": fmt.Sprintf("%s/repos/%s/pulls/%d", g.URL(), fullName(repo), is.number), "html_url": html,
			"diff_url": html + ".diff", "patch_url": html + ".patch", "merged_at": mergedAt,
		}
	}
	return m
}

func (g *GitHub) listComments(w http.ResponseWriter, r *http.Request, u *ghUser) {
	since, _ := time.Parse(time.RFC3339, r.URL.Query().Get("since"))
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, is := g.issue(r, u)
	if is == nil {
		ghWriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	var list []*ghComment
	for _, c := range g.extras().comments[is] {
		if !c.created.Before(since) {
			list = append(list, c)
		}
	}
	from, to := g.paginate(w, r, len(list))
	out := []any{}
	for _, c := range list[from:to] {
		out = append(out, map[string]any{
			"id": c.id, "node_id": fmt.Sprintf("IC_%d", c.id),
			"url":        fmt.Sprintf("%s/repos/%s/issues/comments/%d", g.URL(), fullName(repo), c.id),
			"html_url":   fmt.Sprintf("%s#issuecomment-%d", issueHTML(repo, is), c.id),
			"issue_url":  fmt.Sprintf("%s/repos/%s/issues/%d", g.URL(), fullName(repo), is.number),
			"user":       g.userJSON(c.user, false),
			"created_at": stamp(c.created), "updated_at": stamp(c.created),
			"author_association": association(repo, c.user), "body": c.body,
		})
	}
	ghWriteJSON(w, http.StatusOK, out)
}

func (g *GitHub) listNotifications(w http.ResponseWriter, r *http.Request, u *ghUser) {
	q := r.URL.Query()
	// GitHub pages notifications by 50 by default, and at most by 50.
	if per, err := strconv.Atoi(q.Get("per_page")); err != nil || per < 1 || per > 50 {
		q.Set("per_page", "50")
		r.URL.RawQuery = q.Encode()
	}
	since, _ := time.Parse(time.RFC3339, q.Get("since"))
	before, err := time.Parse(time.RFC3339, q.Get("before"))
	if err != nil {
		before = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	participating := map[string]bool{"assign": true, "author": true, "comment": true, "mention": true,
		"review_requested": true, "state_change": true, "team_mention": true, "manual": true}
	g.mu.Lock()
	defer g.mu.Unlock()
	var list []*ghThread
	for _, t := range slices.Backward(g.extras().threads) {
		if t.user == u && (q.Get("all") == "true" || !t.n.Read) &&
			(q.Get("participating") != "true" || participating[t.n.Reason]) &&
			t.updated.After(since) && t.updated.Before(before) {
			list = append(list, t)
		}
	}
	w.Header().Set("X-Accepted-OAuth-Scopes", "notifications, repo")
	w.Header().Set("X-Poll-Interval", "60")
	from, to := g.paginate(w, r, len(list))
	out := []any{}
	for _, t := range list[from:to] {
		var subject any
		if t.n.Number > 0 {
			kind := map[bool]string{true: "pulls", false: "issues"}[t.n.Type == "PullRequest"]
			subject = fmt.Sprintf("%s/repos/%s/%s/%d", g.URL(), fullName(t.repo), kind, t.n.Number)
		}
		var lastRead any
		if t.n.Read {
			lastRead = stamp(t.updated)
		}
		out = append(out, map[string]any{
			"id": t.id, "unread": !t.n.Read, "reason": t.n.Reason, "updated_at": stamp(t.updated), "last_read_at": lastRead,
			"subject":          map[string]any{"title": t.n.Title, "url": subject, "latest_comment_url": subject, "type": t.n.Type},
			"repository":       g.repoJSON(t.repo, u),
			"url":              g.URL() + "/notifications/threads/" + t.id,
			"subscription_url": g.URL() + "/notifications/threads/" + t.id + "/subscription",
		})
	}
	ghWriteJSON(w, http.StatusOK, out)
}

func ghDerefOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}
