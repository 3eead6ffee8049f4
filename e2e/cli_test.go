package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliResult is what one run of the binary printed and how it exited.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs the binary in dir with args, an environment without any
// SWITCHBOARD_* variable of the caller's, plus env. A run that has not
// ended after 20 seconds (a server that started) fails the test.
func runCLI(tb testing.TB, dir string, env []string, args ...string) cliResult {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		tb.Fatalf("switchboard %v still ran after 20s; stderr:\n%s", args, stderr.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		tb.Fatalf("running switchboard %v: %v", args, err)
	}
	return cliResult{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// assertEmptyDir fails when dir holds anything.
func assertEmptyDir(tb testing.TB, dir, what string) {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		tb.Errorf("%s created %s", what, filepath.Join(dir, e.Name()))
	}
}

// TestHelp pins that every way of asking for help prints it on stdout,
// exits 0 and creates nothing.
func TestHelp(t *testing.T) {
	commands := []string{"switchboard serve", "switchboard stdio", "switchboard accounts", "switchboard audit", "switchboard version", "switchboard help"}
	serveFlags := []string{"--addr", "SWITCHBOARD_ADDR", "--data-dir", "SWITCHBOARD_DATA_DIR", "--max-body-bytes", "SWITCHBOARD_MAX_BODY_BYTES", "SWITCHBOARD_API_KEYS", "SWITCHBOARD_SECRET_KEYS"}
	stdioFlags := []string{"--user-id", "SWITCHBOARD_USER_ID", "--connect-addr", "SWITCHBOARD_CONNECT_ADDR", "SWITCHBOARD_SECRET_KEYS"}
	verbs := []string{"list", "disable", "enable", "delete", "policy", "switchboard accounts VERB --help"}
	verbFlags := []string{"--user-id", "--toolkit", "--account", "--data-dir", "SWITCHBOARD_DATA_DIR"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, commands},
		{[]string{"-h"}, commands},
		{[]string{"help"}, commands},
		{[]string{"serve", "--help"}, serveFlags},
		{[]string{"serve", "-h"}, serveFlags},
		{[]string{"help", "serve"}, serveFlags},
		{[]string{"stdio", "--help"}, stdioFlags},
		{[]string{"accounts", "--help"}, verbs},
		{[]string{"accounts", "help"}, verbs},
		{[]string{"accounts", "list", "--help"}, verbFlags},
		{[]string{"accounts", "disable", "--help"}, verbFlags},
		{[]string{"accounts", "enable", "-h"}, verbFlags},
		{[]string{"accounts", "delete", "--help"}, append(verbFlags, "revokes")},
		{[]string{"accounts", "policy", "--help"}, append(verbFlags, "--access", "--allow-tools", "--deny-tools", "--confirm", "--reset")},
		{[]string{"audit", "--help"}, []string{"--user-id", "--account", "--since", "--limit", "--data-dir", "never"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			r := runCLI(t, dir, nil, tc.args...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("the help does not name %q:\n%s", w, r.stdout)
				}
			}
			assertEmptyDir(t, dir, "asking for help")
		})
	}
}

// TestUsageErrors pins that a command line naming nothing runnable exits 2
// with a message on stderr and nothing on stdout.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "switchboard serve"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"serve", "--no-such-flag"}, "-no-such-flag"},
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
		{[]string{"accounts"}, "switchboard accounts VERB"},
		{[]string{"accounts", "lst"}, `unknown accounts verb "lst"`},
		{[]string{"accounts", "list"}, "--user-id"},
		{[]string{"accounts", "delete", "--user-id", "alice"}, "--toolkit and --account"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			r := runCLI(t, dir, nil, tc.args...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, and %q", r.code, r.stdout, r.stderr, tc.want)
			}
			assertEmptyDir(t, dir, "a usage error")
		})
	}
}

// TestVersion pins that version prints the version and the VCS revision Go
// stamped into the binary. (A binary built in a linked git worktree holds
// none, golang/go#58218; it says so.)
func TestVersion(t *testing.T) {
	r := runCLI(t, t.TempDir(), nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "switchboard ") || !strings.Contains(r.stdout, "module:    switchboard ") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	out, err := exec.Command("go", "version", "-m", binary).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "revision:  unknown"
	for _, line := range strings.Split(string(out), "\n") {
		if rev, ok := strings.CutPrefix(strings.TrimSpace(line), "build\tvcs.revision="); ok {
			want = "revision:  " + rev
		}
	}
	if !strings.Contains(r.stdout, want) {
		t.Errorf("version does not say %q:\n%s", want, r.stdout)
	}
}

// TestRefusedStartCreatesNothing pins that a start refused for bad input
// says what to change, naming absolute paths, and leaves no data dir,
// key or store behind.
func TestRefusedStartCreatesNothing(t *testing.T) {
	badToolkit := t.TempDir()
	if err := os.WriteFile(filepath.Join(badToolkit, "broken.yaml"), []byte("slug: broken\nnot_a_key: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	serve := []string{"serve", "--addr", "127.0.0.1:0"}
	stdio := []string{"stdio", "--connect-addr", "127.0.0.1:0"}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string // in stderr; "$DIR" is the working directory
	}{
		{"BadFlag", nil, append(serve, "--link-ttl", "soon"), []string{"-link-ttl"}},
		{"MissingConfigFile", nil, append(serve, "--config", "missing.yaml"), []string{"$DIR/missing.yaml", "--config", "SWITCHBOARD_CONFIG"}},
		{"DevModeOffLoopback", nil, []string{"serve", "--addr", "0.0.0.0:0"}, []string{"SWITCHBOARD_API_KEYS", "--addr"}},
		{"UnknownToolkitURL", nil, append(serve, "--toolkit-url", "gitlab=http://127.0.0.1:9"), []string{`"gitlab"`, "--toolkit-url"}},
		{"BrokenToolkitsDir", nil, append(serve, "--toolkits-dir", badToolkit), []string{badToolkit, "--toolkits-dir"}},
		{"BadPublicURL", nil, append(serve, "--public-url", "ftp://example.com"), []string{"--public-url"}},
		{"BadSecretKeys", []string{"SWITCHBOARD_SECRET_KEYS=k1:short"}, serve, []string{"SWITCHBOARD_SECRET_KEYS"}},
		{"BadLinkTTLVariable", []string{"SWITCHBOARD_LINK_TTL=10"}, serve, []string{"SWITCHBOARD_LINK_TTL"}},
		{"OAuthAppForUnknownToolkit", []string{"SWITCHBOARD_OAUTH_GITLAB_CLIENT_ID=id", "SWITCHBOARD_OAUTH_GITLAB_CLIENT_SECRET=s"}, serve, []string{`"gitlab"`}},
		{"BadLogLevel", nil, append(serve, "--log-level", "loud"), []string{"--log-level"}},
		{"PostgresWithoutSharedKeys", nil, append(serve, "--database-url", "postgres://nobody@127.0.0.1:1/none"), []string{"SWITCHBOARD_SECRET_KEYS"}},
		{"DatabaseURLNotPostgres", []string{"SWITCHBOARD_SECRET_KEYS=k1:" + strings.Repeat("A", 43) + "="}, append(serve, "--database-url", "mysql://root@127.0.0.1/test"), []string{"--database-url"}},
		{"InvisibleUserID", nil, append(stdio, "--user-id", "ali\u200bce"), []string{"--user-id", "U+200B"}},
		{"UnknownStdioToolkit", nil, append(stdio, "--toolkits", "gitlab"), []string{"--toolkits", `"gitlab"`}},
		{"InvisibleConnectedAccounts", nil, append(stdio, "--connected-accounts", "github=wo\u202erk"), []string{"--connected-accounts", "U+202E"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// The data dir is the default, ./.switchboard in dir.
			r := runCLI(t, dir, tc.env, tc.args...)
			if r.code == 0 {
				t.Fatalf("started: %s", r.stderr)
			}
			for _, w := range tc.want {
				if w = strings.ReplaceAll(w, "$DIR", dir); !strings.Contains(r.stderr, w) {
					t.Errorf("the error does not name %q:\n%s", w, r.stderr)
				}
			}
			assertEmptyDir(t, dir, "a refused start")
		})
	}
}

// TestAccountsNeedAnExistingStore pins that the accounts commands never
// create a store: without a data dir they say where they looked and how to
// name one.
func TestAccountsNeedAnExistingStore(t *testing.T) {
	t.Run("DefaultDataDir", func(t *testing.T) {
		dir := t.TempDir()
		r := runCLI(t, dir, nil, "accounts", "list", "--user-id", "alice")
		for _, w := range []string{filepath.Join(dir, ".switchboard"), "--data-dir", "SWITCHBOARD_DATA_DIR"} {
			if r.code != 1 || !strings.Contains(r.stderr, w) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, w)
			}
		}
		assertEmptyDir(t, dir, "accounts list")
	})
	t.Run("NamedDataDir", func(t *testing.T) {
		dir := t.TempDir()
		r := runCLI(t, dir, []string{"SWITCHBOARD_DATA_DIR=elsewhere"}, "accounts", "disable", "--user-id", "alice", "--toolkit", "github", "--account", "work")
		if want := filepath.Join(dir, "elsewhere"); r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
		}
		assertEmptyDir(t, dir, "accounts disable")
	})
}
