package fakeupstream

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
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

// This file gives the fake GitHub pull requests, issue comments,
// notifications, search and issue updates. Their state lives in ghExtras,
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
}

var ghExtrasByFake sync.Map // weak.Pointer[GitHub] → *ghExtras

func (g *GitHub) extras() *ghExtras {
	key := weak.Make(g)
	if x, ok := ghExtrasByFake.Load(key); ok {
		return x.(*ghExtras)
	}
	x, loaded := ghExtrasByFake.LoadOrStore(key, &ghExtras{
		pulls: map[*ghIssue]*ghPull{}, comments: map[*ghIssue][]*ghComment{}, reasons: map[*ghIssue]string{},
	})
	if !loaded {
		runtime.AddCleanup(g, func(k weak.Pointer[GitHub]) { ghExtrasByFake.Delete(k) }, key)
	}
	return x.(*ghExtras)
}

// moreRoutes registers this file's endpoints; routes calls it.
func (g *GitHub) moreRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /search/repositories", g.authed(g.searchRepos))
	mux.HandleFunc("GET /search/issues", g.authed(g.searchIssues))
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/issues/{number}", g.authed(g.updateIssue))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", g.authed(g.listComments))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls", g.authed(g.listPulls))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}", g.authed(g.getPull))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/files", g.authed(g.listPullFiles))
	mux.HandleFunc("GET /notifications", g.authed(g.listNotifications))
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
			writeValidation(w, map[string]any{"resource": "Issue", "code": "invalid", "field": field})
			return
		}
	}
	_, hasTitle := in["title"]
	switch {
	case hasTitle && (patch.Title == nil || *patch.Title == ""):
		writeValidation(w, map[string]any{"resource": "Issue", "code": "missing_field", "field": "title"})
		return
	case patch.State != "" && patch.State != "open" && patch.State != "closed":
		writeValidation(w, map[string]any{"resource": "Issue", "code": "invalid", "field": "state", "value": patch.State})
		return
	case patch.StateReason != nil && !slices.Contains([]string{"completed", "not_planned", "duplicate", "reopened"}, *patch.StateReason):
		writeValidation(w, map[string]any{"resource": "Issue", "code": "invalid", "field": "state_reason", "value": *patch.StateReason})
		return
	case patch.Milestone != nil: // the fake has no milestones; null removes none
		writeValidation(w, map[string]any{"resource": "Issue", "code": "invalid", "field": "milestone", "value": *patch.Milestone})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, is := g.issue(r, u)
	if is == nil {
		writeError(w, http.StatusNotFound, "Not Found")
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
	writeJSON(w, http.StatusOK, g.issueItem(repo, is))
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
		writeError(w, http.StatusNotFound, "Not Found")
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
	writeJSON(w, http.StatusOK, out)
}

// pull finds pull request {number} of a repository visible to u; an issue
// that is not a pull request is not found, as on GitHub. The caller holds
// g.mu.
func (g *GitHub) pull(r *http.Request, u *ghUser) (*ghRepo, *ghIssue, *ghPull) {
	repo, is := g.issue(r, u)
	if is == nil || g.extras().pulls[is] == nil {
		return nil, nil, nil
	}
	return repo, is, g.extras().pulls[is]
}

func (g *GitHub) listPulls(w http.ResponseWriter, r *http.Request, u *ghUser) {
	q := r.URL.Query()
	state := cmp.Or(q.Get("state"), "open")
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repo(r, u)
	if repo == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	var list []*ghIssue
	x := g.extras()
	for _, is := range repo.issues {
		p := x.pulls[is]
		if p == nil || (state != "all" && is.state != state) ||
			(q.Get("head") != "" && !strings.EqualFold(q.Get("head"), repo.owner.login+":"+p.head)) ||
			(q.Get("base") != "" && q.Get("base") != p.base) {
			continue
		}
		list = append(list, is)
	}
	sortBy := cmp.Or(q.Get("sort"), "created")
	dir := cmp.Or(q.Get("direction"), map[bool]string{true: "desc", false: "asc"}[sortBy == "created"])
	slices.SortStableFunc(list, func(a, b *ghIssue) int {
		c := a.created.Compare(b.created) // updated and long-running: the fake never updates
		if sortBy == "popularity" {
			c = a.comments - b.comments
		}
		if dir == "desc" {
			c = -c
		}
		return c
	})
	from, to := g.paginate(w, r, len(list))
	out := []any{}
	for _, is := range list[from:to] {
		out = append(out, g.pullJSON(repo, is, x.pulls[is], false))
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *GitHub) getPull(w http.ResponseWriter, r *http.Request, u *ghUser) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, is, p := g.pull(r, u)
	if p == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, g.pullJSON(repo, is, p, true))
}

func (g *GitHub) listPullFiles(w http.ResponseWriter, r *http.Request, u *ghUser) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, _, p := g.pull(r, u)
	if p == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	files := p.files[:min(len(p.files), 3000)]
	from, to := g.paginate(w, r, len(files))
	out := []any{}
	for _, f := range files[from:to] {
		blob := fmt.Sprintf("https://github.com/%s/blob/%s/%s", fullName(repo), ghSHA(p.head), f.Filename)
		m := map[string]any{
			"sha": ghSHA(f.Filename), "filename": f.Filename, "status": f.Status,
			"additions": f.Additions, "deletions": f.Deletions, "changes": f.Additions + f.Deletions,
			"blob_url": blob, "raw_url": strings.Replace(blob, "/blob/", "/raw/", 1),
			"contents_url": fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", g.URL(), fullName(repo), f.Filename, ghSHA(p.head)),
		}
		if f.Patch != "" {
			m["patch"] = f.Patch
		}
		if f.PreviousFilename != "" {
			m["previous_filename"] = f.PreviousFilename
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}

// pullJSON is GitHub's pull request object; full adds the fields only GET
// of one pull request has. The caller holds g.mu.
func (g *GitHub) pullJSON(repo *ghRepo, is *ghIssue, p *ghPull, full bool) map[string]any {
	issue := g.issueJSON(repo, is)
	api := fmt.Sprintf("%s/repos/%s/pulls/%d", g.URL(), fullName(repo), is.number)
	html := ghPullHTML(repo, is)
	var mergedAt, mergedBy any
	if p.merged {
		mergedAt, mergedBy = stamp(is.created), g.userJSON(repo.owner, false)
	}
	branch := func(ref string) map[string]any {
		return map[string]any{
			"label": repo.owner.login + ":" + ref, "ref": ref, "sha": ghSHA(ref),
			"user": g.userJSON(repo.owner, false), "repo": g.repoJSON(repo, nil),
		}
	}
	m := map[string]any{
		"url": api, "id": p.id, "node_id": fmt.Sprintf("PR_%d", p.id), "html_url": html,
		"diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue["url"],
		"number": is.number, "state": is.state, "locked": false, "title": is.title, "user": issue["user"],
		"body": issue["body"], "labels": issue["labels"], "milestone": nil, "active_lock_reason": nil,
		"created_at": issue["created_at"], "updated_at": issue["updated_at"], "closed_at": issue["closed_at"],
		"merged_at": mergedAt, "merge_commit_sha": ghSHA("merge " + p.head),
		"assignee": issue["assignee"], "assignees": issue["assignees"],
		"requested_reviewers": []any{}, "requested_teams": []any{},
		"head": branch(p.head), "base": branch(p.base),
		"author_association": issue["author_association"], "auto_merge": nil, "draft": p.draft,
	}
	if full {
		adds, dels := 0, 0
		for _, f := range p.files {
			adds, dels = adds+f.Additions, dels+f.Deletions
		}
		var mergeable any = !p.merged && is.state == "open"
		if p.merged {
			mergeable = nil
		}
		m["merged"] = p.merged
		m["mergeable"] = mergeable
		m["rebaseable"] = mergeable
		m["mergeable_state"] = map[bool]string{true: "clean", false: "unknown"}[mergeable == true]
		m["merged_by"] = mergedBy
		m["comments"] = is.comments
		m["review_comments"] = 0
		m["maintainer_can_modify"] = false
		m["commits"] = max(len(p.files), 1)
		m["additions"] = adds
		m["deletions"] = dels
		m["changed_files"] = len(p.files)
	}
	return m
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
	writeJSON(w, http.StatusOK, out)
}

// ghQuery is a parsed search q: free words and qualifiers, lower-cased.
// Terms are ANDed; AND is accepted, OR and negation are not modelled.
type ghQuery struct {
	words []string
	quals map[string][]string
}

// ghSearchQuery parses q and checks what GitHub checks before searching: q
// present and at most 256 characters, and the page within the first 1000
// results. It answers the error itself and returns false.
func ghSearchQuery(w http.ResponseWriter, r *http.Request) (ghQuery, bool) {
	q := r.URL.Query()
	raw := strings.TrimSpace(q.Get("q"))
	page, _ := strconv.Atoi(q.Get("page"))
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	switch {
	case raw == "":
		writeValidation(w, map[string]any{"resource": "Search", "field": "q", "code": "missing"})
		return ghQuery{}, false
	case len([]rune(raw)) > 256:
		writeValidation(w, map[string]any{"message": "The search is longer than 256 characters.", "resource": "Search", "field": "q", "code": "invalid"})
		return ghQuery{}, false
	case max(page, 1)*min(per, 100) > 1000:
		writeError(w, http.StatusUnprocessableEntity, "Only the first 1000 search results are available")
		return ghQuery{}, false
	}
	sq := ghQuery{quals: map[string][]string{}}
	for _, term := range ghSplitTerms(strings.ToLower(raw)) {
		if key, val, ok := strings.Cut(term, ":"); ok && key != "" && val != "" {
			sq.quals[key] = append(sq.quals[key], strings.Trim(val, `"`))
		} else if term != "and" {
			sq.words = append(sq.words, strings.Trim(term, `"`))
		}
	}
	return sq, true
}

// ghSplitTerms splits on spaces outside double quotes: label:"good first
// issue" is one term.
func ghSplitTerms(s string) []string {
	var terms []string
	var cur strings.Builder
	quoted := false
	for _, c := range s + " " {
		switch {
		case c == '"':
			quoted = !quoted
			cur.WriteRune(c)
		case c == ' ' && !quoted:
			if cur.Len() > 0 {
				terms = append(terms, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(c)
		}
	}
	return terms
}

// matches reports whether every word occurs in text and every qualifier
// holds; check answers a known qualifier, and unknown ones are ignored.
func (q ghQuery) matches(text string, check func(key, val string) (ok, known bool)) bool {
	text = strings.ToLower(text)
	for _, w := range q.words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	for key, vals := range q.quals {
		for _, v := range vals {
			if ok, known := check(key, v); known && !ok {
				return false
			}
		}
	}
	return true
}

func (g *GitHub) searchRepos(w http.ResponseWriter, r *http.Request, u *ghUser) {
	sq, ok := ghSearchQuery(w, r)
	if !ok {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var list []*ghRepo
	for _, repo := range g.repos {
		if repo.private && repo.owner != u {
			continue
		}
		if sq.matches(repo.name+" "+repo.description, func(key, val string) (bool, bool) {
			switch key {
			case "user", "org", "owner":
				return strings.EqualFold(repo.owner.login, val), true
			case "repo":
				return strings.EqualFold(fullName(repo), val), true
			case "is":
				return val == map[bool]string{true: "private", false: "public"}[repo.private], val == "public" || val == "private"
			case "language":
				return val == "go", true
			}
			return false, false
		}) {
			list = append(list, repo)
		}
	}
	// Best match, stars, forks and help-wanted-issues tie in the fake; the
	// order is then by full name, and updated is by creation.
	slices.SortFunc(list, func(a, b *ghRepo) int { return strings.Compare(fullName(a), fullName(b)) })
	if r.URL.Query().Get("sort") == "updated" {
		slices.SortStableFunc(list, func(a, b *ghRepo) int { return b.created.Compare(a.created) })
		if r.URL.Query().Get("order") == "asc" {
			slices.Reverse(list)
		}
	}
	from, to := g.paginate(w, r, len(list))
	items := []any{}
	for _, repo := range list[from:to] {
		m := g.repoJSON(repo, u)
		m["score"] = 1.0
		items = append(items, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(list), "incomplete_results": false, "items": items})
}

func (g *GitHub) searchIssues(w http.ResponseWriter, r *http.Request, u *ghUser) {
	sq, ok := ghSearchQuery(w, r)
	if !ok {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	x := g.extras()
	type hit struct {
		repo *ghRepo
		is   *ghIssue
	}
	var list []hit
	for _, repo := range g.repos {
		if repo.private && repo.owner != u {
			continue
		}
		for _, is := range repo.issues {
			p := x.pulls[is]
			if sq.matches(is.title+" "+is.body, func(key, val string) (bool, bool) {
				return ghIssueQualifier(repo, is, p, key, val)
			}) {
				list = append(list, hit{repo, is})
			}
		}
	}
	q := r.URL.Query()
	slices.SortFunc(list, func(a, b hit) int {
		switch q.Get("sort") {
		case "created", "updated":
			return b.is.created.Compare(a.is.created)
		case "comments":
			return b.is.comments - a.is.comments
		}
		return cmp.Or(strings.Compare(fullName(a.repo), fullName(b.repo)), a.is.number-b.is.number)
	})
	if q.Get("sort") != "" && q.Get("order") == "asc" {
		slices.Reverse(list)
	}
	from, to := g.paginate(w, r, len(list))
	items := []any{}
	for _, h := range list[from:to] {
		m := g.issueItem(h.repo, h.is)
		m["score"] = 1.0
		items = append(items, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(list), "incomplete_results": false, "items": items})
}

// ghIssueQualifier evaluates one issue search qualifier; p is nil for an
// issue that is not a pull request. The caller holds g.mu.
func ghIssueQualifier(repo *ghRepo, is *ghIssue, p *ghPull, key, val string) (ok, known bool) {
	switch key {
	case "repo":
		return strings.EqualFold(fullName(repo), val), true
	case "user", "org", "owner":
		return strings.EqualFold(repo.owner.login, val), true
	case "author":
		return strings.EqualFold(is.user.login, val), true
	case "assignee":
		return slices.ContainsFunc(is.assignees, func(a string) bool { return strings.EqualFold(a, val) }), true
	case "label":
		return slices.ContainsFunc(is.labels, func(l string) bool { return strings.EqualFold(l, val) }), true
	case "state":
		return is.state == val, true
	case "type", "is":
		switch val {
		case "issue":
			return p == nil, true
		case "pr", "pull-request":
			return p != nil, true
		case "open", "closed":
			return is.state == val, true
		case "merged":
			return p != nil && p.merged, true
		case "unmerged":
			return p != nil && !p.merged, true
		}
	case "draft":
		return p != nil && p.draft == (val == "true"), true
	case "no":
		switch val {
		case "label":
			return len(is.labels) == 0, true
		case "assignee":
			return len(is.assignees) == 0, true
		}
	}
	return false, false
}

func ghPullHTML(r *ghRepo, is *ghIssue) string {
	return fmt.Sprintf("https://github.com/%s/pull/%d", fullName(r), is.number)
}

// ghSHA is a stable commit-like id for s.
func ghSHA(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func ghDerefOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}
