package tools_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// workToken is octo-work's credential; tests search every output for it.
const workToken = "ghp_WorkSecret0123456789abcdef"

type harness struct {
	toolRunner
	gh   *fakeupstream.GitHub
	auth tools.Authorizer // octo-work's bearer token
}

func newHarness(tb testing.TB, opts tools.ExecutorOptions) *harness {
	tb.Helper()
	gh := fakeupstream.NewGitHub()
	tb.Cleanup(gh.Close)
	gh.AddUser(workToken, "octo-work", 101)
	gh.AddUser("ghp_HomeSecret", "octo-home", 202)
	cat := builtin(tb)
	return &harness{toolRunner: newToolRunner(cat, opts, "github", gh.URL()+"/"), gh: gh,
		auth: cat.Toolkit("github").Scheme(tools.SchemeBearerToken).Authorizer(workToken)}
}

// call runs tool as h.auth and checks that octo-work's token appears
// nowhere.
func (h *harness) call(tb testing.TB, tool string, args map[string]any) (*tools.Result, error) {
	tb.Helper()
	return h.run(tb, tool, args, h.auth, workToken)
}

// ghCall is a call of a GitHub tool as octo-work, the request it should
// send and the result it should return.
type ghCall struct {
	name       string // of the subtest; "" names it for the tool
	tool       string
	args       map[string]any
	method     string
	path       string
	query      string
	body       string // JSON, "" for none
	structured string // JSON; {api} stands for the fake's base URL
	text       string
}

// testGitHubCalls runs each call in a subtest of its own against a new
// harness, which seed fills when it is not nil, and pins the exact upstream
// request and the shaped result.
func testGitHubCalls(t *testing.T, calls []ghCall, seed func(testing.TB, *fakeupstream.GitHub)) {
	for _, tt := range calls {
		name := tt.name
		if name == "" {
			name = tt.tool
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, tools.ExecutorOptions{UserAgent: "switchboard-test"})
			if seed != nil {
				seed(t, h.gh)
			}
			res, err := h.call(t, tt.tool, tt.args)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			r := onlyRequest(t, h.gh)
			got := []string{r.Method, r.Path, r.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Accept"),
				r.Header.Get("X-GitHub-Api-Version"), r.Header.Get("User-Agent")}
			want := []string{tt.method, tt.path, tt.query, "Bearer " + workToken, "application/vnd.github+json", "2022-11-28", "switchboard-test"}
			assertDiff(t, "request", want, got)
			assertJSONBody(t, r, tt.body)
			assertResult(t, res, strings.ReplaceAll(tt.structured, "{api}", h.gh.URL()), tt.text)
		})
	}
}

func TestCallGitHubTools(t *testing.T) {
	testGitHubCalls(t, []ghCall{{
		tool: "GITHUB_GET_AUTHENTICATED_USER", method: "GET", path: "/user",
		structured: `{"login":"octo-work","id":101,"name":"The octo-work","email":"octo-work@example.com","html_url":"https://github.com/octo-work",
			"type":"User","company":null,"location":null,"bio":null,"public_repos":2,"created_at":"2024-01-02T03:04:05Z"}`,
		text: "octo-work (id 101, The octo-work) https://github.com/octo-work",
	}, {
		tool:   "GITHUB_LIST_REPOSITORIES",
		args:   map[string]any{"visibility": "public", "affiliation": []any{"owner", "collaborator"}, "sort": "full_name", "per_page": 1, "page": float64(1)},
		method: "GET", path: "/user/repos",
		query: "affiliation=owner%2Ccollaborator&page=1&per_page=1&sort=full_name&visibility=public",
		structured: `{"count":1,"page":1,"next_page":2,"repositories":[{"id":1004,"full_name":"octo-work/dotfiles","private":false,"visibility":"public",
			"description":"Configuration files","html_url":"https://github.com/octo-work/dotfiles","default_branch":"main","fork":false,"archived":false,
			"language":"Go","updated_at":"2024-01-02T03:08:05Z","pushed_at":"2024-01-02T03:08:05Z"}]}`,
		text: "repositories: 1 item on page 1:\n- octo-work/dotfiles (public) https://github.com/octo-work/dotfiles\nMore may exist: call again with page=2 (per_page=1).",
	}, {
		tool: "GITHUB_GET_REPOSITORY", args: map[string]any{"owner": "octo-work", "repo": "notes"},
		method: "GET", path: "/repos/octo-work/notes",
		structured: `{"id":1005,"full_name":"octo-work/notes","owner":{"login":"octo-work"},"private":true,"visibility":"private","description":null,
			"html_url":"https://github.com/octo-work/notes","default_branch":"main","fork":false,"archived":false,"language":"Go","topics":[],
			"stargazers_count":0,"forks_count":0,"open_issues_count":0,"has_issues":true,"created_at":"2024-01-02T03:09:05Z",
			"updated_at":"2024-01-02T03:09:05Z","pushed_at":"2024-01-02T03:09:05Z",
			"permissions":{"admin":true,"maintain":true,"push":true,"triage":true,"pull":true}}`,
		text: "octo-work/notes (private, default branch main) https://github.com/octo-work/notes",
	}, {
		tool:   "GITHUB_LIST_ISSUES",
		args:   map[string]any{"owner": "octo-work", "repo": "hello-world", "state": "all", "labels": []any{"bug"}, "per_page": 10, "milestone": "*"},
		method: "GET", path: "/repos/octo-work/hello-world/issues", query: "labels=bug&milestone=%2A&per_page=10&state=all",
		structured: `{"count":1,"page":1,"issues":[{"number":1,"title":"Found a bug","state":"open","user":{"login":"octo-work"},
			"labels":[{"name":"bug"}],"assignees":[],"comments":0,"created_at":"2024-01-02T03:06:05Z","updated_at":"2024-01-02T03:06:05Z",
			"html_url":"https://github.com/octo-work/hello-world/issues/1"}]}`,
		text: "issues: 1 item on page 1:\n- #1 Found a bug [open] by octo-work https://github.com/octo-work/hello-world/issues/1",
	}, {
		tool: "GITHUB_GET_ISSUE", args: map[string]any{"owner": "octo-work", "repo": "hello-world", "issue_number": 2},
		method: "GET", path: "/repos/octo-work/hello-world/issues/2",
		structured: `{"number":2,"title":"Add a README","state":"closed","state_reason":"completed","body":null,"user":{"login":"octo-work"},
			"labels":[],"assignees":[],"milestone":null,"comments":0,"locked":false,"created_at":"2024-01-02T03:07:05Z",
			"updated_at":"2024-01-02T03:07:05Z","closed_at":"2024-01-02T03:07:05Z","html_url":"https://github.com/octo-work/hello-world/issues/2"}`,
		text: "#2 Add a README [closed] by octo-work, 0 comments https://github.com/octo-work/hello-world/issues/2",
	}, {
		tool: "GITHUB_CREATE_ISSUE",
		args: map[string]any{"owner": "octo-work", "repo": "hello-world", "title": "Crash on start", "body": "Steps: run it.",
			"labels": []string{"bug", "ui"}, "assignees": []any{"octo-work"}},
		method: "POST", path: "/repos/octo-work/hello-world/issues",
		body: `{"title":"Crash on start","body":"Steps: run it.","labels":["bug","ui"],"assignees":["octo-work"]}`,
		structured: `{"id":5011,"number":3,"title":"Crash on start","state":"open","html_url":"https://github.com/octo-work/hello-world/issues/3",
			"user":{"login":"octo-work"},"labels":[{"name":"bug"},{"name":"ui"}],"assignees":[{"login":"octo-work"}],"milestone":null,
			"created_at":"2024-01-02T03:15:05Z"}`,
		text: "Created issue #3: Crash on start https://github.com/octo-work/hello-world/issues/3",
	}, {
		tool:   "GITHUB_CREATE_ISSUE_COMMENT",
		args:   map[string]any{"owner": "octo-work", "repo": "hello-world", "issue_number": 1, "body": "Looking into it."},
		method: "POST", path: "/repos/octo-work/hello-world/issues/1/comments", body: `{"body":"Looking into it."}`,
		structured: `{"id":9011,"html_url":"https://github.com/octo-work/hello-world/issues/1#issuecomment-9011","body":"Looking into it.",
			"user":{"login":"octo-work"},"created_at":"2024-01-02T03:15:05Z"}`,
		text: "Commented as octo-work: https://github.com/octo-work/hello-world/issues/1#issuecomment-9011",
	}}, nil)
}

func TestListLastPageHasNoHint(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{})
	res, err := h.call(t, "GITHUB_LIST_REPOSITORIES", map[string]any{"per_page": 2, "page": 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Structured["next_page"]; ok || strings.Contains(res.Text, "call again") || res.Structured["count"] != 1 {
		t.Errorf("last page: %v %q", res.Structured, res.Text)
	}
}

func TestInvalidArgumentsMakeNoRequest(t *testing.T) {
	repo := map[string]any{"owner": "octo-work", "repo": "hello-world"}
	with := func(extra map[string]any) map[string]any { return merged(repo, extra) }
	tests := []struct {
		name  string
		tool  string
		args  map[string]any
		paths []string
	}{
		{"MissingRequired", "GITHUB_CREATE_ISSUE", with(nil), []string{"/title"}},
		{"NilArguments", "GITHUB_GET_REPOSITORY", nil, []string{"/owner", "/repo"}},
		{"UnknownArgument", "GITHUB_CREATE_ISSUE", with(map[string]any{"titel": "x"}), []string{"/titel", "/title"}},
		{"PerPageOver100", "GITHUB_LIST_REPOSITORIES", map[string]any{"per_page": 101}, []string{"/per_page"}},
		{"NotInEnum", "GITHUB_LIST_REPOSITORIES", map[string]any{"visibility": "secret"}, []string{"/visibility"}},
		{"WrongType", "GITHUB_GET_ISSUE", with(map[string]any{"issue_number": "1"}), []string{"/issue_number"}},
		{"ArrayItemType", "GITHUB_CREATE_ISSUE", with(map[string]any{"title": "t", "labels": []any{"ok", 3}}), []string{"/labels/1"}},
		{"PathTraversal", "GITHUB_GET_REPOSITORY", map[string]any{"owner": "..", "repo": "user"}, []string{"/owner"}},
		{"BadDateTime", "GITHUB_LIST_ISSUES", with(map[string]any{"since": "yesterday"}), []string{"/since"}},
		{"EmptyTitle", "GITHUB_CREATE_ISSUE", with(map[string]any{"title": ""}), []string{"/title"}},
	}
	h := newHarness(t, tools.ExecutorOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.call(t, tt.tool, tt.args)
			e := wantCode(t, err, tools.CodeInvalidArguments)
			var paths []string
			for _, p := range e.Problems {
				paths = append(paths, p.Path)
				if p.Reason == "" || !strings.Contains(e.PublicMessage(), p.Path+": "+p.Reason) {
					t.Errorf("problem %+v is not in the message %q", p, e.PublicMessage())
				}
			}
			assertDiff(t, "problem paths", tt.paths, paths)
			if err := h.exec.Validate(h.cat.Tool(tt.tool), tt.args); err == nil {
				t.Error("Validate accepted what Call refused")
			}
			assertRequestCount(t, h.gh, 0)
		})
	}
	t.Run("UnknownArgumentListsKnownOnes", func(t *testing.T) {
		err := h.exec.Validate(h.cat.Tool("GITHUB_CREATE_ISSUE"), with(map[string]any{"title": "t", "tags": []any{"x"}}))
		if err == nil || !strings.Contains(err.Error(), "/tags: is not a known argument") || !strings.Contains(err.Error(), "Known arguments: assignees, body, labels, milestone, owner, repo, title.") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestIdentify(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{})
	t.Run("IDAndLogin", func(t *testing.T) {
		who, err := h.exec.Identify(context.Background(), "github", h.auth)
		if err != nil || who != (tools.Identity{ID: "101", Label: "octo-work"}) {
			t.Fatalf("Identify = %+v, %v", who, err)
		}
		r := h.gh.Requests()[0]
		if r.Method != "GET" || r.Path != "/user" || r.Token != workToken || r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" {
			t.Errorf("request = %+v", r)
		}
	})
	t.Run("RejectedCredentialIsUnauthorized", func(t *testing.T) {
		auth := h.cat.Toolkit("github").Scheme(tools.SchemeBearerToken).Authorizer("ghp_revoked")
		_, err := h.exec.Identify(context.Background(), "github", auth)
		if !tools.IsUnauthorized(err) {
			t.Errorf("err = %v, want Unauthorized", err)
		}
	})
	t.Run("UnknownToolkit", func(t *testing.T) {
		_, err := h.exec.Identify(context.Background(), "nope", h.auth)
		wantCode(t, err, tools.CodeToolkitUnknown)
	})
}

func TestConcurrentCalls(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{})
	home := h.cat.Toolkit("github").Scheme(tools.SchemeBearerToken).Authorizer("ghp_HomeSecret")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			auth, want := h.auth, "octo-work"
			if i%2 == 1 {
				auth, want = home, "octo-home"
			}
			res, err := h.exec.Call(context.Background(), h.cat.Tool("GITHUB_GET_AUTHENTICATED_USER"), nil, auth)
			if err != nil || res.Structured["login"] != want {
				t.Errorf("call %d: %v, %v; want %s", i, res, err, want)
			}
		})
	}
	wg.Wait()
}
