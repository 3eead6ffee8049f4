package e2e

import (
	"os/exec"
	"strings"
	"testing"
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
