package fakeupstream

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (g *GitHub) listIssues(w http.ResponseWriter, r *http.Request, u *ghUser) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var labels []string
	if l := q.Get("labels"); l != "" {
		labels = strings.Split(l, ",")
	}
	g.mu.Lock()
	repo := g.repo(r, u)
	if repo == nil {
		g.mu.Unlock()
		ghWriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	var list []*ghIssue
	for _, is := range repo.issues {
		keep := (state == "all" || is.state == state) &&
			(q.Get("creator") == "" || strings.EqualFold(is.user.login, q.Get("creator")))
		for _, l := range labels {
			keep = keep && slices.Contains(is.labels, l)
		}
		switch a := q.Get("assignee"); a {
		case "", "*":
			keep = keep && (a == "" || len(is.assignees) > 0)
		case "none":
			keep = keep && len(is.assignees) == 0
		default:
			keep = keep && slices.Contains(is.assignees, a)
		}
		if keep {
			list = append(list, is)
		}
	}
	if q.Get("direction") != "asc" {
		slices.Reverse(list) // newest first by default
	}
	from, to := g.paginate(w, r, len(list))
	out := []any{}
	for _, is := range list[from:to] {
		out = append(out, g.issueJSON(repo, is))
	}
	g.mu.Unlock()
	ghWriteJSON(w, http.StatusOK, out)
}

// issue finds issue {number} of a repository visible to u. The caller holds
// g.mu.
func (g *GitHub) issue(r *http.Request, u *ghUser) (*ghRepo, *ghIssue) {
	repo := g.repo(r, u)
	n, err := strconv.Atoi(r.PathValue("number"))
	if repo == nil || err != nil || n < 1 || n > len(repo.issues) {
		return nil, nil
	}
	return repo, repo.issues[n-1]
}

func (g *GitHub) getIssue(w http.ResponseWriter, r *http.Request, u *ghUser) {
	g.mu.Lock()
	repo, is := g.issue(r, u)
	var out any
	if is != nil {
		out = g.issueJSON(repo, is)
	}
	g.mu.Unlock()
	if is == nil {
		ghWriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	ghWriteJSON(w, http.StatusOK, out)
}

func (g *GitHub) createIssue(w http.ResponseWriter, r *http.Request, u *ghUser) {
	var in struct {
		Title     *string  `json:"title"`
		Body      string   `json:"body"`
		Assignees []string `json:"assignees"`
		Milestone *int     `json:"milestone"`
		Labels    []string `json:"labels"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repo(r, u)
	switch {
	case repo == nil:
		ghWriteError(w, http.StatusNotFound, "Not Found")
	case in.Title == nil || *in.Title == "":
		ghWriteValidation(w, map[string]any{"resource": "Issue", "code": "missing_field", "field": "title"})
	case in.Milestone != nil: // the fake has no milestones
		ghWriteValidation(w, map[string]any{"resource": "Issue", "code": "invalid", "field": "milestone", "value": *in.Milestone})
	default:
		is := g.addIssue(repo, u, *in.Title, in.Body, in.Labels)
		if in.Assignees != nil {
			is.assignees = in.Assignees
		}
		ghWriteJSON(w, http.StatusCreated, g.issueJSON(repo, is))
	}
}

func (g *GitHub) createComment(w http.ResponseWriter, r *http.Request, u *ghUser) {
	var in struct {
		Body *string `json:"body"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, is := g.issue(r, u)
	switch {
	case is == nil:
		ghWriteError(w, http.StatusNotFound, "Not Found")
	case in.Body == nil || *in.Body == "":
		ghWriteValidation(w, map[string]any{"resource": "IssueComment", "code": "missing_field", "field": "body"})
	default:
		is.comments++
		n, at := g.next()
		id := 9000 + n
		ghWriteJSON(w, http.StatusCreated, map[string]any{
			"id": id, "node_id": fmt.Sprintf("IC_%d", id),
			"url":        fmt.Sprintf("%s/repos/%s/issues/comments/%d", g.URL(), fullName(repo), id),
			"html_url":   fmt.Sprintf("%s#issuecomment-%d", issueHTML(repo, is), id),
			"issue_url":  fmt.Sprintf("%s/repos/%s/issues/%d", g.URL(), fullName(repo), is.number),
			"body":       *in.Body,
			"user":       g.userJSON(u, false),
			"created_at": stamp(at), "updated_at": stamp(at),
			"author_association": association(repo, u),
		})
	}
}

func fullName(r *ghRepo) string { return r.owner.login + "/" + r.name }

func issueHTML(r *ghRepo, is *ghIssue) string {
	return fmt.Sprintf("https://github.com/%s/issues/%d", fullName(r), is.number)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func association(r *ghRepo, u *ghUser) string {
	if r.owner == u {
		return "OWNER"
	}
	return "NONE"
}

// userJSON is GitHub's user object; full adds the profile fields of GET /user.
func (g *GitHub) userJSON(u *ghUser, full bool) map[string]any {
	m := map[string]any{
		"login": u.login, "id": u.id, "node_id": fmt.Sprintf("U_%d", u.id),
		"avatar_url": fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", u.id),
		"url":        g.URL() + "/users/" + u.login, "html_url": "https://github.com/" + u.login,
		"type": "User", "site_admin": false,
	}
	if full {
		m["name"] = "The " + u.login
		m["company"] = nil
		m["blog"] = ""
		m["location"] = nil
		m["email"] = u.login + "@example.com"
		m["bio"] = nil
		m["public_repos"] = 2
		m["created_at"] = stamp(epoch)
		m["updated_at"] = stamp(epoch)
	}
	return m
}

// repoJSON is GitHub's repository object as seen by viewer. The caller
// holds g.mu.
func (g *GitHub) repoJSON(r *ghRepo, viewer *ghUser) map[string]any {
	open := 0
	for _, is := range r.issues {
		if is.state == "open" {
			open++
		}
	}
	vis := map[bool]string{true: "private", false: "public"}[r.private]
	var desc any
	if r.description != "" {
		desc = r.description
	}
	owner := r.owner == viewer
	return map[string]any{
		"id": r.id, "node_id": fmt.Sprintf("R_%d", r.id), "name": r.name, "full_name": fullName(r),
		"private": r.private, "visibility": vis, "owner": g.userJSON(r.owner, false),
		"html_url": "https://github.com/" + fullName(r), "description": desc, "fork": false,
		"url":        g.URL() + "/repos/" + fullName(r),
		"created_at": stamp(r.created), "updated_at": stamp(r.created), "pushed_at": stamp(r.created),
		"homepage": nil, "size": 108, "stargazers_count": 0, "watchers_count": 0, "language": "Go",
		"has_issues": true, "forks_count": 0, "archived": false, "disabled": false,
		"open_issues_count": open, "topics": []string{}, "default_branch": "main",
		"permissions": map[string]any{"admin": owner, "maintain": owner, "push": owner, "triage": owner, "pull": true},
	}
}

// issueJSON is GitHub's issue object. The caller holds g.mu.
func (g *GitHub) issueJSON(r *ghRepo, is *ghIssue) map[string]any {
	labels := []any{}
	for i, l := range is.labels {
		labels = append(labels, map[string]any{"id": 7000 + i, "name": l, "color": "d73a4a", "default": false})
	}
	assignees := []any{}
	var assignee any
	for _, a := range is.assignees {
		u := g.logins[strings.ToLower(a)]
		if u == nil {
			u = &ghUser{login: a}
		}
		assignees = append(assignees, g.userJSON(u, false))
	}
	if len(assignees) > 0 {
		assignee = assignees[0]
	}
	var closedAt, reason any
	if is.state == "closed" {
		closedAt, reason = stamp(is.created), "completed"
	}
	var body any
	if is.body != "" {
		body = is.body
	}
	api := fmt.Sprintf("%s/repos/%s/issues/%d", g.URL(), fullName(r), is.number)
	return map[string]any{
		"id": is.id, "node_id": fmt.Sprintf("I_%d", is.id), "number": is.number,
		"url": api, "repository_url": g.URL() + "/repos/" + fullName(r), "comments_url": api + "/comments",
		"html_url": issueHTML(r, is), "title": is.title, "body": body, "state": is.state, "state_reason": reason,
		"user": g.userJSON(is.user, false), "labels": labels, "assignee": assignee, "assignees": assignees,
		"milestone": nil, "locked": false, "comments": is.comments,
		"created_at": stamp(is.created), "updated_at": stamp(is.created), "closed_at": closedAt,
		"author_association": association(r, is.user),
	}
}
