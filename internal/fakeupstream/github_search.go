package fakeupstream

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The fake GitHub's search of repositories and issues: GitHub's query
// syntax, reduced to ANDed words and the common qualifiers.

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
		ghWriteValidation(w, map[string]any{"resource": "Search", "field": "q", "code": "missing"})
		return ghQuery{}, false
	case len([]rune(raw)) > 256:
		ghWriteValidation(w, map[string]any{"message": "The search is longer than 256 characters.", "resource": "Search", "field": "q", "code": "invalid"})
		return ghQuery{}, false
	case max(page, 1)*min(per, 100) > 1000:
		ghWriteError(w, http.StatusUnprocessableEntity, "Only the first 1000 search results are available")
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
	ghWriteJSON(w, http.StatusOK, map[string]any{"total_count": len(list), "incomplete_results": false, "items": items})
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
	ghWriteJSON(w, http.StatusOK, map[string]any{"total_count": len(list), "incomplete_results": false, "items": items})
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
