package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// workToken is octo-work's credential; tests search every output for it.
const workToken = "ghp_WorkSecret0123456789abcdef"

type harness struct {
	gh   *fakeupstream.GitHub
	cat  *tools.Catalog
	exec *tools.Executor
	auth tools.Authorizer // octo-work's bearer token
}

func newHarness(tb testing.TB, opts tools.ExecutorOptions) *harness {
	tb.Helper()
	gh := fakeupstream.NewGitHub()
	tb.Cleanup(gh.Close)
	gh.AddUser(workToken, "octo-work", 101)
	gh.AddUser("ghp_HomeSecret", "octo-home", 202)
	cat := builtin(tb)
	opts.BaseURLs = map[string]string{"github": gh.URL() + "/"}
	exec := tools.NewExecutor(cat, opts)
	tools.SetRetryBackoff(exec, time.Millisecond, time.Millisecond)
	return &harness{gh: gh, cat: cat, exec: exec, auth: cat.Toolkit("github").Scheme(tools.SchemeBearerToken).Authorizer(workToken)}
}

func (h *harness) call(tb testing.TB, tool string, args map[string]any) (*tools.Result, error) {
	tb.Helper()
	tl := h.cat.Tool(tool)
	if tl == nil {
		tb.Fatalf("no tool %s", tool)
	}
	res, err := h.exec.Call(context.Background(), tl, args, h.auth)
	assertNoSecret(tb, res, err)
	return res, err
}

// assertNoSecret fails when the credential appears in a result or an error,
// in any of the forms a caller could print.
func assertNoSecret(tb testing.TB, res *tools.Result, err error) {
	tb.Helper()
	var out []string
	if res != nil {
		data, _ := json.Marshal(res.Structured)
		out = append(out, res.Text, string(data), fmt.Sprintf("%+v", res))
	}
	if err != nil {
		out = append(out, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		var e *tools.Error
		if errors.As(err, &e) {
			out = append(out, e.PublicMessage())
		}
	}
	for _, s := range out {
		if strings.Contains(s, workToken) {
			tb.Errorf("credential leaked into %q", s)
		}
	}
}

// canon re-encodes v as JSON values with json.Number, for comparison.
func canon(tb testing.TB, v any) any {
	tb.Helper()
	var data []byte
	if s, ok := v.(string); ok {
		data = []byte(s)
	} else {
		var err error
		if data, err = json.Marshal(v); err != nil {
			tb.Fatal(err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		tb.Fatalf("canon(%s): %v", data, err)
	}
	return out
}

func TestCallGitHubTools(t *testing.T) {
	tests := []struct {
		tool       string
		args       map[string]any
		method     string
		path       string
		query      string
		body       string // JSON, "" for none
		structured string // JSON
		text       string
	}{{
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
	}}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			h := newHarness(t, tools.ExecutorOptions{UserAgent: "switchboard-test"})
			res, err := h.call(t, tt.tool, tt.args)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			reqs := h.gh.Requests()
			if len(reqs) != 1 {
				t.Fatalf("fake got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			got := []string{r.Method, r.Path, r.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Accept"),
				r.Header.Get("X-GitHub-Api-Version"), r.Header.Get("User-Agent")}
			want := []string{tt.method, tt.path, tt.query, "Bearer " + workToken, "application/vnd.github+json", "2022-11-28", "switchboard-test"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if tt.body == "" {
				if r.Body != "" || r.Header.Get("Content-Type") != "" {
					t.Errorf("request has body %q (%s), want none", r.Body, r.Header.Get("Content-Type"))
				}
			} else {
				if diff := cmp.Diff(canon(t, tt.body), canon(t, r.Body)); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("Content-Type = %q", ct)
				}
			}
			if diff := cmp.Diff(canon(t, tt.structured), canon(t, res.Structured)); diff != "" {
				t.Errorf("structured (-want +got):\n%s", diff)
			}
			if res.Text != tt.text {
				t.Errorf("text = %q\nwant   %q", res.Text, tt.text)
			}
		})
	}
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
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range repo {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
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
			var e *tools.Error
			if !errors.As(err, &e) || e.ErrorCode() != tools.CodeInvalidArguments {
				t.Fatalf("err = %v, want INVALID_ARGUMENTS", err)
			}
			var paths []string
			for _, p := range e.Problems {
				paths = append(paths, p.Path)
				if p.Reason == "" || !strings.Contains(e.PublicMessage(), p.Path+": "+p.Reason) {
					t.Errorf("problem %+v is not in the message %q", p, e.PublicMessage())
				}
			}
			if diff := cmp.Diff(tt.paths, paths); diff != "" {
				t.Errorf("problem paths (-want +got):\n%s", diff)
			}
			if err := h.exec.Validate(h.cat.Tool(tt.tool), tt.args); err == nil {
				t.Error("Validate accepted what Call refused")
			}
			if n := len(h.gh.Requests()); n != 0 {
				t.Errorf("fake got %d requests, want none", n)
			}
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
		var e *tools.Error
		if !errors.As(err, &e) || e.Code != tools.CodeToolkitUnknown {
			t.Errorf("err = %v, want TOOLKIT_UNKNOWN", err)
		}
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
