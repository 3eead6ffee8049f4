package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/fakeupstream"
)

// googleSetup is a fake Gmail whose tokens come from a fake Google OAuth
// provider, registered in a config file as gmail's OAuth app, with two
// Google identities of one person: work and personal.
type googleSetup struct {
	gmail  *fakeupstream.Gmail
	op     *fakeupstream.OAuth
	config string

	mu      sync.Mutex
	emailOf map[string]string // access token → mailbox
}

var (
	googleWork     = fakeupstream.OAuthIdentity{Subject: "110001", Login: "ada", Email: "ada@work.example", Name: "Ada at work"}
	googlePersonal = fakeupstream.OAuthIdentity{Subject: "110002", Login: "ada", Email: "ada@home.example", Name: "Ada at home"}
)

func newGoogleSetup(tb testing.TB) *googleSetup {
	tb.Helper()
	g := &googleSetup{gmail: fakeupstream.NewGmail(), emailOf: map[string]string{}}
	tb.Cleanup(g.gmail.Close)
	g.op = fakeupstream.NewOAuth(fakeupstream.OAuthOptions{
		ClientID: "sb-google", ClientSecret: "sb-google-secret",
		OnToken: func(token string, id fakeupstream.OAuthIdentity) {
			g.gmail.AddUser(token, id.Email)
			g.mu.Lock()
			g.emailOf[token] = id.Email
			g.mu.Unlock()
		},
	})
	tb.Cleanup(g.op.Close)
	g.op.AddIdentity(googleWork)
	g.op.AddIdentity(googlePersonal)
	g.config = filepath.Join(tb.TempDir(), "switchboard.yaml")
	body := "auth_configs:\n" +
		"  - id: ac_gmail\n    toolkit: gmail\n    scheme: oauth2\n    client_id: sb-google\n    client_secret: sb-google-secret\n" +
		"    authorize_url: " + g.op.AuthorizeURL() + "\n    token_url: " + g.op.TokenURL() + "\n    revoke_url: " + g.op.RevokeURL() + "\n" +
		"toolkit_urls:\n  gmail: " + g.gmail.URL() + "\n"
	if err := os.WriteFile(g.config, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return g
}

// mailboxesSince returns the mailbox of every profile request the fake
// Gmail served after the m-th request.
func (g *googleSetup) mailboxesSince(m int) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, r := range g.gmail.Requests()[m:] {
		if strings.HasSuffix(r.Path, "/users/me/profile") {
			out = append(out, g.emailOf[r.Token])
		}
	}
	return out
}

// signIn plays the person at an OAuth connect link: the page's button,
// the provider's consent as who, and the way back to Switchboard.
func (g *googleSetup) signIn(tb testing.TB, link string, who fakeupstream.OAuthIdentity) {
	tb.Helper()
	authorize := startOAuthTo(tb, link, "Gmail")
	back, err := g.op.Consent(authorize, who.Subject, true)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := noRedirect.Get(back.String())
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("the OAuth callback answered %d", resp.StatusCode)
	}
}

// TestComposioSDKRunsTheSeed runs the seed document's TypeScript snippets
// unchanged through the real @composio/core SDK, pointed at the built
// binary with COMPOSIO_BASE_URL: two Gmail accounts connected with
// session.authorize and waitForConnection, the most recent one active in a
// new session, the other pinned with connectedAccounts, the accounts
// listed, tools listed and executed natively, and session.mcp handed to the
// official MCP client. The fake Gmail says which mailbox every call read.
func TestComposioSDKRunsTheSeed(t *testing.T) {
	node := needNode(t, "@composio/core", "@modelcontextprotocol/sdk")
	g := newGoogleSetup(t)
	srv := serve(t, t.TempDir(), []string{"SWITCHBOARD_API_KEYS=op-key-composio"}, "--config", g.config)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "composio-seed.mjs")
	cmd.Dir = nodeDir(t)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "NO_COLOR=1",
		"COMPOSIO_BASE_URL="+srv.base, "SWITCHBOARD_KEY=op-key-composio", "TELEMETRY_DISABLED=true", "COMPOSIO_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	events := map[string][]map[string]any{}
	var order []string
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			t.Fatalf("the script printed %q", lines.Text())
		}
		name, _ := ev["event"].(string)
		events[name] = append(events[name], ev)
		order = append(order, name)
		if name == "link" {
			who := googleWork
			if ev["which"] == "personal" {
				who = googlePersonal
			}
			g.signIn(t, ev["url"].(string), who)
		}
	}
	if err := cmd.Wait(); err != nil || len(events["done"]) != 1 {
		t.Fatalf("the seed script failed (%v) after %v: %v\nstderr:\n%s\nserver log:\n%s", err, order, events["error"], stderr.String(), srv.logs)
	}

	connected := map[string]string{}
	for _, ev := range events["connected"] {
		if ev["status"] != "ACTIVE" && ev["status"] != "INITIATED" {
			t.Errorf("waitForConnection returned %v", ev)
		}
		connected[ev["which"].(string)] = ev["id"].(string)
	}
	work, personal := connected["work"], connected["personal"]
	if !strings.HasPrefix(work, "ca_") || !strings.HasPrefix(personal, "ca_") || work == personal {
		t.Fatalf("connected accounts: %v", connected)
	}

	t.Run("NewSessionUsesTheMostRecent", func(t *testing.T) {
		var seen bool
		for _, ev := range events["toolkit"] {
			switch ev["session"] {
			case "new":
				seen = true
				if ev["slug"] != "gmail" || ev["id"] != personal || ev["isActive"] != true {
					t.Errorf("a new session's gmail: %v (want the personal account %s)", ev, personal)
				}
			case "pinned":
				if ev["slug"] == "gmail" && ev["id"] != work {
					t.Errorf("the pinned session's gmail: %v (want %s)", ev, work)
				}
			}
		}
		if !seen {
			t.Errorf("session.toolkits() showed no connected account: %v", events["toolkit"])
		}
	})
	t.Run("ListsBothAccounts", func(t *testing.T) {
		items := events["list"][0]["items"].([]any)
		got := map[string]string{}
		for _, it := range items {
			m := it.(map[string]any)
			got[m["id"].(string)] = m["status"].(string)
		}
		if len(got) != 2 || got[work] != "ACTIVE" || got[personal] != "ACTIVE" {
			t.Errorf("connectedAccounts.list = %v", items)
		}
	})
	t.Run("NativeToolsActAsThePinnedAccount", func(t *testing.T) {
		names, _ := events["tools"][0]["names"].([]any)
		if !containsAny(names, "GMAIL_GET_PROFILE") {
			t.Errorf("session.tools() = %v", names)
		}
		ex := events["execute"][0]
		data, _ := ex["data"].(map[string]any)
		acct, _ := data["account"].(map[string]any)
		if ex["error"] != nil || acct["id"] != work || acct["label"] != googleWork.Email {
			t.Errorf("session.execute = %v", ex)
		}
	})
	t.Run("MCPWithSessionURLActsAsThePinnedAccount", func(t *testing.T) {
		ev := events["mcp"][0]
		res, _ := ev["result"].(map[string]any)
		acct, _ := res["account"].(map[string]any)
		if ev["isError"] == true || acct["id"] != work || acct["selected_by"] != "session" {
			t.Errorf("MCP call through session.mcp: %v", ev)
		}
		if !strings.HasPrefix(ev["url"].(string), srv.base+"/sessions/ses_") {
			t.Errorf("session.mcp.url = %v", ev["url"])
		}
	})
	t.Run("TheFakeGmailSawTheWorkMailbox", func(t *testing.T) {
		// The last two profile reads are the pinned session's execute and
		// MCP call (before them: the identity checks of the two connects).
		boxes := g.mailboxesSince(0)
		if len(boxes) < 4 || boxes[len(boxes)-2] != googleWork.Email || boxes[len(boxes)-1] != googleWork.Email {
			t.Errorf("profile reads by mailbox: %v, want the work mailbox last, twice", boxes)
		}
	})
}

func containsAny(list []any, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}
