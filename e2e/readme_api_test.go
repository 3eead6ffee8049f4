package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// readmeAPIExamples returns the curl commands of the README's "Use it from
// your application" example, in order, continuation lines joined.
func readmeAPIExamples(tb testing.TB) []string {
	tb.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		tb.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "<!-- api examples:")
	block, _, ok2 := strings.Cut(rest, "<!-- end of api examples -->")
	if !ok || !ok2 {
		tb.Fatal("README.md has no api examples block")
	}
	var cmds []string
	var cur string
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if cur != "" {
			cur += " " + strings.TrimSuffix(line, "\\")
			if !strings.HasSuffix(line, "\\") {
				cmds, cur = append(cmds, cur), ""
			}
			continue
		}
		if strings.HasPrefix(line, "curl ") {
			cur = strings.TrimSuffix(line, "\\")
			if !strings.HasSuffix(line, "\\") {
				cmds, cur = append(cmds, cur), ""
			}
		}
	}
	return cmds
}

// TestReadmeAPIExamples runs the README's application API example as
// written, with curl, on an empty store for a brand-new user; the test
// only plays the user at the connect link and reads the answers.
func TestReadmeAPIExamples(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		missing(t, "curl is not installed")
	}
	cmds := readmeAPIExamples(t)
	if len(cmds) != 7 {
		t.Fatalf("the README's example has %d curl commands, want 7: %q", len(cmds), cmds)
	}
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), []string{"SWITCHBOARD_API_KEYS=sk_example"}, "--toolkit-url", "github="+gh.URL())
	env := []string{"SB=" + srv.base, "KEY=sk_example"}
	run := func(t *testing.T, i int) map[string]any {
		t.Helper()
		cmd := exec.Command("bash", "-c", cmds[i])
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("step %d (%s): %v", i+1, cmds[i], err)
		}
		var doc map[string]any
		if err := json.Unmarshal(out, &doc); err != nil || doc["error"] != nil {
			t.Fatalf("step %d (%s) answered %s", i+1, cmds[i], out)
		}
		return doc
	}

	sess := run(t, 0)
	id, _ := sess["id"].(string)
	mcp, _ := sess["mcp"].(map[string]any)
	if !strings.HasPrefix(id, "ses_") || mcp["url"] != srv.base+"/sessions/"+id+"/mcp" {
		t.Fatalf("step 1: %v", sess)
	}
	env = append(env, "SESSION="+id)
	link := run(t, 1)
	if status, page := completeLink(t, link["redirect_url"].(string), aliceWorkToken, ""); status != http.StatusOK {
		t.Fatalf("the connect page answered %d:\n%s", status, page)
	}
	toolkits := run(t, 2)["items"].([]any)
	if acct, _ := toolkits[0].(map[string]any)["connected_account"].(map[string]any); acct["alias"] != "work" || acct["label"] != "alice-work" {
		t.Errorf("step 3: %v", toolkits)
	}
	if items := run(t, 3)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["alias"] != "work" {
		t.Errorf("step 4: %v", items)
	}
	if sel := run(t, 4)["config"].(map[string]any)["connected_accounts"].(map[string]any); !strings.HasPrefix(sel["github"].(string), "ca_") {
		t.Errorf("step 5: %v", sel)
	}
	if acct := run(t, 5)["account"].(map[string]any); acct["alias"] != "work" || acct["selected_by"] != "session" {
		t.Errorf("step 6: %v", acct)
	}
	if got := run(t, 6); got["deleted"] != true {
		t.Errorf("step 7: %v", got)
	}
}
