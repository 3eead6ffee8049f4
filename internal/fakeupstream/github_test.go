package fakeupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// call makes a request to g with GitHub's usual headers and decodes the
// JSON answer.
func call(tb testing.TB, g *GitHub, method, path, token, body string) (int, http.Header, any) {
	tb.Helper()
	req, err := http.NewRequest(method, g.URL()+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("User-Agent", "test")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var v any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &v); err != nil {
			tb.Fatalf("%s %s: body is not JSON: %q", method, path, data)
		}
	}
	return res.StatusCode, res.Header, v
}

func newGitHub(tb testing.TB) *GitHub {
	tb.Helper()
	g := NewGitHub()
	tb.Cleanup(g.Close)
	g.AddUser("tok-work", "octo-work", 101)
	g.AddUser("tok-home", "octo-home", 202)
	return g
}

func TestGitHubUser(t *testing.T) {
	g := newGitHub(t)
	tests := []struct {
		name, token string
		status      int
		field, want string
	}{
		{"KnownTokenIsItsUser", "tok-work", 200, "login", "octo-work"},
		{"SecondUser", "tok-home", 200, "login", "octo-home"},
		{"UnknownTokenIsBadCredentials", "nope", 401, "message", "Bad credentials"},
		{"NoTokenRequiresAuthentication", "", 401, "message", "Requires authentication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, v := call(t, g, "GET", "/user", tt.token, "")
			if status != tt.status || v.(map[string]any)[tt.field] != tt.want {
				t.Errorf("GET /user = %d %v, want %d with %s=%q", status, v, tt.status, tt.field, tt.want)
			}
		})
	}
	t.Run("ReauthorizedTokenIsSameUser", func(t *testing.T) {
		g.AddUser("tok-work-2", "octo-work", 101)
		_, _, v := call(t, g, "GET", "/user", "tok-work-2", "")
		if v.(map[string]any)["id"] != float64(101) {
			t.Errorf("id = %v, want 101", v.(map[string]any)["id"])
		}
	})
	t.Run("RevokedTokenIsRejected", func(t *testing.T) {
		g.RevokeToken("tok-work-2")
		if status, _, _ := call(t, g, "GET", "/user", "tok-work-2", ""); status != 401 {
			t.Errorf("status = %d, want 401", status)
		}
	})
}

func TestGitHubRepos(t *testing.T) {
	g := newGitHub(t)
	for i := range 4 {
		g.AddRepo("octo-work", "extra-"+string(rune('a'+i)), false)
	}
	names := func(v any) []string {
		var out []string
		for _, r := range v.([]any) {
			out = append(out, r.(map[string]any)["full_name"].(string))
		}
		return out
	}
	t.Run("OnlyOwnReposSortedByFullName", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/user/repos", "tok-home", "")
		want := []string{"octo-home/dotfiles", "octo-home/hello-world", "octo-home/notes"}
		if diff := cmp.Diff(want, names(v)); diff != "" {
			t.Errorf("repos (-want +got):\n%s", diff)
		}
	})
	t.Run("PerPageAndPageWithLinkHeader", func(t *testing.T) {
		_, h, v := call(t, g, "GET", "/user/repos?per_page=3&page=3", "tok-work", "")
		want := []string{"octo-work/notes"} // 7 repos: 3 seeded, 4 added
		if diff := cmp.Diff(want, names(v)); diff != "" {
			t.Errorf("page 2 (-want +got):\n%s", diff)
		}
		if link := h.Get("Link"); !strings.Contains(link, `page=2&per_page=3>; rel="prev"`) || strings.Contains(link, `rel="next"`) {
			t.Errorf("Link = %q, want a prev and no next link", link)
		}
	})
	t.Run("VisibilityPrivate", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/user/repos?visibility=private", "tok-home", "")
		if diff := cmp.Diff([]string{"octo-home/notes"}, names(v)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("TypeWithVisibilityIs422", func(t *testing.T) {
		if status, _, _ := call(t, g, "GET", "/user/repos?type=owner&visibility=all", "tok-home", ""); status != 422 {
			t.Errorf("status = %d, want 422", status)
		}
	})
	t.Run("ForeignPrivateRepoIsNotFound", func(t *testing.T) {
		if status, _, _ := call(t, g, "GET", "/repos/octo-work/notes", "tok-home", ""); status != 404 {
			t.Errorf("status = %d, want 404", status)
		}
	})
}

func TestGitHubIssues(t *testing.T) {
	g := newGitHub(t)
	t.Run("CreateReturnsIssue", func(t *testing.T) {
		status, _, v := call(t, g, "POST", "/repos/octo-home/hello-world/issues", "tok-home", `{"title":"Hi","labels":["x"]}`)
		m := v.(map[string]any)
		got := []any{status, m["number"], m["title"], m["state"], m["html_url"], m["user"].(map[string]any)["login"]}
		want := []any{201, float64(3), "Hi", "open", "https://github.com/octo-home/hello-world/issues/3", "octo-home"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("MissingTitleIsValidationFailed", func(t *testing.T) {
		status, _, v := call(t, g, "POST", "/repos/octo-home/hello-world/issues", "tok-home", `{"body":"x"}`)
		want := map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"resource": "Issue", "code": "missing_field", "field": "title"}},
			"documentation_url": docsURL, "status": "422"}
		if diff := cmp.Diff(want, v); status != 422 || diff != "" {
			t.Errorf("status %d (-want +got):\n%s", status, diff)
		}
	})
	t.Run("ListDefaultsToOpenNewestFirst", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/repos/octo-home/hello-world/issues", "tok-home", "")
		var got []any
		for _, is := range v.([]any) {
			got = append(got, is.(map[string]any)["number"])
		}
		if diff := cmp.Diff([]any{float64(3), float64(1)}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("CommentCountsOnIssue", func(t *testing.T) {
		status, _, _ := call(t, g, "POST", "/repos/octo-home/hello-world/issues/1/comments", "tok-home", `{"body":"+1"}`)
		_, _, v := call(t, g, "GET", "/repos/octo-home/hello-world/issues/1", "tok-home", "")
		if c := v.(map[string]any)["comments"]; status != 201 || c != float64(1) {
			t.Errorf("status %d, comments %v; want 201 and 1", status, c)
		}
	})
}

func TestGitHubRecordsAndFails(t *testing.T) {
	g := newGitHub(t)
	g.Fail("/user", 503, http.Header{"Retry-After": {"7"}}, `{"message":"down"}`, 2)
	for _, want := range []int{503, 503, 200} {
		if status, _, _ := call(t, g, "GET", "/user?x=1", "tok-work", ""); status != want {
			t.Errorf("status = %d, want %d", status, want)
		}
	}
	reqs := g.Requests()
	if len(reqs) != 3 || reqs[2].Token != "tok-work" || reqs[2].RawQuery != "x=1" || reqs[2].Header.Get("User-Agent") != "test" {
		t.Errorf("recorded %+v", reqs)
	}
	g.Reset()
	if n := len(g.Requests()); n != 0 {
		t.Errorf("after Reset, %d requests", n)
	}

	t.Run("StatusZeroDropsConnection", func(t *testing.T) {
		g.Fail("/user", 0, nil, "", 1)
		req, _ := http.NewRequest("GET", g.URL()+"/user", nil)
		fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} // no silent retry
		if res, err := fresh.Do(req); err == nil {
			res.Body.Close()
			t.Error("request succeeded, want a dropped connection")
		}
	})
	t.Run("StallDelays", func(t *testing.T) {
		g.Stall("/user", 50*time.Millisecond, 1)
		start := time.Now()
		call(t, g, "GET", "/user", "tok-work", "")
		if d := time.Since(start); d < 50*time.Millisecond {
			t.Errorf("answered after %s, want at least 50ms", d)
		}
	})
	t.Run("MissingUserAgentIsForbidden", func(t *testing.T) {
		req, _ := http.NewRequest("GET", g.URL()+"/user", nil)
		req.Header.Set("User-Agent", "")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Errorf("status = %d, want 403", res.StatusCode)
		}
	})
}

func TestGitHubConcurrentUse(t *testing.T) {
	g := newGitHub(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			call(t, g, "POST", "/repos/octo-work/hello-world/issues", "tok-work", `{"title":"t"}`)
			call(t, g, "GET", "/user/repos", "tok-work", "")
			g.Requests()
		})
	}
	wg.Wait()
	_, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/issues?per_page=100", "tok-work", "")
	if n := len(v.([]any)); n != 21 {
		t.Errorf("%d open issues, want 21", n)
	}
}
