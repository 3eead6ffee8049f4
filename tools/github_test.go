package tools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// ghLongPatch is a diff longer than the 2000 characters a file's patch
// keeps, and ghCutPatch what is left of it.
var (
	ghLongPatch = "@@ -1,2 +1,10 @@\n-package main\n" + strings.Repeat("+// the fix, one more line\n", 100)
	ghCutPatch  = ghLongPatch[:2000] + fmt.Sprintf("… [cut: %d more characters]", len(ghLongPatch)-2000)
)

// seedGitHubMore gives the harness's fake what the tools below read, on top
// of newHarness's users: pull requests #3 (open) and #4 (merged) in
// octo-work/hello-world, two comments on issue #1, and three notification
// threads of octo-work.
func seedGitHubMore(tb testing.TB, gh *fakeupstream.GitHub) {
	tb.Helper()
	gh.AddPullRequest("octo-work", "hello-world", "octo-work", fakeupstream.GitHubPullRequest{
		Title: "Fix crash on start", Body: "Closes #1.", Head: "fix-crash",
		Files: []fakeupstream.GitHubPullRequestFile{
			{Filename: "main.go", Additions: 10, Deletions: 2, Patch: ghLongPatch},
			{Filename: "docs/new.md", Status: "renamed", PreviousFilename: "docs/old.md"},
			{Filename: "logo.png", Status: "added"},
		},
	})
	gh.AddPullRequest("octo-work", "hello-world", "octo-work", fakeupstream.GitHubPullRequest{
		Title: "Add CI", Head: "ci", Merged: true,
		Files: []fakeupstream.GitHubPullRequestFile{{Filename: ".github/workflows/ci.yml", Status: "added", Additions: 20}},
	})
	gh.AddIssueComment("octo-work", "hello-world", 1, "octo-home", "Same here on Linux.")
	gh.AddIssueComment("octo-work", "hello-world", 1, "octo-work", "Fixed by #3.")
	gh.AddNotification("octo-work", fakeupstream.GitHubNotification{Repo: "octo-work/hello-world", Type: "PullRequest",
		Title: "Fix crash on start", Number: 3, Reason: "review_requested"})
	gh.AddNotification("octo-work", fakeupstream.GitHubNotification{Repo: "octo-work/hello-world", Type: "Issue",
		Title: "Found a bug", Number: 1, Reason: "mention", Read: true})
	gh.AddNotification("octo-work", fakeupstream.GitHubNotification{Repo: "octo-home/dotfiles", Type: "Release",
		Title: "v1.0.0", Reason: "subscribed"})
	gh.Reset()
}

// TestGitHubMoreTools runs every tool beyond the first seven against the
// fake and pins the exact upstream request and the shaped result. In
// structured, {api} stands for the fake's base URL.
func TestGitHubMoreTools(t *testing.T) {
	hello := map[string]any{"owner": "octo-work", "repo": "hello-world"}
	with := func(extra map[string]any) map[string]any { return merged(hello, extra) }
	testGitHubCalls(t, []ghCall{{
		name: "UpdateIssueClosesRelabelsUnassignsAndClearsMilestone", tool: "GITHUB_UPDATE_ISSUE",
		args: with(map[string]any{"issue_number": 1, "title": "Found a bug (old)", "state": "closed", "state_reason": "not_planned",
			"labels": []any{"wontfix"}, "assignees": []any{}, "milestone": 0}),
		method: "PATCH", path: "/repos/octo-work/hello-world/issues/1",
		body: `{"title":"Found a bug (old)","state":"closed","state_reason":"not_planned","labels":["wontfix"],"assignees":[],"milestone":null}`,
		structured: `{"number":1,"title":"Found a bug (old)","state":"closed","state_reason":"not_planned","user":{"login":"octo-work"},
			"labels":[{"name":"wontfix"}],"assignees":[],"milestone":null,"updated_at":"2024-01-02T03:06:05Z",
			"closed_at":"2024-01-02T03:06:05Z","html_url":"https://github.com/octo-work/hello-world/issues/1"}`,
		text: "Updated issue #1: Found a bug (old) [closed] https://github.com/octo-work/hello-world/issues/1",
	}, {
		name: "UpdateIssueSendsOnlyGivenFields", tool: "GITHUB_UPDATE_ISSUE",
		args:   with(map[string]any{"issue_number": 2, "state": "open"}),
		method: "PATCH", path: "/repos/octo-work/hello-world/issues/2", body: `{"state":"open"}`,
		structured: `{"number":2,"title":"Add a README","state":"open","state_reason":"reopened","user":{"login":"octo-work"},
			"labels":[],"assignees":[],"milestone":null,"updated_at":"2024-01-02T03:07:05Z","closed_at":null,
			"html_url":"https://github.com/octo-work/hello-world/issues/2"}`,
		text: "Updated issue #2: Add a README [open] https://github.com/octo-work/hello-world/issues/2",
	}, {
		name: "ListIssueCommentsSince", tool: "GITHUB_LIST_ISSUE_COMMENTS",
		args:   with(map[string]any{"issue_number": 1, "since": "2024-01-02T03:20:00Z", "per_page": 10}),
		method: "GET", path: "/repos/octo-work/hello-world/issues/1/comments", query: "per_page=10&since=2024-01-02T03%3A20%3A00Z",
		structured: `{"count":1,"page":1,"comments":[{"id":9016,"user":{"login":"octo-work"},"author_association":"OWNER","body":"Fixed by #3.",
			"created_at":"2024-01-02T03:20:05Z","updated_at":"2024-01-02T03:20:05Z",
			"html_url":"https://github.com/octo-work/hello-world/issues/1#issuecomment-9016"}]}`,
		text: "comments: 1 item on page 1:\n- octo-work at 2024-01-02T03:20:05Z: Fixed by #3.",
	}, {
		name: "ListPullRequestsAllStatesNewestFirst", tool: "GITHUB_LIST_PULL_REQUESTS",
		args:   with(map[string]any{"state": "all", "base": "main", "per_page": 1}),
		method: "GET", path: "/repos/octo-work/hello-world/pulls", query: "base=main&per_page=1&state=all",
		structured: `{"count":1,"page":1,"next_page":2,"pull_requests":[{"number":4,"title":"Add CI","state":"closed","draft":false,
			"user":{"login":"octo-work"},"head":{"ref":"ci"},"base":{"ref":"main"},"labels":[],"requested_reviewers":[],
			"created_at":"2024-01-02T03:17:05Z","updated_at":"2024-01-02T03:17:05Z","closed_at":"2024-01-02T03:17:05Z",
			"merged_at":"2024-01-02T03:17:05Z","html_url":"https://github.com/octo-work/hello-world/pull/4"}]}`,
		text: "pull_requests: 1 item on page 1:\n- #4 Add CI [closed] by octo-work, ci into main https://github.com/octo-work/hello-world/pull/4\n" +
			"More may exist: call again with page=2 (per_page=1).",
	}, {
		name: "ListPullRequestsByHead", tool: "GITHUB_LIST_PULL_REQUESTS",
		args:   with(map[string]any{"head": "octo-work:fix-crash", "sort": "popularity", "direction": "desc"}),
		method: "GET", path: "/repos/octo-work/hello-world/pulls", query: "direction=desc&head=octo-work%3Afix-crash&sort=popularity",
		structured: `{"count":1,"page":1,"pull_requests":[{"number":3,"title":"Fix crash on start","state":"open","draft":false,
			"user":{"login":"octo-work"},"head":{"ref":"fix-crash"},"base":{"ref":"main"},"labels":[],"requested_reviewers":[],
			"created_at":"2024-01-02T03:15:05Z","updated_at":"2024-01-02T03:15:05Z","closed_at":null,"merged_at":null,
			"html_url":"https://github.com/octo-work/hello-world/pull/3"}]}`,
		text: "pull_requests: 1 item on page 1:\n- #3 Fix crash on start [open] by octo-work, fix-crash into main https://github.com/octo-work/hello-world/pull/3",
	}, {
		name: "GetPullRequest", tool: "GITHUB_GET_PULL_REQUEST", args: with(map[string]any{"pull_number": 3}),
		method: "GET", path: "/repos/octo-work/hello-world/pulls/3",
		structured: `{"number":3,"title":"Fix crash on start","state":"open","draft":false,"merged":false,"mergeable":true,
			"mergeable_state":"clean","body":"Closes #1.","user":{"login":"octo-work"},
			"head":{"ref":"fix-crash","sha":"86ae6eced47efad3b0855ab7b2edde738fe24c9d","repo":{"full_name":"octo-work/hello-world"}},
			"base":{"ref":"main"},"labels":[],"assignees":[],"requested_reviewers":[],"milestone":null,"commits":3,"changed_files":3,
			"additions":10,"deletions":2,"comments":0,"review_comments":0,"created_at":"2024-01-02T03:15:05Z",
			"updated_at":"2024-01-02T03:15:05Z","closed_at":null,"merged_at":null,"merged_by":null,
			"html_url":"https://github.com/octo-work/hello-world/pull/3"}`,
		text: "#3 Fix crash on start [open] by octo-work, fix-crash into main: 3 files, +10 -2 https://github.com/octo-work/hello-world/pull/3",
	}, {
		name: "ListPullRequestFilesWithPatchesCut", tool: "GITHUB_LIST_PULL_REQUEST_FILES",
		args:   with(map[string]any{"pull_number": 3, "per_page": 2}),
		method: "GET", path: "/repos/octo-work/hello-world/pulls/3/files", query: "per_page=2",
		structured: `{"count":2,"page":1,"next_page":2,"files":[
			{"filename":"main.go","status":"modified","additions":10,"deletions":2,"changes":12,"patch":` + jsonString(ghCutPatch) + `},
			{"filename":"docs/new.md","status":"renamed","previous_filename":"docs/old.md","additions":0,"deletions":0,"changes":0}]}`,
		text: "files: 2 items on page 1:\n- main.go [modified] +10 -2\n" + ghCutPatch +
			"\n- docs/new.md [renamed] +0 -0\nMore may exist: call again with page=2 (per_page=2).",
	}, {
		name: "SearchRepositories", tool: "GITHUB_SEARCH_REPOSITORIES",
		args:   map[string]any{"q": "hello user:octo-work", "sort": "stars", "order": "desc", "per_page": 5},
		method: "GET", path: "/search/repositories", query: "order=desc&per_page=5&q=hello+user%3Aocto-work&sort=stars",
		structured: `{"count":1,"page":1,"total_count":1,"incomplete_results":false,"repositories":[{"full_name":"octo-work/hello-world","description":"My first repository on GitHub!",
			"visibility":"public","html_url":"https://github.com/octo-work/hello-world","stargazers_count":0,"forks_count":0,
			"open_issues_count":2,"language":"Go","topics":[],"archived":false,"default_branch":"main","updated_at":"2024-01-02T03:05:05Z"}]}`,
		text: "repositories: 1 item on page 1 (total_count: 1, incomplete_results: false):\n- octo-work/hello-world (0 stars) https://github.com/octo-work/hello-world",
	}, {
		name: "SearchPullRequests", tool: "GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS",
		args:   map[string]any{"q": "is:pr is:open author:octo-work repo:octo-work/hello-world", "sort": "created", "order": "desc"},
		method: "GET", path: "/search/issues", query: "advanced_search=true&order=desc&q=is%3Apr+is%3Aopen+author%3Aocto-work+repo%3Aocto-work%2Fhello-world&sort=created",
		structured: `{"count":1,"page":1,"total_count":1,"incomplete_results":false,"results":[{"number":3,"title":"Fix crash on start","state":"open","state_reason":null,"draft":false,
			"user":{"login":"octo-work"},"labels":[],"assignees":[],"comments":0,"created_at":"2024-01-02T03:15:05Z",
			"updated_at":"2024-01-02T03:15:05Z","closed_at":null,"html_url":"https://github.com/octo-work/hello-world/pull/3",
			"pull_request":{"merged_at":null}}]}`,
		text: "results: 1 item on page 1 (total_count: 1, incomplete_results: false):\n- #3 Fix crash on start [open] by octo-work https://github.com/octo-work/hello-world/pull/3",
	}, {
		name: "SearchIssuesByLabelAcrossRepositories", tool: "GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS",
		args:   map[string]any{"q": `is:issue label:"bug"`, "page": 1},
		method: "GET", path: "/search/issues", query: "advanced_search=true&page=1&q=is%3Aissue+label%3A%22bug%22",
		structured: `{"count":2,"page":1,"total_count":2,"incomplete_results":false,"results":[
			{"number":1,"title":"Found a bug","state":"open","state_reason":null,"user":{"login":"octo-home"},"labels":[{"name":"bug"}],
			 "assignees":[],"comments":0,"created_at":"2024-01-02T03:11:05Z","updated_at":"2024-01-02T03:11:05Z","closed_at":null,
			 "html_url":"https://github.com/octo-home/hello-world/issues/1"},
			{"number":1,"title":"Found a bug","state":"open","state_reason":null,"user":{"login":"octo-work"},"labels":[{"name":"bug"}],
			 "assignees":[],"comments":2,"created_at":"2024-01-02T03:06:05Z","updated_at":"2024-01-02T03:06:05Z","closed_at":null,
			 "html_url":"https://github.com/octo-work/hello-world/issues/1"}]}`,
		text: "results: 2 items on page 1 (total_count: 2, incomplete_results: false):\n- #1 Found a bug [open] by octo-home https://github.com/octo-home/hello-world/issues/1\n" +
			"- #1 Found a bug [open] by octo-work https://github.com/octo-work/hello-world/issues/1",
	}, {
		name: "ListNotificationsUnreadByDefault", tool: "GITHUB_LIST_NOTIFICATIONS",
		method: "GET", path: "/notifications",
		structured: `{"count":2,"page":1,"notifications":[
			{"id":"19","unread":true,"reason":"subscribed","updated_at":"2024-01-02T03:23:05Z",
			 "subject":{"title":"v1.0.0","type":"Release","url":null},"repository":{"full_name":"octo-home/dotfiles"}},
			{"id":"17","unread":true,"reason":"review_requested","updated_at":"2024-01-02T03:21:05Z",
			 "subject":{"title":"Fix crash on start","type":"PullRequest","url":"{api}/repos/octo-work/hello-world/pulls/3"},
			 "repository":{"full_name":"octo-work/hello-world"}}]}`,
		text: "notifications: 2 items on page 1:\n" +
			"- [subscribed] Release v1.0.0 in octo-home/dotfiles (thread 19, updated 2024-01-02T03:23:05Z)\n" +
			"- [review_requested] PullRequest Fix crash on start in octo-work/hello-world (thread 17, updated 2024-01-02T03:21:05Z)",
	}, {
		name: "ListNotificationsAllParticipating", tool: "GITHUB_LIST_NOTIFICATIONS",
		args:   map[string]any{"all": true, "participating": true, "since": "2024-01-02T03:00:00Z", "before": "2024-01-02T03:22:00Z", "per_page": 50},
		method: "GET", path: "/notifications",
		query: "all=true&before=2024-01-02T03%3A22%3A00Z&participating=true&per_page=50&since=2024-01-02T03%3A00%3A00Z",
		structured: `{"count":1,"page":1,"notifications":[
			{"id":"17","unread":true,"reason":"review_requested","updated_at":"2024-01-02T03:21:05Z",
			 "subject":{"title":"Fix crash on start","type":"PullRequest","url":"{api}/repos/octo-work/hello-world/pulls/3"},
			 "repository":{"full_name":"octo-work/hello-world"}}]}`,
		text: "notifications: 1 item on page 1:\n" +
			"- [review_requested] PullRequest Fix crash on start in octo-work/hello-world (thread 17, updated 2024-01-02T03:21:05Z)",
	}}, seedGitHubMore)
}

// TestGitHubMoreToolsAreRegistered pins the names, the annotations and the
// first tools' names staying as they were.
func TestGitHubMoreToolsAreRegistered(t *testing.T) {
	c := builtin(t)
	type ann struct{ ReadOnly, Destructive, Idempotent, OpenWorld bool }
	read := ann{true, false, true, true}
	want := map[string]ann{
		"GITHUB_UPDATE_ISSUE":                    {false, true, true, true},
		"GITHUB_LIST_ISSUE_COMMENTS":             read,
		"GITHUB_LIST_PULL_REQUESTS":              read,
		"GITHUB_GET_PULL_REQUEST":                read,
		"GITHUB_LIST_PULL_REQUEST_FILES":         read,
		"GITHUB_SEARCH_REPOSITORIES":             read,
		"GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS": read,
		"GITHUB_LIST_NOTIFICATIONS":              read,
		"GITHUB_GET_FILE_CONTENTS":               read,
	}
	for name, a := range want {
		tl := c.Tool(name)
		if tl == nil {
			t.Errorf("%s is missing", name)
			continue
		}
		if got := (ann{tl.ReadOnly, tl.Destructive, tl.Idempotent, tl.OpenWorld}); got != a {
			t.Errorf("%s annotations = %+v, want %+v", name, got, a)
		}
	}
	if n := len(c.Toolkit("github").Tools); n != 7+len(want) {
		t.Errorf("github has %d tools, want %d", n, 7+len(want))
	}
	if d := c.Tool("GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS").Description; !strings.Contains(d, "is:pr is:open author:") ||
		!strings.Contains(d, "repo:owner/name") {
		t.Errorf("search description does not teach the syntax: %q", d)
	}
}

func TestGitHubMoreInvalidArgumentsMakeNoRequest(t *testing.T) {
	hello := func(extra map[string]any) map[string]any {
		return merged(map[string]any{"owner": "octo-work", "repo": "hello-world"}, extra)
	}
	tests := []struct {
		name  string
		tool  string
		args  map[string]any
		paths []string
	}{
		{"SearchNeedsQuery", "GITHUB_SEARCH_REPOSITORIES", map[string]any{}, []string{"/q"}},
		{"EmptyQuery", "GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS", map[string]any{"q": ""}, []string{"/q"}},
		{"QueryOver256Characters", "GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS", map[string]any{"q": strings.Repeat("x", 257)}, []string{"/q"}},
		{"UnknownSort", "GITHUB_SEARCH_REPOSITORIES", map[string]any{"q": "x", "sort": "best-match"}, []string{"/sort"}},
		{"NotificationsPerPageOver50", "GITHUB_LIST_NOTIFICATIONS", map[string]any{"per_page": 51}, []string{"/per_page"}},
		{"NotificationsAllIsBoolean", "GITHUB_LIST_NOTIFICATIONS", map[string]any{"all": "yes"}, []string{"/all"}},
		{"StateNotInEnum", "GITHUB_UPDATE_ISSUE", hello(map[string]any{"issue_number": 1, "state": "done"}), []string{"/state"}},
		{"LabelsMustBeAList", "GITHUB_UPDATE_ISSUE", hello(map[string]any{"issue_number": 1, "labels": "bug"}), []string{"/labels"}},
		{"MilestoneIsNumberOrNull", "GITHUB_UPDATE_ISSUE", hello(map[string]any{"issue_number": 1, "milestone": "v1"}), []string{"/milestone"}},
		{"HeadNeedsOwner", "GITHUB_LIST_PULL_REQUESTS", hello(map[string]any{"head": "fix-crash"}), []string{"/head"}},
		{"PullNumberFromOne", "GITHUB_GET_PULL_REQUEST", hello(map[string]any{"pull_number": 0}), []string{"/pull_number"}},
		{"FilesNeedPullNumber", "GITHUB_LIST_PULL_REQUEST_FILES", hello(nil), []string{"/pull_number"}},
		{"CommentsSinceIsDateTime", "GITHUB_LIST_ISSUE_COMMENTS", hello(map[string]any{"issue_number": 1, "since": "last week"}), []string{"/since"}},
	}
	h := newHarness(t, tools.ExecutorOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.call(t, tt.tool, tt.args)
			e := wantCode(t, err, tools.CodeInvalidArguments)
			var paths []string
			for _, p := range e.Problems {
				paths = append(paths, p.Path)
			}
			assertDiff(t, "problem paths", tt.paths, paths)
			assertRequestCount(t, h.gh, 0)
		})
	}
}

// TestGitHubMoreUpstreamErrors maps GitHub's failures of the new endpoints
// onto DESIGN.md's codes, with the API's own message where it has one.
func TestGitHubMoreUpstreamErrors(t *testing.T) {
	pr := map[string]any{"owner": "octo-work", "repo": "hello-world", "pull_number": 3}
	tests := []struct {
		name         string
		tool         string
		args         map[string]any
		auth         string // token; "" is octo-work's
		fail         []failure
		code         string
		status       int
		unauthorized bool
		retryAfter   [2]int // inclusive range
		requests     int
		message      []string // substrings of PublicMessage
	}{{
		name: "RevokedToken401", tool: "GITHUB_LIST_NOTIFICATIONS", auth: "ghp_revoked",
		code: tools.CodeUpstreamError, status: 401, unauthorized: true, requests: 1,
		message: []string{"rejected the account's credential", "re-authorized"},
	}, {
		name: "NotificationsMissingScope403", tool: "GITHUB_LIST_NOTIFICATIONS",
		fail: []failure{{"/notifications", 403, http.Header{"X-Accepted-Oauth-Scopes": {"notifications, repo"}, "X-Oauth-Scopes": {"read:user"}},
			`{"message":"Missing the 'notifications' scope.","documentation_url":"https://docs.github.com/rest","status":"403"}`, 1}},
		code: tools.CodeUpstreamError, status: 403, requests: 1,
		message: []string{"lacks a required scope (needs one of: notifications, repo; has: read:user)", "Re-authorize"},
	}, {
		name: "FineGrainedTokenRefused403", tool: "GITHUB_LIST_NOTIFICATIONS",
		fail: []failure{{"/notifications", 403, nil,
			`{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest","status":"403"}`, 1}},
		code: tools.CodeUpstreamError, status: 403, requests: 1,
		message: []string{"(HTTP 403): Resource not accessible by personal access token"},
	}, {
		name: "IssueIsNotAPullRequest404", tool: "GITHUB_GET_PULL_REQUEST",
		args: map[string]any{"owner": "octo-work", "repo": "hello-world", "pull_number": 1},
		code: tools.CodeUpstreamError, status: 404, requests: 1,
		message: []string{"returned 404"},
	}, {
		name: "SearchBeyond1000Results422", tool: "GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS",
		args: map[string]any{"q": "is:issue crash", "per_page": 100, "page": 11},
		code: tools.CodeUpstreamError, status: 422, requests: 1,
		message: []string{"(HTTP 422): Only the first 1000 search results are available"},
	}, {
		name: "UpdateValidationFailed422", tool: "GITHUB_UPDATE_ISSUE",
		args: map[string]any{"owner": "octo-work", "repo": "hello-world", "issue_number": 1, "milestone": 7},
		code: tools.CodeUpstreamError, status: 422, requests: 1,
		message: []string{"(HTTP 422): Validation Failed: milestone invalid"},
	}, {
		name: "SearchTooManyRequests429", tool: "GITHUB_SEARCH_REPOSITORIES", args: map[string]any{"q": "go"},
		fail: []failure{{"/search/repositories", 429, http.Header{"Retry-After": {"30"}}, `{"message":"slow down"}`, 1}},
		code: tools.CodeUpstreamRateLimited, status: 429, retryAfter: [2]int{30, 30}, requests: 1,
		message: []string{"wait 30 seconds"},
	}, {
		name: "SearchRateLimit403", tool: "GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS", args: map[string]any{"q": "is:pr"},
		fail: []failure{{"/search/issues", 403, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Resource": {"search"},
			"X-Ratelimit-Reset": {fmt.Sprint(time.Now().Unix() + 45)}}, `{"message":"API rate limit exceeded for user ID 101."}`, 1}},
		code: tools.CodeUpstreamRateLimited, status: 403, retryAfter: [2]int{43, 45}, requests: 1,
	}, {
		name: "ReadRetriedThenUnavailable503", tool: "GITHUB_LIST_PULL_REQUEST_FILES", args: pr,
		fail: []failure{{"/repos/octo-work/hello-world/pulls/3/files", 503, nil, `{"message":"Service Unavailable"}`, 3}},
		code: tools.CodeUpstreamUnavailable, status: 503, requests: 3,
		message: []string{"unavailable (HTTP 503)"},
	}, {
		name: "UpdateNotRetried502", tool: "GITHUB_UPDATE_ISSUE",
		args: map[string]any{"owner": "octo-work", "repo": "hello-world", "issue_number": 1, "state": "closed"},
		fail: []failure{{"/repos/octo-work/hello-world/issues/1", 502, nil, "<html>Bad Gateway</html>", 3}},
		code: tools.CodeUpstreamUnavailable, status: 502, requests: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tools.ExecutorOptions{})
			seedGitHubMore(t, h.gh)
			if tt.auth != "" {
				h.auth = h.cat.Toolkit("github").Scheme(tools.SchemeBearerToken).Authorizer(tt.auth)
			}
			injectFailures(h.gh, tt.fail)
			_, err := h.call(t, tt.tool, tt.args)
			e := asToolError(t, err)
			if e.Code != tt.code || e.Status != tt.status || tools.IsUnauthorized(err) != tt.unauthorized {
				t.Errorf("got code %s status %d unauthorized %v, want %s %d %v (%s)", e.Code, e.Status, tools.IsUnauthorized(err),
					tt.code, tt.status, tt.unauthorized, e.PublicMessage())
			}
			if ra := e.RetryAfterSeconds; ra < tt.retryAfter[0] || ra > tt.retryAfter[1] {
				t.Errorf("retry_after_seconds = %d, want %d..%d", ra, tt.retryAfter[0], tt.retryAfter[1])
			}
			assertRequestCount(t, h.gh, tt.requests)
			assertContains(t, "message", e.PublicMessage(), tt.message...)
			if strings.Contains(e.PublicMessage(), "documentation_url") {
				t.Errorf("message repeats the raw body: %q", e.PublicMessage())
			}
		})
	}
}
