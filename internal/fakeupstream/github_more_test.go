package fakeupstream

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ghSeedMore gives octo-work/hello-world pull requests #3 (open, three
// files) and #4 (merged), and issue #1 two comments.
func ghSeedMore(tb testing.TB, g *GitHub) {
	tb.Helper()
	g.AddPullRequest("octo-work", "hello-world", "octo-home", GitHubPullRequest{Title: "Fix crash", Head: "fix", Files: []GitHubPullRequestFile{
		{Filename: "main.go", Additions: 3, Deletions: 1, Patch: "@@ -1 +1,3 @@"},
		{Filename: "b.md", Status: "renamed", PreviousFilename: "a.md"},
		{Filename: "logo.png", Status: "added"},
	}})
	g.AddPullRequest("octo-work", "hello-world", "octo-work", GitHubPullRequest{Title: "Add CI", Head: "ci", Base: "dev", Merged: true})
	g.AddIssueComment("octo-work", "hello-world", 1, "octo-home", "Me too.")
	g.AddIssueComment("octo-work", "hello-world", 1, "octo-work", "Fixed.")
}

// ghField walks v along dotted path (numbers index arrays).
func ghField(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// ghNumbers lists the "number" of each item of a list (or of items).
func ghNumbers(v any) []float64 {
	if m, ok := v.(map[string]any); ok {
		v = m["items"]
	}
	var out []float64
	for _, item := range v.([]any) {
		out = append(out, item.(map[string]any)["number"].(float64))
	}
	return out
}

func TestGitHubSearchValidation(t *testing.T) {
	g := newGitHub(t)
	tests := []struct {
		name, path, message, code string
	}{
		{"MissingQuery", "/search/issues", "Validation Failed", "missing"},
		{"BlankQuery", "/search/repositories?q=+", "Validation Failed", "missing"},
		{"QueryOver256", "/search/issues?q=" + strings.Repeat("a", 257), "Validation Failed", "invalid"},
		{"Beyond1000Results", "/search/repositories?q=a&per_page=100&page=11", "Only the first 1000 search results are available", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, v := call(t, g, "GET", tt.path, "tok-work", "")
			if status != 422 || ghField(v, "message") != tt.message {
				t.Fatalf("GET %s = %d %v", tt.path, status, v)
			}
			if tt.code != "" && (ghField(v, "errors.0.field") != "q" || ghField(v, "errors.0.code") != tt.code) {
				t.Errorf("errors = %v, want field q code %s", ghField(v, "errors"), tt.code)
			}
		})
	}
	t.Run("Page10Of100IsAllowed", func(t *testing.T) {
		if status, _, _ := call(t, g, "GET", "/search/repositories?q=a&per_page=100&page=10", "tok-work", ""); status != 200 {
			t.Errorf("status = %d", status)
		}
	})
	t.Run("RequiresAToken", func(t *testing.T) {
		if status, _, _ := call(t, g, "GET", "/search/issues?q=a", "", ""); status != 401 {
			t.Errorf("status = %d", status)
		}
	})
}

func TestGitHubSearchRepositories(t *testing.T) {
	g := newGitHub(t)
	g.AddRepo("octo-home", "secret-plans", true)
	names := func(v any) []string {
		var out []string
		for _, item := range ghField(v, "items").([]any) {
			out = append(out, item.(map[string]any)["full_name"].(string))
		}
		return out
	}
	tests := []struct {
		name, q string
		want    []string
	}{
		{"WordInNameOrDescription", "configuration", []string{"octo-home/dotfiles", "octo-work/dotfiles"}},
		{"UserQualifier", "user:octo-work", []string{"octo-work/dotfiles", "octo-work/hello-world", "octo-work/notes"}},
		{"OthersPrivateReposAreHidden", "is:private", []string{"octo-work/notes"}},
		{"RepoQualifier", "repo:octo-home/hello-world", []string{"octo-home/hello-world"}},
		{"WordsAreAnded", "hello AND first user:octo-home", []string{"octo-home/hello-world"}},
		{"NoMatch", "kubernetes", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, v := call(t, g, "GET", "/search/repositories?q="+url.QueryEscape(tt.q), "tok-work", "")
			if status != 200 {
				t.Fatalf("status = %d %v", status, v)
			}
			if diff := cmp.Diff(tt.want, names(v)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if ghField(v, "total_count") != float64(len(tt.want)) || ghField(v, "incomplete_results") != false {
				t.Errorf("total_count %v incomplete_results %v", ghField(v, "total_count"), ghField(v, "incomplete_results"))
			}
		})
	}
	t.Run("PagesWithLinkHeader", func(t *testing.T) {
		_, h, v := call(t, g, "GET", "/search/repositories?q=user:octo-work&per_page=2&page=1", "tok-work", "")
		if len(names(v)) != 2 || ghField(v, "total_count") != float64(3) || !strings.Contains(h.Get("Link"), `rel="next"`) {
			t.Errorf("page 1: %v, Link %q", names(v), h.Get("Link"))
		}
	})
}

func TestGitHubSearchIssues(t *testing.T) {
	g := newGitHub(t)
	ghSeedMore(t, g)
	g.AddPullRequest("octo-work", "hello-world", "octo-work", GitHubPullRequest{Title: "WIP", Head: "wip", Draft: true})
	tests := []struct {
		name, q string
		want    []float64
	}{
		{"IssuesOnly", "is:issue repo:octo-work/hello-world", []float64{1, 2}},
		{"PullRequestsOnly", "is:pr repo:octo-work/hello-world", []float64{3, 4, 5}},
		{"Merged", "is:pr is:merged", []float64{4}},
		{"Draft", "draft:true", []float64{5}},
		{"NotDraft", "draft:false repo:octo-work/hello-world", []float64{3, 4}},
		{"OpenByAuthor", "is:open author:octo-home is:pr", []float64{3}},
		{"QuotedLabel", `label:"bug" user:octo-work`, []float64{1}},
		{"ClosedIssues", "type:issue state:closed user:octo-work", []float64{2}},
		{"Words", "crash", []float64{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, v := call(t, g, "GET", "/search/issues?q="+url.QueryEscape(tt.q), "tok-work", "")
			if status != 200 {
				t.Fatalf("status = %d %v", status, v)
			}
			if diff := cmp.Diff(tt.want, ghNumbers(v)); diff != "" {
				t.Errorf("numbers (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("PullRequestItemsSayso", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/search/issues?q=is:pr+is:merged", "tok-work", "")
		item := ghField(v, "items.0")
		if ghField(item, "html_url") != "https://github.com/octo-work/hello-world/pull/4" || ghField(item, "pull_request.merged_at") == nil ||
			ghField(item, "draft") != false {
			t.Errorf("item = %v", item)
		}
		_, _, v = call(t, g, "GET", "/search/issues?q=is:issue+repo:octo-work/hello-world", "tok-work", "")
		if _, ok := ghField(v, "items.0").(map[string]any)["pull_request"]; ok {
			t.Errorf("an issue carries pull_request: %v", ghField(v, "items.0"))
		}
	})
	t.Run("SortByComments", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/search/issues?q=user:octo-work&sort=comments&order=desc", "tok-work", "")
		if got := ghNumbers(v); len(got) != 5 || got[0] != 1 {
			t.Errorf("numbers = %v, want #1 (two comments) first", got)
		}
	})
}

func TestGitHubUpdateIssue(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		body   string
		status int
		want   map[string]any // dotted path → value
	}{
		{"CloseNotPlanned", "/repos/octo-work/hello-world/issues/1", `{"state":"closed","state_reason":"not_planned"}`, 200,
			map[string]any{"state": "closed", "state_reason": "not_planned", "title": "Found a bug"}},
		{"CloseDefaultsToCompleted", "/repos/octo-work/hello-world/issues/1", `{"state":"closed"}`, 200,
			map[string]any{"state": "closed", "state_reason": "completed"}},
		{"ReopenSaysReopened", "/repos/octo-work/hello-world/issues/2", `{"state":"open"}`, 200,
			map[string]any{"state": "open", "state_reason": "reopened", "closed_at": nil}},
		{"ReasonIgnoredWithoutStateChange", "/repos/octo-work/hello-world/issues/1", `{"state_reason":"not_planned"}`, 200,
			map[string]any{"state": "open", "state_reason": nil}},
		{"LabelsAndAssigneesReplaced", "/repos/octo-work/hello-world/issues/1", `{"labels":["ui","p1"],"assignees":["octo-home"]}`, 200,
			map[string]any{"labels.0.name": "ui", "labels.1.name": "p1", "labels.2": nil, "assignees.0.login": "octo-home"}},
		{"EmptyListsClear", "/repos/octo-work/hello-world/issues/1", `{"labels":[],"assignees":[]}`, 200,
			map[string]any{"labels.0": nil, "assignees.0": nil}},
		{"TitleAndBody", "/repos/octo-work/hello-world/issues/2", `{"title":"Write docs","body":null,"milestone":null}`, 200,
			map[string]any{"title": "Write docs", "body": nil}},
		{"EmptyTitle", "/repos/octo-work/hello-world/issues/1", `{"title":""}`, 422,
			map[string]any{"message": "Validation Failed", "errors.0.field": "title", "errors.0.code": "missing_field"}},
		{"BadState", "/repos/octo-work/hello-world/issues/1", `{"state":"done"}`, 422,
			map[string]any{"errors.0.field": "state", "errors.0.code": "invalid"}},
		{"BadStateReason", "/repos/octo-work/hello-world/issues/1", `{"state":"closed","state_reason":"wontfix"}`, 422,
			map[string]any{"errors.0.field": "state_reason"}},
		{"LabelsOfWrongType", "/repos/octo-work/hello-world/issues/1", `{"labels":"bug"}`, 422,
			map[string]any{"errors.0.field": "labels", "errors.0.code": "invalid"}},
		{"UnknownMilestone", "/repos/octo-work/hello-world/issues/1", `{"milestone":3}`, 422,
			map[string]any{"errors.0.field": "milestone"}},
		{"NotJSON", "/repos/octo-work/hello-world/issues/1", `state=closed`, 400, map[string]any{"message": "Problems parsing JSON"}},
		{"OthersPrivateRepo", "/repos/octo-home/notes/issues/1", `{"state":"closed"}`, 404, map[string]any{"message": "Not Found"}},
		{"NoSuchIssue", "/repos/octo-work/hello-world/issues/9", `{"state":"closed"}`, 404, map[string]any{"message": "Not Found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGitHub(t)
			status, _, v := call(t, g, "PATCH", tt.path, "tok-work", tt.body)
			if status != tt.status {
				t.Fatalf("PATCH %s = %d %v, want %d", tt.path, status, v, tt.status)
			}
			for path, want := range tt.want {
				if got := ghField(v, path); got != want {
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
		})
	}
	t.Run("ChangesPersist", func(t *testing.T) {
		g := newGitHub(t)
		call(t, g, "PATCH", "/repos/octo-work/hello-world/issues/1", "tok-work", `{"title":"Renamed","state":"closed"}`)
		_, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/issues/1", "tok-work", "")
		if ghField(v, "title") != "Renamed" || ghField(v, "state") != "closed" {
			t.Errorf("GET after PATCH = %v", v)
		}
	})
}

func TestGitHubIssueComments(t *testing.T) {
	g := newGitHub(t)
	ghSeedMore(t, g)
	bodies := func(v any) []string {
		var out []string
		for _, c := range v.([]any) {
			out = append(out, ghField(c, "user.login").(string)+": "+ghField(c, "body").(string))
		}
		return out
	}
	_, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/issues/1/comments", "tok-work", "")
	if diff := cmp.Diff([]string{"octo-home: Me too.", "octo-work: Fixed."}, bodies(v)); diff != "" {
		t.Errorf("comments, oldest first (-want +got):\n%s", diff)
	}
	if ghField(v, "0.author_association") != "NONE" || ghField(v, "1.author_association") != "OWNER" ||
		!strings.HasSuffix(ghField(v, "1.html_url").(string), fmt.Sprintf("/issues/1#issuecomment-%v", ghField(v, "1.id"))) {
		t.Errorf("comment fields = %v", v)
	}
	since := ghField(v, "1.created_at").(string)
	_, _, v = call(t, g, "GET", "/repos/octo-work/hello-world/issues/1/comments?since="+since, "tok-work", "")
	if diff := cmp.Diff([]string{"octo-work: Fixed."}, bodies(v)); diff != "" {
		t.Errorf("since %s (-want +got):\n%s", since, diff)
	}
	_, h, v := call(t, g, "GET", "/repos/octo-work/hello-world/issues/1/comments?per_page=1", "tok-work", "")
	if len(v.([]any)) != 1 || !strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Errorf("per_page=1: %v, Link %q", v, h.Get("Link"))
	}
	if status, _, _ := call(t, g, "GET", "/repos/octo-work/hello-world/issues/7/comments", "tok-work", ""); status != 404 {
		t.Errorf("unknown issue: status %d", status)
	}
	_, _, v = call(t, g, "GET", "/repos/octo-work/hello-world/issues/1", "tok-work", "")
	if ghField(v, "comments") != float64(2) {
		t.Errorf("issue comments count = %v", ghField(v, "comments"))
	}
}

func TestGitHubPullRequests(t *testing.T) {
	g := newGitHub(t)
	ghSeedMore(t, g)
	list := []struct {
		name, query string
		want        []float64
	}{
		{"OpenByDefault", "", []float64{3}},
		{"AllNewestFirst", "?state=all", []float64{4, 3}},
		{"Ascending", "?state=all&direction=asc", []float64{3, 4}},
		{"Closed", "?state=closed", []float64{4}},
		{"ByHead", "?state=all&head=octo-work:ci", []float64{4}},
		{"HeadNeedsTheOwner", "?state=all&head=octo-home:ci", nil},
		{"ByBase", "?state=all&base=dev", []float64{4}},
	}
	for _, tt := range list {
		t.Run("List"+tt.name, func(t *testing.T) {
			status, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/pulls"+tt.query, "tok-work", "")
			if status != 200 {
				t.Fatalf("status %d %v", status, v)
			}
			if diff := cmp.Diff(tt.want, ghNumbers(v)); diff != "" {
				t.Errorf("numbers (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("ListItemsLackTheCounts", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/pulls", "tok-work", "")
		item := ghField(v, "0").(map[string]any)
		if _, ok := item["additions"]; ok || item["head"].(map[string]any)["label"] != "octo-work:fix" {
			t.Errorf("list item = %v", item)
		}
	})
	t.Run("Get", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/pulls/3", "tok-work", "")
		want := map[string]any{"number": float64(3), "state": "open", "merged": false, "mergeable": true, "changed_files": float64(3),
			"additions": float64(3), "deletions": float64(1), "user.login": "octo-home", "head.ref": "fix", "base.ref": "main",
			"html_url": "https://github.com/octo-work/hello-world/pull/3", "merged_by": nil}
		for path, w := range want {
			if got := ghField(v, path); got != w {
				t.Errorf("%s = %v, want %v", path, got, w)
			}
		}
		_, _, v = call(t, g, "GET", "/repos/octo-work/hello-world/pulls/4", "tok-work", "")
		if ghField(v, "merged") != true || ghField(v, "state") != "closed" || ghField(v, "merged_by.login") != "octo-work" || ghField(v, "merged_at") == nil {
			t.Errorf("merged pull request = %v", v)
		}
	})
	t.Run("IssueNumbersAreShared", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/issues/3", "tok-work", "")
		if ghField(v, "title") != "Fix crash" {
			t.Errorf("issue #3 = %v", v)
		}
		if status, _, _ := call(t, g, "GET", "/repos/octo-work/hello-world/pulls/1", "tok-work", ""); status != 404 {
			t.Errorf("an issue as a pull request: status %d, want 404", status)
		}
	})
	t.Run("Files", func(t *testing.T) {
		_, h, v := call(t, g, "GET", "/repos/octo-work/hello-world/pulls/3/files?per_page=2", "tok-work", "")
		want := map[string]any{"0.filename": "main.go", "0.status": "modified", "0.changes": float64(4), "0.patch": "@@ -1 +1,3 @@",
			"1.filename": "b.md", "1.status": "renamed", "1.previous_filename": "a.md", "2": nil}
		for path, w := range want {
			if got := ghField(v, path); got != w {
				t.Errorf("%s = %v, want %v", path, got, w)
			}
		}
		if !strings.Contains(h.Get("Link"), `rel="next"`) {
			t.Errorf("Link = %q", h.Get("Link"))
		}
		_, _, v = call(t, g, "GET", "/repos/octo-work/hello-world/pulls/3/files?per_page=2&page=2", "tok-work", "")
		if _, hasPatch := ghField(v, "0").(map[string]any)["patch"]; ghField(v, "0.filename") != "logo.png" || hasPatch {
			t.Errorf("page 2 = %v, want logo.png without a patch", v)
		}
	})
	t.Run("OthersPrivateRepoIsNotFound", func(t *testing.T) {
		if status, _, _ := call(t, g, "GET", "/repos/octo-home/notes/pulls", "tok-work", ""); status != 404 {
			t.Errorf("status %d", status)
		}
	})
}

func TestGitHubNotifications(t *testing.T) {
	g := newGitHub(t)
	add := func(login, repo, reason string, read bool) string {
		return g.AddNotification(login, GitHubNotification{Repo: repo, Type: "Issue", Title: reason, Number: 1, Reason: reason, Read: read})
	}
	mention := add("octo-work", "octo-work/hello-world", "mention", false)
	subscribed := add("octo-work", "octo-home/dotfiles", "subscribed", false)
	read := add("octo-work", "octo-work/hello-world", "assign", true)
	add("octo-home", "octo-home/dotfiles", "author", false)
	ids := func(v any) []string {
		var out []string
		for _, n := range v.([]any) {
			out = append(out, ghField(n, "id").(string))
		}
		return out
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"UnreadNewestFirst", "", []string{subscribed, mention}},
		{"All", "?all=true", []string{read, subscribed, mention}},
		{"Participating", "?participating=true&all=true", []string{read, mention}},
		{"Since", "?all=true&since=" + url.QueryEscape("2024-01-02T03:15:30Z"), []string{read, subscribed}},
		{"Before", "?all=true&before=" + url.QueryEscape("2024-01-02T03:15:30Z"), []string{mention}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, v := call(t, g, "GET", "/notifications"+tt.query, "tok-work", "")
			if status != 200 || h.Get("X-Accepted-OAuth-Scopes") != "notifications, repo" {
				t.Fatalf("status %d, accepted scopes %q", status, h.Get("X-Accepted-OAuth-Scopes"))
			}
			if diff := cmp.Diff(tt.want, ids(v)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("ThreadShape", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/notifications", "tok-work", "")
		n := ghField(v, "1")
		want := map[string]any{"unread": true, "reason": "mention", "subject.type": "Issue", "last_read_at": nil,
			"subject.url": g.URL() + "/repos/octo-work/hello-world/issues/1", "repository.full_name": "octo-work/hello-world"}
		for path, w := range want {
			if got := ghField(n, path); got != w {
				t.Errorf("%s = %v, want %v", path, got, w)
			}
		}
	})
	t.Run("PagesBy50AtMost", func(t *testing.T) {
		for i := range 60 {
			add("octo-work", "octo-work/hello-world", fmt.Sprint("subscribed", i), false)
		}
		for _, q := range []string{"", "?per_page=100"} {
			_, h, v := call(t, g, "GET", "/notifications"+q, "tok-work", "")
			if len(v.([]any)) != 50 || !strings.Contains(h.Get("Link"), `rel="next"`) {
				t.Errorf("GET /notifications%s: %d threads, Link %q; want 50 and a next page", q, len(v.([]any)), h.Get("Link"))
			}
		}
	})
}

func TestGitHubExtrasArePerFake(t *testing.T) {
	a, b := newGitHub(t), newGitHub(t)
	a.AddPullRequest("octo-work", "hello-world", "octo-work", GitHubPullRequest{Title: "Only in a", Head: "x"})
	if _, _, v := call(t, b, "GET", "/repos/octo-work/hello-world/pulls", "tok-work", ""); len(v.([]any)) != 0 {
		t.Errorf("b sees a's pull request: %v", v)
	}
	if _, _, v := call(t, a, "GET", "/repos/octo-work/hello-world/pulls", "tok-work", ""); len(v.([]any)) != 1 {
		t.Errorf("a lost its pull request: %v", v)
	}
}
