package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAccountsCommand pins the operator's command: list, disable (never
// chosen by default then), enable, delete.
func TestAccountsCommand(t *testing.T) {
	gh := fakeGitHub(t)
	dataDir := t.TempDir()
	s, _ := connectStdio(t, []string{"SWITCHBOARD_USER_ID=alice"}, "--data-dir", dataDir, "--toolkit-url", "github="+gh.URL())
	work := connectAccount(t, s, "github", aliceWorkToken, "work")
	home := connectAccount(t, s, "github", alicePersonalToken, "home")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(binary, append([]string{"accounts"}, append(args, "--user-id", "alice", "--data-dir", dataDir)...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("accounts %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	list := run("list")
	if !strings.Contains(list, work) || !strings.Contains(list, home) || !strings.Contains(list, "alice-home") {
		t.Fatalf("list:\n%s", list)
	}
	run("disable", "--toolkit", "github", "--account", "home")
	fresh, _ := connectStdio(t, []string{"SWITCHBOARD_USER_ID=alice"}, "--data-dir", dataDir, "--toolkit-url", "github="+gh.URL())
	fresh.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
	if tok := lastToken(t, gh, "/user"); tok != aliceWorkToken {
		t.Errorf("with home disabled the default acted with %q", tok)
	}
	fresh.fails(t, "ACCOUNT_INACTIVE", "select_account", map[string]any{"toolkit": "github", "account": "home"})
	run("enable", "--toolkit", "github", "--account", "home")
	run("delete", "--toolkit", "github", "--account", work)
	if list := run("list"); strings.Contains(list, work) || !strings.Contains(list, home) {
		t.Errorf("after delete:\n%s", list)
	}
	if out, err := exec.Command(binary, "accounts", "list", "--user-id", "bob", "--data-dir", dataDir).CombinedOutput(); err != nil || strings.Contains(string(out), home) {
		t.Errorf("bob's list shows alice's account or failed: %v\n%s", err, out)
	}
}

// TestPolicyAndAuditCommands pins the operator's commands for policies and
// the trail: accounts policy shows and changes a policy that a running
// stdio session follows on its next call, and audit prints the calls
// (the refused one too) of the user asked for, and no one else's.
func TestPolicyAndAuditCommands(t *testing.T) {
	gh := fakeGitHub(t)
	gh.AddRepo("alice-work", "notes", false)
	dataDir := t.TempDir()
	s, _ := connectStdio(t, []string{"SWITCHBOARD_USER_ID=alice"}, "--data-dir", dataDir, "--toolkit-url", "github="+gh.URL())
	connectAccount(t, s, "github", aliceWorkToken, "work")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(binary, append(args, "--data-dir", dataDir)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	policy := []string{"accounts", "policy", "--user-id", "alice", "--toolkit", "github", "--account", "work"}
	if got := run(policy...); !strings.Contains(got, "access=read_write confirm=none") {
		t.Errorf("the default policy:\n%s", got)
	}
	issue := map[string]any{"owner": "alice-work", "repo": "notes", "title": "from the agent"}
	s.ok(t, "GITHUB_CREATE_ISSUE", issue)
	if got := run(append(policy, "--access", "read_only", "--deny-tools", "github_list_*")...); !strings.Contains(got, "access=read_only confirm=none deny_tools=GITHUB_LIST_*") {
		t.Errorf("after the change:\n%s", got)
	}
	s.fails(t, "ACCOUNT_POLICY_DENIED", "GITHUB_CREATE_ISSUE", issue)
	s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
	if out, err := exec.Command(binary, append(append(policy, "--confirm", "sometimes"), "--data-dir", dataDir)...).CombinedOutput(); err == nil {
		t.Errorf("a bad --confirm was taken:\n%s", out)
	}

	// The server writes an entry a moment after the call answered.
	var trail string
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); len(lines) < 3 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		trail = run("audit", "--user-id", "alice")
		lines = strings.Split(strings.TrimSpace(trail), "\n")
	}
	if len(lines) != 3 || !strings.Contains(lines[0], "GITHUB_GET_AUTHENTICATED_USER") || !strings.Contains(lines[1], "ACCOUNT_POLICY_DENIED") ||
		!strings.Contains(lines[2], "\tok\t201\t") || !strings.Contains(lines[2], "alice-work") || strings.Contains(trail, "from the agent") {
		t.Errorf("alice's trail:\n%s", trail)
	}
	if got := run("audit", "--user-id", "bob"); got != "" {
		t.Errorf("bob's trail:\n%s", got)
	}
	if got := run("audit", "--since", "1h", "--limit", "1"); len(strings.Split(strings.TrimSpace(got), "\n")) != 1 {
		t.Errorf("one entry of the last hour:\n%s", got)
	}
}
