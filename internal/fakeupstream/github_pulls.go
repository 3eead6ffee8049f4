package fakeupstream

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The fake GitHub's pull requests: list, get and list files.

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
		ghWriteError(w, http.StatusNotFound, "Not Found")
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
	ghWriteJSON(w, http.StatusOK, out)
}

func (g *GitHub) getPull(w http.ResponseWriter, r *http.Request, u *ghUser) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, is, p := g.pull(r, u)
	if p == nil {
		ghWriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	ghWriteJSON(w, http.StatusOK, g.pullJSON(repo, is, p, true))
}

func (g *GitHub) listPullFiles(w http.ResponseWriter, r *http.Request, u *ghUser) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, _, p := g.pull(r, u)
	if p == nil {
		ghWriteError(w, http.StatusNotFound, "Not Found")
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
	ghWriteJSON(w, http.StatusOK, out)
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

func ghPullHTML(r *ghRepo, is *ghIssue) string {
	return fmt.Sprintf("https://github.com/%s/pull/%d", fullName(r), is.number)
}

// ghSHA is a stable commit-like id for s.
func ghSHA(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
